package zk

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func TestModelRoundTrip(t *testing.T) {
	m := randomModel(t, mustArch(t, "20-6-5-3"), 7)
	m.Meta = Meta{Seed: 9, Steps: 100, FloatAccBP: 9000, QuantAccBP: 8999}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := m2.MarshalBinary()
	if !bytes.Equal(b, b2) || m2.Meta != m.Meta || m.Commitment() != m2.Commitment() {
		t.Fatal("round trip changed the model")
	}
}

func TestOneWeightChangesCommitment(t *testing.T) {
	m := shippedModel(t, "mnist-784-64-10.vtm")
	c0 := m.Commitment()
	for _, pos := range []struct{ layer, idx int }{{0, 0}, {0, 25000}, {1, 639}} {
		w := &m.Layers[pos.layer].Weights[pos.idx]
		old := *w
		*w ^= 1
		if m.Commitment() == c0 {
			t.Fatalf("changing weight %v did not change the commitment", pos)
		}
		*w = old
	}
	m.Layers[0].Biases[3]++
	if m.Commitment() == c0 {
		t.Fatal("changing a bias did not change the commitment")
	}
	m.Layers[0].Biases[3]--
	m.Layers[0].Shift++
	if m.Commitment() == c0 {
		t.Fatal("changing a shift did not change the commitment")
	}
	m.Layers[0].Shift--
	if m.Commitment() != c0 {
		t.Fatal("restoring the model did not restore the commitment")
	}
}

func TestUnmarshalModelRejects(t *testing.T) {
	good, err := os.ReadFile("testdata/mnist-784-64-10.vtm")
	if err != nil {
		t.Fatal(err)
	}
	garbled := bytes.Clone(good)
	garbled[100] ^= 0xff
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-1],
		"garbled":   garbled,
		"oversized": make([]byte, MaxModelSize+1),
	}
	for name, b := range cases {
		if _, err := UnmarshalModel(b); !errors.Is(err, ErrBadModel) {
			t.Errorf("%s: %v, want ErrBadModel", name, err)
		}
	}
	// A well-formed file whose last layer has a shift is rejected by Validate.
	m := randomModel(t, mustArch(t, "4-3-2"), 1)
	m.Layers[1].Shift = 3
	if _, err := m.MarshalBinary(); !errors.Is(err, ErrBadModel) {
		t.Errorf("last-layer shift: %v, want ErrBadModel", err)
	}
	m.Layers[1].Shift = 0
	m.Layers[0].Biases[0] = MaxBias
	if _, err := m.MarshalBinary(); !errors.Is(err, ErrBadModel) {
		t.Errorf("bias out of range: %v, want ErrBadModel", err)
	}
}

func TestShippedModelsAccuracy(t *testing.T) {
	test := mnistTest(t)
	xs := make([][]int8, test.Len())
	for i, img := range test.Images {
		xs[i] = QuantizeImage(img)
	}
	for _, tc := range []struct {
		file string
		min  float64
		max  float64
	}{{"mnist-784-64-10.vtm", 0.97, 1}, {"mnist-784-64-10-weak.vtm", 0.80, 0.95}} {
		m := shippedModel(t, tc.file)
		got, err := m.InferBatch(xs)
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for i, c := range got {
			if c == uint32(test.Labels[i]) {
				ok++
			}
		}
		acc := float64(ok) / float64(len(got))
		t.Logf("%s: quantized accuracy %.2f%% on the 10k MNIST test set", tc.file, 100*acc)
		if acc < tc.min || acc > tc.max {
			t.Errorf("%s: accuracy %.4f outside [%.2f, %.2f]", tc.file, acc, tc.min, tc.max)
		}
	}
}

func FuzzUnmarshalModel(f *testing.F) {
	m := &Model{Arch: Arch{Sizes: []int{3, 2, 2}}, Layers: []Layer{
		{Weights: []int8{1, -2, 3, 4, 5, -128}, Biases: []int32{7, -9}, Shift: 2},
		{Weights: []int8{1, 2, 3, 127}, Biases: []int32{0, 1}},
	}}
	good, err := m.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte("VTMQ"))
	if cnn, err := RandomModel(Arch{Input: Shape{C: 1, H: 5, W: 5}, Feats: []Feat{{Kind: Conv, Out: 2, K: 3, Stride: 1, Pad: 1}, {Kind: MaxPool, K: 2, Stride: 2}}, Sizes: []int{8, 3}}, 1); err == nil {
		cb, _ := cnn.MarshalBinary()
		f.Add(cb) // a version-2 (CNN) file
	} else {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := UnmarshalModel(b)
		if err != nil {
			return
		}
		// Anything that decodes must re-encode identically and infer.
		b2, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("decoded model does not re-encode: %v", err)
		}
		if _, _, err := m.Infer(make([]int8, m.Arch.Inputs())); err != nil {
			t.Fatal(err)
		}
	})
}
