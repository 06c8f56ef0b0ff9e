package devnet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/veritensor/veritensor/zk"
)

// ErrOptions reports unusable devnet options.
var ErrOptions = errors.New("devnet: bad options")

// Behavior is what one devnet miner does. Honest and Weak run the miner
// daemon honestly (with the good and the weak model); the others are the
// miner daemon's fault-injection behaviours.
type Behavior string

// Miner behaviours.
const (
	// Honest serves the good model and proves every answer.
	Honest Behavior = "honest"
	// Weak is honest with a clearly weaker model (few training steps).
	Weak Behavior = "weak"
	// Lazy answers random classes with no proof and submits no proofs.
	Lazy Behavior = "lazy"
	// Forger commits the good model but proves with other weights.
	Forger Behavior = "forger"
	// Copycat serves the first honest miner's model and binds its proofs to
	// that miner's hotkey, as a replayed proof would be.
	Copycat Behavior = "copycat"
	// Offline registers and serves, then stops answering and proves nothing.
	Offline Behavior = "offline"
)

// DefaultBehaviors is the miner set of `make demo`: two honest miners with
// the good model, one with the weak model, and one of each cheater.
var DefaultBehaviors = []Behavior{Honest, Honest, Weak, Lazy, Forger, Copycat, Offline}

// Cheater reports whether b must earn nothing.
func (b Behavior) Cheater() bool { return b != Honest && b != Weak }

// ParseBehaviors reads a comma-separated list such as
// "honest,honest,weak,lazy,forger,copycat,offline".
func ParseBehaviors(s string) ([]Behavior, error) {
	var out []Behavior
	for _, f := range strings.Split(s, ",") {
		b := Behavior(strings.TrimSpace(f))
		switch b {
		case Honest, Weak, Lazy, Forger, Copycat, Offline:
			out = append(out, b)
		default:
			return nil, fmt.Errorf("%w: behavior %q (want honest, weak, lazy, forger, copycat or offline)", ErrOptions, b)
		}
	}
	return out, nil
}

// Options configure a devnet run. Zero values take the defaults listed.
type Options struct {
	// Home holds the devnet's state; a second run with the same home
	// resumes it. Required.
	Home string
	// Nodes is the number of CometBFT validator nodes (4).
	Nodes int
	// Behaviors lists the miners, one entry each (DefaultBehaviors).
	Behaviors []Behavior
	// Epochs is how many paying epochs to run before reporting (3): epochs
	// whose close paid miners or validators from revealed weights.
	Epochs int
	// Tempo is the subnet's epoch length in blocks (DefaultTempo for the
	// architecture). Only a new devnet reads it.
	Tempo uint64
	// Arch is the subnet's model architecture ("784-64-10"; "49-16-10" runs
	// on 4x4-pooled 7x7 MNIST images, for fast tests).
	Arch string
	// Task, when set, is a built-in task ("mnist", "mnist-7x7",
	// "mnist-cnn") whose arch the subnet runs (Arch must then be empty or
	// the same). Every devnet subnet carries its task spec on chain.
	Task string
	// ProoflessSubnet also runs a proof-less subnet next to the proven one
	// (same nodes and scoring validators, the same arch, require_proof
	// false): ProoflessBehaviors miners answer without proofs and the
	// validators grade their outputs only.
	ProoflessSubnet bool
	// ProoflessBehaviors are its miners (DefaultProoflessBehaviors); only
	// honest, weak and lazy make sense without proofs.
	ProoflessBehaviors []Behavior
	// BlockTime is the nodes' timeout_commit (500 ms).
	BlockTime time.Duration
	// Graded and Decoys are each validator's challenges per miner per tempo
	// (DefaultChallenges for the architecture, BatchChallenges with Batch,
	// CommitChallenges for a small architecture under the commit scheme).
	Graded, Decoys int
	// Batch, when not 0, is a batch size (4 or 16; zk.BatchSizes): the
	// setup ceremony also makes the batch circuit of Batch inputs of the
	// subnet's arch (off chain, on the same phase 1: ceremonyrun.Spec.Batch),
	// miners serve POST /v2/infer batches of Batch inputs, and each
	// validator sends each miner its Graded+Decoys (= Batch) challenges of a
	// tempo in one batch checked by one batch proof. The chain's per-epoch
	// proof of model stays the single circuit's. Only a new devnet reads
	// it: a resumed one keeps its home's.
	Batch int
	// Scheme is the proven subnet's proof scheme (zk.SchemeHash, the
	// default, or zk.SchemeCommit): its ceremony is opened with it, so the
	// subnet's circuit is Scheme.CircuitID(Arch) and the daemons, which read
	// the scheme from the chain, prove and verify under it. Batch proofs
	// bind the hash scheme's commitment, so Batch needs SchemeHash. Only a
	// new devnet reads it: a resumed one keeps its home's.
	Scheme zk.Scheme
	// KeysDir is the Groth16 key cache ("" is keycache's machine-wide
	// default directory).
	KeysDir string
	// MNISTDir holds MNIST's *-ubyte.gz files ("" finds them).
	MNISTDir string
	// Timeout bounds the whole run after setup (30 min): a devnet that
	// cannot reach Epochs paying epochs in it fails instead of hanging.
	Timeout time.Duration
	// Verbose sends the daemons' log lines to the progress writer.
	Verbose bool
	// Explorer, when set, is the listen address of a web explorer of the
	// devnet's nodes ("127.0.0.1:0": any free port), served while it runs;
	// its URL goes to the progress writer.
	Explorer string
	// Chaos, when set, runs in its own goroutine once every daemon has
	// started, with a Control to stop and restart daemons and nodes (a
	// fault schedule: internal/chaos). Its context ends when the run has
	// paid its epochs (or timed out); it must then restart whatever it
	// stopped and return: the run waits for it before collecting.
	Chaos func(ctx context.Context, ctl *Control)
}

// DefaultTempo is the tempo of a new subnet for arch when Options.Tempo is
// 0: long enough for every validator to challenge every miner (each
// 784-64-10 proof takes a few seconds on 2 cores and the miners share
// them) and commit within the epoch.
func DefaultTempo(arch string) uint64 {
	if a, err := zk.ParseArch(arch); err == nil && a.IsCNN() {
		// A CNN proof is ~3x a 784-64-10 one (509,376 constraints, ~5.3
		// CPU s): the ~25 proofs of a default devnet's tempo take ~70 s
		// on 2 cores.
		return 300
	}
	if heavyArch(arch) {
		return 100
	}
	return 30
}

// DefaultChallenges are the graded and decoy challenges per miner per tempo
// for arch: fewer for the large circuit, where every challenge is a proof
// of a few seconds.
func DefaultChallenges(arch string) (graded, decoys int) {
	if heavyArch(arch) {
		return 2, 0
	}
	return 6, 1
}

// BatchChallenges are the graded and decoy challenges per miner per tempo
// with batches of k: one batch of k, one in eight of them decoys (at least
// one when k > 1): 3+1 for k = 4, 14+2 for k = 16.
func BatchChallenges(k int) (graded, decoys int) {
	decoys = k / 8
	if k > 1 {
		decoys = max(decoys, 1)
	}
	return k - decoys, decoys
}

// CommitChallenges are the graded and decoy challenges per miner per tempo
// of a small architecture's devnet under the commit scheme (single proofs):
// as many as a batch of 16 carries, 14 + 2. A 49-16-10 commit proof is
// cheap enough (3,865 constraints) that sixteen single ones per miner per
// validator per tempo cost less CPU than one 16-input batch proof of the
// hash scheme (docs/benchmarks.md, "devnet").
func CommitChallenges() (graded, decoys int) { return BatchChallenges(16) }

// challenges are the default graded and decoy challenges per miner per
// tempo of a devnet of arch with batch and scheme.
func challenges(arch string, batch int, scheme zk.Scheme) (graded, decoys int) {
	switch {
	case batch != 0:
		return BatchChallenges(batch)
	case scheme == zk.SchemeCommit && !heavyArch(arch):
		return CommitChallenges()
	}
	return DefaultChallenges(arch)
}

// BatchTempo is the default tempo of a small architecture's devnet with
// batches (Options.Batch): 20 blocks instead of 30.
const BatchTempo = 20

// DemoBatch is the batch size of `make demo DEMO_SCHEME=hash` (`veritensor devnet` without
// --batch runs single proofs).
const DemoBatch = 16

func (o *Options) defaults() error {
	if o.Home == "" {
		return fmt.Errorf("%w: home is required", ErrOptions)
	}
	if o.Nodes == 0 {
		o.Nodes = 4
	}
	if len(o.Behaviors) == 0 {
		o.Behaviors = DefaultBehaviors
	}
	if o.Epochs == 0 {
		o.Epochs = 3
	}
	if err := o.applyTask(); err != nil {
		return err
	}
	if o.Arch == "" {
		o.Arch = "784-64-10"
	}
	if o.ProoflessSubnet && len(o.ProoflessBehaviors) == 0 {
		o.ProoflessBehaviors = DefaultProoflessBehaviors
	}
	if o.Tempo == 0 {
		o.Tempo = DefaultTempo(o.Arch)
		if o.Batch != 0 && o.Tempo == 30 {
			// A small arch's tempo of batches: one 16-input proof per
			// miner per validator (~0.45 CPU-s at 49-16-10) instead of
			// seven single ones (~1.4 CPU-s), so a shorter tempo still
			// leaves each validator most of it; the first tempo, which
			// the daemons join part-way, is often too short for a batch,
			// and a shorter tempo makes that lost tempo cheaper.
			o.Tempo = BatchTempo
		}
	}
	if o.BlockTime == 0 {
		o.BlockTime = 500 * time.Millisecond
	}
	if o.Graded == 0 && o.Decoys == 0 {
		o.Graded, o.Decoys = challenges(o.Arch, o.Batch, o.Scheme)
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Minute
	}
	a, err := zk.ParseArch(o.Arch)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", ErrOptions, err)
	case a.Inputs() != 784 && a.Inputs() != 49:
		return fmt.Errorf("%w: arch %s: the devnet's data is MNIST, 784 inputs (or 49, pooled)", ErrOptions, a)
	case a.Outputs() != 10:
		return fmt.Errorf("%w: arch %s: MNIST has 10 classes", ErrOptions, a)
	case o.Nodes < 1 || o.Nodes > 16:
		return fmt.Errorf("%w: %d nodes (want 1..16)", ErrOptions, o.Nodes)
	case len(o.Behaviors) > 64:
		return fmt.Errorf("%w: %d miners (at most 64)", ErrOptions, len(o.Behaviors))
	case o.Epochs < 1:
		return fmt.Errorf("%w: epochs %d", ErrOptions, o.Epochs)
	case o.Tempo < 10:
		return fmt.Errorf("%w: tempo %d blocks is too short for commit-reveal and proofs (at least 10)", ErrOptions, o.Tempo)
	case o.Graded < 0 || o.Decoys < 0:
		return fmt.Errorf("%w: negative challenge count", ErrOptions)
	case o.Batch != 0 && !slices.Contains(zk.BatchSizes, o.Batch):
		return fmt.Errorf("%w: batch %d: want 0 (single proofs) or one of %v", ErrOptions, o.Batch, zk.BatchSizes)
	case o.Batch != 0 && o.Graded+o.Decoys != o.Batch:
		return fmt.Errorf("%w: batch %d: graded+decoys is %d; each validator sends each miner one batch per tempo", ErrOptions,
			o.Batch, o.Graded+o.Decoys)
	case !o.Scheme.Valid():
		return fmt.Errorf("%w: unknown proof scheme %d (want hash or commit)", ErrOptions, uint8(o.Scheme))
	case o.Batch != 0 && o.Scheme != zk.SchemeHash:
		return fmt.Errorf("%w: batch %d with the %s scheme: batch proofs bind the hash scheme's model commitment, so they exist under the hash scheme only (use --batch 0 with --scheme %s)",
			ErrOptions, o.Batch, o.Scheme, o.Scheme)
	case o.Batch != 0 && a.IsCNN():
		return fmt.Errorf("%w: batch: the batch circuit is for MLPs, not %s", ErrOptions, a)
	}
	for _, b := range o.ProoflessBehaviors {
		if b != Honest && b != Weak && b != Lazy {
			return fmt.Errorf("%w: proof-less subnet miner %q: want honest, weak or lazy (the others cheat on proofs)", ErrOptions, b)
		}
	}
	for _, b := range o.Behaviors {
		if b == Copycat && !hasHonest(o.Behaviors) {
			return fmt.Errorf("%w: a copycat needs an honest miner to copy", ErrOptions)
		}
	}
	return nil
}

func hasHonest(bs []Behavior) bool {
	for _, b := range bs {
		if b == Honest {
			return true
		}
	}
	return false
}
