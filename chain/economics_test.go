package chain

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

// TestCheapBeforeExpensive: a subnet-create whose verifying key would cost a
// pairing precomputation to parse is turned away by the signature, the fee
// balance and the burn before the key is parsed, and a parsed key never
// enters the process-wide verifier cache unless it is in state.
func TestCheapBeforeExpensive(t *testing.T) {
	e := newEnv(t, 2)
	e.keys = smallSetup(t)
	owner, poor := testKey(0), testKey(1)
	junk := make([]byte, zk.MaxVerifyingKeySize)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	create := func(vk []byte) *MsgSubnetCreate {
		return &MsgSubnetCreate{Name: "x", Arch: smallArch, VK: vk, PKHash: e.keys.pkHash, ScoringRule: ScoringYuma, Hyper: testHyper()}
	}
	deliver := func(tx *Tx) error {
		s := e.s.Clone()
		_, err := s.DeliverTx(e.ctx(), tx.Marshal(), nil)
		return err
	}
	// Unsigned: the signature fails before the key would be parsed.
	tx := NewTx(testChainID, create(junk), owner, 0, 100)
	tx.Signature[0] ^= 1
	if err := deliver(tx); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("unsigned subnet-create: %v, want bad_signature", err)
	}
	// Unfunded (no balance for the fee): refused before the key parse.
	if err := deliver(NewTx(testChainID, create(junk), testKey(9), 0, 100)); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("unfunded subnet-create: %v, want insufficient_funds", err)
	}
	// Funded for the fee but not the burn: the burn fails first.
	e.ok(poor, &MsgTransfer{To: addrOf(owner), Amount: e.s.Account(addrOf(poor)).Balance - 1000})
	if err := deliver(NewTx(testChainID, create(junk), poor, e.s.Account(addrOf(poor)).Nonce, 100)); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("subnet-create without the burn: %v, want insufficient_funds", err)
	}
	// A paid create with a bad key is refused as invalid_msg, all rolled back.
	e.reject(owner, create(junk), ErrInvalidMsg)
	// A valid create parses its key but leaves the verifier cache alone.
	vk := append([]byte(nil), e.keys.vk...)
	h := sha256.Sum256(vk)
	verifierCache.Lock()
	delete(verifierCache.m, h)
	verifierCache.Unlock()
	e.ok(owner, create(vk))
	verifierCache.Lock()
	_, cached := verifierCache.m[h]
	verifierCache.Unlock()
	if cached {
		t.Fatal("subnet-create put its verifying key in the verifier cache")
	}
}
