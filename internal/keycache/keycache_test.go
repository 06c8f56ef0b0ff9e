package keycache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

func TestGetSetsUpOnceThenLoads(t *testing.T) {
	a, err := zk.ParseArch("16-4-3")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(a); !errors.Is(err, ErrMiss) {
		t.Fatalf("empty cache: %v, want ErrMiss", err)
	}
	var stages []string
	k1, err := c.Get(a, func(s string) { stages = append(stages, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) < 3 {
		t.Fatalf("setup reported stages %v", stages)
	}
	stages = nil
	k2, err := c.Get(a, func(s string) { stages = append(stages, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 0 {
		t.Fatalf("hit ran setup again: %v", stages)
	}
	if k1.VKHash != k2.VKHash || k1.PKHash != k2.PKHash || k2.PKHash != zk.KeyHash(k2.PK) {
		t.Fatal("reloaded keys differ")
	}
	// The cached keys work.
	v, err := zk.NewVerifier(k2.VK)
	if err != nil {
		t.Fatal(err)
	}
	p, err := zk.NewProver(a, k2.PK)
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
	if err := v.Verify(proof, pub); err != nil || pub.Output != 1 {
		t.Fatalf("verify: %v, output %d", err, pub.Output)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(c.Path(a))
	if len(ents) != 3 {
		t.Fatalf("entry holds %d files", len(ents))
	}
	// Corruption is detected, not papered over.
	vkPath := filepath.Join(c.Path(a), vkFile)
	b, _ := os.ReadFile(vkPath)
	b[len(b)-1] ^= 1
	if err := os.WriteFile(vkPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(a, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupted key: %v, want ErrCorrupt", err)
	}
	// A manifest copied to another architecture's directory is refused.
	b2, _ := zk.ParseArch("16-5-3")
	if err := os.MkdirAll(c.Path(b2), 0o755); err != nil {
		t.Fatal(err)
	}
	mb, _ := os.ReadFile(filepath.Join(c.Path(a), manifestFile))
	os.WriteFile(filepath.Join(c.Path(b2), manifestFile), mb, 0o644)
	if _, err := c.Load(b2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("foreign manifest: %v, want ErrCorrupt", err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg-test")
	t.Setenv(EnvDir, "")
	c, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != "/tmp/xdg-test/veritensor/keys" {
		t.Fatalf("default dir %s", c.Dir)
	}
	t.Setenv(EnvDir, "/tmp/shared-keys")
	if c, _ = New(""); c.Dir != "/tmp/shared-keys" {
		t.Fatalf("with %s set: dir %s", EnvDir, c.Dir)
	}
	if c, _ = New("/explicit"); c.Dir != "/explicit" {
		t.Fatalf("explicit dir overridden: %s", c.Dir)
	}
}
