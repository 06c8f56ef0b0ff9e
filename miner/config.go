package miner

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/conf"
	"github.com/veritensor/veritensor/miner/fault"
	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/zk"
)

// ErrConfig reports an unusable miner configuration.
var ErrConfig = errors.New("bad miner config")

// Duration is a time.Duration written as Go duration text ("30s", "1m")
// in config files and flags (JSON also takes whole seconds).
type Duration = conf.Duration

// Config is the miner daemon's configuration. Its keys are the names of the
// `veritensor miner` flags, in a config file as well: values come from
// DefaultConfig, then the file (LoadConfig), then the flags given (Set).
type Config struct {
	// Home is the miner's directory: keys, cached proving keys.
	Home string `json:"home"`
	// Subnet is the subnet ID to mine on.
	Subnet uint16 `json:"subnet"`
	// Model is the path of the quantized model file.
	Model string `json:"model"`
	// Listen is the HTTP server's address, host:port.
	Listen string `json:"listen"`
	// Node is the chain node's RPC URL; several, comma-separated, fail over
	// to the next when one is unreachable (chain/client).
	Node string `json:"node"`
	// ChainID is the chain to serve on ("" means: ask the node).
	ChainID string `json:"chain-id"`
	// Workers is the number of proofs computed at once (>= 1).
	Workers int `json:"workers"`
	// Queue is how many requests may wait for a worker (>= 1).
	Queue int `json:"queue"`
	// RequestTimeout bounds queue wait plus proving per request.
	RequestTimeout Duration `json:"request-timeout"`
	// ShutdownTimeout bounds the wait for in-flight proofs at shutdown.
	ShutdownTimeout Duration `json:"shutdown-timeout"`
	// ClockSkew is the accepted |request timestamp - now| (>= 1 s).
	ClockSkew Duration `json:"clock-skew"`
	// MaxBody is the largest accepted request body in bytes.
	MaxBody int64 `json:"max-body"`
	// RateLimit (requests/s) and RateBurst limit each validator.
	RateLimit float64 `json:"rate-limit"`
	RateBurst int     `json:"rate-burst"`

	// Hotkey is the name of the miner's hotkey in <home>/keys: registered
	// on the subnet, it signs serve and submit-proof and pays their fees.
	Hotkey string `json:"hotkey"`
	// KeysDir is the proving-key cache ("" is the machine-wide default,
	// $VERITENSOR_KEYS_DIR or ~/.cache/veritensor/keys).
	KeysDir string `json:"keys-dir"`
	// Batch is the batch size served on POST /v2/infer (1, 4 or 16; 0
	// serves no batches): the batch circuit's proving key for it must be in
	// KeysDir (`veritensor ceremony verify --arch A --batch K --store`).
	// Hash-scheme subnets only: the daemon refuses it at start-up on a
	// commit-scheme subnet (batch proofs bind the Poseidon2 commitment).
	Batch int `json:"batch"`
	// Advertise is the endpoint URL published on chain with serve ("" is
	// http://<bound listen address>, with 127.0.0.1 for an unspecified
	// host: set it when validators reach you through another address).
	Advertise string `json:"advertise"`
	// Fee of each serve and submit-proof transaction, base units.
	Fee uint64 `json:"fee"`
	// TxTimeout bounds the wait for one transaction's block.
	TxTimeout Duration `json:"tx-timeout"`
	// Refresh is how often the metagraph is read: validator permits for
	// access control, and the on-chain endpoint and commitment (re-served
	// when they differ from ours).
	Refresh Duration `json:"refresh"`
	// Poll is how often the current epoch is read.
	Poll Duration `json:"poll"`
	// RegistrationWait bounds the wait at start-up for the subnet and the
	// hotkey's registration to reach the node (a register sent through
	// another node may not have been executed by this one yet).
	RegistrationWait Duration `json:"registration-wait"`

	// GPU proves on the GPU (gnark's ICICLE backend, CUDA device 0). It
	// needs a binary built with `make build-gpu` (the icicle build tag);
	// any other binary refuses the setting, and so does the daemon on a
	// commit-scheme subnet (the commit circuit proves on the CPU only).
	GPU bool `json:"gpu"`

	// Behavior is fault injection for tests and demos, never for
	// production: "honest" (the default), "lazy", "forger", "copycat" or
	// "offline" (see package fault).
	Behavior fault.Behavior `json:"behavior"`
	// ForgeModel is the model a forger proves with (behavior "forger").
	ForgeModel string `json:"forge-model"`
	// CopyHotkey is the victim's hotkey, 64 hex digits of its ed25519
	// public key, to whom a copycat binds its proofs (behavior "copycat").
	CopyHotkey string `json:"copy-hotkey"`
}

// ConfigKeys are the keys of Config, as flags and in files: its `json`
// tags, in field order.
var ConfigKeys = conf.Keys(&Config{})

// DefaultConfig is the configuration before any file or flag (the HTTP
// server's limits come from server.Defaults, so the daemon and a bare
// server agree): home
// ~/.veritensor, listen :8091, node http://127.0.0.1:26657, one proving
// worker per CPU, a queue of four per worker, 30 s per request, 60 s to shut down,
// 60 s clock skew, 64 KiB bodies, 0.5 requests/s (burst 20) per validator,
// hotkey "hotkey", the chain's default minimum fee, 60 s per transaction,
// the metagraph read every 3 s and the epoch every 2 s, up to 2 minutes'
// wait for the registration at start-up, behavior honest.
func DefaultConfig() Config {
	home := ".veritensor"
	if h, err := os.UserHomeDir(); err == nil {
		home = filepath.Join(h, ".veritensor")
	}
	sd := server.Defaults() // the server's limits, written once
	return Config{
		Home: home, Listen: ":8091", Node: "http://127.0.0.1:26657",
		Workers: sd.Workers, Queue: sd.QueueCap,
		RequestTimeout: Duration(sd.RequestTimeout), ShutdownTimeout: Duration(60 * time.Second),
		ClockSkew: Duration(sd.Skew), MaxBody: sd.MaxBody, RateLimit: sd.CallerRate, RateBurst: sd.CallerBurst,
		Hotkey: "hotkey", Fee: chain.DefaultParams().MinFee, TxTimeout: Duration(time.Minute),
		Refresh: Duration(3 * time.Second), Poll: Duration(2 * time.Second), Behavior: fault.Honest,
		RegistrationWait: Duration(2 * time.Minute),
	}
}

// LoadConfig reads path over DefaultConfig. The file is either one JSON
// object or "key = value" lines (a TOML subset: '#' comments, values
// optionally double-quoted); unknown keys are errors (see conf.Load).
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := conf.Load(path, &c); err != nil {
		return c, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// Set sets one key from its text form; the daemon calls it for each flag
// given on the command line, so flags override the file.
func (c *Config) Set(key, value string) error {
	if err := conf.Set(c, key, value); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// Validate checks that the configuration can run a miner, naming the
// first bad key.
func (c Config) Validate() error {
	bad := func(key, why string) error { return fmt.Errorf("%w: %s: %s", ErrConfig, key, why) }
	switch {
	case c.Home == "":
		return bad("home", "required")
	case c.Model == "":
		return bad("model", "required: the quantized model file to serve")
	case c.Workers < 1:
		return bad("workers", "must be at least 1")
	case c.Queue < 1:
		return bad("queue", "must be at least 1")
	case c.RequestTimeout <= 0:
		return bad("request-timeout", "must be positive")
	case c.ShutdownTimeout <= 0:
		return bad("shutdown-timeout", "must be positive")
	case time.Duration(c.ClockSkew) < time.Second:
		return bad("clock-skew", "must be at least 1s")
	case c.MaxBody < 1024:
		return bad("max-body", "must be at least 1024 bytes")
	case c.RateLimit <= 0 || c.RateBurst < 1:
		return bad("rate-limit", "rate-limit must be positive and rate-burst at least 1")
	case c.Hotkey == "":
		return bad("hotkey", "required: the name of the miner's hotkey in <home>/keys")
	case c.Batch != 0 && !slices.Contains(zk.BatchSizes, c.Batch):
		return bad("batch", fmt.Sprintf("%d: want 0 (no batches) or one of %v", c.Batch, zk.BatchSizes))
	case c.TxTimeout <= 0 || c.Refresh <= 0 || c.Poll <= 0:
		return bad("tx-timeout", "tx-timeout, refresh and poll must be positive")
	}
	if c.GPU && !zk.GPUBuild {
		return bad("gpu", "this binary was built without GPU support (the icicle build tag): build it with `make build-gpu` on a machine with CUDA and the ICICLE libraries, or drop gpu")
	}
	if _, err := c.Fault(); err != nil {
		return err
	}
	if c.Advertise != "" {
		if u, err := url.Parse(c.Advertise); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("advertise", "want a URL like http://203.0.113.7:8091")
		}
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", err.Error())
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return bad("listen", "port must be 0..65535")
	}
	nodes := strings.Split(c.Node, ",") // several fail over (chain/client)
	for _, n := range nodes {
		u, err := url.Parse(strings.TrimSpace(n))
		if err != nil {
			return bad("node", err.Error())
		}
		if (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tcp") || u.Host == "" {
			return bad("node", "want a URL like http://127.0.0.1:26657 (or several, comma-separated)")
		}
	}
	return nil
}

// Fault is the fault the configuration injects (keys behavior,
// forge-model and copy-hotkey; see package fault), nil for an honest
// miner.
func (c Config) Fault() (fault.Fault, error) {
	f, err := fault.New(c.Behavior, c.ForgeModel, c.CopyHotkey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return f, nil
}

// ServerConfig is the part of server.Config that comes from this
// configuration; the daemon adds the chain ID, hotkey, prover, permits and
// model commitment.
func (c Config) ServerConfig() server.Config {
	return server.Config{
		Subnet: c.Subnet, ChainID: c.ChainID, Workers: c.Workers, QueueCap: c.Queue,
		RequestTimeout: time.Duration(c.RequestTimeout), Skew: time.Duration(c.ClockSkew), MaxBody: c.MaxBody,
		CallerRate: c.RateLimit, CallerBurst: c.RateBurst,
	}
}
