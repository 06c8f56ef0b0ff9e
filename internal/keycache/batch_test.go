package keycache

import (
	"bytes"
	"errors"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

// TestBatchEntries: a batch circuit's keys live in their own entry, apart
// from the single circuit's and from other batch sizes', and load back
// checked.
func TestBatchEntries(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	a, err := zk.ParseArch("16-8-4")
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.GetBatch(a, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.Batch != 4 || k.CircuitID != zk.BatchCircuitID(a, 4) || c.BatchPath(a, 4) == c.Path(a) {
		t.Fatalf("entry %+v at %s", k.CircuitID, c.BatchPath(a, 4))
	}
	got, err := c.LoadBatch(a, 4)
	if err != nil || !bytes.Equal(got.PK, k.PK) || !bytes.Equal(got.VK, k.VK) {
		t.Fatalf("load: %v", err)
	}
	if _, err := zk.NewBatchVerifier(got.VK, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(a); !errors.Is(err, ErrMiss) {
		t.Errorf("single circuit: %v, want ErrMiss", err)
	}
	if _, err := c.LoadBatch(a, 1); !errors.Is(err, ErrMiss) {
		t.Errorf("batch of 1: %v, want ErrMiss", err)
	}
	if _, err := c.LoadBatch(a, 0); err == nil {
		t.Error("batch of 0 accepted")
	}
}
