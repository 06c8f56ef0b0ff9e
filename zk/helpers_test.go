package zk

import (
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/veritensor/veritensor/internal/mnist"
)

// randomModel draws a valid model of architecture a from seed.
func randomModel(t testing.TB, a Arch, seed uint64) *Model {
	t.Helper()
	if a.IsCNN() {
		m, err := RandomModel(a, seed)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	r := rand.New(rand.NewPCG(seed, 1))
	m := &Model{Arch: a, Layers: make([]Layer, a.Layers())}
	for l := range m.Layers {
		in, out := a.Sizes[l], a.Sizes[l+1]
		ly := Layer{Weights: make([]int8, in*out), Biases: make([]int32, out)}
		for i := range ly.Weights {
			ly.Weights[i] = int8(r.IntN(256) - 128)
		}
		for i := range ly.Biases {
			ly.Biases[i] = int32(r.IntN(1<<16) - 1<<15)
		}
		if l < len(m.Layers)-1 {
			ly.Shift = uint8(6 + r.IntN(4))
		}
		m.Layers[l] = ly
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

// shippedModel loads a model from testdata.
func shippedModel(t testing.TB, name string) *Model {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	testSetOnce sync.Once
	testSet     mnist.Set
	testSetErr  error
)

// mnistTest returns the real MNIST test set.
func mnistTest(t testing.TB) mnist.Set {
	t.Helper()
	testSetOnce.Do(func() { testSet, testSetErr = mnist.LoadTest("") })
	if testSetErr != nil {
		t.Fatal(testSetErr)
	}
	return testSet
}

func mustArch(t testing.TB, s string) Arch {
	t.Helper()
	a, err := ParseArch(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
