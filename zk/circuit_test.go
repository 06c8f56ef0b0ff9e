package zk

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
)

// spongeCircuit exposes assertSponge for a test against the native sponge.
type spongeCircuit struct {
	In     []frontend.Variable
	Digest frontend.Variable `gnark:",public"`
}

func (c *spongeCircuit) Define(api frontend.API) error {
	return assertSponge(api, domainModel, c.In, c.Digest)
}

func TestSpongeMatchesCircuit(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5} {
		elems := make([]fr.Element, n)
		in := make([]frontend.Variable, n)
		for i := range elems {
			elems[i].SetUint64(uint64(1000*i + 7))
			in[i] = elems[i].String()
		}
		d := sponge(domainModel, elems)
		c := &spongeCircuit{In: make([]frontend.Variable, n)}
		if err := test.IsSolved(c, &spongeCircuit{In: in, Digest: d.String()}, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("n=%d: circuit sponge differs from native: %v", n, err)
		}
		var wrong fr.Element
		wrong.Add(&d, new(fr.Element).SetOne())
		if test.IsSolved(c, &spongeCircuit{In: in, Digest: wrong.String()}, ecc.BN254.ScalarField()) == nil {
			t.Fatalf("n=%d: circuit accepts a wrong digest", n)
		}
	}
}

// TestNativeEqualsCircuitOnMNIST compiles the real 784-64-10 circuit with the
// logits exposed as public inputs and checks, with gnark's constraint-system
// solver, that native inference of the shipped model on real MNIST test
// images satisfies it bit for bit: same commitment, input hash, class and all
// ten int32 logits; and that a changed logit or class does not.
func TestNativeEqualsCircuitOnMNIST(t *testing.T) {
	m := shippedModel(t, "mnist-784-64-10.vtm")
	ccs, err := compile(m.Arch, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("784-64-10 with logits: %d constraints", ccs.GetNbConstraints())
	test := mnistTest(t)
	n := 12
	if testing.Short() {
		n = 3
	}
	agree := 0
	for i := range n {
		x := QuantizeImage(test.Images[i])
		asg, pub, err := assign(m, x, Binding{HotkeyHash: HotkeyHash([]byte("hotkey")), Epoch: 3}, true)
		if err != nil {
			t.Fatal(err)
		}
		w, err := frontend.NewWitness(asg, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		if err := ccs.IsSolved(w); err != nil {
			t.Fatalf("image %d: native inference does not satisfy the circuit: %v", i, err)
		}
		if pub.Output == uint32(test.Labels[i]) {
			agree++
		}
		if i < 2 { // negative controls: cost a solve each
			asg.Logits[0] = asg.Logits[0].(int64) + 1
			w, _ = frontend.NewWitness(asg, ecc.BN254.ScalarField())
			if ccs.IsSolved(w) == nil {
				t.Fatalf("image %d: circuit accepts a wrong logit", i)
			}
			asg.Logits[0] = asg.Logits[0].(int64) - 1
			asg.Output = (pub.Output + 1) % 10
			w, _ = frontend.NewWitness(asg, ecc.BN254.ScalarField())
			if ccs.IsSolved(w) == nil {
				t.Fatalf("image %d: circuit accepts a wrong class", i)
			}
		}
	}
	if agree < n-1 {
		t.Fatalf("only %d of %d images classified as labelled", agree, n)
	}
}

// TestGadgetsEdgeCases runs the circuit on a small random model and inputs
// that push requantization into both clamps and negative values, and argmax
// into ties, using gnark's test engine.
func TestGadgetsEdgeCases(t *testing.T) {
	a := mustArch(t, "6-4-3")
	m := randomModel(t, a, 3)
	m.Layers[0].Shift = 0 // large values: clamp at 127
	m.Layers[1].Weights = make([]int8, 12)
	m.Layers[1].Biases = []int32{5, 5, 5} // three-way tie: class 0
	for _, x := range [][]int8{{-128, -128, -128, -128, -128, -128}, {127, 127, 127, 127, 127, 127}, {0, 1, -1, 2, -2, 3}} {
		asg, pub, err := assign(m, x, Binding{Epoch: 1}, true)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Output != 0 {
			t.Fatalf("tie broken to %d, want 0", pub.Output)
		}
		if err := test.IsSolved(newCircuit(a, true), asg, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("x=%v: %v", x, err)
		}
		asg.Output = 1 // another maximum, but not the first
		if test.IsSolved(newCircuit(a, true), asg, ecc.BN254.ScalarField()) == nil {
			t.Fatal("circuit accepts a later index on a tie")
		}
	}
}
