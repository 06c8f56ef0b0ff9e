package zk

import (
	"fmt"

	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/constraint"
)

// Scheme is how a subnet's single-inference proofs bind the model (docs/zk.md,
// "Proof schemes"). A subnet's scheme follows from its circuit ID
// (SchemeOf): the chain records the circuit, never a separate flag.
type Scheme uint8

const (
	// SchemeHash is the single circuit (CircuitVersion): the model
	// commitment is Model.Commitment(), a Poseidon2 hash computed in the
	// circuit, a public input. Batch proofs exist for this scheme only.
	SchemeHash Scheme = 0
	// SchemeCommit is the commit circuit (CommitCircuitVersion): the model
	// commitment is the model point, the proof's own BSB22 commitment to
	// the model's wires (CommitProver.ModelPoint), which depends on the
	// proving key and so on the subnet's ceremony.
	SchemeCommit Scheme = 1
)

// Schemes lists every scheme, in code order.
var Schemes = []Scheme{SchemeHash, SchemeCommit}

// String is the scheme's name: "hash" or "commit".
func (s Scheme) String() string {
	switch s {
	case SchemeHash:
		return "hash"
	case SchemeCommit:
		return "commit"
	}
	return fmt.Sprintf("scheme(%d)", uint8(s))
}

// ParseScheme parses String's names.
func ParseScheme(name string) (Scheme, error) {
	for _, s := range Schemes {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("zk: unknown proof scheme %q (want hash or commit)", name)
}

// Valid reports whether s is a known scheme.
func (s Scheme) Valid() bool { return s == SchemeHash || s == SchemeCommit }

// CircuitID is the ID of a's single-inference circuit under s: a.CircuitID()
// for SchemeHash, CommitCircuitID(a) for SchemeCommit.
func (s Scheme) CircuitID(a Arch) [32]byte {
	if s == SchemeCommit {
		return CommitCircuitID(a)
	}
	return a.CircuitID()
}

// SchemeOf returns the scheme whose single circuit for a has ID id, or
// ErrArchMismatch if id is no single circuit of a.
func SchemeOf(a Arch, id [32]byte) (Scheme, error) {
	for _, s := range Schemes {
		if s.CircuitID(a) == id {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: circuit %x is not a single-inference circuit of %s", ErrArchMismatch, id[:8], a)
}

// ValidateCommitment checks that c can be a model commitment under s: a
// canonical field element (SchemeHash) or a canonical compressed BN254 G1
// point (SchemeCommit; BN254's G1 has cofactor 1, so every point on the curve
// is in the group). It never panics.
func (s Scheme) ValidateCommitment(c [32]byte) error {
	switch s {
	case SchemeHash:
		if !isCanonical(c) {
			return fmt.Errorf("%w: model commitment is not below the BN254 scalar modulus", ErrBadPublic)
		}
		return nil
	case SchemeCommit:
		return validatePoint(c)
	}
	return fmt.Errorf("%w: unknown proof scheme %d", ErrBadPublic, uint8(s))
}

func validatePoint(c [32]byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: model point: %v", ErrBadPublic, r)
		}
	}()
	var p bn254.G1Affine
	if _, err := p.SetBytes(c[:]); err != nil {
		return fmt.Errorf("%w: model point is not a compressed BN254 G1 point: %w", ErrBadPublic, err)
	}
	if p.Bytes() != c {
		return fmt.Errorf("%w: model point is not canonically encoded", ErrBadPublic)
	}
	return nil
}

// ValidatePublic is Public.Validate with the model commitment checked as s's.
func (s Scheme) ValidatePublic(p Public) error {
	if err := s.ValidateCommitment(p.ModelCommitment); err != nil {
		return err
	}
	q := p
	q.ModelCommitment = [32]byte{}
	return q.Validate()
}

// UnmarshalPublicFor is UnmarshalPublic for scheme s (the commitment is s's).
func UnmarshalPublicFor(s Scheme, b []byte) (Public, error) {
	if len(b) != PublicSize {
		return Public{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadPublic, len(b), PublicSize)
	}
	var q [PublicSize]byte
	copy(q[:], b)
	copy(q[:32], make([]byte, 32))
	p, err := UnmarshalPublic(q[:])
	if err != nil {
		return Public{}, err
	}
	copy(p.ModelCommitment[:], b[:32])
	return p, s.ValidateCommitment(p.ModelCommitment)
}

// SingleProver proves single inferences under one scheme. Prove returns the
// proof and its public values, ModelCommitment being the scheme's commitment
// of m (ModelCommitment(m)). Implementations are safe for concurrent use.
type SingleProver interface {
	Scheme() Scheme
	Arch() Arch
	NbConstraints() int
	// Backend is "cpu" or the GPU backend's name.
	Backend() string
	// ModelCommitment is what a miner serving m registers.
	ModelCommitment(m *Model) ([32]byte, error)
	Prove(m *Model, x []int8, b Binding) (proof []byte, pub Public, err error)
}

// SingleVerifier checks single-inference proofs of one scheme against one
// verifying key; pub.ModelCommitment is the registered commitment. It never
// panics on hostile bytes and is safe for concurrent use.
type SingleVerifier interface {
	Scheme() Scheme
	Verify(proof []byte, pub Public) error
}

// NewSingleProver compiles a's circuit under s and parses pk. SchemeCommit
// proves on the CPU only: WithGPU returns ErrNoGPU there.
func NewSingleProver(s Scheme, a Arch, pk []byte, opts ...ProverOption) (SingleProver, error) {
	switch s {
	case SchemeHash:
		return NewProver(a, pk, opts...)
	case SchemeCommit:
		var cfg proverConfig
		for _, o := range opts {
			o(&cfg)
		}
		if cfg.gpu {
			return nil, fmt.Errorf("%w: the commit scheme proves on the CPU only", ErrNoGPU)
		}
		return NewCommitProver(a, pk)
	}
	return nil, fmt.Errorf("zk: unknown proof scheme %d", uint8(s))
}

// NewSingleVerifier parses vk, a verifying key of a single circuit under s.
func NewSingleVerifier(s Scheme, vk []byte) (SingleVerifier, error) {
	switch s {
	case SchemeHash:
		return NewVerifier(vk)
	case SchemeCommit:
		return NewCommitVerifier(vk)
	}
	return nil, fmt.Errorf("%w: unknown proof scheme %d", ErrMalformedKey, uint8(s))
}

// SetupScheme is Setup for a's single circuit under s (single party: tests,
// benchmarks, local keys).
func SetupScheme(s Scheme, a Arch) (pk, vk []byte, err error) {
	switch s {
	case SchemeHash:
		return Setup(a, nil)
	case SchemeCommit:
		return SetupCommit(a)
	}
	return nil, nil, fmt.Errorf("zk: unknown proof scheme %d", uint8(s))
}

// CompileScheme compiles a's single circuit under s.
func CompileScheme(s Scheme, a Arch) (constraint.ConstraintSystem, error) {
	switch s {
	case SchemeHash:
		return Compile(a)
	case SchemeCommit:
		return CompileCommit(a)
	}
	return nil, fmt.Errorf("zk: unknown proof scheme %d", uint8(s))
}

// Scheme is SchemeHash.
func (p *Prover) Scheme() Scheme { return SchemeHash }

// ModelCommitment is m.Commitment() (after checking m's architecture).
func (p *Prover) ModelCommitment(m *Model) ([32]byte, error) {
	if err := m.Validate(); err != nil {
		return [32]byte{}, err
	}
	if !m.Arch.Equal(p.arch) {
		return [32]byte{}, fmt.Errorf("%w: model %s, prover %s", ErrArchMismatch, m.Arch, p.arch)
	}
	return m.Commitment(), nil
}

// Scheme is SchemeHash.
func (v *Verifier) Scheme() Scheme { return SchemeHash }

// Scheme is SchemeCommit.
func (p *CommitProver) Scheme() Scheme { return SchemeCommit }

// Backend is "cpu": the commit circuit proves on the CPU only.
func (p *CommitProver) Backend() string { return proverConfig{}.backend() }

// ModelCommitment is ModelPoint.
func (p *CommitProver) ModelCommitment(m *Model) ([32]byte, error) { return p.ModelPoint(m) }

// Scheme is SchemeCommit.
func (v *CommitVerifier) Scheme() Scheme { return SchemeCommit }

var (
	_ SingleProver   = (*Prover)(nil)
	_ SingleProver   = (*CommitProver)(nil)
	_ SingleVerifier = (*Verifier)(nil)
	_ SingleVerifier = (*CommitVerifier)(nil)
)
