package miner

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/veritensor/veritensor/zk"
)

// Behavior selects how a miner daemon behaves. Every value but Honest is
// fault injection for tests and demos (the devnet runs one of each so that
// validators and the chain can be seen catching them); none is for
// production.
type Behavior string

// Behaviors of the miner daemon.
const (
	// Honest serves and commits the model in Config.Model, answers
	// /v1/infer with real proofs bound to its own hotkey and submits one
	// epoch proof per epoch.
	Honest Behavior = "honest"
	// Lazy answers /v1/infer with a random class and no proof, and submits
	// no epoch proofs: validators score it 0 (no valid proof), the chain
	// pays it nothing when the subnet requires proofs.
	Lazy Behavior = "lazy"
	// Forger serves and commits Config.Model but proves with the weights
	// in Config.ForgeModel: its proofs do not match its on-chain
	// commitment, so validators score it 0 and the chain rejects its epoch
	// proofs (proof_invalid).
	Forger Behavior = "forger"
	// Copycat replays another miner's work: it serves the victim's model
	// (Config.Model) and commitment, but its proofs are bound to the
	// victim's hotkey (Config.CopyHotkey), as a replayed proof would be.
	// Validators score it 0 (wrong hotkey in the proof) and the chain
	// rejects its epoch proofs (proof_invalid).
	Copycat Behavior = "copycat"
	// Offline registers and serves on chain, then closes its HTTP server
	// and submits no proofs: validators' requests fail and score 0.
	Offline Behavior = "offline"
)

// Behaviors lists every Behavior, Honest first.
var Behaviors = []Behavior{Honest, Lazy, Forger, Copycat, Offline}

// Validate reports an unknown behavior.
func (b Behavior) Validate() error {
	for _, k := range Behaviors {
		if b == k {
			return nil
		}
	}
	return fmt.Errorf("unknown behavior %q (want honest, lazy, forger, copycat or offline)", string(b))
}

// proves: the behavior runs a prover (and needs the proving key).
func (b Behavior) proves() bool { return b == Honest || b == Forger || b == Copycat }

// submits: the behavior runs the epoch loop.
func (b Behavior) submits() bool { return b.proves() }

// ErrHotkey reports a malformed hex public key.
var ErrHotkey = errors.New("bad hotkey")

// parseHotkey reads 64 hex digits of an ed25519 public key.
func parseHotkey(s string) ([32]byte, error) {
	var k [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return k, fmt.Errorf("%w: want 64 hex digits of an ed25519 public key, got %q", ErrHotkey, s)
	}
	copy(k[:], b)
	return k, nil
}

// ZKProver is the daemon's Prover (for both server.Prover and the epoch
// loop): it proves Model with the subnet's circuit, bound to the hotkey
// whose public key is Hotkey and to the epoch asked for, and returns zk's
// fixed-size public-input encoding. It is safe for concurrent use.
type ZKProver struct {
	Prover *zk.Prover
	Model  *zk.Model
	// Hotkey is the ed25519 public key the proofs are bound to (the
	// miner's own; a copycat's victim's).
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

// lazyProver answers a random class in 0..classes-1 with no proof.
type lazyProver struct{ classes int }

func (l lazyProver) Prove(ctx context.Context, _ []int8, _ uint64) (uint32, []byte, []byte, error) {
	return uint32(rand.IntN(max(l.classes, 1))), nil, nil, ctx.Err()
}
