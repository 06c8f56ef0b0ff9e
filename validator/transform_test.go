package validator

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
)

// TestTransformKeepsAccuracy measures the accuracy of honest models on the
// plain held-out images and on the same images put through Transform (one
// seeded transform per image): the shipped 784-64-10 model (zk/testdata)
// on the 10,000 MNIST test images, and the test fixture's 49-16-10 model
// on 2,000 pooled ones. The transformed accuracy must stay within a few
// points of the plain one (every miner faces the same transforms, so a
// uniform drop does not change the ranking) (docs/scoring.md records the figures), and every
// transformed input must differ from its source.
func TestTransformKeepsAccuracy(t *testing.T) {
	measure := func(name string, m *zk.Model, inputs [][]int8, labels []uint32, maxDrop float64) {
		rng := rand.New(rand.NewChaCha8([32]byte{7}))
		plain, moved, same := 0, 0, 0
		for i, x := range inputs {
			if c, _, err := m.Infer(x); err == nil && c == labels[i] {
				plain++
			}
			y := Transform(x, rng)
			if string(int8Bytes(y)) == string(int8Bytes(x)) {
				same++
			}
			if c, _, err := m.Infer(y); err == nil && c == labels[i] {
				moved++
			}
		}
		n := float64(len(inputs))
		pa, ta := float64(plain)/n, float64(moved)/n
		t.Logf("%s: plain accuracy %.4f, transformed %.4f (%d images)", name, pa, ta, len(inputs))
		if pa-ta > maxDrop || same > 0 {
			t.Fatalf("%s: accuracy %.4f -> %.4f (max drop %.2f), %d inputs unchanged", name, pa, ta, maxDrop, same)
		}
	}
	f := getFixture(t)
	measure("49-16-10 fixture", f.good, f.data.Inputs, f.data.Labels, 0.05)

	b, err := os.ReadFile(filepath.Join("..", "zk", "testdata", "mnist-784-64-10.vtm"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := zk.UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	_, te, err := mnist.Load("")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := task.Quantize(te)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		ds.Inputs, ds.Labels = ds.Inputs[:2000], ds.Labels[:2000]
	}
	measure("784-64-10 shipped", m, ds.Inputs, ds.Labels, 0.06)
}

func int8Bytes(x []int8) []byte {
	b := make([]byte, len(x))
	for i, v := range x {
		b[i] = byte(v)
	}
	return b
}
