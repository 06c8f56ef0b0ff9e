package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"
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
	// P2PLoopback relaxes CometBFT's p2p checks for networks whose nodes share
	// one host (testnet, devnet): AddrBookStrict=false, AllowDuplicateIP=true.
	// Off (the default) keeps the safe settings for real hosts.
	P2PLoopback bool `json:"p2p_loopback,omitempty"`
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
	// SnapshotInterval takes a state-sync snapshot every this many blocks
	// (0: none; the node can still restore from others' snapshots).
	SnapshotInterval int64 `json:"snapshot_interval"`
	// SnapshotKeep is how many recent snapshots are kept (default 2).
	SnapshotKeep int `json:"snapshot_keep,omitempty"`
	// Prometheus serves CometBFT's and the app's metrics (veritensor_chain_*)
	// on PrometheusListen (default ":26660") under /metrics.
	Prometheus       bool   `json:"prometheus"`
	PrometheusListen string `json:"prometheus_listen,omitempty"`
	// DisablePEX turns off peer exchange: the node dials only its persistent
	// peers and learns no other addresses (a fault proxy in front of every
	// link stays the only path between nodes).
	DisablePEX bool `json:"disable_pex,omitempty"`
	// StateSync, when enabled, makes a new node restore a recent snapshot
	// from its peers instead of replaying every block.
	StateSync *StateSyncConfig `json:"state_sync,omitempty"`
}

// StateSyncConfig is CometBFT's [statesync] section: the light client that
// verifies the snapshot's app hash needs two RPC servers and a trusted
// height and header hash.
type StateSyncConfig struct {
	Enable bool `json:"enable"`
	// RPCServers are at least two RPC addresses (host:port) of nodes of the
	// network.
	RPCServers []string `json:"rpc_servers"`
	// TrustHeight and TrustHash: a header the operator trusts.
	TrustHeight int64  `json:"trust_height"`
	TrustHash   string `json:"trust_hash"`
	// TrustPeriod (default 168h).
	TrustPeriod Duration `json:"trust_period,omitempty"`
	// DiscoveryTime is how long to look for snapshots (default 15s, at least 5s).
	DiscoveryTime Duration `json:"discovery_time,omitempty"`
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
		SnapshotInterval:  1000,
		SnapshotKeep:      2,
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

// CometConfigFile is CometBFT's own config.toml under home. When it exists it
// is authoritative for every CometBFT setting (node.json then only carries the
// app's settings: snapshots, and the listen addresses are read back from it).
func CometConfigFile(home string) string { return filepath.Join(home, "config", "config.toml") }

// WriteCometConfig writes CometBFT's commented config.toml for c under home
// (CometBFT's own template: p2p seeds and persistent peers, external address,
// Prometheus, state sync, ...).
func WriteCometConfig(home string, c Config, edit func(*cfg.Config)) error {
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		return err
	}
	cc := baseCometConfig(home, c)
	if edit != nil {
		edit(cc)
	}
	if err := cc.ValidateBasic(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cfg.WriteConfigFile(CometConfigFile(home), cc)
	return nil
}

// cometConfig is the CometBFT config of home: config.toml when present (and
// c's CometBFT fields are updated from it), else built from node.json.
func cometConfig(home string, c *Config) (*cfg.Config, error) {
	path := CometConfigFile(home)
	if _, err := os.Stat(path); err != nil {
		return baseCometConfig(home, *c), nil
	}
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cc := cfg.DefaultConfig()
	if err := v.Unmarshal(cc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cc.SetRoot(home)
	c.Moniker, c.P2PListen, c.RPCListen = cc.Moniker, cc.P2P.ListenAddress, cc.RPC.ListenAddress
	c.PersistentPeers, c.Prometheus = cc.P2P.PersistentPeers, cc.Instrumentation.Prometheus
	c.PrometheusListen = cc.Instrumentation.PrometheusListenAddr
	return cc, nil
}

// baseCometConfig turns node.json's c into a CometBFT config rooted at home.
func baseCometConfig(home string, c Config) *cfg.Config {
	cc := cfg.DefaultConfig()
	cc.SetRoot(home)
	cc.Moniker = c.Moniker
	cc.P2P.ListenAddress = c.P2PListen
	cc.P2P.PersistentPeers = c.PersistentPeers
	cc.P2P.AddrBookStrict = !c.P2PLoopback
	cc.P2P.AllowDuplicateIP = c.P2PLoopback
	cc.P2P.PexReactor = !c.DisablePEX
	cc.RPC.ListenAddress = c.RPCListen
	if c.TimeoutCommit > 0 {
		cc.Consensus.TimeoutCommit = time.Duration(c.TimeoutCommit)
	}
	if c.TimeoutPropose > 0 {
		cc.Consensus.TimeoutPropose = time.Duration(c.TimeoutPropose)
	}
	cc.Consensus.CreateEmptyBlocks = c.CreateEmptyBlocks
	cc.Instrumentation.Prometheus = c.Prometheus
	if c.PrometheusListen != "" {
		cc.Instrumentation.PrometheusListenAddr = c.PrometheusListen
	}
	if ss := c.StateSync; ss != nil && ss.Enable {
		cc.StateSync.Enable = true
		cc.StateSync.RPCServers = ss.RPCServers
		cc.StateSync.TrustHeight = ss.TrustHeight
		cc.StateSync.TrustHash = ss.TrustHash
		if ss.TrustPeriod > 0 {
			cc.StateSync.TrustPeriod = time.Duration(ss.TrustPeriod)
		}
		if ss.DiscoveryTime > 0 {
			cc.StateSync.DiscoveryTime = time.Duration(ss.DiscoveryTime)
		}
	}
	if c.MempoolSize > 0 {
		cc.Mempool.Size = c.MempoolSize
		if cc.Mempool.CacheSize < 2*c.MempoolSize {
			cc.Mempool.CacheSize = 2 * c.MempoolSize
		}
	}
	return cc
}
