package zk

import (
	"bytes"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
)

// Small CNNs for circuit tests: padding, stride, max and average pooling,
// several channels, a pooling stride unlike its window.
const (
	cnnA = "8x8-c2k3p1-mp2-c3k3-ap2-5"
	cnnB = "2x7x7-c3k3s2p1-mp2s1-4-3"
)

func TestParseArchCNN(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		flat     int
		ok       bool
	}{
		{"28x28-c8k5-mp2-c16k5-mp2-10", "28x28-c8k5-mp2-c16k5-mp2-10", 256, true},
		{"1x28x28-c8k5s1p0-mp2s2-10", "28x28-c8k5-mp2-10", 8 * 12 * 12, true},
		{cnnA, cnnA, 3, true},
		{cnnB, cnnB, 27, true},
		{"28x28-ap4-10", "28x28-ap4-10", 49, true},
		{"28x28-10", "", 0, false},              // no feature layer
		{"28x28-c8k5", "", 0, false},            // no dense layer
		{"28x28-c8-10", "", 0, false},           // no kernel
		{"28x28-c8k5q2-10", "", 0, false},       // unknown attribute
		{"28x28-c8k5p5-10", "", 0, false},       // padding >= kernel
		{"4x4-c2k5-10", "", 0, false},           // map smaller than kernel
		{"28x28-mp9-10", "", 0, false},          // window too large
		{"28x28-c8k5-10-c8k3-10", "", 0, false}, // conv after dense
		{"0x28-c8k5-10", "", 0, false},          // bad shape
		{"28x28-c300k3-10", "", 0, false},       // too many channels
		{"28x28-c8k5s0-10", "", 0, false},       // stride 0
		{"28x28-c8k5k3-10", "", 0, false},       // repeated attribute
		{"3x256x256-c256k11-10", "", 0, false},  // limits
	} {
		a, err := ParseArch(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("ParseArch(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrBadArch) {
				t.Errorf("ParseArch(%q): %v does not wrap ErrBadArch", tc.in, err)
			}
			continue
		}
		if a.String() != tc.want || a.Sizes[0] != tc.flat {
			t.Errorf("ParseArch(%q) = %q (flat %d), want %q (flat %d)", tc.in, a, a.Sizes[0], tc.want, tc.flat)
		}
		b, err := ParseArch(a.String())
		if err != nil || !b.Equal(a) {
			t.Errorf("%q does not round-trip: %v", a, err)
		}
		r := reader{b: a.encode()}
		c, err := decodeArch(&r)
		if err != nil || !c.Equal(a) || len(r.b) != 0 {
			t.Errorf("%q encoding does not round-trip: %v", a, err)
		}
	}
	// CNN and MLP circuit IDs never meet, and the MLP IDs did not move.
	if mustArch(t, cnnA).CircuitID() == mustArch(t, "8x8-c2k3p1-mp2-c3k3-mp2-5").CircuitID() {
		t.Fatal("max and average pooling share a circuit ID")
	}
}

func TestCNNModelRoundTrip(t *testing.T) {
	for _, s := range []string{cnnA, cnnB} {
		m, err := RandomModel(mustArch(t, s), 7)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if v := int(b[4])<<8 | int(b[5]); v != modelVersionCNN {
			t.Fatalf("%s written as version %d", s, v)
		}
		got, err := UnmarshalModel(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := got.MarshalBinary()
		if !bytes.Equal(b, b2) || got.Commitment() != m.Commitment() {
			t.Fatalf("%s: round trip changed the model", s)
		}
		// One conv weight changes the commitment.
		got.Convs[0].Weights[0] ^= 1
		if got.Commitment() == m.Commitment() {
			t.Fatalf("%s: a conv weight is not committed", s)
		}
		got.Convs[0].Weights[0] ^= 1
		got.Convs[len(got.Convs)-1].Shift++
		if got.Commitment() == m.Commitment() {
			t.Fatalf("%s: a conv shift is not committed", s)
		}
		// Truncations are errors, never panics.
		for n := range len(b) {
			if _, err := UnmarshalModel(b[:n]); err == nil {
				t.Fatalf("%s: truncated to %d bytes accepted", s, n)
			}
		}
	}
	// Version 1 files (the shipped MLP) still load and are still written as
	// version 1.
	m := shippedModel(t, "mnist-784-64-10.vtm")
	b, _ := m.MarshalBinary()
	if v := int(b[4])<<8 | int(b[5]); v != modelVersionMLP {
		t.Fatalf("MLP written as version %d", v)
	}
}

// TestCNNNativeMatchesReference checks applyFeat against a direct,
// independently written convolution and pooling on one layer.
func TestCNNNativeMatchesReference(t *testing.T) {
	a := mustArch(t, cnnB)
	m, _ := RandomModel(a, 3)
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]int64, a.Inputs())
	for i := range x {
		x[i] = int64(r.IntN(256) - 128)
	}
	feats := m.nativeFeats()
	got := applyFeat[int64](nativeArith{}, feats[0], x)
	// Reference: zero-padded input, stride 2.
	const C, H, W, K, S, P, O = 2, 7, 7, 3, 2, 1, 3
	at := func(c, y, xx int) int64 {
		if y < 0 || y >= H || xx < 0 || xx >= W {
			return 0
		}
		return x[(c*H+y)*W+xx]
	}
	ly := m.Convs[0]
	for o := range O {
		for oy := range 4 {
			for ox := range 4 {
				acc := int64(ly.Biases[o])
				for c := range C {
					for ky := range K {
						for kx := range K {
							acc += int64(ly.Weights[((o*C+c)*K+ky)*K+kx]) * at(c, oy*S-P+ky, ox*S-P+kx)
						}
					}
				}
				want := clampInt8(floorDiv(acc, 1<<ly.Shift))
				if g := got[(o*4+oy)*4+ox]; g != want {
					t.Fatalf("conv out (%d,%d,%d) = %d, want %d", o, oy, ox, g, want)
				}
			}
		}
	}
	p := applyFeat[int64](nativeArith{}, feats[1], got)
	for c := range 3 {
		for y := range 3 {
			for xx := range 3 {
				w := max(got[(c*4+y)*4+xx], got[(c*4+y)*4+xx+1], got[(c*4+y+1)*4+xx], got[(c*4+y+1)*4+xx+1])
				if p[(c*3+y)*3+xx] != w {
					t.Fatalf("max pool (%d,%d,%d) = %d, want %d", c, y, xx, p[(c*3+y)*3+xx], w)
				}
			}
		}
	}
}

// cnnWitness compiles a's circuit with logits and returns it and a full
// witness for model m on input x.
func cnnWitness(t *testing.T, _ constraint.ConstraintSystem, m *Model, x []int8) (*Circuit, Public) {
	t.Helper()
	asg, pub, err := assign(m, x, Binding{HotkeyHash: HotkeyHash([]byte("k")), Epoch: 9}, true)
	if err != nil {
		t.Fatal(err)
	}
	return asg, pub
}

func solve(t *testing.T, ccs constraint.ConstraintSystem, asg *Circuit, opts ...solver.Option) error {
	t.Helper()
	w, err := frontend.NewWitness(asg, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	return ccs.IsSolved(w, opts...)
}

// TestCNNCircuitSoundness: native inference satisfies the CNN circuits bit
// for bit (class and every logit), on inputs that drive the requantization
// into both clamps and negative values; and the circuit rejects a wrong
// weight (commitment unchanged), a wrong logit, a wrong class, and a prover
// whose max, average or requantization hints lie (a wrong activation).
func TestCNNCircuitSoundness(t *testing.T) {
	for _, s := range []string{cnnA, cnnB} {
		a := mustArch(t, s)
		ccs, err := compile(a, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d constraints", s, ccs.GetNbConstraints())
		m, _ := RandomModel(a, 11)
		r := rand.New(rand.NewPCG(5, 6))
		inputs := [][]int8{make([]int8, a.Inputs()), make([]int8, a.Inputs()), make([]int8, a.Inputs())}
		for i := range inputs[0] {
			inputs[0][i] = int8(r.IntN(256) - 128)
			inputs[1][i] = 127
			inputs[2][i] = int8(r.IntN(128))
		}
		for n, x := range inputs {
			asg, pub := cnnWitness(t, ccs, m, x)
			if err := solve(t, ccs, asg); err != nil {
				t.Fatalf("%s input %d: native inference does not satisfy the circuit: %v", s, n, err)
			}
			if n > 0 {
				continue
			}
			asg.Output = (pub.Output + 1) % uint32(a.Outputs())
			if solve(t, ccs, asg) == nil {
				t.Fatalf("%s: wrong class accepted", s)
			}
			asg.Output = pub.Output
			asg.Logits[0] = asg.Logits[0].(int64) + 1
			if solve(t, ccs, asg) == nil {
				t.Fatalf("%s: wrong logit accepted", s)
			}
			asg.Logits[0] = asg.Logits[0].(int64) - 1
			// Wrong weights under the honest commitment: recompute class and
			// logits with the altered model so only the commitment catches it.
			bad := *m
			bad.Convs = append([]Layer(nil), m.Convs...)
			bad.Convs[0].Weights = append([]int8(nil), m.Convs[0].Weights...)
			bad.Convs[0].Weights[0] ^= 3
			basg, _ := cnnWitness(t, ccs, &bad, x)
			basg.ModelCommitment = asg.ModelCommitment
			if solve(t, ccs, basg) == nil {
				t.Fatalf("%s: wrong conv weight accepted under the honest commitment", s)
			}
			// Lying hints: the activations are the prover's choice.
			lies := map[string]solver.Option{
				"max+1": solver.OverrideHint(solver.GetHintID(maxHint), func(mod *big.Int, in, out []*big.Int) error {
					if err := maxHint(mod, in, out); err != nil {
						return err
					}
					out[0].Add(out[0], big.NewInt(1))
					return nil
				}),
				"max=min": solver.OverrideHint(solver.GetHintID(maxHint), func(mod *big.Int, in, out []*big.Int) error {
					v := signed(mod, in[0])
					for _, w := range in[1:] {
						v = min(v, signed(mod, w))
					}
					fieldOf(mod, v, out[0])
					return nil
				}),
				"div q+1": solver.OverrideHint(solver.GetHintID(divHint), func(mod *big.Int, in, out []*big.Int) error {
					if err := divHint(mod, in, out); err != nil {
						return err
					}
					out[0].Add(out[0], big.NewInt(1))
					out[1].Sub(out[1], in[1]) // keeps s = q*d + r, r < 0
					return nil
				}),
				"requant q+1": solver.OverrideHint(solver.GetHintID(requantHint), func(mod *big.Int, in, out []*big.Int) error {
					if err := requantHint(mod, in, out); err != nil {
						return err
					}
					out[0].Add(out[0], big.NewInt(1))
					out[1].Sub(out[1], in[1]) // keeps v = q*pow + r, r < 0
					return nil
				}),
			}
			for name, opt := range lies {
				if name == "div q+1" && s != cnnA { // cnnB has no average pooling
					continue
				}
				if solve(t, ccs, asg, opt) == nil {
					t.Fatalf("%s: circuit accepts a lying %s hint", s, name)
				}
			}
		}
	}
}

// FuzzParseArch: any accepted name is canonical after one String round trip,
// decodes from its encoding, and never panics on the way.
func FuzzParseArch(f *testing.F) {
	for _, s := range []string{cnnA, cnnB, "784-64-10", "28x28-c8k5-mp2-c16k5-mp2-10", "3x32x32-c16k3p1-ap2-10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArch(s)
		if err != nil {
			return
		}
		b, err := ParseArch(a.String())
		if err != nil || !b.Equal(a) || b.String() != a.String() {
			t.Fatalf("%q -> %q does not round-trip: %v", s, a, err)
		}
		r := reader{b: a.encode()}
		c, err := decodeArch(&r)
		if err != nil || !c.Equal(a) {
			t.Fatalf("%q: encoding does not round-trip: %v", a, err)
		}
		_ = a.NumWeights() + a.MACs()
	})
}
