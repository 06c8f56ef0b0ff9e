package chain

import "encoding/binary"

// State keys of the subnet protocol. Every value is a big-endian uint64, the
// canonical binary encoding of codec.go (everything an epoch reads per UID:
// neurons, weights rows, commits, bonds, the epoch record), or the JSON
// encoding of a struct of this package (subnets, proof records:
// encoding/json writes struct fields in declaration order and these structs
// hold no maps or floats, so each value has exactly one encoding). id is a subnet ID as
// uint16 big-endian, uid a UID as uint16 big-endian, hotkey and owner are
// 20-byte addresses. docs/protocol.md lists the same table.
const (
	prefixSubnet          = "sn/"     // + id -> JSON Subnet
	prefixSubnetVK        = "snvk/"   // + id -> verifying key bytes
	prefixPending         = "snpend/" // + id -> u64 emission accrued this epoch
	keySubnetNext         = "sn_next" // u64: the next subnet ID
	prefixNeuron          = "nrn/"    // + id + uid -> binary Neuron (encodeNeuron)
	prefixHotkeyUID       = "hk/"     // + id + hotkey -> uid u16
	prefixHotkeyOwner     = "hkown/"  // + hotkey -> owner address
	prefixStake           = "stk/"    // + id + hotkey + owner -> u64 stake
	prefixStakeMark       = "stkm/"   // + id + hotkey + owner -> u64 epoch | u64 least stake held in it
	prefixNeuronStakeMark = "nstkm/"  // + id + uid -> u64 epoch | u64 least total stake held in it
	prefixWeights         = "w/"      // + id + uid -> binary WeightsRow (encodeRow)
	prefixCommit          = "wc/"     // + id + uid + epoch u64 -> hash (32) | block u64
	prefixProof           = "prf/"    // + id + uid -> JSON ProofRecord
	prefixBonds           = "bnd/"    // + id + uid -> binary bonds row (see encodeRow)
	prefixPruneScore      = "prn/"    // + id + uid -> u64 pruning score
	prefixPruneIndex      = "prx/"    // + id + score u64 + registered_at u64 + uid -> uid u16
	prefixEpochRes        = "epres/"  // + id -> binary EpochRecord (encodeEpochRecord)
	keyTotalStake         = "stake_total"
	keyMinted             = "minted"       // u64: every base unit the protocol minted
	keyBurned             = "burned"       // u64: every base unit the protocol burned
	keyProtoHeight        = "proto_height" // u64: last block the end blocker ran (once a subnet exists)
)

// idKey is prefix + subnet id (u16 big-endian).
func idKey(prefix string, id uint16) string {
	return prefix + string(binary.BigEndian.AppendUint16(nil, id))
}

// uidKey is prefix + subnet id + uid (u16 big-endian each).
func uidKey(prefix string, id, uid uint16) string {
	b := binary.BigEndian.AppendUint16(nil, id)
	return prefix + string(binary.BigEndian.AppendUint16(b, uid))
}

// hotkeyKey is prefix + subnet id + the 20-byte hotkey.
func hotkeyKey(prefix string, id uint16, hk Address) string {
	return prefix + string(binary.BigEndian.AppendUint16(nil, id)) + string(hk[:])
}

// stakeKey is the stake entry of owner on hotkey hk of subnet id.
func stakeKey(id uint16, hk, owner Address) string {
	return hotkeyKey(prefixStake, id, hk) + string(owner[:])
}
