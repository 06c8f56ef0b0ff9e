package validator

import (
	"crypto/ed25519"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/scoring"
)

// CommitHash is the hash a commit-weights carries: chain.WeightsCommitHash
// over the chain ID, subnet, the address of hotkey (an ed25519 public key),
// the epoch of the commit, the weight row (sorted by UID, non-zero values)
// and the salt (CommitSalt: the tempo secret and the challenge-set hash).
// The chain recomputes it from the reveal, so the two can never disagree.
func CommitHash(chainID string, subnet uint16, hotkey [32]byte, epoch uint64, w []scoring.Weight, salt []byte) [32]byte {
	addr := chain.AddressFromPubKey(ed25519.PublicKey(hotkey[:]))
	return chain.WeightsCommitHash(chainID, subnet, addr, epoch, w, salt)
}
