package devnet

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/miner/fault"
	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/validator"
)

// daemons are the validator and miner daemons of a run, in goroutines.
// Each can be stopped and restarted (control.go).
type daemons struct {
	wg   sync.WaitGroup
	errs chan error

	mu   sync.Mutex
	runs map[string]*daemon
}

// requestTimeout is how long a validator waits for one answer: a proof
// queued behind every other validator's challenges to the same miner, on a
// machine every miner shares.
func requestTimeout(arch string) time.Duration {
	if heavyArch(arch) {
		return 4 * time.Minute
	}
	return 30 * time.Second
}

// startValidators runs one validator daemon per scoring validator, each on
// its own node, reporting each tempo to onReport.
func startValidators(ctx context.Context, d *daemons, o *Options, s *state, c *cluster, log *slog.Logger, onReport func(j int, r *validator.Report)) error {
	spec, err := task.ForArch(s.Arch)
	if err != nil {
		return err
	}
	dataset := spec.Name
	rt := requestTimeout(s.Arch)
	for j := range s.Validators {
		home := filepath.Join(o.Home, "validators", fmt.Sprintf("v%d", j))
		if err := keyring(home, validatorHotkey(j)); err != nil {
			return err
		}
		dc := validator.DefaultDaemonConfig()
		// Its own node first, then every other: the daemon fails over when
		// its node is down (chain/client).
		dc.Home, dc.Subnet, dc.Node, dc.Hotkey = home, s.Subnet, c.allNodes(j%len(c.homes)), "hotkey"
		dc.Dataset, dc.DatasetDir, dc.MetricsListen, dc.Fee = dataset, o.MNISTDir, "", fee
		dc.Graded, dc.Decoys = o.Graded, o.Decoys
		if s.Batch != 0 { // one /v2/infer batch per miner per tempo
			dc.Batch, dc.KeysDir = true, batchKeysDir(o.Home)
		}
		// Latency barely matters on a shared CPU: every answer under
		// 90% of the timeout scores full marks, so the ranking is accuracy.
		dc.RequestTimeout, dc.LatencyTarget = validator.Duration(rt), validator.Duration(rt*9/10)
		dc.Poll = validator.Duration(time.Second)
		// The devnet's miners serve on loopback: allowed here explicitly,
		// refused by a validator's default policy.
		dc.AllowLoopbackEndpoints = true
		l := log.With("validator", j)
		d.spawn(ctx, fmt.Sprintf("validator %d", j), func(ctx context.Context) error {
			_, check := setupChecks(dc.Node, l)
			return validator.RunDaemon(ctx, dc, validator.DaemonHooks{Logger: l, OnReport: func(r *validator.Report) { onReport(j, r) },
				CheckSetup: check})
		})
	}
	return nil
}

// startMiners runs one miner daemon per miner with its behaviour, each
// listening on a free loopback port and following its own node.
func startMiners(ctx context.Context, d *daemons, o *Options, s *state, c *cluster, ms *Models, log *slog.Logger,
	onReady func(i int, addr string), onEpoch func(i int, r miner.EpochResult)) error {
	victim := -1
	for i, m := range s.Miners {
		if m.Behavior == Honest {
			victim = i
			break
		}
	}
	rt := requestTimeout(s.Arch)
	for i, m := range s.Miners {
		home := filepath.Join(o.Home, "miners", fmt.Sprintf("m%d", i))
		if err := keyring(home, minerHotkey(i)); err != nil {
			return err
		}
		mc := miner.DefaultConfig()
		// Its own node first, then every other (failover, as validators).
		mc.Home, mc.Subnet, mc.Listen, mc.Node, mc.ChainID = home, s.Subnet, "127.0.0.1:0", c.allNodes(i%len(c.homes)), ChainID
		mc.Hotkey, mc.KeysDir, mc.Fee = "hotkey", o.KeysDir, fee
		// One proof at a time per miner: the miners share the machine's
		// cores, and gnark spreads each proof over all of them.
		mc.Workers, mc.Queue = 1, 32
		mc.RequestTimeout, mc.ShutdownTimeout = miner.Duration(rt), miner.Duration(5*time.Second)
		mc.Refresh, mc.Poll = miner.Duration(time.Second), miner.Duration(time.Second)
		mc.RateLimit, mc.RateBurst = 1000, 1000
		mc.Model = ms.GoodPath
		if s.Batch != 0 { // serves /v2/infer; the epoch proof stays single
			mc.Batch, mc.KeysDir = s.Batch, batchKeysDir(o.Home)
		}
		switch m.Behavior {
		case Honest:
			mc.Behavior = fault.Honest
		case Weak:
			mc.Behavior, mc.Model = fault.Honest, ms.WeakPath
		case Lazy:
			mc.Behavior = fault.Lazy
		case Forger:
			mc.Behavior, mc.ForgeModel = fault.Forger, ms.WeakPath
		case Copycat:
			mc.Behavior = fault.Copycat
			mc.CopyHotkey = hex.EncodeToString(minerHotkey(victim).Public().(ed25519.PublicKey))
		case Offline:
			mc.Behavior = fault.Offline
		}
		l := log.With("miner", i, "behavior", string(m.Behavior))
		d.spawn(ctx, fmt.Sprintf("miner %d (%s)", i, m.Behavior), func(ctx context.Context) error {
			check, _ := setupChecks(mc.Node, l)
			return miner.RunDaemon(ctx, mc, miner.DaemonHooks{Logger: l, Hardware: cpuOnly, CheckSetup: check,
				OnReady: func(addr string) { onReady(i, addr) }, OnEpoch: func(r miner.EpochResult) { onEpoch(i, r) }})
		})
	}
	return nil
}

// cpuOnly is the miners' hardware summary: the devnet proves on the CPU
// (and skips probing NVML once per miner).
func cpuOnly() hw.Summary { return hw.Summary{CPUCores: runtime.NumCPU(), CPUOnly: true} }
