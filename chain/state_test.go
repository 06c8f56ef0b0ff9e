package chain

import (
	"errors"
	"testing"
)

func TestExecTxRejections(t *testing.T) {
	alice, bob := testKey(0), testKey(1)
	base := genesisState(t, 2, 10_000)
	p := base.Params()
	okTx := func(nonce uint64) []byte { return transferTx(alice, addrOf(bob), 1, nonce, p.MinFee) }
	badSig := NewTx(testChainID, &MsgTransfer{To: addrOf(bob), Amount: 1}, alice, 0, p.MinFee)
	badSig.Signature[5] ^= 0x40
	unknown := NewTx(testChainID, &MsgTransfer{To: addrOf(bob), Amount: 1}, alice, 0, p.MinFee)
	unknown.Type = 4242
	unknown.Sign(alice)
	big := NewTx(testChainID, &MsgTransfer{To: addrOf(bob), Amount: 1}, alice, 0, p.MinFee)
	big.Body = make([]byte, p.MaxTxBytes)
	big.Sign(alice)
	stranger := testKey(9)

	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"malformed", []byte{0xde, 0xad}, ErrMalformed},
		{"wrong chain id", NewTx("other", &MsgTransfer{To: addrOf(bob), Amount: 1}, alice, 0, p.MinFee).Marshal(), ErrChainID},
		{"bad signature", badSig.Marshal(), ErrBadSignature},
		{"skipped nonce", okTx(1), ErrNonce},
		{"insufficient funds for amount", transferTx(alice, addrOf(bob), 10_000, 0, p.MinFee), ErrInsufficientFunds},
		{"insufficient funds for fee", transferTx(stranger, addrOf(bob), 1, 0, p.MinFee), ErrInsufficientFunds},
		{"oversized", big.Marshal(), ErrTxTooLarge},
		{"unknown type", unknown.Marshal(), ErrUnknownType},
		{"fee too low", transferTx(alice, addrOf(bob), 1, 0, p.MinFee-1), ErrFeeTooLow},
		{"zero amount", transferTx(alice, addrOf(bob), 0, 0, p.MinFee), ErrInvalidMsg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base.Clone()
			_, err := s.ExecTx(BlockContext{Height: 1}, tc.raw, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if cs := s.ChangeSet(); len(cs) != 0 {
				t.Fatalf("rejected tx changed %d keys", len(cs))
			}
		})
	}

	t.Run("reused nonce", func(t *testing.T) {
		s := base.Clone()
		if _, err := s.ExecTx(BlockContext{Height: 1}, okTx(0), nil); err != nil {
			t.Fatal(err)
		}
		s.ChangeSet()
		if _, err := s.ExecTx(BlockContext{Height: 1}, okTx(0), nil); !errors.Is(err, ErrNonce) {
			t.Fatalf("replay: %v", err)
		}
		if cs := s.ChangeSet(); len(cs) != 0 {
			t.Fatal("replay changed state")
		}
	})
}

func TestTransferMovesFundsAndFees(t *testing.T) {
	alice, bob := testKey(0), testKey(1)
	s := genesisState(t, 2, 10_000)
	r, err := s.ExecTx(BlockContext{Height: 1}, transferTx(alice, addrOf(bob), 2500, 0, 300), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Account(addrOf(alice)); a.Balance != 10_000-2500-300 || a.Nonce != 1 {
		t.Errorf("alice %+v", a)
	}
	if b := s.Account(addrOf(bob)); b.Balance != 12_500 || b.Nonce != 0 {
		t.Errorf("bob %+v", b)
	}
	if s.FeePool() != 300 || s.Supply() != 20_000 {
		t.Errorf("fee pool %d supply %d", s.FeePool(), s.Supply())
	}
	if len(r.Events) != 2 || r.Events[0].Type != "tx" || r.Events[1].Type != "transfer" {
		t.Errorf("events %+v", r.Events)
	}
	if err := s.CheckSupply(); err != nil {
		t.Error(err)
	}
	// Self-transfer: only the fee moves.
	if _, err := s.ExecTx(BlockContext{Height: 1}, transferTx(bob, addrOf(bob), 100, 0, 100), nil); err != nil {
		t.Fatal(err)
	}
	if b := s.Account(addrOf(bob)); b.Balance != 12_400 || b.Nonce != 1 {
		t.Errorf("bob after self-transfer %+v", b)
	}
}

// TestSupplyInvariant: many transfers, mints and burns keep balances + fee
// pool equal to the supply.
func TestSupplyInvariant(t *testing.T) {
	const n = 8
	s := genesisState(t, n, 1_000_000)
	nonces := make([]uint64, n)
	for i := 0; i < 400; i++ {
		from, to := i%n, (i*7+3)%n
		amt := uint64(i*97%5000 + 1)
		_, err := s.ExecTx(BlockContext{Height: int64(i/20 + 1)}, transferTx(testKey(byte(from)), addrOf(testKey(byte(to))), amt, nonces[from], 100+uint64(i%3)), nil)
		if err == nil {
			nonces[from]++
		}
		if i%50 == 0 {
			if err := s.Mint(addrOf(testKey(byte(to))), 1234); err != nil {
				t.Fatal(err)
			}
			if err := s.Burn(addrOf(testKey(byte(from))), 34); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.CheckSupply(); err != nil {
		t.Fatal(err)
	}
	if want := uint64(n*1_000_000 + 8*(1234-34)); s.Supply() != want {
		t.Fatalf("supply %d, want %d", s.Supply(), want)
	}
	// Break it on purpose: the check must notice.
	s.setU64(keyFeePool, s.FeePool()+1)
	if err := s.CheckSupply(); err == nil {
		t.Fatal("CheckSupply missed a broken invariant")
	}
}

func TestChangeSetSortedAndMinimal(t *testing.T) {
	s := NewState()
	s.Set("b", []byte("1"))
	s.Set("a", []byte("1"))
	s.Set("c", []byte("1"))
	s.ChangeSet()
	s.Set("c", []byte("2"))
	s.Set("a", []byte("1")) // same value: not a change
	s.Delete("b")
	s.Set("d", []byte("x"))
	s.Delete("d") // created and deleted within the block: not a change
	cs := s.ChangeSet()
	if len(cs) != 2 || string(cs[0].Key) != "b" || !cs[0].Delete || string(cs[1].Key) != "c" || string(cs[1].Value) != "2" {
		t.Fatalf("change set %+v", cs)
	}
	// Clones are independent.
	c := s.Clone()
	c.Set("c", []byte("3"))
	if v, _ := s.Get("c"); string(v) != "2" {
		t.Fatal("clone write leaked into original")
	}
}
