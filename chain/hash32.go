package chain

import (
	"encoding/hex"
	"fmt"
)

// Hash32 is a 32-byte value (hash, commitment, seed) shown as 64 hex digits.
type Hash32 [32]byte

// String returns lowercase hex.
func (h Hash32) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether every byte is zero.
func (h Hash32) IsZero() bool { return h == Hash32{} }

// MarshalText encodes h as hex.
func (h Hash32) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses 64 hex digits.
func (h *Hash32) UnmarshalText(b []byte) error {
	p, err := ParseHash32(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash32 parses 64 hex digits (optional 0x prefix).
func ParseHash32(s string) (Hash32, error) {
	var h Hash32
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("%w: %q is not 32 hex bytes", ErrMalformed, s)
	}
	copy(h[:], b)
	return h, nil
}
