package validator

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/conf"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
)

// Duration is a time.Duration written as Go duration text ("20s") in
// config files and flags (JSON also takes whole seconds).
type Duration = conf.Duration

// DaemonConfig is the configuration of `veritensor validator run`. Its JSON
// keys are the names of the command's flags: values come from
// DefaultDaemonConfig, then the file (LoadDaemonConfig), then the flags
// given (Set).
type DaemonConfig struct {
	// Home holds the keyring (<home>/keys), the state file with the salts
	// of unrevealed commits, and the last report.
	Home string `json:"home"`
	// Subnet is the subnet to validate.
	Subnet uint16 `json:"subnet"`
	// Node is the CometBFT RPC address of a node; several, comma-separated,
	// fail over to the next when one is unreachable (chain/client).
	Node string `json:"node"`
	// Hotkey is the name of the validator's hotkey in the keyring.
	Hotkey string `json:"hotkey"`
	// Dataset is the held-out labelled data: "mnist" (the 10,000 MNIST
	// test images, 784 inputs) or "mnist-7x7" (the same, 4x4-average-pooled
	// to 49 inputs, for small test subnets). DatasetDir holds the MNIST
	// files ("": $VERITENSOR_MNIST_DIR, then where `veritensor data fetch`
	// installs them, see mnist.Locate).
	Dataset    string `json:"dataset"`
	DatasetDir string `json:"dataset-dir"`
	// MetricsListen is the host:port of the Prometheus /metrics endpoint
	// ("" serves none).
	MetricsListen string `json:"metrics-listen"`
	// Fee of each weight transaction, base units.
	Fee uint64 `json:"fee"`
	// TxTimeout bounds the wait for a weight transaction's block.
	TxTimeout Duration `json:"tx-timeout"`
	// Graded and Decoys are the challenges per miner per tempo.
	Graded int `json:"graded"`
	Decoys int `json:"decoys"`
	// RequestTimeout bounds one challenge; LatencyTarget is the latency
	// that still scores full marks.
	RequestTimeout Duration `json:"request-timeout"`
	LatencyTarget  Duration `json:"latency-target"`
	// MinerTimeout bounds one miner's challenges in a tempo (0: graded +
	// decoys times latency-target, plus one request-timeout).
	MinerTimeout Duration `json:"miner-timeout"`
	// Concurrency is how many miners are challenged at once.
	Concurrency int `json:"concurrency"`
	// AllowLoopbackEndpoints and AllowPrivateEndpoints let the validator
	// dial miner endpoints on loopback (a devnet on one machine) and on
	// private or link-local ranges (a private network). Off by default: a
	// miner's endpoint is whatever it published, and the validator must not
	// be pointed at its own network (cloud metadata stays refused).
	AllowLoopbackEndpoints bool `json:"allow-loopback-endpoints"`
	AllowPrivateEndpoints  bool `json:"allow-private-endpoints"`
	// RegistrationWait bounds the wait at start-up for the hotkey's
	// registration to reach the node (a register sent through another node
	// may not have been executed here yet).
	RegistrationWait Duration `json:"registration-wait"`
	// Poll is how often the head is read while the websocket is down.
	Poll Duration `json:"poll"`
	// Batch sends each miner its graded+decoys challenges of a tempo in one
	// POST /v2/infer batch, verified with the batch circuit's verifying key
	// for graded+decoys inputs from KeysDir (put there by `veritensor
	// ceremony verify --batch K --store` from the batch circuit's ceremony).
	Batch bool `json:"batch"`
	// KeysDir is the key cache holding the batch keys ("" is the
	// machine-wide default, as the miner's).
	KeysDir string `json:"keys-dir"`
}

// DaemonConfigKeys are the keys of DaemonConfig, as flags and in files:
// its `json` tags, in field order.
var DaemonConfigKeys = conf.Keys(&DaemonConfig{})

// DefaultDaemonConfig is the configuration before any file or flag, and
// the one place the challenge settings' defaults are written (the engine's
// Config takes them for its zero fields): home
// ~/.veritensor, node tcp://127.0.0.1:26657, hotkey "hotkey", dataset
// mnist, metrics on 127.0.0.1:9101, the chain's default minimum fee, 60 s
// per transaction, 8 graded challenges and 2 decoys per miner, 20 s per
// request with a 2 s latency target, 64 miners at once, polling every 2 s,
// public miner endpoints only, waiting up to 2 minutes for the hotkey's
// registration at start-up.
func DefaultDaemonConfig() DaemonConfig {
	home := ".veritensor"
	if h, err := os.UserHomeDir(); err == nil {
		home = filepath.Join(h, ".veritensor")
	}
	return DaemonConfig{Home: home, Node: "tcp://127.0.0.1:26657", Hotkey: "hotkey", Dataset: "mnist",
		MetricsListen: "127.0.0.1:9101", Fee: chain.DefaultParams().MinFee, TxTimeout: Duration(time.Minute),
		Graded: 8, Decoys: 2, RequestTimeout: Duration(20 * time.Second), LatencyTarget: Duration(2 * time.Second),
		Concurrency: 64, Poll: Duration(2 * time.Second), RegistrationWait: Duration(2 * time.Minute)}
}

// LoadDaemonConfig reads path over DefaultDaemonConfig: one JSON object
// or "key = value" lines, as the miner's config (conf.Load); unknown keys
// are errors, and errors name the file, line and column.
func LoadDaemonConfig(path string) (DaemonConfig, error) {
	c := DefaultDaemonConfig()
	if err := conf.Load(path, &c); err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// Set sets one key from its text form; the command calls it for each flag
// given on the command line, so flags override the file.
func (c *DaemonConfig) Set(key, value string) error {
	if err := conf.Set(c, key, value); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// Validate names the first key that cannot run a validator. The
// challenge settings are checked by the engine's own rule
// (checkChallenges), so the command and the engine agree.
func (c DaemonConfig) Validate() error {
	bad := func(key, why string) error { return fmt.Errorf("%w: %s: %s", ErrConfig, key, why) }
	switch {
	case c.Home == "":
		return bad("home", "required")
	case c.Node == "":
		return bad("node", "required")
	case c.Hotkey == "":
		return bad("hotkey", "required: the name of the validator's hotkey in <home>/keys")
	case !task.Known(c.Dataset):
		return bad("dataset", fmt.Sprintf("%q: want a task: %s", c.Dataset, strings.Join(task.Builtins(), ", ")))
	case c.TxTimeout <= 0:
		return bad("tx-timeout", "must be positive")
	case c.RegistrationWait < 0:
		return bad("registration-wait", "must not be negative")
	case c.Batch && !slices.Contains(zk.BatchSizes, c.Graded+c.Decoys):
		return bad("batch", fmt.Sprintf("graded+decoys is %d; a batch has one of %v inputs", c.Graded+c.Decoys, zk.BatchSizes))
	}
	if err := c.engineConfig().checkChallenges(); err != nil {
		return err
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			return bad("metrics-listen", err.Error())
		}
	}
	return nil
}

// engineConfig is the part of the engine's Config that comes from the
// command's: the challenge settings and the endpoint policy. RunDaemon adds
// the chain, the hotkey, the dataset and the hooks.
func (c DaemonConfig) engineConfig() Config {
	return Config{Subnet: c.Subnet, Home: c.Home, Graded: c.Graded, Decoys: c.Decoys,
		RequestTimeout: time.Duration(c.RequestTimeout), LatencyTarget: time.Duration(c.LatencyTarget),
		MinerTimeout: time.Duration(c.MinerTimeout), Concurrency: c.Concurrency, Poll: time.Duration(c.Poll),
		Endpoints: EndpointPolicy{AllowLoopback: c.AllowLoopbackEndpoints, AllowPrivate: c.AllowPrivateEndpoints}}
}
