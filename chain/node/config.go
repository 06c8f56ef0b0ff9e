package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
)

// Duration is a time.Duration written as a string ("300ms") in JSON.
type Duration time.Duration

// MarshalText writes d like time.Duration.String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a time.ParseDuration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Config is the node's settings file, config/node.json. Anything not listed
// keeps CometBFT's default.
type Config struct {
	// Moniker is the node's name in the p2p network.
	Moniker string `json:"moniker"`
	// P2PListen is the p2p listen address, e.g. "tcp://127.0.0.1:26656".
	P2PListen string `json:"p2p_listen"`
	// RPCListen is the CometBFT RPC listen address, e.g. "tcp://127.0.0.1:26657".
	RPCListen string `json:"rpc_listen"`
	// PersistentPeers is a comma-separated list of id@host:port.
	PersistentPeers string `json:"persistent_peers"`
	// TimeoutCommit is how long a node waits after a commit before the next
	// height (the block interval, roughly).
	TimeoutCommit Duration `json:"timeout_commit"`
	// TimeoutPropose is how long to wait for a proposal.
	TimeoutPropose Duration `json:"timeout_propose"`
	// CreateEmptyBlocks makes blocks even without transactions.
	CreateEmptyBlocks bool `json:"create_empty_blocks"`
	// MempoolSize is the maximum number of transactions in the mempool.
	MempoolSize int `json:"mempool_size"`
	// LogLevel is CometBFT's log level: "none" (default), "error", "info" or
	// "debug".
	LogLevel string `json:"log_level"`
	// DisablePEX turns off peer exchange: the node dials only its persistent
	// peers and learns no other addresses (a fault proxy in front of every
	// link stays the only path between nodes).
	DisablePEX bool `json:"disable_pex,omitempty"`
}

// DefaultConfig is the configuration `veritensor init` writes.
func DefaultConfig() Config {
	return Config{
		Moniker:           "veritensor",
		P2PListen:         "tcp://127.0.0.1:26656",
		RPCListen:         "tcp://127.0.0.1:26657",
		TimeoutCommit:     Duration(time.Second),
		TimeoutPropose:    Duration(3 * time.Second),
		CreateEmptyBlocks: true,
		MempoolSize:       10000,
		LogLevel:          "none",
	}
}

// ConfigFile is the path of node.json under home.
func ConfigFile(home string) string { return filepath.Join(home, "config", "node.json") }

// WriteConfig writes c to home/config/node.json.
func WriteConfig(home string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		return err
	}
	return os.WriteFile(ConfigFile(home), append(b, '\n'), 0o600)
}

// LoadConfig reads home/config/node.json.
func LoadConfig(home string) (Config, error) {
	c := DefaultConfig()
	b, err := os.ReadFile(ConfigFile(home))
	if errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("%s: no node config (run veritensor init first): %w", home, err)
	} else if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", ConfigFile(home), err)
	}
	return c, nil
}

// cometConfig turns c into a CometBFT config rooted at home.
func cometConfig(home string, c Config) *cfg.Config {
	cc := cfg.DefaultConfig()
	cc.SetRoot(home)
	cc.Moniker = c.Moniker
	cc.P2P.ListenAddress = c.P2PListen
	cc.P2P.PersistentPeers = c.PersistentPeers
	cc.P2P.AddrBookStrict = false
	cc.P2P.AllowDuplicateIP = true
	cc.P2P.PexReactor = !c.DisablePEX
	cc.RPC.ListenAddress = c.RPCListen
	if c.TimeoutCommit > 0 {
		cc.Consensus.TimeoutCommit = time.Duration(c.TimeoutCommit)
	}
	if c.TimeoutPropose > 0 {
		cc.Consensus.TimeoutPropose = time.Duration(c.TimeoutPropose)
	}
	cc.Consensus.CreateEmptyBlocks = c.CreateEmptyBlocks
	if c.MempoolSize > 0 {
		cc.Mempool.Size = c.MempoolSize
		if cc.Mempool.CacheSize < 2*c.MempoolSize {
			cc.Mempool.CacheSize = 2 * c.MempoolSize
		}
	}
	return cc
}
