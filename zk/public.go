package zk

import (
	"encoding/binary"
	"fmt"
)

// Binding ties a proof to one miner and one epoch.
type Binding struct {
	// HotkeyHash is HotkeyHash(minerHotkeyPubKey), a field element.
	HotkeyHash [32]byte
	// Epoch is the chain epoch the proof is for.
	Epoch uint64
}

// Public are a proof's public inputs.
type Public struct {
	ModelCommitment [32]byte // Model.Commitment(), big-endian field element
	InputHash       [32]byte // InputHash(x), big-endian field element
	Output          uint32   // argmax class
	HotkeyHash      [32]byte // HotkeyHash(pubkey), big-endian field element
	Epoch           uint64
}

// PublicSize is the length of Public.MarshalBinary.
const PublicSize = 32 + 32 + 4 + 32 + 8

// NumPublic is the number of public inputs of every circuit (not counting
// gnark's internal commitment input).
const NumPublic = 5

// MarshalBinary encodes the public inputs in the fixed 108-byte layout:
// modelCommitment(32) inputHash(32) output(u32 BE) hotkeyHash(32) epoch(u64 BE).
func (p Public) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, PublicSize)
	b = append(b, p.ModelCommitment[:]...)
	b = append(b, p.InputHash[:]...)
	b = binary.BigEndian.AppendUint32(b, p.Output)
	b = append(b, p.HotkeyHash[:]...)
	b = binary.BigEndian.AppendUint64(b, p.Epoch)
	return b, nil
}

// UnmarshalPublic decodes MarshalBinary's layout and checks that every hash is
// a canonical field element.
func UnmarshalPublic(b []byte) (Public, error) {
	if len(b) != PublicSize {
		return Public{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadPublic, len(b), PublicSize)
	}
	var p Public
	copy(p.ModelCommitment[:], b[0:32])
	copy(p.InputHash[:], b[32:64])
	p.Output = binary.BigEndian.Uint32(b[64:68])
	copy(p.HotkeyHash[:], b[68:100])
	p.Epoch = binary.BigEndian.Uint64(b[100:108])
	return p, p.Validate()
}

// Validate checks that every hash is a canonical BN254 scalar field element.
func (p Public) Validate() error {
	fields := []struct {
		name string
		v    [32]byte
	}{{"modelCommitment", p.ModelCommitment}, {"inputHash", p.InputHash}, {"hotkeyHash", p.HotkeyHash}}
	for _, f := range fields {
		if !isCanonical(f.v) {
			return fmt.Errorf("%w: %s is not below the BN254 scalar modulus", ErrBadPublic, f.name)
		}
	}
	return nil
}

// PublicInputNames lists the public inputs in circuit order.
func PublicInputNames() []string {
	return []string{"modelCommitment", "inputHash", "output", "hotkeyHash", "epoch"}
}
