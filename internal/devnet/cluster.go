package devnet

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
)

// cluster is the devnet's CometBFT nodes: homes written once by
// testnet.Generate, then started here on fresh loopback ports every run.
type cluster struct {
	homes []string
	addrs []string // RPC addresses, by node (kept across a node's restart)

	mu    sync.Mutex // nodes, while a fault schedule stops and starts them
	nodes []*node.Node
}

func nodeHomes(dir string, n int) []string {
	homes := make([]string, n)
	for i := range homes {
		homes[i] = filepath.Join(dir, fmt.Sprintf("node%d", i))
	}
	return homes
}

// assignPorts gives every node free p2p and RPC ports on 127.0.0.1 and
// rewrites the persistent peers to match, so that a resumed devnet never
// collides with what took its old ports.
func assignPorts(homes []string) error {
	ports, err := testnet.FreePorts(2 * len(homes))
	if err != nil {
		return fmt.Errorf("devnet: free ports: %w", err)
	}
	peers := make([]string, len(homes))
	for i, h := range homes {
		id, err := node.GenerateKeys(h, fmt.Sprintf("node%d", i), 10) // keeps the existing keys
		if err != nil {
			return fmt.Errorf("devnet: node %d keys: %w", i, err)
		}
		peers[i] = fmt.Sprintf("%s@127.0.0.1:%d", id.NodeID, ports[2*i])
	}
	for i, h := range homes {
		c, err := node.LoadConfig(h)
		if err != nil {
			return fmt.Errorf("devnet: node %d: %w", i, err)
		}
		c.P2PListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[2*i])
		c.RPCListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[2*i+1])
		var others []string
		for j, p := range peers {
			if j != i {
				others = append(others, p)
			}
		}
		c.PersistentPeers = strings.Join(others, ",")
		if err := node.WriteConfig(h, c); err != nil {
			return fmt.Errorf("devnet: node %d: %w", i, err)
		}
	}
	return nil
}

// start starts every node; on failure the started ones are stopped.
func (c *cluster) start(opts node.Options) error {
	c.nodes = make([]*node.Node, len(c.homes))
	for i, h := range c.homes {
		nd, err := node.New(h, opts)
		if err == nil {
			if err = nd.Start(); err != nil {
				nd.Stop()
			}
		}
		if err != nil {
			c.stop()
			return fmt.Errorf("devnet: start node %d: %w", i, err)
		}
		c.nodes[i] = nd
	}
	c.addrs = nil
	for _, nd := range c.nodes {
		c.addrs = append(c.addrs, nd.RPCAddress())
	}
	return nil
}

// stop stops every running node (their homes keep the chain).
func (c *cluster) stop() {
	for i, nd := range c.nodes {
		if nd != nil {
			_ = nd.Stop()
			c.nodes[i] = nil
		}
	}
}

func (c *cluster) rpc(i int) string { return c.addrs[i] }

func (c *cluster) client(i int) (*client.Client, error) { return client.New(c.rpc(i)) }

// minHeight is the lowest committed height among the nodes.
func (c *cluster) minHeight() int64 {
	var m int64 = -1
	for _, nd := range c.nodes {
		if nd != nil && (m < 0 || nd.Height() < m) {
			m = nd.Height()
		}
	}
	return m
}

func (c *cluster) waitHeight(ctx context.Context, h int64) error {
	for _, nd := range c.nodes {
		if err := nd.WaitHeight(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// appHashesAgree compares every node's app hash after height h.
func (c *cluster) appHashesAgree(h int64) (bool, []string, error) {
	var first []byte
	var hashes []string
	ok := true
	for i, nd := range c.nodes {
		ah, err := nd.AppHashAt(h)
		if err != nil {
			return false, nil, fmt.Errorf("devnet: node %d app hash at %d: %w", i, h, err)
		}
		hashes = append(hashes, fmt.Sprintf("%X", ah))
		if i == 0 {
			first = ah
		} else if !bytes.Equal(first, ah) {
			ok = false
		}
	}
	return ok, hashes, nil
}
