package keycache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

// TestGetSchemeCommit checks that the commit circuit's keys have their own
// entry, named by its circuit ID, that they prove and verify under the
// commit scheme, and that the hash scheme's entry of the same architecture
// is a different one.
func TestGetSchemeCommit(t *testing.T) {
	a, err := zk.ParseArch("16-4-3")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(t.TempDir())
	if _, err := c.LoadScheme(zk.SchemeCommit, a); !errors.Is(err, ErrMiss) {
		t.Fatalf("empty cache: %v, want ErrMiss", err)
	}
	k, err := c.GetScheme(zk.SchemeCommit, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := zk.CommitCircuitID(a)
	if k.Scheme != zk.SchemeCommit || k.CircuitID != id || filepath.Base(c.PathScheme(zk.SchemeCommit, a)) == filepath.Base(c.Path(a)) {
		t.Fatalf("keys %v %x at %s", k.Scheme, k.CircuitID[:4], c.PathScheme(zk.SchemeCommit, a))
	}
	if _, err := c.Load(a); !errors.Is(err, ErrMiss) {
		t.Fatalf("the hash scheme's entry: %v, want ErrMiss", err)
	}
	k2, err := c.LoadScheme(zk.SchemeCommit, a)
	if err != nil || k2.PKHash != k.PKHash || k2.Scheme != zk.SchemeCommit {
		t.Fatalf("reload: %v", err)
	}
	p, err := zk.NewSingleProver(zk.SchemeCommit, a, k2.PK)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewSingleVerifier(zk.SchemeCommit, k2.VK)
	if err != nil {
		t.Fatal(err)
	}
	m := &zk.Model{Arch: a, Layers: []zk.Layer{
		{Weights: make([]int8, 64), Biases: []int32{1, 2, 3, 4}, Shift: 1},
		{Weights: make([]int8, 12), Biases: []int32{5, 9, 7}},
	}}
	proof, pub, err := p.Prove(m, zk.ChallengeInput([32]byte{}, 1, 16), zk.Binding{Epoch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(proof, pub); err != nil {
		t.Fatal(err)
	}
	// A commit manifest copied into the hash entry's directory is refused.
	if err := os.MkdirAll(c.Path(a), 0o755); err != nil {
		t.Fatal(err)
	}
	mb, _ := os.ReadFile(filepath.Join(c.PathScheme(zk.SchemeCommit, a), manifestFile))
	os.WriteFile(filepath.Join(c.Path(a), manifestFile), mb, 0o644)
	if _, err := c.Load(a); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("commit manifest in the hash entry: %v, want ErrCorrupt", err)
	}
	if _, err := c.GetScheme(zk.Scheme(7), a, nil); err == nil {
		t.Fatal("unknown scheme accepted")
	}
}
