package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrBadJSON reports a body that is not one JSON object of the expected
// type.
var ErrBadJSON = errors.New("bad JSON body")

// DecodeInferRequest parses and validates an /v1/infer body: exactly one
// JSON object, no unknown fields, input values within int8, input length
// inputLen. Errors wrap ErrBadJSON, ErrBadID or ErrBadInput and say what is
// wrong in words.
func DecodeInferRequest(body []byte, inputLen int) (InferRequest, error) {
	var r InferRequest
	if err := decodeStrict(body, &r); err != nil {
		return InferRequest{}, err
	}
	if err := r.Validate(inputLen); err != nil {
		return InferRequest{}, err
	}
	return r, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return fmt.Errorf("%w: empty body", ErrBadJSON)
		case errors.As(err, &te) && te.Field == "":
			return fmt.Errorf("%w: want a JSON object, got %s", ErrBadJSON, te.Value)
		case errors.As(err, &te):
			return fmt.Errorf("%w: field %q: %s does not fit %s", ErrBadJSON, te.Field, te.Value, te.Type)
		default:
			return fmt.Errorf("%w: %v", ErrBadJSON, err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data after the object", ErrBadJSON)
	}
	return nil
}
