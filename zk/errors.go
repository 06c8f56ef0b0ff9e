package zk

import "errors"

// Errors returned by this package. Callers test for them with errors.Is; each
// is wrapped with context.
var (
	// ErrBadArch: an architecture string or encoding is malformed or outside
	// the supported limits.
	ErrBadArch = errors.New("zk: bad architecture")
	// ErrBadModel: a model file is malformed, of an unknown version, or holds
	// values outside the ranges the circuit can prove.
	ErrBadModel = errors.New("zk: bad model")
	// ErrBadInput: an input vector does not match the model's input size.
	ErrBadInput = errors.New("zk: bad input")
	// ErrBadPublic: public inputs are malformed (wrong length, a value that
	// is not a canonical BN254 scalar field element).
	ErrBadPublic = errors.New("zk: bad public inputs")
	// ErrMalformedProof: proof bytes do not decode to a BN254 Groth16 proof.
	ErrMalformedProof = errors.New("zk: malformed proof")
	// ErrMalformedKey: key bytes do not decode to a key for this circuit
	// family (wrong curve, wrong number of public inputs, truncated, garbled).
	ErrMalformedKey = errors.New("zk: malformed key")
	// ErrProofInvalid: the proof decodes but does not verify against the
	// verifying key and public inputs.
	ErrProofInvalid = errors.New("zk: proof invalid")
	// ErrArchMismatch: a model, key or circuit belongs to another
	// architecture.
	ErrArchMismatch = errors.New("zk: architecture mismatch")
	// ErrProve: the prover failed (most often: the witness does not satisfy
	// the circuit).
	ErrProve = errors.New("zk: prove failed")
)
