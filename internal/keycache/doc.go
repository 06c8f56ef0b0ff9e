// Package keycache keeps Groth16 proving and verifying keys on disk, one
// directory per circuit ID, checks their SHA-256 content hashes on every load,
// writes atomically (temporary file, fsync, rename; the manifest last), and
// runs zk.Setup on a miss.
package keycache
