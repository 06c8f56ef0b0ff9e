package chain

import (
	"crypto/sha256"
	"encoding/binary"
)

// AppHashDomain starts every app-hash preimage.
const AppHashDomain = "veritensor/apphash/v1"

// AppHash chains a block's change set onto the previous app hash:
//
//	H_h = SHA-256(AppHashDomain | H_{h-1} | height u64 | count u32 |
//	              for each change in key order:
//	                  len(key) u32 | key | op u8 (1 set, 0 delete) | len(value) u32 | value)
//
// with H_{-} = 32 zero bytes before genesis. The changes must be sorted by key
// and contain only keys whose value actually changed (State.ChangeSet
// guarantees both), so H_h commits to the whole history of committed state and
// costs O(size of the block's changes), not O(state). The price: no Merkle
// proofs of single keys for light clients; a Merkle tree can replace this
// later without changing the store or the adapter.
func AppHash(prev []byte, height int64, changes []Change) []byte {
	h := sha256.New()
	h.Write([]byte(AppHashDomain))
	if len(prev) == 0 {
		prev = make([]byte, sha256.Size)
	}
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(height))
	h.Write(n[:])
	binary.BigEndian.PutUint32(n[:4], uint32(len(changes)))
	h.Write(n[:4])
	for _, c := range changes {
		binary.BigEndian.PutUint32(n[:4], uint32(len(c.Key)))
		h.Write(n[:4])
		h.Write(c.Key)
		if c.Delete {
			h.Write([]byte{0})
		} else {
			h.Write([]byte{1})
		}
		binary.BigEndian.PutUint32(n[:4], uint32(len(c.Value)))
		h.Write(n[:4])
		h.Write(c.Value)
	}
	return h.Sum(nil)
}
