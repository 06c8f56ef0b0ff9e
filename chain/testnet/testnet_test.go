package testnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
)

const fee = 100

// TestFourValidators runs one 4-validator network on loopback for the whole
// file's story: blocks advance, transfers commit and are visible on every
// node, bad transactions are rejected with their codes and change nothing, a
// stopped validator restarted from its home catches up, and every node
// reports the same app hash at every height.
func TestFourValidators(t *testing.T) {
	net, err := Generate(t.TempDir(), Options{Validators: 4,
		Config: node.Config{TimeoutCommit: node.Duration(150 * time.Millisecond), CreateEmptyBlocks: true}})
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
	clients := make([]*client.Client, net.Len())
	for i := range clients {
		if clients[i], err = net.Client(i); err != nil {
			t.Fatal(err)
		}
	}

	alice, bob := net.Keys[0], net.Keys[1]
	_, carolPriv, _ := ed25519.GenerateKey(nil)
	carol := chain.AddressFromPubKey(carolPriv.Public().(ed25519.PublicKey))

	t.Run("transfers commit on every node", func(t *testing.T) {
		// Five transfers from one account in flight together: consecutive
		// nonces through the check state.
		var hashes [][32]byte
		for i := 0; i < 5; i++ {
			h, err := clients[0].SendAsync(ctx, alice.Private, &chain.MsgTransfer{To: carol, Amount: 1000}, fee)
			if err != nil {
				t.Fatalf("transfer %d: %v", i, err)
			}
			hashes = append(hashes, h)
		}
		for _, h := range hashes {
			info, err := clients[2].WaitTx(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if info.Code != 0 || info.Type != "transfer" {
				t.Fatalf("tx %X: %+v", h, info)
			}
		}
		if _, err := clients[1].Transfer(ctx, bob.Private, carol, 7, fee); err != nil {
			t.Fatal(err)
		}
		h, _ := clients[1].Height(ctx)
		if err := net.WaitHeight(ctx, h); err != nil {
			t.Fatal(err)
		}
		for i, c := range clients {
			got, err := c.Account(ctx, carol)
			if err != nil {
				t.Fatal(err)
			}
			if got.Balance != 5007 || got.Nonce != 0 {
				t.Errorf("node %d: carol = %+v, want balance 5007", i, got)
			}
			a, _ := c.Account(ctx, alice.Address())
			if a.Nonce != 5 || a.Balance != net.Genesis.Accounts[0].Balance-5*1000-5*fee {
				t.Errorf("node %d: alice = %+v", i, a)
			}
		}
		sup, err := clients[3].Supply(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var genesis uint64
		for _, a := range net.Genesis.Accounts {
			genesis += a.Balance
		}
		// Fees are burned at the end of their block (docs/protocol.md, "Fees").
		if sup.Supply != genesis-6*fee || sup.FeePool != 0 {
			t.Errorf("supply %+v, want %d (6 fees of %d burned) with an empty fee pool", sup, genesis-6*fee, fee)
		}
	})

	t.Run("bad transactions are rejected with stable codes", func(t *testing.T) {
		c := clients[3]
		before, _ := c.Account(ctx, bob.Address())
		nonce := before.Nonce
		mk := func(chainID string, msg chain.Msg, n, f uint64) *chain.Tx {
			return chain.NewTx(chainID, msg, bob.Private, n, f)
		}
		tr := &chain.MsgTransfer{To: carol, Amount: 1}
		badSig := mk(net.ChainID, tr, nonce, fee)
		badSig.Signature[0] ^= 1
		unknown := mk(net.ChainID, tr, nonce, fee)
		unknown.Type = 999
		unknown.Sign(bob.Private)
		big := mk(net.ChainID, tr, nonce, fee)
		big.Body = make([]byte, 70<<10)
		big.Sign(bob.Private)
		cases := []struct {
			name string
			raw  []byte
			want *chain.CodedError
		}{
			{"malformed", []byte{1, 2, 3}, chain.ErrMalformed},
			{"wrong chain id", mk("other-chain", tr, nonce, fee).Marshal(), chain.ErrChainID},
			{"bad signature", badSig.Marshal(), chain.ErrBadSignature},
			{"reused nonce", mk(net.ChainID, tr, nonce-1, fee).Marshal(), chain.ErrNonce},
			{"skipped nonce", mk(net.ChainID, tr, nonce+1, fee).Marshal(), chain.ErrNonce},
			{"insufficient funds", mk(net.ChainID, &chain.MsgTransfer{To: carol, Amount: before.Balance}, nonce, fee).Marshal(), chain.ErrInsufficientFunds},
			{"fee too low", mk(net.ChainID, tr, nonce, fee-1).Marshal(), chain.ErrFeeTooLow},
			{"unknown type", unknown.Marshal(), chain.ErrUnknownType},
			{"oversized", big.Marshal(), chain.ErrTxTooLarge},
		}
		for _, tc := range cases {
			_, err := c.BroadcastTx(ctx, tc.raw)
			var te *chain.TxError
			if !errors.As(err, &te) || !errors.Is(err, tc.want) {
				t.Errorf("%s: got %v, want code %d (%s)", tc.name, err, tc.want.Code, tc.want.Name)
			} else if te.Log == "" {
				t.Errorf("%s: empty log", tc.name)
			}
		}
		after, _ := c.Account(ctx, bob.Address())
		if after != before {
			t.Errorf("rejected txs changed bob: %+v -> %+v", before, after)
		}
	})

	t.Run("stopped validator restarts and catches up", func(t *testing.T) {
		if err := net.Stop(3); err != nil {
			t.Fatal(err)
		}
		stoppedAt := net.MinHeight()
		if _, err := clients[0].Transfer(ctx, alice.Private, carol, 1, fee); err != nil {
			t.Fatal(err)
		}
		if err := net.WaitHeight(ctx, stoppedAt+5); err != nil {
			t.Fatal(err)
		}
		if err := net.Start(3); err != nil {
			t.Fatal(err)
		}
		target := net.Node(0).Height() + 2
		if err := net.WaitHeight(ctx, target); err != nil {
			t.Fatal(err)
		}
		got, err := clients[3].Account(ctx, carol)
		if err != nil {
			t.Fatal(err)
		}
		if got.Balance != 5008 {
			t.Errorf("restarted node: carol balance %d, want 5008", got.Balance)
		}
	})

	t.Run("same app hash at every height", func(t *testing.T) {
		top := net.MinHeight()
		for h := int64(1); h <= top; h++ {
			hs, err := net.AppHashes(h)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(hs); i++ {
				if !bytes.Equal(hs[0], hs[i]) || len(hs[i]) != 32 {
					t.Fatalf("height %d: node %d app hash %X, node 0 %X", h, i, hs[i], hs[0])
				}
			}
		}
		t.Logf("%d heights, %d nodes agree", top, net.Len())
	})
}
