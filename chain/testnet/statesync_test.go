package testnet

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/node"
)

// TestStateSyncJoin: a 5th node joins a running 4-validator network by state
// sync (restoring a snapshot verified by the light client, not replaying
// blocks), then follows the chain with the same app hashes as the others.
func TestStateSyncJoin(t *testing.T) {
	if testing.Short() {
		t.Skip("state sync discovery takes ~10 s")
	}
	net, err := Generate(t.TempDir(), Options{Validators: 4,
		Config: node.Config{TimeoutCommit: node.Duration(100 * time.Millisecond), CreateEmptyBlocks: true, SnapshotInterval: 10,
			SnapshotKeep: 10}}) // kept long enough for the 5 s discovery at 100 ms blocks
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cl, err := net.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	// Some state: transfers to fresh accounts.
	for i := 0; i < 5; i++ {
		to := chain.Address{byte(i + 1)}
		if _, err := cl.Transfer(ctx, net.Keys[i%4].Private, to, 1000, fee); err != nil {
			t.Fatal(err)
		}
	}
	if err := net.WaitHeight(ctx, 12); err != nil {
		t.Fatal(err)
	}
	one := int64(2)
	trusted, err := cl.RPC().Block(ctx, &one)
	if err != nil {
		t.Fatal(err)
	}
	j, err := net.AddNode(func(c *node.Config) {
		c.SnapshotInterval = 0
		c.StateSync = &node.StateSyncConfig{Enable: true,
			RPCServers:  []string{net.RPCAddress(0), net.RPCAddress(1)},
			TrustHeight: 2, TrustHash: trusted.BlockID.Hash.String(), DiscoveryTime: node.Duration(5 * time.Second)}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(j); err != nil {
		t.Fatal(err)
	}
	if err := net.Node(j).WaitHeight(ctx, net.Node(0).Height()+3); err != nil {
		t.Fatal(err)
	}
	joined := net.Node(j)
	// It restored a snapshot: it never executed the early blocks.
	if _, err := joined.AppHashAt(3); err == nil {
		t.Fatal("the joined node has results for height 3: it replayed instead of state-syncing")
	}
	// It follows: the next blocks, executed by all five, agree.
	h := joined.Height()
	if err := net.WaitHeight(ctx, h+3); err != nil {
		t.Fatal(err)
	}
	for height := h + 1; height <= h+3; height++ {
		hs, err := net.AppHashes(height)
		if err != nil {
			t.Fatal(err)
		}
		for i := range hs {
			if !bytes.Equal(hs[i], hs[0]) {
				t.Fatalf("height %d: node %d app hash %X, node 0 %X", height, i, hs[i], hs[0])
			}
		}
	}
	jc, err := net.Client(j)
	if err != nil {
		t.Fatal(err)
	}
	a, err := jc.Account(ctx, chain.Address{3})
	if err != nil || a.Balance != 1000 {
		t.Fatalf("account on the joined node: %+v %v", a, err)
	}
}
