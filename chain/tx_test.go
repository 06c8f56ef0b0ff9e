package chain

import (
	"bytes"
	"errors"
	"testing"
)

func TestTxRoundTripAndSignature(t *testing.T) {
	k := testKey(1)
	tx := NewTx(testChainID, &MsgTransfer{To: addrOf(testKey(2)), Amount: 42}, k, 7, 100)
	raw := tx.Marshal()
	got, err := DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Marshal(), raw) {
		t.Fatal("re-encoding differs")
	}
	if got.Nonce != 7 || got.Fee != 100 || got.ChainID != testChainID || got.Type != TxTransfer {
		t.Fatalf("decoded %+v", got)
	}
	if err := got.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	// Every signed field is bound by the signature.
	for name, mutate := range map[string]func(*Tx){
		"chain id": func(t *Tx) { t.ChainID = "other" },
		"nonce":    func(t *Tx) { t.Nonce++ },
		"fee":      func(t *Tx) { t.Fee++ },
		"type":     func(t *Tx) { t.Type++ },
		"body":     func(t *Tx) { t.Body = append([]byte{}, t.Body...); t.Body[0] ^= 1 },
	} {
		c, _ := DecodeTx(bytes.Clone(raw))
		mutate(c)
		if err := c.VerifySignature(); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s changed, signature still valid: %v", name, err)
		}
	}
}

func TestDecodeTxRejectsNonCanonical(t *testing.T) {
	raw := NewTx(testChainID, &MsgTransfer{To: addrOf(testKey(2)), Amount: 1}, testKey(1), 0, 100).Marshal()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"trailing byte": append(bytes.Clone(raw), 0),
		"truncated":     raw[:len(raw)-1],
		"version":       append([]byte{2}, raw[1:]...),
	} {
		if _, err := DecodeTx(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	// A transfer body with a trailing byte is malformed too.
	if _, err := DecodeMsg(TxTransfer, append((&MsgTransfer{Amount: 1}).MarshalBody(), 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("long body: %v", err)
	}
	if _, err := DecodeMsg(TxTransfer, (&MsgTransfer{}).MarshalBody()); !errors.Is(err, ErrInvalidMsg) {
		t.Errorf("zero amount: %v", err)
	}
}

func TestErrorCodesAreUniqueAndStable(t *testing.T) {
	seen := map[uint32]string{}
	for _, e := range ErrorCodes {
		if e.Code == 0 {
			t.Errorf("%s uses code 0", e.Name)
		}
		if prev, dup := seen[e.Code]; dup {
			t.Errorf("code %d used by %s and %s", e.Code, prev, e.Name)
		}
		seen[e.Code] = e.Name
	}
	// Released codes never change.
	for code, e := range map[uint32]*CodedError{2: ErrMalformed, 3: ErrChainID, 4: ErrBadSignature, 5: ErrNonce,
		6: ErrInsufficientFunds, 7: ErrTxTooLarge, 8: ErrUnknownType, 9: ErrFeeTooLow} {
		if e.Code != code {
			t.Errorf("%s has code %d, released as %d", e.Name, e.Code, code)
		}
	}
	wrapped := errors.New("x")
	if Code(wrapped) != ErrInternal.Code || Code(nil) != 0 {
		t.Error("Code of plain error / nil")
	}
}

// FuzzDecodeTx: the decoder never panics, and whatever it accepts re-encodes
// to the same bytes (one encoding per transaction). Seeds in
// testdata/fuzz/FuzzDecodeTx and below.
func FuzzDecodeTx(f *testing.F) {
	f.Add(NewTx(testChainID, &MsgTransfer{To: addrOf(testKey(2)), Amount: 5}, testKey(1), 3, 100).Marshal())
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		if !bytes.Equal(tx.Marshal(), b) {
			t.Fatalf("accepted a non-canonical encoding")
		}
		_, _ = DecodeMsg(tx.Type, tx.Body)
		_ = tx.VerifySignature()
	})
}

// FuzzExecTx: arbitrary bytes against a funded state never panic, and a
// rejected transaction leaves no change behind.
func FuzzExecTx(f *testing.F) {
	f.Add(transferTx(testKey(0), addrOf(testKey(1)), 10, 0, 100))
	f.Add(transferTx(testKey(0), addrOf(testKey(1)), 1<<62, 0, 100))
	f.Add([]byte("garbage"))
	base := genesisState(f, 2, 1_000_000)
	f.Fuzz(func(t *testing.T, b []byte) {
		s := base.Clone()
		_, err := s.ExecTx(BlockContext{Height: 1}, b, nil)
		cs := s.ChangeSet()
		if err != nil && len(cs) != 0 {
			t.Fatalf("rejected tx (%v) changed %d keys", err, len(cs))
		}
		if err := s.CheckSupply(); err != nil {
			t.Fatal(err)
		}
	})
}
