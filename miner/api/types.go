package api

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/veritensor/veritensor/miner/hw"
)

// Paths of the miner's HTTP API.
const (
	PathInfer   = "/v1/infer"
	PathInfo    = "/v1/info"
	PathHealth  = "/healthz"
	PathMetrics = "/metrics"
)

// MNISTInputLen is the input length of the first subnets' task: a 28x28
// image quantized to int8.
const MNISTInputLen = 784

// MaxRequestIDLen bounds InferRequest.ID in bytes.
const MaxRequestIDLen = 64

// InferRequest is the body of POST /v1/infer.
type InferRequest struct {
	// ID is the caller's request identifier, echoed in the response:
	// 1..MaxRequestIDLen bytes of [A-Za-z0-9._:-].
	ID string `json:"id"`
	// Epoch is the epoch the validator expects the proof to be bound to
	// (a public input of the proof).
	Epoch uint64 `json:"epoch"`
	// Input is the model input, quantized to int8, in the task's order
	// (row-major pixels for MNIST); its length must equal the subnet's
	// input length.
	Input []int8 `json:"input"`
}

// InferResponse is the body of a 200 answer to POST /v1/infer.
type InferResponse struct {
	// ID echoes InferRequest.ID.
	ID string `json:"id"`
	// Epoch echoes InferRequest.Epoch, the epoch the proof is bound to.
	Epoch uint64 `json:"epoch"`
	// Class is the model's output (the argmax class for MNIST: 0..9).
	Class uint32 `json:"class"`
	// Proof is the serialized proof (base64 in JSON). It is optional only
	// on a proof-less subnet (its task's require_proof is false), where a
	// miner omits it (validators ignore one sent anyway); on every other
	// subnet an answer without it is invalid.
	Proof []byte `json:"proof,omitempty"`
	// Public is the proof's public inputs in the zk package's fixed-size
	// encoding (base64 in JSON): model commitment, input hash, output,
	// miner hotkey hash, epoch. Omitted with Proof.
	Public []byte `json:"public,omitempty"`
	// ProveMillis is how long proving took on the miner, in milliseconds.
	ProveMillis int64 `json:"prove_ms"`
}

// Info is the body of GET /v1/info: what the miner serves.
type Info struct {
	// Hotkey is the miner's hotkey (ed25519 public key), hex.
	Hotkey string `json:"hotkey"`
	// ChainID is the chain the miner serves on; signed requests must use it.
	ChainID string `json:"chain_id"`
	// Subnet is the subnet ID the miner is registered on.
	Subnet uint16 `json:"subnet"`
	// ModelCommitment is what the miner registered for its model, hex: the
	// in-circuit Poseidon2 hash of the weights (scheme "hash"), or the
	// model point, a compressed BN254 G1 point that depends on the subnet's
	// proving key (scheme "commit").
	ModelCommitment string `json:"model_commitment"`
	// CircuitID names the subnet's circuit.
	CircuitID string `json:"circuit_id"`
	// Scheme is the subnet's proof scheme, "hash" or "commit" (zk.Scheme;
	// omitted on a proof-less subnet).
	Scheme string `json:"scheme,omitempty"`
	// InputLen is the number of int8 values InferRequest.Input must hold.
	InputLen int `json:"input_len"`
	// BatchSizes are the batch sizes POST /v2/infer proves (none: the miner
	// serves no batches).
	BatchSizes []int `json:"batch_sizes,omitempty"`
	// Workers is the number of proofs the miner computes at once.
	Workers int `json:"workers"`
	// QueueCap is how many requests may wait for a worker.
	QueueCap int `json:"queue_cap"`
	// Hardware is the machine's inventory; HardwareSummary its canonical
	// on-chain form.
	Hardware        hw.Summary `json:"hardware"`
	HardwareSummary string     `json:"hardware_summary"`
	// Backend is what the miner proves on: "cpu" (gnark's Go prover) or
	// "icicle-gpu" (gnark's ICICLE prover, a `make build-gpu` binary run
	// with gpu = true); BackendDevice names the GPU for icicle-gpu.
	Backend       string `json:"backend"`
	BackendDevice string `json:"backend_device,omitempty"`
	// Version is the miner software version.
	Version string `json:"version"`
}

// Error is the body of every non-2xx answer.
type Error struct {
	// Code is a stable machine-readable code (one of the Code* constants).
	Code string `json:"code"`
	// Message says in words what was wrong.
	Message string `json:"error"`
}

// Stable error codes of Error.Code.
const (
	CodeBadRequest   = "bad_request"  // 400: garbage JSON, wrong input shape
	CodeUnauthorized = "unauthorized" // 401: unsigned, bad signature, stale timestamp
	CodeForbidden    = "forbidden"    // 403: not a validator with a permit on the subnet
	CodeNotFound     = "not_found"    // 404
	CodeMethod       = "method"       // 405
	CodeReplay       = "replay"       // 409: nonce already used
	CodeTooLarge     = "too_large"    // 413: body over the limit
	CodeRateLimited  = "rate_limited" // 429: see Retry-After
	CodeInternal     = "internal"     // 500: proving failed
	CodeBusy         = "busy"         // 503: queue full or shutting down; see Retry-After
	CodeTimeout      = "timeout"      // 504: the proof did not finish in time
)

// Errors of Validate.
var (
	ErrBadID    = errors.New("bad request id")
	ErrBadInput = errors.New("bad input")
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// Validate checks the request's shape against the task's input length.
func (r *InferRequest) Validate(inputLen int) error {
	if !idRE.MatchString(r.ID) {
		return fmt.Errorf("%w: id must be 1..%d characters of [A-Za-z0-9._:-]", ErrBadID, MaxRequestIDLen)
	}
	if len(r.Input) != inputLen {
		return fmt.Errorf("%w: input has %d values, the task takes %d int8 values", ErrBadInput, len(r.Input), inputLen)
	}
	return nil
}
