package keycache

import (
	"fmt"

	"github.com/veritensor/veritensor/zk"
)

// Batch circuits (zk.BatchCircuit) have their own entries, named by
// zk.BatchCircuitID(a, k); their manifest records the batch size and
// zk.BatchCircuitVersion.

func checkBatch(k int) error {
	if k < 1 || k > zk.MaxBatch {
		return fmt.Errorf("keycache: batch of %d, want 1..%d", k, zk.MaxBatch)
	}
	return nil
}

// BatchPath is the directory of the entry of a's batch circuit of k inputs.
func (c *Cache) BatchPath(a zk.Arch, k int) string { return c.entryPath(a, entry{batch: k}) }

// LoadBatch is Load for a's batch circuit of k inputs.
func (c *Cache) LoadBatch(a zk.Arch, k int) (*Keys, error) {
	if err := checkBatch(k); err != nil {
		return nil, err
	}
	return c.load(a, entry{batch: k})
}

// StoreBatch is Store for a's batch circuit of k inputs: keys from the
// batch circuit's ceremony.
func (c *Cache) StoreBatch(a zk.Arch, k int, pk, vk []byte) (*Keys, error) {
	if err := checkBatch(k); err != nil {
		return nil, err
	}
	return c.store(a, entry{batch: k}, pk, vk)
}

// GetBatch is Get for a's batch circuit of k inputs: on a miss it runs
// zk.SetupBatch, a single-party setup (tests and local devnets only).
func (c *Cache) GetBatch(a zk.Arch, k int, progress func(stage string)) (*Keys, error) {
	if err := checkBatch(k); err != nil {
		return nil, err
	}
	return c.get(a, entry{batch: k}, progress)
}
