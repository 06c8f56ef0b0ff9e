package keycachetest

import (
	"testing"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
)

// TestGetUsesSharedDir checks that Get sets up into
// $VERITENSOR_KEYS_DIR, then serves the same keys from memory.
func TestGetUsesSharedDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(keycache.EnvDir, dir)
	a, _ := zk.ParseArch("16-3-3")
	k1 := Get(t, a)
	c, _ := keycache.New(dir)
	onDisk, err := c.Load(a)
	if err != nil {
		t.Fatalf("Get did not store in %s: %v", dir, err)
	}
	if onDisk.VKHash != k1.VKHash {
		t.Fatal("stored keys differ from the returned ones")
	}
	if k2 := Get(t, a); k2 != k1 {
		t.Fatal("second call did not reuse the loaded keys")
	}
}
