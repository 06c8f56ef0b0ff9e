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
	for _, n := range []int{0, 1, 2, 15, 16, 31} {
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
	// Circuit v2 must stay inside a 2^18 FFT domain (v1 needed 2^19): the
	// prover's cost doubles past it. Constraint counts do not depend on load.
	if n := ccs.GetNbConstraints(); n > 1<<18 {
		t.Errorf("784-64-10 has %d constraints, over the 2^18 domain", n)
	}
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

// TestCircuitRejectsRepackedValues is the attack the 8-bit checks stop: move
// 256 from one packed byte to its neighbour (w0 += 256, w1 -= 1) so that the
// packed field element, hence the commitment or input hash, is unchanged,
// while the forward pass uses other values. The witness is consistent in
// every other way (class and logits recomputed from the altered values), so
// only the byte lookup argument can reject it.
func TestCircuitRejectsRepackedValues(t *testing.T) {
	a := mustArch(t, "6-4-3")
	m := randomModel(t, a, 5)
	m.Layers[0].Weights[0], m.Layers[0].Weights[1] = 100, -100
	x := []int8{5, -7, 9, 11, -13, 17}
	for _, target := range []string{"weights", "input"} {
		asg, _, err := assign(m, x, Binding{Epoch: 1}, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(newCircuit(a, true), asg, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("honest witness: %v", err)
		}
		layers := m.nativeLayers()
		xs := make([]int64, len(x))
		for i, v := range x {
			xs[i] = int64(v)
		}
		if target == "weights" {
			layers[0].w[0] += 256
			layers[0].w[1]--
			asg.W[0][0], asg.W[0][1] = layers[0].w[0], layers[0].w[1]
		} else {
			xs[0] += 256
			xs[1]--
			asg.X[0], asg.X[1] = xs[0], xs[1]
		}
		class, logits := forward[int64](nativeArith{}, nil, layers, xs)
		asg.Output = class
		for i := range logits {
			asg.Logits[i] = logits[i]
		}
		if test.IsSolved(newCircuit(a, true), asg, ecc.BN254.ScalarField()) == nil {
			t.Fatalf("%s: circuit accepts repacked values outside int8", target)
		}
	}
}
