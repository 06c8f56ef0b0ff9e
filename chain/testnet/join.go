package testnet

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cometbft/cometbft/p2p"

	"github.com/veritensor/veritensor/chain/node"
)

// AddNode writes the home of a new full node (not a validator) "node<N>" with
// the network's genesis, every existing node as a persistent peer and free
// loopback ports, edits its node.json with edit (nil: none), and returns its
// index; Start(i) starts it.
func (n *Network) AddNode(edit func(*node.Config)) (int, error) {
	i := len(n.Homes)
	home := filepath.Join(n.Dir, fmt.Sprintf("node%d", i))
	if _, err := node.GenerateKeys(home, fmt.Sprintf("node%d", i), 10); err != nil {
		return 0, err
	}
	doc, _, err := node.ReadGenesis(n.Homes[0])
	if err != nil {
		return 0, err
	}
	if err := node.WriteGenesis(home, doc); err != nil {
		return 0, err
	}
	c, err := node.LoadConfig(n.Homes[0])
	if err != nil {
		return 0, err
	}
	var peers []string
	for _, h := range n.Homes {
		nk, err := p2p.LoadNodeKey(filepath.Join(h, "config", "node_key.json"))
		if err != nil {
			return 0, err
		}
		hc, err := node.LoadConfig(h)
		if err != nil {
			return 0, err
		}
		peers = append(peers, fmt.Sprintf("%s@%s", nk.ID(), strings.TrimPrefix(hc.P2PListen, "tcp://")))
	}
	ports, err := FreePorts(2)
	if err != nil {
		return 0, err
	}
	c.Moniker = fmt.Sprintf("node%d", i)
	c.P2PListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[0])
	c.RPCListen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[1])
	c.PersistentPeers = strings.Join(peers, ",")
	if edit != nil {
		edit(&c)
	}
	if err := node.WriteConfig(home, c); err != nil {
		return 0, err
	}
	n.Homes = append(n.Homes, home)
	n.nodes = append(n.nodes, nil)
	return i, nil
}
