// Package ceremony runs and verifies the multi-party Groth16 setup (an MPC
// "ceremony") that produces a circuit's proving and verifying keys without
// anyone knowing the toxic waste, as long as one contributor is honest.
//
// It wraps gnark v0.14's backend/groth16/bn254/mpcsetup (BGM17,
// eprint 2017/1050) in a transcript of content-addressed files:
//
//	phase 1 (powers of tau, circuit independent, size 2^Log2):
//	  init (index 0) -> contribution 1 -> ... -> contribution n -> sealed (beacon)
//	phase 2 (one circuit, named by its circuit ID):
//	  init (index 0, built from the sealed phase 1) -> contribution 1 -> ... -> m
//	  -> SealPhase2 (beacon) -> proving key, verifying key
//
// Every file is a fixed Header (magic, format version, phase, kind, log2
// size, index, circuit ID, SHA-256 of the previous file) followed by gnark's
// serialised state. A file is named by the SHA-256 of all its bytes
// (FileHash); each header's Prev links it to the file before, so a list of
// hashes (what the chain records) fixes the whole transcript.
//
// Verify checks a whole transcript from scratch: every header and link, the
// phase-1 init against the deterministic one, each contribution's proofs of
// knowledge and update consistency, the phase-1 seal against the beacon, the
// phase-2 init against the circuit compiled from the architecture and
// zk.CircuitVersion, and finally re-seals phase 2 with the beacon and returns
// the keys. A failure is an *Error naming the first bad file (phase, index,
// hash) and wrapping a sentinel (ErrBrokenLink, ErrBadContribution,
// ErrWrongCircuit, ErrSealMismatch, ...).
//
// The package is pure: io.Reader/io.Writer in and out, no disk, network or
// clock. Randomness only enters through gnark's Contribute (crypto/rand).
// The beacon is supplied by the caller; Beacon derives it from a block hash.
// docs/zk.md ("Trusted setup ceremony") specifies the file format and the
// trust model.
package ceremony
