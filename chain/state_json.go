package chain

import (
	"encoding/json"
	"fmt"
)

// JSON-valued state entries (subnets, proof records, ceremonies). encoding/json
// writes struct fields in declaration order and these structs hold no maps or
// floats, so each value has exactly one encoding (docs/protocol.md).

// getJSON decodes the value at key into v; false when absent or undecodable
// (values are written only by putJSON from valid structs).
func (s *State) getJSON(key string, v any) bool {
	b, ok := s.Get(key)
	if !ok {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// putJSON stores the JSON encoding of v. The protocol's structs always
// marshal, so an error is a programming bug reported as ErrInternal.
func (s *State) putJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: encode %q: %v", ErrInternal, key, err)
	}
	s.Set(key, b)
	return nil
}
