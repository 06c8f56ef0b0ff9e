package zk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// Size limits checked before any decoding.
const (
	// ProofSize is the exact length of an encoded proof: compressed BN254
	// points Ar (32), Bs (64), Krs (32), u32 count (=1) and one commitment
	// (32), commitment proof of knowledge (32).
	ProofSize = 196
	// MaxProofSize bounds an encoded proof.
	MaxProofSize = 256
	// MaxVerifyingKeySize bounds an encoded verifying key.
	MaxVerifyingKeySize = 4096
)

// compileOptions turn off gnark's compression of long linear combinations
// (by default every sum of 300 terms becomes a new wire through a constraint
// that puts the whole sum in the B matrix). The circuit's long sums (a row of
// products, the lookup argument's inverses) only ever appear in the C matrix
// (the second argument of AssertIsEqual), so uncompressed they cost nothing,
// while in B each term costs a G1 and a G2 point in the proving key and in
// every proof's multi-scalar multiplications.
var compileOptions = []frontend.CompileOption{frontend.WithCompressThreshold(0)}

// Compile builds the constraint system of a's circuit.
func Compile(a Arch) (constraint.ConstraintSystem, error) {
	return compile(a, false)
}

func compile(a Arch, withLogits bool) (constraint.ConstraintSystem, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, newCircuit(a, withLogits), compileOptions...)
	if err != nil {
		return nil, fmt.Errorf("zk: compile %s: %w", a, err)
	}
	return ccs, nil
}

// Setup compiles a's circuit and runs the Groth16 setup over BN254. It returns
// the serialised proving key (raw, uncompressed points: fast to load) and
// verifying key (compressed). progress, if not nil, is called with each stage
// name ("compile", "setup", "serialise").
//
// This setup knows the toxic waste; production subnets should replace it with
// an MPC ceremony.
func Setup(a Arch, progress func(stage string)) (pk, vk []byte, err error) {
	report := func(s string) {
		if progress != nil {
			progress(s)
		}
	}
	report("compile")
	ccs, err := Compile(a)
	if err != nil {
		return nil, nil, err
	}
	report("setup")
	gpk, gvk, err := nativeSetup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zk: setup %s: %w", a, err)
	}
	report("serialise")
	var pb, vb bytes.Buffer
	if _, err := gpk.WriteRawTo(&pb); err != nil {
		return nil, nil, fmt.Errorf("zk: write proving key: %w", err)
	}
	if _, err := gvk.WriteTo(&vb); err != nil {
		return nil, nil, fmt.Errorf("zk: write verifying key: %w", err)
	}
	return pb.Bytes(), vb.Bytes(), nil
}

// KeyHash is the SHA-256 content hash of a serialised key.
func KeyHash(b []byte) [32]byte { return sha256.Sum256(b) }

// Prover proves inferences for one architecture. It holds the compiled
// constraint system and the parsed proving key; Prove is safe for concurrent
// use (on the GPU backend, proofs run one at a time).
type Prover struct {
	arch Arch
	ccs  constraint.ConstraintSystem
	pk   groth16.ProvingKey // the build's key type (see newProvingKey)
	cfg  proverConfig
	// gpu serialises GPU proofs: gnark's ICICLE prover copies the key to
	// the device on the first proof without a lock, and one device gains
	// little from overlapping proofs.
	gpu sync.Mutex
}

// NewProver compiles a's circuit and parses pk (as written by Setup). It
// checks that pk matches the circuit's size. Without options it proves on
// the CPU; WithGPU selects the ICICLE GPU prover (ErrNoGPU when this binary
// or machine cannot).
func NewProver(a Arch, pk []byte, opts ...ProverOption) (p *Prover, err error) {
	var cfg proverConfig
	for _, o := range opts {
		o(&cfg)
	}
	ccs, err := Compile(a)
	if err != nil {
		return nil, err
	}
	gpk, err := parseProvingKey(ccs, pk, a.String(), cfg.gpu)
	if err != nil {
		return nil, err
	}
	return &Prover{arch: a, ccs: ccs, pk: gpk, cfg: cfg}, nil
}

// parseProvingKey decodes pk into a proving key of the build's type (see
// newProvingKey; gpu selects the GPU backend) and checks it fits ccs (named
// name in errors).
func parseProvingKey(ccs constraint.ConstraintSystem, pk []byte, name string, gpu bool) (key groth16.ProvingKey, err error) {
	key, _, err = parseProvingKeyNative(ccs, pk, name, gpu)
	return key, err
}

// parseProvingKeyNative is parseProvingKey that also returns the native key
// inside the build's key.
func parseProvingKeyNative(ccs constraint.ConstraintSystem, pk []byte, name string, gpu bool) (key groth16.ProvingKey, gpk *groth16bn254.ProvingKey, err error) {
	key, gpk, err = newProvingKey(gpu)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			key, gpk, err = nil, nil, fmt.Errorf("%w: proving key: %v", ErrMalformedKey, r)
		}
	}()
	n, err := gpk.UnsafeReadFrom(bytes.NewReader(pk))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: proving key: %w", ErrMalformedKey, err)
	}
	if n != int64(len(pk)) {
		return nil, nil, fmt.Errorf("%w: proving key has %d trailing bytes", ErrMalformedKey, int64(len(pk))-n)
	}
	if gpk.Domain.Cardinality < uint64(ccs.GetNbConstraints()) || int(gpk.NbInfinityA+uint64(len(gpk.G1.A))) != ccs.GetNbInternalVariables()+ccs.GetNbPublicVariables()+ccs.GetNbSecretVariables() {
		return nil, nil, fmt.Errorf("%w: proving key is for another circuit than %s", ErrArchMismatch, name)
	}
	return key, gpk, nil
}

// Backend is the prover's backend: BackendCPU or BackendIcicleGPU.
func (p *Prover) Backend() string { return p.cfg.backend() }

// Arch is the prover's architecture.
func (p *Prover) Arch() Arch { return p.arch }

// NbConstraints is the number of R1CS constraints of the circuit.
func (p *Prover) NbConstraints() int { return p.ccs.GetNbConstraints() }

// Prove runs model m on input x, proves the inference bound to b, and returns
// the compressed proof and its public inputs.
func (p *Prover) Prove(m *Model, x []int8, b Binding) (proof []byte, pub Public, err error) {
	if err := m.Validate(); err != nil {
		return nil, Public{}, err
	}
	if !m.Arch.Equal(p.arch) {
		return nil, Public{}, fmt.Errorf("%w: model %s, prover %s", ErrArchMismatch, m.Arch, p.arch)
	}
	if !isCanonical(b.HotkeyHash) {
		return nil, Public{}, fmt.Errorf("%w: hotkey hash is not a field element", ErrBadPublic)
	}
	assignment, pub, err := assign(m, x, b, false)
	if err != nil {
		return nil, Public{}, err
	}
	if p.cfg.gpu {
		p.gpu.Lock()
		defer p.gpu.Unlock()
	}
	proof, err = prove(p.ccs, p.pk, assignment, p.cfg.proveOptions()...)
	if err != nil {
		return nil, Public{}, err
	}
	return proof, pub, nil
}

// prove proves assignment and encodes the proof.
func prove(ccs constraint.ConstraintSystem, pk groth16.ProvingKey, assignment frontend.Circuit, opts ...backend.ProverOption) ([]byte, error) {
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("%w: witness: %w", ErrProve, err)
	}
	gp, err := groth16.Prove(ccs, pk, w, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProve, err)
	}
	var buf bytes.Buffer
	if _, err := gp.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("%w: encode proof: %w", ErrProve, err)
	}
	return buf.Bytes(), nil
}

// Verifier checks proofs against one verifying key. It is safe for
// concurrent use.
type Verifier struct {
	vk *groth16bn254.VerifyingKey
}

// NewVerifier parses a verifying key (as written by Setup). It never panics:
// oversized, truncated, garbled keys, keys on another curve or with another
// number of public inputs return an error wrapping ErrMalformedKey.
func NewVerifier(vk []byte) (*Verifier, error) {
	gvk, err := parseVerifyingKey(vk, NumPublic)
	if err != nil {
		return nil, err
	}
	return &Verifier{vk: gvk}, nil
}

// parseVerifyingKey decodes vk, a key of a circuit of this family with
// nPublic public inputs.
func parseVerifyingKey(vk []byte, nPublic int) (gvk *groth16bn254.VerifyingKey, err error) {
	if len(vk) > MaxVerifyingKeySize {
		return nil, fmt.Errorf("%w: verifying key of %d bytes, at most %d", ErrMalformedKey, len(vk), MaxVerifyingKeySize)
	}
	if err := checkVKLayout(vk, nPublic); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			gvk, err = nil, fmt.Errorf("%w: verifying key: %v", ErrMalformedKey, r)
		}
	}()
	gvk = new(groth16bn254.VerifyingKey)
	n, err := gvk.ReadFrom(bytes.NewReader(vk))
	if err != nil {
		return nil, fmt.Errorf("%w: verifying key: %w", ErrMalformedKey, err)
	}
	if n != int64(len(vk)) {
		return nil, fmt.Errorf("%w: verifying key has %d trailing bytes", ErrMalformedKey, int64(len(vk))-n)
	}
	// K holds one point per public input, plus the constant one and one per
	// commitment; this circuit family has exactly one commitment.
	if len(gvk.PublicAndCommitmentCommitted) != 1 || len(gvk.CommitmentKeys) != 1 {
		return nil, fmt.Errorf("%w: verifying key has %d commitments, want 1", ErrMalformedKey, len(gvk.CommitmentKeys))
	}
	if got := len(gvk.G1.K) - 1 - len(gvk.CommitmentKeys); got != nPublic {
		return nil, fmt.Errorf("%w: verifying key has %d public inputs, want %d", ErrMalformedKey, got, nPublic)
	}
	if err := gvk.Precompute(); err != nil {
		return nil, fmt.Errorf("%w: verifying key: %w", ErrMalformedKey, err)
	}
	return gvk, nil
}

// Verify checks proof against the public inputs. It never panics on hostile
// bytes. Errors wrap ErrMalformedProof (does not decode), ErrBadPublic (a
// public value outside the field) or ErrProofInvalid (decodes, does not
// verify).
func (v *Verifier) Verify(proof []byte, pub Public) (err error) {
	if len(proof) > MaxProofSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedProof, len(proof), MaxProofSize)
	}
	if len(proof) != ProofSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrMalformedProof, len(proof), ProofSize)
	}
	// The decoder trusts the commitment count; check it before it allocates.
	if binary.BigEndian.Uint32(proof[128:132]) != 1 {
		return fmt.Errorf("%w: commitment count is not 1", ErrMalformedProof)
	}
	if err := pub.Validate(); err != nil {
		return err
	}
	return v.verifyVector(proof, pub.vector())
}

// verifyVector checks proof against the public witness vec.
func (v *Verifier) verifyVector(proof []byte, vec fr.Vector) (err error) {
	if len(proof) > MaxProofSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedProof, len(proof), MaxProofSize)
	}
	if len(proof) != ProofSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrMalformedProof, len(proof), ProofSize)
	}
	if binary.BigEndian.Uint32(proof[128:132]) != 1 {
		return fmt.Errorf("%w: commitment count is not 1", ErrMalformedProof)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrMalformedProof, r)
		}
	}()
	gp := new(groth16bn254.Proof)
	n, err := gp.ReadFrom(bytes.NewReader(proof))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedProof, err)
	}
	if n != int64(len(proof)) {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformedProof, int64(len(proof))-n)
	}
	if len(gp.Commitments) != len(v.vk.CommitmentKeys) {
		return fmt.Errorf("%w: %d commitments, want %d", ErrMalformedProof, len(gp.Commitments), len(v.vk.CommitmentKeys))
	}
	if err := groth16bn254.Verify(gp, v.vk, vec); err != nil {
		return fmt.Errorf("%w: %w", ErrProofInvalid, err)
	}
	return nil
}

// Offsets in a compressed BN254 verifying key: six curve points (G1 alpha,
// beta, delta: 32 bytes each; G2 beta, gamma, delta: 64 each) precede the K
// slice (u32 count, then 32 bytes per point).
const (
	vkPointsSize = 3*32 + 3*64
)

// checkVKLayout checks the slice lengths gnark's decoder would trust (and
// allocate) before it runs: K has nPublic + 2 points (the constant one, the
// public inputs, one commitment), one public-committed list of at most
// nPublic entries, one commitment key.
func checkVKLayout(vk []byte, nPublic int) error {
	vkNumK := uint32(nPublic + 2)
	r := reader{b: vk}
	r.next(vkPointsSize)
	if n := r.u32(); r.err || n != vkNumK {
		return fmt.Errorf("%w: verifying key has %d K points, want %d (another curve or circuit?)", ErrMalformedKey, n, vkNumK)
	}
	r.next(32 * int(vkNumK))
	if n := r.u32(); r.err || n != 1 {
		return fmt.Errorf("%w: verifying key has %d commitment lists, want 1", ErrMalformedKey, n)
	}
	n := r.u32()
	if r.err || n > uint32(nPublic) {
		return fmt.Errorf("%w: verifying key commits to %d public inputs", ErrMalformedKey, n)
	}
	r.next(8 * int(n))
	if c := r.u32(); r.err || c != 1 {
		return fmt.Errorf("%w: verifying key has %d commitment keys, want 1", ErrMalformedKey, c)
	}
	return nil
}

// vector is the public witness in circuit order.
func (p Public) vector() fr.Vector {
	vec := make(fr.Vector, NumPublic)
	vec[0].SetBigInt(new(big.Int).SetBytes(p.ModelCommitment[:]))
	vec[1].SetBigInt(new(big.Int).SetBytes(p.InputHash[:]))
	vec[2].SetUint64(uint64(p.Output))
	vec[3].SetBigInt(new(big.Int).SetBytes(p.HotkeyHash[:]))
	vec[4].SetUint64(p.Epoch)
	return vec
}
