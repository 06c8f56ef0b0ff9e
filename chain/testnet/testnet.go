// Package testnet writes and runs local CometBFT networks on loopback: N
// validator homes with one genesis and persistent peers on distinct ports,
// started in this process, stopped and restarted one by one, with helpers to
// wait for heights and compare app hashes. `veritensor testnet`, the chain's
// integration tests, and the protocol, miner, validator and devnet tests all
// build on it.
package testnet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/chain/node"
)

// Options describe a network.
type Options struct {
	// Validators is the number of validator nodes (default 4).
	Validators int
	// ChainID (default "veritensor-testnet").
	ChainID string
	// Params are the chain parameters (default chain.DefaultParams()).
	Params *chain.Params
	// Accounts are extra funded accounts in the genesis.
	Accounts []chain.GenesisAccount
	// ValidatorBalance funds one account key per validator home, stored in
	// its keyring as "validator" (default 1e15 base units).
	ValidatorBalance uint64
	// BasePort, if non-zero, gives node i p2p port BasePort+10i and RPC port
	// BasePort+10i+1; zero picks free loopback ports.
	BasePort int
	// Config is the template node.json; its addresses and peers are replaced.
	// Zero fields get test-friendly defaults (200 ms blocks).
	Config node.Config
	// GenesisTime (default: now). Only the genesis file reads it.
	GenesisTime time.Time
	// ValidatorAuthority makes validator 0's account key the genesis
	// validator authority (it may add and remove validators).
	ValidatorAuthority bool
}

// Network is a set of homes and, when started, their nodes.
type Network struct {
	// Dir holds node0 ... node<N-1>.
	Dir string
	// ChainID of the network.
	ChainID string
	// Homes are the validator homes, in order.
	Homes []string
	// Keys are the funded "validator" account keys, one per home.
	Keys []keys.Key
	// Genesis is the shared app genesis.
	Genesis *chain.Genesis
	// NodeOptions are used by Start (hooks, custom app, log writer).
	NodeOptions node.Options

	nodes []*node.Node
}

func (o *Options) defaults() {
	if o.Validators <= 0 {
		o.Validators = 4
	}
	if o.ChainID == "" {
		o.ChainID = "veritensor-testnet"
	}
	if o.ValidatorBalance == 0 {
		o.ValidatorBalance = 1_000_000_000_000_000
	}
	if o.GenesisTime.IsZero() {
		o.GenesisTime = time.Now().UTC()
	}
	d := node.DefaultConfig()
	if o.Config.TimeoutCommit == 0 {
		o.Config.TimeoutCommit = node.Duration(200 * time.Millisecond)
		o.Config.CreateEmptyBlocks = true
	}
	if o.Config.TimeoutPropose == 0 {
		o.Config.TimeoutPropose = d.TimeoutPropose
	}
	if o.Config.MempoolSize == 0 {
		o.Config.MempoolSize = d.MempoolSize
	}
	if o.Config.LogLevel == "" {
		o.Config.LogLevel = "none"
	}
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// Generate writes the homes of a new network under dir (which must not hold
// one already) and returns it, not started.
func Generate(dir string, opts Options) (*Network, error) {
	opts.defaults()
	var ports []int
	if opts.BasePort == 0 {
		var err error
		if ports, err = FreePorts(2 * opts.Validators); err != nil {
			return nil, err
		}
	} else {
		for i := 0; i < opts.Validators; i++ {
			ports = append(ports, opts.BasePort+10*i, opts.BasePort+10*i+1)
		}
	}
	net := &Network{Dir: dir, ChainID: opts.ChainID}
	var vals []cmttypes.GenesisValidator
	var peers []string
	g := chain.DefaultGenesis()
	if opts.Params != nil {
		g.Params = *opts.Params
	}
	g.Accounts = append(g.Accounts, opts.Accounts...)
	for i := 0; i < opts.Validators; i++ {
		home := filepath.Join(dir, fmt.Sprintf("node%d", i))
		if _, err := os.Stat(node.GenesisFile(home)); err == nil {
			return nil, fmt.Errorf("%s already holds a node", home)
		}
		moniker := fmt.Sprintf("node%d", i)
		id, err := node.GenerateKeys(home, moniker, 10)
		if err != nil {
			return nil, err
		}
		vals = append(vals, id.Validator)
		peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", id.NodeID, ports[2*i]))
		k, err := keys.Open(home).Get("validator")
		if err != nil {
			if k, err = keys.Open(home).Import("validator", deterministicKey(opts.ChainID, i)); err != nil {
				return nil, err
			}
		}
		net.Homes = append(net.Homes, home)
		net.Keys = append(net.Keys, k)
		g.Accounts = append(g.Accounts, chain.GenesisAccount{Address: k.Address(), Balance: opts.ValidatorBalance})
	}
	if opts.ValidatorAuthority {
		a := net.Keys[0].Address()
		g.ValidatorAuthority = &a
	}
	doc, err := node.NewGenesisDoc(opts.ChainID, opts.GenesisTime, vals, g)
	if err != nil {
		return nil, err
	}
	for i, home := range net.Homes {
		if err := node.WriteGenesis(home, doc); err != nil {
			return nil, err
		}
		c := opts.Config
		c.Moniker = fmt.Sprintf("node%d", i)
		c.P2PListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[2*i])
		c.RPCListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[2*i+1])
		var others []string
		for j, p := range peers {
			if j != i {
				others = append(others, p)
			}
		}
		c.PersistentPeers = strings.Join(others, ",")
		c.P2PLoopback = true // every node on 127.0.0.1
		if err := node.WriteConfig(home, c); err != nil {
			return nil, err
		}
	}
	net.Genesis = g
	net.nodes = make([]*node.Node, len(net.Homes))
	return net, nil
}

// deterministicKey derives validator i's account key from the chain ID, so a
// regenerated testnet funds the same addresses. Test networks only.
func deterministicKey(chainID string, i int) ed25519.PrivateKey {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	seed := sha256.Sum256(append([]byte("veritensor/testnet/"+chainID+"/"), b[:]...))
	return ed25519.NewKeyFromSeed(seed[:])
}

// DeterministicKey returns the i-th deterministic test key for chainID (for
// tests that need funded accounts beyond the validators').
func DeterministicKey(chainID string, i int) ed25519.PrivateKey {
	return deterministicKey(chainID+"/extra", i)
}

// Len is the number of validators.
func (n *Network) Len() int { return len(n.Homes) }

// Node returns node i, or nil when it is stopped.
func (n *Network) Node(i int) *node.Node { return n.nodes[i] }

// Start starts node i from its home (a restart after Stop).
func (n *Network) Start(i int) error {
	if n.nodes[i] != nil {
		return fmt.Errorf("node %d already running", i)
	}
	nd, err := node.New(n.Homes[i], n.NodeOptions)
	if err != nil {
		return err
	}
	if err := nd.Start(); err != nil {
		nd.Stop()
		return err
	}
	n.nodes[i] = nd
	return nil
}

// StartAll starts every stopped node.
func (n *Network) StartAll() error {
	for i := range n.Homes {
		if n.nodes[i] != nil {
			continue
		}
		if err := n.Start(i); err != nil {
			n.StopAll()
			return fmt.Errorf("start node %d: %w", i, err)
		}
	}
	return nil
}

// Stop stops node i (its home keeps everything for a restart).
func (n *Network) Stop(i int) error {
	nd := n.nodes[i]
	if nd == nil {
		return nil
	}
	n.nodes[i] = nil
	return nd.Stop()
}

// StopAll stops every running node.
func (n *Network) StopAll() {
	for i := range n.nodes {
		_ = n.Stop(i)
	}
}

// RPCAddress is node i's RPC address (whether or not it runs).
func (n *Network) RPCAddress(i int) string {
	c, err := node.LoadConfig(n.Homes[i])
	if err != nil {
		return ""
	}
	return c.RPCListen
}

// Client returns an RPC client for node i.
func (n *Network) Client(i int) (*client.Client, error) { return client.New(n.RPCAddress(i)) }

// WaitHeight waits until every running node reached height h.
func (n *Network) WaitHeight(ctx context.Context, h int64) error {
	for _, nd := range n.nodes {
		if nd == nil {
			continue
		}
		if err := nd.WaitHeight(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// Settle waits until every running node has committed the highest height any
// of them has reached, so that what one node reports (a tx a daemon saw land
// through its own node) is visible through every node.
func (n *Network) Settle(ctx context.Context) error {
	var top int64
	for _, nd := range n.nodes {
		if nd != nil && nd.Height() > top {
			top = nd.Height()
		}
	}
	return n.WaitHeight(ctx, top)
}

// MinHeight is the lowest block height among running nodes.
func (n *Network) MinHeight() int64 {
	var m int64 = -1
	for _, nd := range n.nodes {
		if nd != nil && (m < 0 || nd.Height() < m) {
			m = nd.Height()
		}
	}
	return m
}

// AppHashes returns, for each running node, the app hash its application
// reported after executing height. Consistency means every entry is equal.
func (n *Network) AppHashes(height int64) ([][]byte, error) {
	var out [][]byte
	for _, nd := range n.nodes {
		if nd == nil {
			continue
		}
		h, err := nd.AppHashAt(height)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}
