package zk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// The commit circuit (docs/zk.md, "Commit circuit"): a single-inference
// proof whose model commitment is not a Poseidon2 hash computed in the
// circuit but the Groth16 proof's own BSB22 Pedersen commitment to the
// model's wires, made deterministic by fixing its mask to zero. The verifier
// compares that point (32 bytes, compressed) with the registered one. The
// circuit has no hash of the weights and no range checks of weights or
// biases, so about a thousand of its wires hold full-size values (the input
// hash's sponge states) instead of ~145k in the single circuit.
const (
	// CommitCircuitVersion is mixed into every CommitCircuitID; bump it when
	// the commit circuit or any of its encodings changes.
	CommitCircuitVersion = 1
	// NumCommitPublic is the number of public inputs of the commit circuit
	// (InputHash, Output, HotkeyHash, Epoch; the model point travels in the
	// proof).
	NumCommitPublic = 4
	// commitPointOffset is where the BSB22 commitment (the model point)
	// starts in an encoded proof (after Ar, Bs, Krs and the u32 count).
	commitPointOffset = 32 + 64 + 32 + 4
)

// CommitCircuitID identifies the commit circuit of a, and so its keys:
// SHA-256 of "veritensor/zk/commit-circuit", CommitCircuitVersion (u16 BE)
// and the canonical architecture encoding. It never equals a CircuitID or a
// BatchCircuitID (other prefixes).
func CommitCircuitID(a Arch) [32]byte {
	h := sha256.New()
	h.Write([]byte("veritensor/zk/commit-circuit"))
	h.Write(binary.BigEndian.AppendUint16(nil, CommitCircuitVersion))
	h.Write(a.encode())
	var id [32]byte
	h.Sum(id[:0])
	return id
}

// commitVector is the commit circuit's public witness in circuit order: p
// less its ModelCommitment (the model point travels in the proof).
func commitVector(p Public) fr.Vector {
	vec := make(fr.Vector, NumCommitPublic)
	vec[0].SetBigInt(new(big.Int).SetBytes(p.InputHash[:]))
	vec[1].SetUint64(uint64(p.Output))
	vec[2].SetBigInt(new(big.Int).SetBytes(p.HotkeyHash[:]))
	vec[3].SetUint64(p.Epoch)
	return vec
}

// CommitCircuit proves one inference of a model bound by the proof's
// commitment.
//
// Public inputs, in this order: InputHash, Output, HotkeyHash, Epoch.
// Private: the model (committed: the BSB22 commitment covers exactly these
// wires and gnark's mask wire) and the input. Wires are offset to be small
// and non-negative as in BatchCircuit: weights and inputs v + 128, biases
// b + MaxBias, quotients q + 2^28.
type CommitCircuit struct {
	InputHash  frontend.Variable `gnark:",public"`
	Output     frontend.Variable `gnark:",public"`
	HotkeyHash frontend.Variable `gnark:",public"`
	Epoch      frontend.Variable `gnark:",public"`

	W      [][]frontend.Variable // per dense layer, row-major [out][in], + 128
	B      [][]frontend.Variable // per dense layer, + MaxBias
	Shifts []frontend.Variable   // conv layers, then hidden dense layers
	CW     [][]frontend.Variable // per conv layer, [out][in][ky][kx], + 128
	CB     [][]frontend.Variable // per conv layer, + MaxBias
	XB     [][]frontend.Variable // the input, + 128, as 8 bits each (little-endian)

	arch Arch
}

// newCommitCircuit allocates the shape of a's commit circuit.
func newCommitCircuit(a Arch) *CommitCircuit {
	s := newCircuit(a, false)
	c := &CommitCircuit{arch: a, W: s.W, B: s.B, Shifts: s.Shifts, CW: s.CW, CB: s.CB}
	c.XB = make([][]frontend.Variable, a.Inputs())
	for i := range c.XB {
		c.XB[i] = make([]frontend.Variable, 8)
	}
	return c
}

// modelWires lists the model's wires in field order.
func (c *CommitCircuit) modelWires() []frontend.Variable {
	var vs []frontend.Variable
	for _, g := range [][][]frontend.Variable{c.W, c.B, {c.Shifts}, c.CW, c.CB} {
		for _, l := range g {
			vs = append(vs, l...)
		}
	}
	return vs
}

// assignCommit builds a full witness of (m, x, b) (x may be nil: zeros) and
// its public values less the model point.
func assignCommit(m *Model, x []int8, b Binding) (*CommitCircuit, Public, error) {
	bc, bpub, err := assignBatch(m, [][]int8{orZeros(x, m.Arch.Inputs())}, b)
	if err != nil {
		return nil, Public{}, err
	}
	c := newCommitCircuit(m.Arch)
	c.W, c.B, c.Shifts, c.CW, c.CB = bc.W, bc.B, bc.Shifts, bc.CW, bc.CB
	for i, v := range orZeros(x, m.Arch.Inputs()) {
		u := int64(v) + 128
		for j := range 8 {
			c.XB[i][j] = (u >> j) & 1
		}
	}
	pub := Public{InputHash: InputHash(orZeros(x, m.Arch.Inputs())), Output: bpub.Outputs[0], HotkeyHash: b.HotkeyHash, Epoch: b.Epoch}
	c.InputHash = pub.InputHash[:]
	c.Output = pub.Output
	c.HotkeyHash = pub.HotkeyHash[:]
	c.Epoch = pub.Epoch
	return c, pub, nil
}

func orZeros(x []int8, n int) []int8 {
	if x == nil {
		return make([]int8, n)
	}
	return x
}

// Define implements frontend.Circuit.
func (c *CommitCircuit) Define(api frontend.API) error {
	a := c.arch
	committer, ok := api.Compiler().(frontend.Committer)
	if !ok {
		return fmt.Errorf("zk: the commit circuit needs a builder with commitments")
	}
	// The model's wires, and nothing else, in the proof's one commitment.
	// No other gadget may commit (hence the bit-decomposition checkers).
	if _, err := committer.Commit(c.modelWires()...); err != nil {
		return err
	}
	rc := bitRangeChecker{api: api}
	bc := newBitByteChecker(api)
	e := commitArith{&offArith{api: api, rc: rc, bc: bc, plain: circuitArith{api: api, rc: rc, bc: bc}, sums: map[*ov]frontend.Variable{}}}

	// Input: each byte x + 128 is given as 8 booleans, so the byte is a
	// linear combination (no wire, no recomposition); packed and hashed
	// into InputHash as in Circuit.
	xs := make([]frontend.Variable, len(c.XB))
	for i, bits := range c.XB {
		if len(bits) != 8 {
			return fmt.Errorf("zk: input %d has %d bits", i, len(bits))
		}
		for _, b := range bits {
			api.AssertIsBoolean(b)
		}
		xs[i] = api.FromBinary(bits...)
	}
	if err := assertSponge(api, domainInput, packVars(api, xs, 8, bytesPerElem), c.InputHash); err != nil {
		return err
	}

	// Model: bound by the commitment, so no hash and no range checks of
	// weights or biases (see docs/zk.md: the output is a unique function of
	// the committed values whatever they are).
	model := func(w, b []frontend.Variable) (ws, bs []ov) {
		for _, v := range w {
			ws = append(ws, ov{v: v, off: 128})
		}
		for _, v := range b {
			bs = append(bs, ov{v: v, off: MaxBias})
		}
		return ws, bs
	}
	convs := make([][2][]ov, len(c.CW))
	for l := range c.CW {
		convs[l][0], convs[l][1] = model(c.CW[l], c.CB[l])
	}
	feats := featLayers(a, func(i int) (w, b []ov, pow ov) {
		return convs[i][0], convs[i][1], shiftPow(api, c.Shifts[i])
	})
	nc := len(c.CW)
	layers := make([]layerOf[ov], a.Layers())
	for l := range a.Layers() {
		w, b := model(c.W[l], c.B[l])
		layers[l] = layerOf[ov]{in: a.Sizes[l], out: a.Sizes[l+1], w: w, b: b}
		if l < a.Layers()-1 {
			layers[l].pow = shiftPow(api, c.Shifts[nc+l])
		}
	}

	in := make([]ov, len(xs))
	for i, v := range xs {
		in[i] = ov{v: v, off: 128}
	}
	class, _ := forward[ov](e, feats, layers, in)
	api.AssertIsEqual(class.v, c.Output)

	// Binding, as in Circuit.
	api.Mul(api.Add(c.HotkeyHash, 1), api.Add(c.Epoch, 1))
	return nil
}

// shiftPow is the divisor 2^s for 0 <= s <= MaxShift (enforced), with
// inv = 2^(MaxShift-s): from the five bits b_i of s, 2^s = prod_i (1 +
// b_i (2^(2^i) - 1)), and the same over the bits of MaxShift - s.
func shiftPow(api frontend.API, s frontend.Variable) ov {
	pow2 := func(bits []frontend.Variable) frontend.Variable {
		var p frontend.Variable = api.Add(1, bits[0])
		for i := 1; i < len(bits); i++ {
			p = api.Mul(p, api.Add(1, api.Mul(bits[i], (uint64(1)<<(1<<i))-1)))
		}
		return p
	}
	return ov{v: pow2(api.ToBinary(s, 5)), inv: pow2(api.ToBinary(api.Sub(MaxShift, s), 5))}
}

// commitArith is offArith with a cheaper check of the requantization
// remainder (one 30-bit range check instead of two).
type commitArith struct{ *offArith }

// requantReLU is offArith.requantReLU with 0 <= r < pow checked as
// u = r * 2^(MaxShift-shift) in [0, 2^30). Sound: with the quotient wire qo
// in [0, 2^29) (the neg check below), multiplying qo*pow + r = v + pow*2^28
// by inv = 2^30/pow gives qo*2^30 + u = v*inv + 2^58 in the field, whose left
// side is an integer below 2^59 + 2^30 < p: for any v at most one (qo, u),
// and for an integer |v| < 2^27 it is qo = floor(v/pow) + 2^28, u = (v mod
// pow) * inv, so the quotient is the native one.
func (e commitArith) requantReLU(v, pow ov) ov {
	api := e.api
	p := pow.v
	out, err := api.NewHint(requantOffHint, 4, e.val(v), p)
	if err != nil {
		panic(err)
	}
	qo, r, neg, big := out[0], out[1], out[2], out[3]
	api.AssertIsEqual(api.Add(api.Mul(qo, p), r), api.Add(e.val(v), api.Mul(p, quotientOffset)))
	e.rc.Check(api.Mul(r, pow.inv), bitsRemainer)
	api.AssertIsBoolean(neg)
	api.AssertIsBoolean(big)
	api.AssertIsEqual(api.Mul(neg, big), 0)
	// neg: -q-1 = 2^28-1-qo >= 0, else q = qo-2^28 >= 0 (both < 2^28).
	e.rc.Check(api.Select(neg, api.Sub(quotientOffset-1, qo), api.Sub(qo, quotientOffset)), bitsQuotient)
	// big: q-128 >= 0, else 127-q >= 0.
	e.rc.Check(api.Select(big, api.Sub(qo, quotientOffset+128), api.Sub(quotientOffset+127, qo)), bitsClamp)
	relu := api.Mul(api.Sub(1, neg, big), api.Sub(qo, quotientOffset))
	return ov{v: api.Add(relu, api.Mul(big, 127))}
}

// CompileCommit builds the constraint system of a's commit circuit.
func CompileCommit(a Arch) (constraint.ConstraintSystem, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, newCommitCircuit(a), compileOptions...)
	if err != nil {
		return nil, fmt.Errorf("zk: compile %s commit circuit: %w", a, err)
	}
	return ccs, nil
}

// SetupCommit is Setup for a's commit circuit (single party: tests,
// benchmarks, local keys). The model point depends on the proving key, so
// a subnet's keys must come from a ceremony before any model registers.
func SetupCommit(a Arch) (pk, vk []byte, err error) {
	ccs, err := CompileCommit(a)
	if err != nil {
		return nil, nil, err
	}
	gpk, gvk, err := nativeSetup(ccs)
	if err != nil {
		return nil, nil, fmt.Errorf("zk: setup %s commit circuit: %w", a, err)
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

// randomizeHintID is the ID of gnark's hints.Randomize (an internal
// package), the hint that draws the mask gnark adds to every commitment
// (frontend/cs/r1cs Commit). Tests check that overriding it makes the
// commitment deterministic, which catches a rename in gnark.
var randomizeHintID = func() solver.HintID {
	h := fnv.New32a()
	h.Write([]byte("github.com/consensys/gnark/internal/hints.Randomize"))
	return solver.HintID(h.Sum32())
}()

// zeroMask sets the commitment's mask to zero.
func zeroMask(_ *big.Int, in, out []*big.Int) error {
	if len(in) != 0 {
		return fmt.Errorf("zeroMask: %d inputs", len(in))
	}
	for _, o := range out {
		o.SetInt64(0)
	}
	return nil
}

// CommitProver proves single inferences with the commit circuit. Prove is
// safe for concurrent use.
type CommitProver struct {
	arch   Arch
	ccs    constraint.ConstraintSystem
	pk     groth16.ProvingKey
	native *groth16bn254.ProvingKey
}

// NewCommitProver compiles a's commit circuit and parses pk (as written by
// SetupCommit).
func NewCommitProver(a Arch, pk []byte) (*CommitProver, error) {
	ccs, err := CompileCommit(a)
	if err != nil {
		return nil, err
	}
	gpk, native, err := parseProvingKeyNative(ccs, pk, a.String()+" commit circuit", false)
	if err != nil {
		return nil, err
	}
	if len(native.CommitmentKeys) != 1 {
		return nil, fmt.Errorf("%w: proving key has %d commitment keys, want 1", ErrMalformedKey, len(native.CommitmentKeys))
	}
	return &CommitProver{arch: a, ccs: ccs, pk: gpk, native: native}, nil
}

// Arch is the prover's architecture.
func (p *CommitProver) Arch() Arch { return p.arch }

// NbConstraints is the number of R1CS constraints of the circuit.
func (p *CommitProver) NbConstraints() int { return p.ccs.GetNbConstraints() }

// ModelPoint is m's model commitment under this proving key: the Pedersen
// commitment sum_i v_i * Basis_i over the key's commitment basis, v the
// model's wire values (weights + 128, biases + MaxBias, shifts) in wire
// order and 0 for gnark's mask; compressed. It is what every proof by this
// key of an inference of m carries, and what a verifier compares.
func (p *CommitProver) ModelPoint(m *Model) ([32]byte, error) {
	if err := p.check(m); err != nil {
		return [32]byte{}, err
	}
	c, _, err := assignCommit(m, nil, Binding{})
	if err != nil {
		return [32]byte{}, err
	}
	w, err := frontend.NewWitness(c, ecc.BN254.ScalarField())
	if err != nil {
		return [32]byte{}, fmt.Errorf("zk: witness: %w", err)
	}
	full := w.Vector().(fr.Vector) // wire i >= 1 is full[i-1] for inputs
	info := p.ccs.GetCommitments().(constraint.Groth16Commitments)[0]
	nIn := p.ccs.GetNbPublicVariables() + p.ccs.GetNbSecretVariables()
	vals := make([]fr.Element, len(info.PrivateCommitted))
	for j, id := range info.PrivateCommitted {
		if id < nIn {
			vals[j] = full[id-1]
		} // else gnark's mask wire: 0
	}
	pt, err := p.native.CommitmentKeys[0].Commit(vals)
	if err != nil {
		return [32]byte{}, fmt.Errorf("zk: model point: %w", err)
	}
	return pt.Bytes(), nil
}

func (p *CommitProver) check(m *Model) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if !m.Arch.Equal(p.arch) {
		return fmt.Errorf("%w: model %s, prover %s", ErrArchMismatch, m.Arch, p.arch)
	}
	return nil
}

// Prove runs m on x, proves the inference bound to b, and returns the proof
// and its public values (ModelPoint read from the proof).
func (p *CommitProver) Prove(m *Model, x []int8, b Binding) (proof []byte, pub Public, err error) {
	if err := p.check(m); err != nil {
		return nil, Public{}, err
	}
	if len(x) != p.arch.Inputs() {
		return nil, Public{}, fmt.Errorf("%w: input of %d values, want %d", ErrBadInput, len(x), p.arch.Inputs())
	}
	if !isCanonical(b.HotkeyHash) {
		return nil, Public{}, fmt.Errorf("%w: hotkey hash is not a field element", ErrBadPublic)
	}
	assignment, pub, err := assignCommit(m, x, b)
	if err != nil {
		return nil, Public{}, err
	}
	proof, err = prove(p.ccs, p.pk, assignment, backend.WithSolverOptions(solver.OverrideHint(randomizeHintID, zeroMask)))
	if err != nil {
		return nil, Public{}, err
	}
	copy(pub.ModelCommitment[:], proof[commitPointOffset:commitPointOffset+32])
	return proof, pub, nil
}

// ProveWithRandomMask is Prove without fixing the commitment's mask: gnark
// draws it at random, so the proof is valid but commits to a random point,
// not ModelPoint(m), and no verifier holding m's registered point accepts
// it. It exists for attack tests (the chain's and the validator's); honest
// provers use Prove.
func (p *CommitProver) ProveWithRandomMask(m *Model, x []int8, b Binding) (proof []byte, pub Public, err error) {
	if err := p.check(m); err != nil {
		return nil, Public{}, err
	}
	if len(x) != p.arch.Inputs() {
		return nil, Public{}, fmt.Errorf("%w: input of %d values, want %d", ErrBadInput, len(x), p.arch.Inputs())
	}
	assignment, pub, err := assignCommit(m, x, b)
	if err != nil {
		return nil, Public{}, err
	}
	if proof, err = prove(p.ccs, p.pk, assignment); err != nil {
		return nil, Public{}, err
	}
	copy(pub.ModelCommitment[:], proof[commitPointOffset:commitPointOffset+32])
	return proof, pub, nil
}

// CommitVerifier checks commit-circuit proofs against one verifying key.
type CommitVerifier struct{ v Verifier }

// NewCommitVerifier parses a commit circuit's verifying key. It never
// panics (as NewVerifier).
func NewCommitVerifier(vk []byte) (*CommitVerifier, error) {
	gvk, err := parseVerifyingKey(vk, NumCommitPublic)
	if err != nil {
		return nil, err
	}
	return &CommitVerifier{v: Verifier{vk: gvk}}, nil
}

// Verify checks proof against pub: the proof's commitment must be
// pub.ModelCommitment (the registered model point) and the proof valid for the other
// values. Errors as Verifier.Verify; a different model point is
// ErrProofInvalid.
func (v *CommitVerifier) Verify(proof []byte, pub Public) error {
	if len(proof) != ProofSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrMalformedProof, len(proof), ProofSize)
	}
	if err := SchemeCommit.ValidatePublic(pub); err != nil {
		return err
	}
	// verifyVector decodes every point canonically (and checks it is on
	// the curve), so equal bytes are equal points.
	if !bytes.Equal(proof[commitPointOffset:commitPointOffset+32], pub.ModelCommitment[:]) {
		return fmt.Errorf("%w: the proof commits to another model", ErrProofInvalid)
	}
	return v.v.verifyVector(proof, commitVector(pub))
}
