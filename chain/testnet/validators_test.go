package testnet

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometbft/cometbft/privval"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/node"
)

func validatorKey(t *testing.T, home string) *privval.FilePV {
	t.Helper()
	return privval.LoadFilePV(filepath.Join(home, "config", "priv_validator_key.json"), filepath.Join(home, "data", "priv_validator_state.json"))
}

// TestValidatorUpdates: the genesis authority adds a 5th validator, which
// then signs blocks; removing one of the original four keeps the chain live
// even once the removed node is stopped; anyone else is refused.
func TestValidatorUpdates(t *testing.T) {
	net, err := Generate(t.TempDir(), Options{Validators: 4, ValidatorAuthority: true,
		Config: node.Config{TimeoutCommit: node.Duration(100 * time.Millisecond), CreateEmptyBlocks: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := net.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	cl, err := net.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	j, err := net.AddNode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(j); err != nil {
		t.Fatal(err)
	}
	newVal := validatorKey(t, net.Homes[j])
	pk := newVal.Key.PubKey.Bytes()

	if _, err := cl.Send(ctx, net.Keys[1].Private, &chain.MsgValidatorUpdate{PubKey: pk, Power: 10}, fee); !errors.Is(err, chain.ErrUnauthorized) {
		t.Fatalf("update by a non-authority: %v, want ErrUnauthorized", err)
	}
	info, err := cl.Send(ctx, net.Keys[0].Private, &chain.MsgValidatorUpdate{PubKey: pk, Power: 10}, fee)
	if err != nil {
		t.Fatal(err)
	}
	// Effective at H+2: the new validator signs the commits of later blocks,
	// once its node (started just above) has caught up and joined the
	// consensus gossip: at 100 ms blocks that can take a few seconds on a
	// loaded machine (CI once saw no signature in the first 5 blocks), so
	// look over 100 blocks.
	signed := func(addr []byte, from int64) bool {
		for h := from; h < from+100; h++ {
			if err := cl.WaitHeight(ctx, h+1); err != nil {
				t.Fatal(err)
			}
			c, err := cl.RPC().Commit(ctx, &h)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.Commit.Signatures {
				if bytes.Equal(s.ValidatorAddress, addr) && s.Signature != nil {
					return true
				}
			}
		}
		return false
	}
	if !signed(newVal.Key.Address, info.Height+2) {
		t.Fatal("the added validator signs no block")
	}
	var vs chain.ValidatorsInfo
	if err := cl.Query(ctx, "/validators", nil, &vs); err != nil || len(vs.Validators) != 5 {
		t.Fatalf("app's validator set %+v %v", vs, err)
	}

	// Remove node 1, then stop it: four of four remaining validators run.
	old := validatorKey(t, net.Homes[1])
	info, err = cl.Send(ctx, net.Keys[0].Private, &chain.MsgValidatorUpdate{PubKey: old.Key.PubKey.Bytes(), Power: 0}, fee)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.WaitHeight(ctx, info.Height+3); err != nil {
		t.Fatal(err)
	}
	h := info.Height + 3
	vals, err := cl.RPC().Validators(ctx, &h, nil, nil)
	if err != nil || vals.Total != 4 {
		t.Fatalf("validators at %d: %v %v", h, vals, err)
	}
	if err := net.Stop(1); err != nil {
		t.Fatal(err)
	}
	top, _ := cl.Height(ctx)
	if err := cl.WaitHeight(ctx, top+5); err != nil {
		t.Fatalf("not live after removing a validator: %v", err)
	}
}
