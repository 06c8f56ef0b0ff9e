package ceremony

import (
	"crypto/sha256"
	"encoding/binary"
)

// BeaconDomain separates beacon derivations from every other hash.
const BeaconDomain = "veritensor/ceremony/beacon/v1"

// Beacon derives the beacon of one phase of one ceremony from the hash of
// the block chosen when the ceremony was opened (nobody chooses its value):
//
//	SHA-256(BeaconDomain || u16 len(chainID) || chainID || u64 ceremonyID ||
//	        u8 phase || u16 len(blockHash) || blockHash)
//
// integers big-endian. Both the sealer and every verifier call it with the
// same inputs; gnark then expands the 32 bytes into the seal's field
// elements (mpcsetup.BeaconContributions).
func Beacon(chainID string, ceremonyID uint64, phase Phase, blockHash []byte) []byte {
	h := sha256.New()
	h.Write([]byte(BeaconDomain))
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(chainID))))
	h.Write([]byte(chainID))
	h.Write(binary.BigEndian.AppendUint64(nil, ceremonyID))
	h.Write([]byte{byte(phase)})
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(blockHash))))
	h.Write(blockHash)
	return h.Sum(nil)
}
