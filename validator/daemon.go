package validator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
)

// DaemonHooks are optional callbacks of RunDaemon.
type DaemonHooks struct {
	// Logger gets the engine's log lines (discarded when nil).
	Logger *slog.Logger
	// OnReport is called with each tempo's report.
	OnReport func(*Report)
	// OnMetrics is called with the metrics address once it listens.
	OnMetrics func(addr string)
	// CheckSetup verifies the subnet's setup ceremony before any scoring
	// (nil: no check; see SetupCheck).
	CheckSetup SetupCheck
}

// RunDaemon runs a validator until ctx ends: it reads the hotkey from the
// keyring, loads the dataset, asks the node for its chain ID (retrying with
// backoff while the node is unreachable), serves /metrics, and follows the
// chain with Validator.Run. It returns nil when ctx ends.
func RunDaemon(ctx context.Context, dc DaemonConfig, hooks DaemonHooks) error {
	if err := dc.Validate(); err != nil {
		return err
	}
	log := hooks.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k, err := keys.Open(dc.Home).Get(dc.Hotkey)
	if err != nil {
		return fmt.Errorf("validator: hotkey %q: %w", dc.Hotkey, err)
	}
	data, err := task.LoadHeldOut(dc.Dataset, dc.DatasetDir)
	if err != nil {
		return fmt.Errorf("validator: dataset %s: %w", dc.Dataset, err)
	}
	cc, err := NewChainClient(dc.Node, dc.Subnet, k.Private, ChainOptions{Fee: dc.Fee, TxTimeout: time.Duration(dc.TxTimeout)})
	if err != nil {
		return err
	}
	chainID, err := cc.WaitChainID(ctx, func(err error, in time.Duration) {
		log.Warn("node unreachable; retrying", "node", dc.Node, "err", err, "in", in)
	})
	if err != nil {
		return nil // ctx ended
	}
	var hk [32]byte
	copy(hk[:], k.Public())
	snap, err := WaitReady(ctx, cc, dc.Subnet, hk, data, time.Duration(dc.RegistrationWait), time.Duration(dc.Poll), log)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if err := cc.CheckTask(ctx, dc.Dataset, log); err != nil {
		return err
	}
	if err := checkSetup(ctx, hooks.CheckSetup, cc, dc.Subnet); err != nil {
		return err
	}
	cfg := dc.engineConfig()
	if dc.Batch && snap.Subnet.Scheme != zk.SchemeHash {
		log.Warn("batch: batch proofs exist for hash-scheme subnets only; this subnet's challenges go one by one to /v1/infer",
			"subnet", dc.Subnet, "scheme", snap.Subnet.Scheme)
	} else if dc.Batch {
		if cfg.BatchVerifiers, err = loadBatchVerifier(snap, dc); err != nil {
			return err
		}
	}
	cfg.ChainID, cfg.Hotkey, cfg.Chain, cfg.Submitter, cfg.Dataset = chainID, k.Private, cc, cc, data
	cfg.Logger, cfg.OnReport = log, hooks.OnReport
	v, err := New(cfg)
	if err != nil {
		return err
	}
	if dc.MetricsListen != "" {
		l, err := net.Listen("tcp", dc.MetricsListen)
		if err != nil {
			return fmt.Errorf("validator: metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", v.MetricsHandler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "err", err)
			}
		}()
		defer srv.Close()
		if hooks.OnMetrics != nil {
			hooks.OnMetrics(l.Addr().String())
		}
	}
	log.Info("validator running", "chain", chainID, "subnet", dc.Subnet, "hotkey", k.Address(), "node", dc.Node)
	return v.Run(ctx)
}
