// Package keycache keeps Groth16 proving and verifying keys on disk, one
// directory per circuit ID, checks their SHA-256 content hashes on every load,
// writes atomically (temporary file, fsync, rename; the manifest last), and
// runs zk.Setup on a miss. A setup holds an exclusive flock on
// <dir>/<circuit ID>.lock, so processes asking for the same circuit at the
// same time wait for one setup and then load its keys. The default directory
// is $VERITENSOR_KEYS_DIR, else ~/.cache/veritensor/keys, shared by the CLI,
// devnets and every test package (through keycachetest.Get, in its own
// package so that the binary does not link test code).
package keycache
