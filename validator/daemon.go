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
	"github.com/veritensor/veritensor/internal/mnist"
)

// LoadDataset loads a named held-out dataset (DaemonConfig.Dataset) from
// dir ("" finds the MNIST files in the module cache).
func LoadDataset(name, dir string) (*Samples, error) {
	set, err := mnist.LoadTest(dir)
	if err != nil {
		return nil, fmt.Errorf("validator: dataset %s: %w", name, err)
	}
	switch name {
	case "mnist":
		return MNISTDataset(set)
	case "mnist-7x7":
		for i, img := range set.Images {
			set.Images[i] = Pool4x4(img)
		}
		return MNISTDataset(set)
	}
	return nil, fmt.Errorf("%w: unknown dataset %q (want mnist or mnist-7x7)", ErrConfig, name)
}

// Pool4x4 averages the 4x4 blocks of a 28x28 image (784 bytes, row-major)
// into a 7x7 image (floor of the mean).
func Pool4x4(img []byte) []byte {
	out := make([]byte, 49)
	for r := range 7 {
		for c := range 7 {
			s := 0
			for dr := range 4 {
				for dc := range 4 {
					s += int(img[(4*r+dr)*28+4*c+dc])
				}
			}
			out[r*7+c] = byte(s / 16)
		}
	}
	return out
}

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
	data, err := LoadDataset(dc.Dataset, dc.DatasetDir)
	if err != nil {
		return err
	}
	cc, err := NewChainClient(dc.Node, dc.Subnet, k.Private, ChainOptions{Fee: dc.Fee, TxTimeout: time.Duration(dc.TxTimeout)})
	if err != nil {
		return err
	}
	var chainID string
	for back := time.Second; ; back = min(2*back, 30*time.Second) {
		if chainID, err = cc.ChainID(ctx); err == nil {
			break
		}
		log.Warn("node unreachable; retrying", "node", dc.Node, "err", err, "in", back)
		if sleep(ctx, back) != nil {
			return nil
		}
	}
	if err := checkSetup(ctx, hooks.CheckSetup, cc, dc.Subnet); err != nil {
		return err
	}
	v, err := New(Config{ChainID: chainID, Subnet: dc.Subnet, Hotkey: k.Private, Home: dc.Home, Chain: cc, Submitter: cc,
		Dataset: data, Graded: dc.Graded, Decoys: dc.Decoys, RequestTimeout: time.Duration(dc.RequestTimeout),
		LatencyTarget: time.Duration(dc.LatencyTarget), Concurrency: dc.Concurrency, Poll: time.Duration(dc.Poll),
		Logger: log, OnReport: hooks.OnReport})
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
