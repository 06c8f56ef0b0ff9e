package miner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// ZKBatchProver is the daemon's server.BatchProver (POST /v2/infer): it
// proves k inputs of Model in one proof with the batch circuit of k inputs,
// bound to Hotkey and the epoch asked for, and returns zk.BatchPublic's
// encoding. It is safe for concurrent use.
type ZKBatchProver struct {
	// Provers has one zk.BatchProver per batch size served.
	Provers map[int]*zk.BatchProver
	Model   *zk.Model
	// Hotkey is the ed25519 public key the proofs are bound to.
	Hotkey [32]byte
}

// Sizes lists the batch sizes served, ascending.
func (z *ZKBatchProver) Sizes() []int {
	out := make([]int, 0, len(z.Provers))
	for k := range z.Provers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ProveBatch implements server.BatchProver. As ZKProver.Prove, a proof
// already started runs to its end after ctx is done.
func (z *ZKBatchProver) ProveBatch(ctx context.Context, inputs [][]int8, epoch uint64) ([]uint32, []byte, []byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	p, ok := z.Provers[len(inputs)]
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: no keys for a batch of %d (this miner proves %v)", api.ErrBadInput, len(inputs), z.Sizes())
	}
	proof, pub, err := p.Prove(z.Model, inputs, zk.Binding{HotkeyHash: zk.HotkeyHash(z.Hotkey[:]), Epoch: epoch})
	if err != nil {
		return nil, nil, nil, err
	}
	pb, err := pub.MarshalBinary()
	if err != nil {
		return nil, nil, nil, err
	}
	return pub.Outputs, proof, pb, nil
}

// LoadBatchProvers loads the batch circuits' proving keys of arch for every
// size in sizes from the key cache in keysDir ("" is keycache.DefaultDir).
// The chain records only the single circuit's ceremony: a batch circuit's
// keys come from its own ceremony (zk/ceremony.CompileBatchCircuit), put in
// the key directory with keycache.StoreBatch, and must be the ones the
// subnet's validators verify with. A miss is an error, not a setup.
func LoadBatchProvers(keysDir string, arch zk.Arch, sizes []int) (map[int]*zk.BatchProver, error) {
	kc, err := keycache.New(keysDir)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*zk.BatchProver, len(sizes))
	for _, k := range sizes {
		keys, err := kc.LoadBatch(arch, k)
		if errors.Is(err, keycache.ErrMiss) {
			return nil, fmt.Errorf("%w: no batch-%d proving key for %s in %s: %w", ErrProvingKey, k, arch, kc.BatchPath(arch, k), err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProvingKey, err)
		}
		p, err := zk.NewBatchProver(arch, k, keys.PK)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrProvingKey, kc.BatchPath(arch, k), err)
		}
		out[k] = p
	}
	return out, nil
}
