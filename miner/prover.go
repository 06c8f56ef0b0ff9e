package miner

import (
	"context"

	"github.com/veritensor/veritensor/zk"
)

// ZKProver is the daemon's Prover (for both server.Prover and the epoch
// loop): it proves Model with the subnet's circuit under the subnet's proof
// scheme, bound to the hotkey whose public key is Hotkey and to the epoch
// asked for, and returns zk's fixed-size public-input encoding (whose model
// commitment is the scheme's: Prover.ModelCommitment(Model)). It is safe for
// concurrent use.
type ZKProver struct {
	Prover zk.SingleProver
	Model  *zk.Model
	// Hotkey is the ed25519 public key the proofs are bound to: the
	// miner's own (a fault.Copycat binds them to its victim's).
	Hotkey [32]byte
}

// Prove implements Prover. gnark cannot be interrupted: a proof already
// started runs to its end even after ctx is done.
func (z *ZKProver) Prove(ctx context.Context, input []int8, epoch uint64) (uint32, []byte, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, nil, err
	}
	proof, pub, err := z.Prover.Prove(z.Model, input, zk.Binding{HotkeyHash: zk.HotkeyHash(z.Hotkey[:]), Epoch: epoch})
	if err != nil {
		return 0, nil, nil, err
	}
	pb, err := pub.MarshalBinary()
	if err != nil {
		return 0, nil, nil, err
	}
	return pub.Output, proof, pb, nil
}
