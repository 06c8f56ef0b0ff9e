package scoring

import "errors"

// Sentinel errors; functions wrap them with %w and context, so test with
// errors.Is.
var (
	// ErrParams: a parameter is out of range.
	ErrParams = errors.New("scoring: invalid params")
	// ErrNeuronOrder: Input.Neurons is not exactly UIDs 0..n-1 in order.
	ErrNeuronOrder = errors.New("scoring: neurons must be UIDs 0..n-1 in order")
	// ErrRowOrder: rows or the entries of a row are not strictly increasing by UID.
	ErrRowOrder = errors.New("scoring: rows and entries must be strictly increasing by UID")
	// ErrUnknownUID: a row or an entry names a UID >= n.
	ErrUnknownUID = errors.New("scoring: unknown UID")
	// ErrTooFewWeights: fewer positive scores than min_allowed_weights.
	ErrTooFewWeights = errors.New("scoring: fewer weights than min_allowed_weights")
	// ErrWeightLimit: max_weight_limit cannot be met with this many weights.
	ErrWeightLimit = errors.New("scoring: max_weight_limit cannot be met")
	// ErrMetagraph: a JSON metagraph could not be decoded.
	ErrMetagraph = errors.New("scoring: bad metagraph")
)
