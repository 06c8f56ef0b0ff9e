package testnet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
)

// tamperRPC is an injected fault: a node that lies in every /store answer.
type tamperRPC struct {
	rpcclient.Client
	tamper func(*ctypes.ResultABCIQuery)
}

func (t tamperRPC) ABCIQueryWithOptions(ctx context.Context, path string, data bytes.HexBytes, o rpcclient.ABCIQueryOptions) (*ctypes.ResultABCIQuery, error) {
	res, err := t.Client.ABCIQueryWithOptions(ctx, path, data, o)
	if err == nil {
		t.tamper(res)
	}
	return res, err
}

// TestProvenQueries: on a real 4-validator network, answers verified by the
// light client from a trusted height and hash match the unproven queries, for
// present and absent keys and at a past height; a node that alters the value,
// drops it, or serves another height's answer is caught.
func TestProvenQueries(t *testing.T) {
	net, err := Generate(t.TempDir(), Options{Validators: 4,
		Config: node.Config{TimeoutCommit: node.Duration(100 * time.Millisecond), CreateEmptyBlocks: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := net.WaitHeight(ctx, 4); err != nil {
		t.Fatal(err)
	}
	cl, err := net.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	trusted, err := cl.RPC().Block(ctx, &one) // in real use: from a source the user trusts
	if err != nil {
		t.Fatal(err)
	}
	v, err := client.NewVerifier(ctx, net.ChainID, net.RPCAddress(0), []string{net.RPCAddress(1)},
		client.Trust{Height: 1, Hash: trusted.BlockID.Hash})
	if err != nil {
		t.Fatal(err)
	}
	alice := net.Keys[0].Address()
	tx, err := cl.Transfer(ctx, net.Keys[1].Private, alice, 5, fee)
	if err != nil {
		t.Fatal(err)
	}
	// The latest provable height (latest-1) must include the transfer.
	if err := cl.WaitHeight(ctx, tx.Height+1); err != nil {
		t.Fatal(err)
	}
	p, err := cl.QueryProven(ctx, v, chain.AccountStoreKey(alice), 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := chain.DecodeAccountValue(alice, p.Value)
	if err != nil || !p.Verified {
		t.Fatal(err)
	}
	var want chain.Account
	if err := cl.Query(ctx, "/account/"+alice.String(), nil, &want); err != nil {
		t.Fatal(err)
	}
	if h, _ := cl.Height(ctx); p.Height < 2 || p.Height > h {
		t.Fatalf("proven height %d", p.Height)
	}
	if got != want {
		t.Fatalf("proven account %+v, unproven %+v", got, want)
	}
	past, err := cl.QueryProven(ctx, v, chain.AccountStoreKey(alice), 2)
	if err != nil || past.Height != 2 {
		t.Fatalf("past height: %+v %v", past, err)
	}
	absent, err := cl.QueryProven(ctx, v, chain.NeuronStoreKey(9, 9), 0)
	if err != nil || absent.Value != nil {
		t.Fatalf("absent neuron: %+v %v", absent, err)
	}

	for name, tamper := range map[string]func(*ctypes.ResultABCIQuery){
		"altered value": func(r *ctypes.ResultABCIQuery) { r.Response.Value[len(r.Response.Value)-1] ^= 1 },
		"dropped value": func(r *ctypes.ResultABCIQuery) { r.Response.Value = nil },
		"no proof":      func(r *ctypes.ResultABCIQuery) { r.Response.ProofOps = nil },
	} {
		lying := client.NewWithRPC(tamperRPC{Client: cl.RPC(), tamper: tamper})
		if _, err := lying.QueryProven(ctx, v, chain.AccountStoreKey(alice), 0); !errors.Is(err, chain.ErrProof) {
			t.Errorf("%s: %v, want ErrProof", name, err)
		}
	}
	// Another height's (valid) answer passed off as this height's.
	old, _ := cl.RPC().ABCIQueryWithOptions(ctx, chain.StoreQueryPath, chain.AccountStoreKey(alice), rpcclient.ABCIQueryOptions{Height: 2, Prove: true})
	lying := client.NewWithRPC(tamperRPC{Client: cl.RPC(), tamper: func(r *ctypes.ResultABCIQuery) {
		h := r.Response.Height
		r.Response = old.Response
		r.Response.Height = h
	}})
	if _, err := lying.QueryProven(ctx, v, chain.AccountStoreKey(alice), 0); !errors.Is(err, chain.ErrProof) {
		t.Errorf("stale answer: %v, want ErrProof", err)
	}
}
