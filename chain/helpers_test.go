package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
)

const testChainID = "test-chain"

func testKey(i byte) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte{'k', i})
	return ed25519.NewKeyFromSeed(seed[:])
}

func addrOf(k ed25519.PrivateKey) Address { return AddressFromPubKey(k.Public().(ed25519.PublicKey)) }

// genesisState returns a state after genesis with keys 0..n-1 funded.
func genesisState(t testing.TB, n int, balance uint64) *State {
	t.Helper()
	g := DefaultGenesis()
	g.Params.CeremonyBeaconDelay = testBeaconDelay
	for i := 0; i < n; i++ {
		g.Accounts = append(g.Accounts, GenesisAccount{Address: addrOf(testKey(byte(i))), Balance: balance})
	}
	s := NewState()
	if err := s.InitGenesis(testChainID, g); err != nil {
		t.Fatal(err)
	}
	s.ChangeSet()
	return s
}

func transferTx(from ed25519.PrivateKey, to Address, amount, nonce, fee uint64) []byte {
	return NewTx(testChainID, &MsgTransfer{To: to, Amount: amount}, from, nonce, fee).Marshal()
}
