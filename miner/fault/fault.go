// Package fault is fault injection for the miner daemon, for tests and
// demos only: a miner that misbehaves on purpose (lazy, forger, copycat,
// offline) so that validators and the chain can be seen catching it. The
// devnet runs one of each.
//
// The production daemon (miner.RunDaemon) runs no Fault; with one, it asks
// the Fault, and only the Fault, what to prove with (Prover), whether to
// keep answering once its endpoint is on chain (Serves) and whether to run
// the epoch loop (Submits). The config keys behavior, forge-model and
// copy-hotkey (miner.Config) choose one (New).
package fault

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/zk"
)

// Behavior names what a miner daemon does: Honest (no fault) or a fault.
type Behavior string

// Behaviors of the miner daemon.
const (
	// Honest serves and commits the model in the config, answers /v1/infer
	// with real proofs bound to its own hotkey and submits one epoch proof
	// per epoch: the production daemon, no Fault.
	Honest Behavior = "honest"
	// Lazy answers /v1/infer with a random class and no proof, and submits
	// no epoch proofs: validators score it 0 (no valid proof), the chain
	// pays it nothing when the subnet requires proofs.
	Lazy Behavior = "lazy"
	// Forger serves and commits the config's model but proves with the
	// weights in forge-model: its proofs do not match its on-chain
	// commitment, so validators score it 0 and the chain rejects its epoch
	// proofs (proof_invalid).
	Forger Behavior = "forger"
	// Copycat replays another miner's work: it serves the victim's model
	// (the config's model) and commitment, but its proofs are bound to the
	// victim's hotkey (copy-hotkey), as a replayed proof would be.
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

// Fault is one misbehaviour of a miner daemon.
type Fault interface {
	// Behavior names it (logged at start-up).
	Behavior() Behavior
	// Prover is what the daemon answers /v1/infer and proves each epoch
	// with.
	Prover(env Env) (server.Prover, error)
	// Serves reports whether the HTTP server keeps answering once the
	// endpoint is served on chain.
	Serves() bool
	// Submits reports whether the daemon runs the epoch loop (proves and
	// submits one proof per epoch).
	Submits() bool
}

// Env is what a Fault builds its prover from.
type Env struct {
	// Classes is the subnet's number of output classes.
	Classes int
	// Model is the model the daemon serves and commits on chain; Hotkey is
	// the miner's own public key.
	Model  *zk.Model
	Hotkey [32]byte
	// LoadModel loads another model file, checked against the subnet's
	// task (miner.LoadModel).
	LoadModel func(path string) (*zk.Model, error)
	// Prover returns the production prover for model with proofs bound to
	// hotkey (it loads the subnet's proving key).
	Prover func(model *zk.Model, hotkey [32]byte) (server.Prover, error)
	// BatchProver, nil when the daemon serves no batches, returns the
	// production batch prover (POST /v2/infer) for model with proofs bound
	// to hotkey (it loads the batch circuit's proving key).
	BatchProver func(model *zk.Model, hotkey [32]byte) (server.BatchProver, error)
}

// BatchFault is a Fault that also answers POST /v2/infer batches, with the
// same misbehaviour as its /v1/infer answers. Every Fault here is one.
type BatchFault interface {
	Fault
	// BatchProver is what the daemon answers /v2/infer with; sizes are
	// the batch sizes served (Env.BatchProver is not nil).
	BatchProver(env Env, sizes []int) (server.BatchProver, error)
}

// ErrHotkey reports a malformed hex public key.
var ErrHotkey = errors.New("bad hotkey")

// New returns the Fault for behavior b with its parameters (forgeModel for
// Forger, copyHotkey for Copycat), or nil for Honest. Errors begin with the
// config key at fault ("behavior: ...", "forge-model: ...",
// "copy-hotkey: ...").
func New(b Behavior, forgeModel, copyHotkey string) (Fault, error) {
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("behavior: %w", err)
	}
	switch b {
	case Lazy:
		return lazy{}, nil
	case Forger:
		if forgeModel == "" {
			return nil, errors.New("forge-model: required with behavior forger: the model it proves with")
		}
		return forger{path: forgeModel}, nil
	case Copycat:
		victim, err := parseHotkey(copyHotkey)
		if err != nil {
			return nil, fmt.Errorf("copy-hotkey: required with behavior copycat: %w", err)
		}
		return copycat{victim: victim}, nil
	case Offline:
		return offline{}, nil
	}
	return nil, nil
}

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

type lazy struct{}

func (lazy) Behavior() Behavior                    { return Lazy }
func (lazy) Prover(env Env) (server.Prover, error) { return randomClass{classes: env.Classes}, nil }
func (lazy) Serves() bool                          { return true }
func (lazy) Submits() bool                         { return false }

func (lazy) BatchProver(env Env, sizes []int) (server.BatchProver, error) {
	return randomClasses{classes: env.Classes, sizes: sizes}, nil
}

type forger struct{ path string }

func (forger) Behavior() Behavior { return Forger }
func (f forger) Prover(env Env) (server.Prover, error) {
	m, err := env.LoadModel(f.path)
	if err != nil {
		return nil, err
	}
	return env.Prover(m, env.Hotkey)
}
func (f forger) BatchProver(env Env, _ []int) (server.BatchProver, error) {
	m, err := env.LoadModel(f.path)
	if err != nil {
		return nil, err
	}
	return env.BatchProver(m, env.Hotkey)
}
func (forger) Serves() bool  { return true }
func (forger) Submits() bool { return true }

type copycat struct{ victim [32]byte }

func (copycat) Behavior() Behavior                      { return Copycat }
func (c copycat) Prover(env Env) (server.Prover, error) { return env.Prover(env.Model, c.victim) }
func (c copycat) BatchProver(env Env, _ []int) (server.BatchProver, error) {
	return env.BatchProver(env.Model, c.victim)
}
func (copycat) Serves() bool  { return true }
func (copycat) Submits() bool { return true }

// offline never answers: its prover is never called (the server closes
// once the endpoint is on chain).
type offline struct{}

func (offline) Behavior() Behavior                    { return Offline }
func (offline) Prover(env Env) (server.Prover, error) { return randomClass{classes: env.Classes}, nil }
func (offline) BatchProver(env Env, sizes []int) (server.BatchProver, error) {
	return randomClasses{classes: env.Classes, sizes: sizes}, nil
}
func (offline) Serves() bool  { return false }
func (offline) Submits() bool { return false }

// randomClass answers a random class in 0..classes-1 with no proof.
type randomClass struct{ classes int }

func (r randomClass) Prove(ctx context.Context, _ []int8, _ uint64) (uint32, []byte, []byte, error) {
	return uint32(rand.IntN(max(r.classes, 1))), nil, nil, ctx.Err()
}

// randomClasses answers a batch with random classes and no proof.
type randomClasses struct {
	classes int
	sizes   []int
}

func (r randomClasses) Sizes() []int { return r.sizes }

func (r randomClasses) ProveBatch(ctx context.Context, inputs [][]int8, _ uint64) ([]uint32, []byte, []byte, error) {
	out := make([]uint32, len(inputs))
	for i := range out {
		out[i] = uint32(rand.IntN(max(r.classes, 1)))
	}
	return out, nil, nil, ctx.Err()
}
