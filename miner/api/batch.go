package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// PathInferBatch is the batch endpoint (API version 2): one proof for k
// inputs.
const PathInferBatch = "/v2/infer"

// BatchSizes are the batch sizes a /v2/infer request may have: one circuit
// (and one set of keys) per size.
var BatchSizes = []int{1, 4, 16}

// BatchInferRequest is the body of POST /v2/infer.
type BatchInferRequest struct {
	// ID is the caller's request identifier, as InferRequest.ID.
	ID string `json:"id"`
	// Epoch is the epoch the proof is bound to.
	Epoch uint64 `json:"epoch"`
	// Inputs are k model inputs (k one of BatchSizes), in the order whose
	// hash the proof binds; each as InferRequest.Input.
	Inputs [][]int8 `json:"inputs"`
}

// BatchInferResponse is the body of a 200 answer to POST /v2/infer.
type BatchInferResponse struct {
	// ID and Epoch echo the request.
	ID    string `json:"id"`
	Epoch uint64 `json:"epoch"`
	// Classes are the model's outputs, one per input, in order.
	Classes []uint32 `json:"classes"`
	// Proof is the batch proof (base64 in JSON).
	Proof []byte `json:"proof"`
	// Public is the proof's public inputs in zk.BatchPublic's encoding
	// (base64 in JSON): model commitment, inputs hash, k outputs, miner
	// hotkey hash, epoch.
	Public []byte `json:"public"`
	// ProveMillis is the proving time on the miner, milliseconds.
	ProveMillis int64 `json:"prove_ms"`
}

// Validate checks the request's shape: a valid id, k in BatchSizes (or in
// sizes when not nil), every input of inputLen values.
func (r *BatchInferRequest) Validate(inputLen int, sizes []int) error {
	if !idRE.MatchString(r.ID) {
		return fmt.Errorf("%w: id must be 1..%d characters of [A-Za-z0-9._:-]", ErrBadID, MaxRequestIDLen)
	}
	if sizes == nil {
		sizes = BatchSizes
	}
	if !slices.Contains(sizes, len(r.Inputs)) {
		return fmt.Errorf("%w: a batch of %d inputs; this miner proves batches of %v", ErrBadInput, len(r.Inputs), sizes)
	}
	for j, x := range r.Inputs {
		if len(x) != inputLen {
			return fmt.Errorf("%w: input %d has %d values, the task takes %d int8 values", ErrBadInput, j, len(x), inputLen)
		}
	}
	return nil
}

// DecodeBatchInferRequest parses and validates a /v2/infer body as
// DecodeInferRequest does, with Validate(inputLen, sizes).
func DecodeBatchInferRequest(body []byte, inputLen int, sizes []int) (BatchInferRequest, error) {
	var r BatchInferRequest
	if err := decodeStrict(body, &r); err != nil {
		return BatchInferRequest{}, err
	}
	if err := r.Validate(inputLen, sizes); err != nil {
		return BatchInferRequest{}, err
	}
	return r, nil
}

// InferBatch sends req to POST /v2/infer and returns the miner's answer. A
// non-2xx answer is a *StatusError (404 from a miner without batches). The
// caller verifies the proof.
func (c *Client) InferBatch(ctx context.Context, req BatchInferRequest) (BatchInferResponse, error) {
	var out BatchInferResponse
	body, err := json.Marshal(req)
	if err != nil {
		return out, fmt.Errorf("infer batch: %w", err)
	}
	if err := c.do(ctx, http.MethodPost, PathInferBatch, body, &out); err != nil {
		return out, fmt.Errorf("infer batch %s: %w", req.ID, err)
	}
	return out, nil
}
