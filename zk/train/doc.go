// Package train trains a float MLP or CNN on in-memory images with
// minibatch SGD and quantizes it into a zk.Model (int8 weights, power-of-two
// scales). TrainModel is the whole pipeline (train, quantize, measure,
// record the Meta) that `veritensor model train` and the devnet both call.
//
// It is pure compute: data comes in as slices, progress goes out through a
// callback, and a run is deterministic for a given seed on a given platform
// (single-threaded, math/rand/v2 PCG; float rounding may differ across CPU
// architectures that fuse multiply-adds).
package train
