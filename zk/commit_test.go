package zk

import (
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
)

// TestCommitCircuitMatchesNative: for MLPs and CNNs and inputs over the
// whole int8 range, the native class satisfies the commit circuit and any
// other class does not.
func TestCommitCircuitMatchesNative(t *testing.T) {
	tie := randomModel(t, mustArch(t, "6-4-3"), 3)
	tie.Layers[0].Shift = 0
	tie.Layers[1].Weights = make([]int8, 12)
	tie.Layers[1].Biases = []int32{5, 5, 5}
	models := []*Model{
		randomModel(t, mustArch(t, "16-8-4"), 1),
		randomModel(t, mustArch(t, "6-5-4-3"), 2),
		tie,
		randomModel(t, mustArch(t, cnnA), 4),
	}
	for mi, m := range models {
		for _, x := range randomInputs(uint64(mi), 2, m.Arch.Inputs()) {
			asg, pub, err := assignCommit(m, x, Binding{Epoch: 1})
			if err != nil {
				t.Fatal(err)
			}
			class, _, _ := m.Infer(x)
			if pub.Output != class {
				t.Fatalf("%s: output %d, native %d", m.Arch, pub.Output, class)
			}
			if err := test.IsSolved(newCommitCircuit(m.Arch), asg, ecc.BN254.ScalarField()); err != nil {
				t.Fatalf("%s: honest witness: %v", m.Arch, err)
			}
			asg.Output = (class + 1) % uint32(m.Arch.Outputs())
			if test.IsSolved(newCommitCircuit(m.Arch), asg, ecc.BN254.ScalarField()) == nil {
				t.Fatalf("%s: a wrong output satisfies the circuit", m.Arch)
			}
		}
	}
}

// TestCommitCircuitRejectsBadShift: a shift above MaxShift (or a pow that is
// not 2^shift) does not satisfy the circuit.
func TestCommitCircuitRejectsBadShift(t *testing.T) {
	m := randomModel(t, mustArch(t, "6-4-3"), 7)
	asg, _, err := assignCommit(m, make([]int8, 6), Binding{Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	asg.Shifts[0] = MaxShift + 1
	if test.IsSolved(newCommitCircuit(m.Arch), asg, ecc.BN254.ScalarField()) == nil {
		t.Fatal("shift 31 satisfies the circuit")
	}
}

// TestCommitProof: real proofs of the commit circuit. The model point is
// deterministic (the same for every input and binding, and equal to
// ModelPoint computed natively), verification binds it, and a wrong
// model, output, input or binding is rejected. A prover that leaves
// gnark's random mask in place (the only freedom an opening of the point
// has besides the weights) produces another point, which the verifier
// rejects against the registered one.
func TestCommitProof(t *testing.T) {
	a := mustArch(t, "16-8-4")
	pk, vk, err := SetupCommit(a)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewCommitProver(a, pk)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewCommitVerifier(vk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewVerifier(vk); !errors.Is(err, ErrMalformedKey) {
		t.Fatalf("the single circuit's verifier takes a commit circuit key: %v", err)
	}
	m := randomModel(t, a, 1)
	m2 := randomModel(t, a, 1)
	m2.Layers[0].Weights[5]++ // one weight differs by one
	point, err := p.ModelPoint(m)
	if err != nil {
		t.Fatal(err)
	}
	point2, err := p.ModelPoint(m2)
	if err != nil {
		t.Fatal(err)
	}
	if point == point2 {
		t.Fatal("models differing in one weight have the same point")
	}
	xs := randomInputs(11, 2, a.Inputs())
	var hk [32]byte
	hk[31] = 7
	proof, pub, err := p.Prove(m, xs[0], Binding{HotkeyHash: hk, Epoch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(proof) != ProofSize {
		t.Fatalf("proof of %d bytes", len(proof))
	}
	if pub.ModelCommitment != point {
		t.Fatal("the proof's point is not ModelPoint")
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatal(err)
	}
	proofB, pubB, err := p.Prove(m, xs[1], Binding{Epoch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if pubB.ModelCommitment != point {
		t.Fatal("the model point depends on the input or binding")
	}
	if err := v.Verify(proofB, pubB); err != nil {
		t.Fatal(err)
	}

	bad := func(name string, proof []byte, pub Public) {
		t.Helper()
		if err := v.Verify(proof, pub); !errors.Is(err, ErrProofInvalid) {
			t.Fatalf("%s: %v, want ErrProofInvalid", name, err)
		}
	}
	wrong := pub
	wrong.Output = (pub.Output + 1) % uint32(a.Outputs())
	bad("wrong output", proof, wrong)
	wrong = pub
	wrong.InputHash = InputHash(xs[1])
	bad("wrong input", proof, wrong)
	wrong = pub
	wrong.Epoch++
	bad("wrong epoch", proof, wrong)
	wrong = pub
	wrong.HotkeyHash[31]++
	bad("wrong hotkey", proof, wrong)
	wrong = pub
	wrong.ModelCommitment = point2
	bad("another registered model", proof, wrong)

	// Wrong weights: a proof of m2 carries m2's point; claimed as m's it fails.
	proof2, pub2, err := p.Prove(m2, xs[0], Binding{HotkeyHash: hk, Epoch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if pub2.ModelCommitment != point2 {
		t.Fatal("m2's proof does not carry m2's point")
	}
	pub2.ModelCommitment = point
	bad("wrong weights", proof2, pub2)
	// Splicing m's point into m2's proof breaks the proof.
	spliced := append([]byte(nil), proof2...)
	copy(spliced[commitPointOffset:], point[:])
	pub2.Output = pub.Output
	if err := v.Verify(spliced, pub2); err == nil {
		t.Fatal("m2's proof with m's point spliced in verifies")
	}

	// Hostile bytes: errors, never a panic.
	if err := v.Verify(proof[:100], pub); !errors.Is(err, ErrMalformedProof) {
		t.Fatalf("short proof: %v", err)
	}
	garbled := append([]byte(nil), proof...)
	for i := 0; i < 32; i++ {
		garbled[i] ^= 0xa5
	}
	if err := v.Verify(garbled, pub); err == nil {
		t.Fatal("a garbled proof verifies")
	}
	wrong = pub
	wrong.InputHash = [32]byte{0xff}
	if err := v.Verify(proof, wrong); !errors.Is(err, ErrBadPublic) {
		t.Fatalf("non-canonical input hash: %v", err)
	}

	// A random mask: a valid proof, but of another point.
	masked, mpub, err := p.ProveWithRandomMask(m, xs[0], Binding{HotkeyHash: hk, Epoch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if mpub.ModelCommitment == point {
		t.Fatal("gnark's mask is zero without the override (or the override is not needed)")
	}
	if err := v.Verify(masked, mpub); err != nil {
		t.Fatalf("a masked proof against its own point: %v", err)
	}
	mpub.ModelCommitment = point
	bad("masked proof against the registered point", masked, mpub)
}

// TestCommitCircuitID: a new identity, distinct from the other circuits'.
func TestCommitCircuitID(t *testing.T) {
	a := mustArch(t, "49-16-10")
	if CommitCircuitID(a) == a.CircuitID() || CommitCircuitID(a) == BatchCircuitID(a, 1) {
		t.Fatal("commit circuit ID collides")
	}
	if CommitCircuitID(a) == CommitCircuitID(mustArch(t, "16-8-4")) {
		t.Fatal("commit circuit ID ignores the architecture")
	}
}

// TestCommitModelPointCNN: for a CNN (conv weights and biases among the
// committed wires) ModelPoint still equals the proof's point.
func TestCommitModelPointCNN(t *testing.T) {
	a := mustArch(t, cnnA)
	pk, vk, err := SetupCommit(a)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewCommitProver(a, pk)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewCommitVerifier(vk)
	if err != nil {
		t.Fatal(err)
	}
	m := randomModel(t, a, 4)
	point, err := p.ModelPoint(m)
	if err != nil {
		t.Fatal(err)
	}
	proof, pub, err := p.Prove(m, randomInputs(5, 1, a.Inputs())[0], Binding{Epoch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ModelCommitment != point {
		t.Fatal("the CNN proof's point is not ModelPoint")
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatal(err)
	}
}

// TestCommitCircuitRejectsLyingRequant: the one-check remainder test (r *
// 2^(30-shift) in [0, 2^30)) rejects a quotient off by one either way (r
// negative or r >= pow, the requantization equation kept) and off by
// larger amounts, for a layer with a small and one with the largest shift.
func TestCommitCircuitRejectsLyingRequant(t *testing.T) {
	a := mustArch(t, "6-4-3")
	ccs, err := CompileCommit(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, shift := range []uint8{3, MaxShift} {
		m := randomModel(t, a, 9)
		m.Layers[0].Shift = shift
		asg, _, err := assignCommit(m, []int8{120, -7, 99, 127, -128, 64}, Binding{Epoch: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := solveCommit(t, ccs, asg); err != nil {
			t.Fatalf("shift %d: honest witness: %v", shift, err)
		}
		for _, dq := range []int64{1, -1, 2, -2, 1 << 10, -(1 << 10)} {
			opt := solver.OverrideHint(solver.GetHintID(requantOffHint), func(mod *big.Int, in, out []*big.Int) error {
				if err := requantOffHint(mod, in, out); err != nil {
					return err
				}
				// q += dq, r -= dq*pow: v = q*pow + r still holds.
				out[0].Add(out[0], big.NewInt(dq)).Mod(out[0], mod)
				out[1].Sub(out[1], new(big.Int).Mul(big.NewInt(dq), in[1])).Mod(out[1], mod)
				return nil
			})
			if solveCommit(t, ccs, asg, opt) == nil {
				t.Fatalf("shift %d: a quotient off by %d passes", shift, dq)
			}
		}
	}
}

func solveCommit(t *testing.T, ccs constraint.ConstraintSystem, asg *CommitCircuit, opts ...solver.Option) error {
	t.Helper()
	w, err := frontend.NewWitness(asg, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	return ccs.IsSolved(w, opts...)
}

// requantCircuit applies commitArith.requantReLU to V with divisor 2^S.
type requantCircuit struct {
	S   frontend.Variable
	V   []frontend.Variable
	Out []frontend.Variable `gnark:",public"`
}

func (c *requantCircuit) Define(api frontend.API) error {
	rc := bitRangeChecker{api: api}
	bc := newBitByteChecker(api)
	e := commitArith{&offArith{api: api, rc: rc, bc: bc, plain: circuitArith{api: api, rc: rc, bc: bc}, sums: map[*ov]frontend.Variable{}}}
	pow := shiftPow(api, c.S)
	for i := range c.V {
		api.AssertIsEqual(e.val(e.requantReLU(ov{v: c.V[i]}, pow)), c.Out[i])
	}
	return nil
}

// TestCommitRequantMatchesNative: the commit circuit's requantization (one
// remainder check) equals the native clamp(floor(v / 2^shift)) bit for bit
// over the accumulator range (|v| < 2^27) at every shift class, and a
// wrong activation (+-1) is rejected.
func TestCommitRequantMatchesNative(t *testing.T) {
	const lim = 1<<27 - 1
	var vs []int64
	for _, v := range []int64{0, 1, -1, 127, 128, -128, lim, -lim, 1 << 20, -(1 << 20), 12345678, -12345678} {
		vs = append(vs, v)
	}
	for _, shift := range []int{0, 1, 7, 8, 20, 26, 27, MaxShift} {
		pow := int64(1) << shift
		cur := append([]int64{}, vs...)
		for _, k := range []int64{0, 1, 127, 128, -1, -129} {
			for _, d := range []int64{-1, 0, 1} {
				if v := k*pow + d; v >= -lim && v <= lim {
					cur = append(cur, v)
				}
			}
		}
		shape := &requantCircuit{V: make([]frontend.Variable, len(cur)), Out: make([]frontend.Variable, len(cur))}
		asg := &requantCircuit{S: shift, V: make([]frontend.Variable, len(cur)), Out: make([]frontend.Variable, len(cur))}
		for i, v := range cur {
			asg.V[i] = v
			asg.Out[i] = nativeArith{}.requantReLU(v, pow)
		}
		if err := test.IsSolved(shape, asg, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("shift %d: native activations rejected: %v", shift, err)
		}
		for _, i := range []int{0, len(cur) / 2, len(cur) - 1} {
			for _, d := range []int64{-1, 1} {
				bad := *asg
				bad.Out = append([]frontend.Variable{}, asg.Out...)
				bad.Out[i] = asg.Out[i].(int64) + d
				if test.IsSolved(shape, &bad, ecc.BN254.ScalarField()) == nil {
					t.Fatalf("shift %d: activation %d off by %d accepted", shift, i, d)
				}
			}
		}
	}
}
