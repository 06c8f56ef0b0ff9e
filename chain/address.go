package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// AddressLen is the length of an account address in bytes.
const AddressLen = 20

// Address identifies an account: the first 20 bytes of SHA-256 of its ed25519
// public key (the same rule CometBFT uses for validator addresses). Its text
// form is 40 lowercase hex digits.
type Address [AddressLen]byte

// AddressFromPubKey derives the address of an ed25519 public key.
func AddressFromPubKey(pub ed25519.PublicKey) Address {
	sum := sha256.Sum256(pub)
	var a Address
	copy(a[:], sum[:AddressLen])
	return a
}

// ParseAddress parses 40 hex digits (an optional 0x prefix is accepted).
func ParseAddress(s string) (Address, error) {
	var a Address
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != AddressLen {
		return a, fmt.Errorf("%w: address %q is not %d hex bytes", ErrMalformed, s, AddressLen)
	}
	copy(a[:], b)
	return a, nil
}

// String returns the address as 40 lowercase hex digits.
func (a Address) String() string { return hex.EncodeToString(a[:]) }

// IsZero reports whether a is the all-zero address.
func (a Address) IsZero() bool { return a == Address{} }

// MarshalText encodes a as hex (so JSON shows a string).
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses hex.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
