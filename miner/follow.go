package miner

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/miner/server"
)

// ServeSpec is what a miner publishes on chain with serve.
type ServeSpec struct {
	// Endpoint is the URL validators reach the miner's HTTP API at.
	Endpoint string
	// Commitment is the model commitment (zk.Model.Commitment).
	Commitment [32]byte
	// Hardware is the canonical hardware summary (hw.Summary.Canonical).
	Hardware string
}

// PermitsOf returns the hotkey -> stake (base units) of every UID of mg that
// holds a validator permit: who may call the miner's /v1/infer. UIDs with a
// malformed key are skipped.
func PermitsOf(mg chain.Metagraph) map[[32]byte]uint64 {
	out := make(map[[32]byte]uint64)
	for _, n := range mg.Neurons {
		if !n.ValidatorPermit || len(n.HotkeyPub) != ed25519.PublicKeySize {
			continue
		}
		var k [32]byte
		copy(k[:], n.HotkeyPub)
		out[k] = n.Stake
	}
	return out
}

// Follower keeps a miner in step with the chain's metagraph: each Sync
// replaces the permit set with the subnet's permitted validators, records
// the miner's UID, and sends serve when the on-chain endpoint or model
// commitment differ from Want.
type Follower struct {
	Chain   *ChainClient
	Permits *server.PermitSet
	Want    ServeSpec
	// Interval between syncs in Run (3 s when 0).
	Interval time.Duration
	Logger   *slog.Logger

	uid    atomic.Int64 // -1 while unknown
	serves atomic.Int64 // serve transactions that landed
	served atomic.Bool  // the on-chain endpoint and commitment equal Want
}

// NewFollower returns a follower with no UID known yet.
func NewFollower(cc *ChainClient, permits *server.PermitSet, want ServeSpec, interval time.Duration, log *slog.Logger) *Follower {
	if interval <= 0 {
		interval = 3 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Follower{Chain: cc, Permits: permits, Want: want, Interval: interval, Logger: log}
	f.uid.Store(-1)
	return f
}

// UID is the miner's UID as of the last Sync (false when it held none).
func (f *Follower) UID() (uint16, bool) {
	u := f.uid.Load()
	return uint16(u), u >= 0
}

// Serves is the number of serve transactions this follower landed.
func (f *Follower) Serves() int64 { return f.serves.Load() }

// Sync reads the metagraph once, replaces the permits, and serves Want if
// the chain shows something else (first call: always unless it already
// matches). It returns ErrNotRegistered when the hotkey holds no UID.
func (f *Follower) Sync(ctx context.Context) error {
	mg, err := f.Chain.Metagraph(ctx)
	if err != nil {
		return fmt.Errorf("metagraph: %w", err)
	}
	f.Permits.Replace(PermitsOf(mg))
	pub, addr := f.Chain.Hotkey()
	var me *chain.NeuronInfo
	for i := range mg.Neurons {
		if mg.Neurons[i].Hotkey == addr {
			me = &mg.Neurons[i]
			break
		}
	}
	if me == nil {
		if f.uid.Swap(-1) >= 0 {
			f.Logger.Error("hotkey no longer holds a UID: deregistered", "hotkey", addr, "subnet", f.Chain.SubnetID())
		}
		f.served.Store(false)
		return fmt.Errorf("%w: %x (%s) on subnet %d", ErrNotRegistered, pub[:8], addr, f.Chain.SubnetID())
	}
	if old := f.uid.Swap(int64(me.UID)); old >= 0 && old != int64(me.UID) {
		f.Logger.Warn("UID changed", "old", old, "new", me.UID)
	}
	if me.Endpoint == f.Want.Endpoint && [32]byte(me.ModelCommitment) == f.Want.Commitment &&
		(f.serves.Load() > 0 || me.Hardware == f.Want.Hardware) {
		f.served.Store(true)
		return nil
	}
	f.served.Store(false)
	f.Logger.Info("serving on chain", "uid", me.UID, "endpoint", f.Want.Endpoint, "commitment", fmt.Sprintf("%x", f.Want.Commitment),
		"was_endpoint", me.Endpoint, "was_commitment", fmt.Sprintf("%x", me.ModelCommitment[:]))
	if err := f.Chain.Serve(ctx, f.Want.Endpoint, f.Want.Commitment, f.Want.Hardware); err != nil {
		return err
	}
	f.serves.Add(1)
	f.served.Store(true)
	return nil
}

// Run syncs every Interval until ctx ends, logging failures.
func (f *Follower) Run(ctx context.Context) {
	for sleep(ctx, f.Interval) == nil {
		if err := f.Sync(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, ErrNotRegistered) {
			f.Logger.Warn("following the metagraph", "err", err)
		}
	}
}
