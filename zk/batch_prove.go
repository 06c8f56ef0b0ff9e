package zk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// BatchPublic are a batch proof's public inputs.
type BatchPublic struct {
	ModelCommitment [32]byte // Model.Commitment()
	InputsHash      [32]byte // BatchInputsHash(inputs in order)
	Outputs         []uint32 // the argmax class of every input, in order
	HotkeyHash      [32]byte // HotkeyHash(pubkey)
	Epoch           uint64
}

// NumBatchPublic is the number of public inputs of a batch circuit of k
// inputs (not counting gnark's internal commitment input).
func NumBatchPublic(k int) int { return 4 + k }

// MarshalBinary encodes the public inputs: modelCommitment(32)
// inputsHash(32) u8 k, k x output (u32 BE), hotkeyHash(32) epoch(u64 BE).
func (p BatchPublic) MarshalBinary() ([]byte, error) {
	if err := checkBatch(len(p.Outputs)); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 32+32+1+4*len(p.Outputs)+32+8)
	b = append(b, p.ModelCommitment[:]...)
	b = append(b, p.InputsHash[:]...)
	b = append(b, byte(len(p.Outputs)))
	for _, o := range p.Outputs {
		b = binary.BigEndian.AppendUint32(b, o)
	}
	b = append(b, p.HotkeyHash[:]...)
	b = binary.BigEndian.AppendUint64(b, p.Epoch)
	return b, nil
}

// UnmarshalBatchPublic decodes MarshalBinary's layout.
func UnmarshalBatchPublic(b []byte) (BatchPublic, error) {
	if len(b) < 65 {
		return BatchPublic{}, fmt.Errorf("%w: %d bytes", ErrBadPublic, len(b))
	}
	k := int(b[64])
	if err := checkBatch(k); err != nil {
		return BatchPublic{}, fmt.Errorf("%w: %w", ErrBadPublic, err)
	}
	if want := 65 + 4*k + 40; len(b) != want {
		return BatchPublic{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadPublic, len(b), want)
	}
	var p BatchPublic
	copy(p.ModelCommitment[:], b[0:32])
	copy(p.InputsHash[:], b[32:64])
	p.Outputs = make([]uint32, k)
	for j := range k {
		p.Outputs[j] = binary.BigEndian.Uint32(b[65+4*j:])
	}
	o := 65 + 4*k
	copy(p.HotkeyHash[:], b[o:o+32])
	p.Epoch = binary.BigEndian.Uint64(b[o+32:])
	return p, p.Validate()
}

// Validate checks the batch size and that every hash is a canonical field
// element.
func (p BatchPublic) Validate() error {
	if err := checkBatch(len(p.Outputs)); err != nil {
		return fmt.Errorf("%w: %w", ErrBadPublic, err)
	}
	return Public{ModelCommitment: p.ModelCommitment, InputHash: p.InputsHash, HotkeyHash: p.HotkeyHash}.Validate()
}

// vector is the public witness in circuit order.
func (p BatchPublic) vector() fr.Vector {
	vec := make(fr.Vector, NumBatchPublic(len(p.Outputs)))
	vec[0].SetBigInt(new(big.Int).SetBytes(p.ModelCommitment[:]))
	vec[1].SetBigInt(new(big.Int).SetBytes(p.InputsHash[:]))
	for j, o := range p.Outputs {
		vec[2+j].SetUint64(uint64(o))
	}
	vec[2+len(p.Outputs)].SetBigInt(new(big.Int).SetBytes(p.HotkeyHash[:]))
	vec[3+len(p.Outputs)].SetUint64(p.Epoch)
	return vec
}

// CompileBatch builds the constraint system of (a, k)'s batch circuit.
func CompileBatch(a Arch, k int) (constraint.ConstraintSystem, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := checkBatch(k); err != nil {
		return nil, err
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, newBatchCircuit(a, k), compileOptions...)
	if err != nil {
		return nil, fmt.Errorf("zk: compile %s batch %d: %w", a, k, err)
	}
	return ccs, nil
}

// SetupBatch is Setup for (a, k)'s batch circuit: a single-party setup for
// tests, benchmarks and local keys. Subnets take their keys from a ceremony
// (zk/ceremony.CompileBatchCircuit).
func SetupBatch(a Arch, k int) (pk, vk []byte, err error) {
	ccs, err := CompileBatch(a, k)
	if err != nil {
		return nil, nil, err
	}
	gpk, gvk, err := nativeSetup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zk: setup %s batch %d: %w", a, k, err)
	}
	var pb, vb bytes.Buffer
	if _, err := gpk.WriteRawTo(&pb); err != nil {
		return nil, nil, fmt.Errorf("zk: write proving key: %w", err)
	}
	if _, err := gvk.WriteTo(&vb); err != nil {
		return nil, nil, fmt.Errorf("zk: write verifying key: %w", err)
	}
	return pb.Bytes(), vb.Bytes(), nil
}

// BatchProver proves batches of k inferences for one architecture. Prove is
// safe for concurrent use.
type BatchProver struct {
	arch Arch
	k    int
	ccs  constraint.ConstraintSystem
	pk   groth16.ProvingKey // the build's key type, proved on the CPU
}

// NewBatchProver compiles (a, k)'s batch circuit and parses pk.
func NewBatchProver(a Arch, k int, pk []byte) (*BatchProver, error) {
	ccs, err := CompileBatch(a, k)
	if err != nil {
		return nil, err
	}
	gpk, err := parseProvingKey(ccs, pk, fmt.Sprintf("%s batch %d", a, k), false)
	if err != nil {
		return nil, err
	}
	return &BatchProver{arch: a, k: k, ccs: ccs, pk: gpk}, nil
}

// Arch is the prover's architecture; K its batch size.
func (p *BatchProver) Arch() Arch { return p.arch }

// K is the batch size.
func (p *BatchProver) K() int { return p.k }

// NbConstraints is the number of R1CS constraints of the circuit.
func (p *BatchProver) NbConstraints() int { return p.ccs.GetNbConstraints() }

// Prove runs m on the k inputs xs, proves the k inferences bound to b in one
// proof, and returns it with its public inputs.
func (p *BatchProver) Prove(m *Model, xs [][]int8, b Binding) (proof []byte, pub BatchPublic, err error) {
	if err := m.Validate(); err != nil {
		return nil, BatchPublic{}, err
	}
	if !m.Arch.Equal(p.arch) {
		return nil, BatchPublic{}, fmt.Errorf("%w: model %s, prover %s", ErrArchMismatch, m.Arch, p.arch)
	}
	if len(xs) != p.k {
		return nil, BatchPublic{}, fmt.Errorf("%w: %d inputs for a batch of %d", ErrBadInput, len(xs), p.k)
	}
	if !isCanonical(b.HotkeyHash) {
		return nil, BatchPublic{}, fmt.Errorf("%w: hotkey hash is not a field element", ErrBadPublic)
	}
	assignment, pub, err := assignBatch(m, xs, b)
	if err != nil {
		return nil, BatchPublic{}, err
	}
	proof, err = prove(p.ccs, p.pk, assignment)
	if err != nil {
		return nil, BatchPublic{}, err
	}
	return proof, pub, nil
}

// BatchVerifier checks batch proofs of k inputs against one verifying key.
type BatchVerifier struct {
	k int
	v Verifier
}

// NewBatchVerifier parses the verifying key of a batch circuit of k inputs.
// It never panics (as NewVerifier).
func NewBatchVerifier(vk []byte, k int) (*BatchVerifier, error) {
	if err := checkBatch(k); err != nil {
		return nil, err
	}
	gvk, err := parseVerifyingKey(vk, NumBatchPublic(k))
	if err != nil {
		return nil, err
	}
	return &BatchVerifier{k: k, v: Verifier{vk: gvk}}, nil
}

// K is the batch size.
func (v *BatchVerifier) K() int { return v.k }

// Verify checks a batch proof against its public inputs (errors as
// Verifier.Verify).
func (v *BatchVerifier) Verify(proof []byte, pub BatchPublic) error {
	if len(pub.Outputs) != v.k {
		return fmt.Errorf("%w: %d outputs for a batch of %d", ErrBadPublic, len(pub.Outputs), v.k)
	}
	if err := pub.Validate(); err != nil {
		return err
	}
	return v.v.verifyVector(proof, pub.vector())
}
