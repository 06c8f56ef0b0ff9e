package chain

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

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

// Hash32 is a 32-byte value (hash, commitment, seed) shown as 64 hex digits.
type Hash32 [32]byte

// String returns lowercase hex.
func (h Hash32) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether every byte is zero.
func (h Hash32) IsZero() bool { return h == Hash32{} }

// MarshalText encodes h as hex.
func (h Hash32) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses 64 hex digits.
func (h *Hash32) UnmarshalText(b []byte) error {
	p, err := ParseHash32(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash32 parses 64 hex digits (optional 0x prefix).
func ParseHash32(s string) (Hash32, error) {
	var h Hash32
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("%w: %q is not 32 hex bytes", ErrMalformed, s)
	}
	copy(h[:], b)
	return h, nil
}

func idKey(prefix string, id uint16) string {
	return prefix + string(binary.BigEndian.AppendUint16(nil, id))
}

func uidKey(prefix string, id, uid uint16) string {
	b := binary.BigEndian.AppendUint16(nil, id)
	return prefix + string(binary.BigEndian.AppendUint16(b, uid))
}

func hotkeyKey(prefix string, id uint16, hk Address) string {
	return prefix + string(binary.BigEndian.AppendUint16(nil, id)) + string(hk[:])
}

func stakeKey(id uint16, hk, owner Address) string {
	return hotkeyKey(prefixStake, id, hk) + string(owner[:])
}

// getJSON decodes the value at key into v; false when absent or undecodable
// (values are written only by putJSON from valid structs).
func (s *State) getJSON(key string, v any) bool {
	b, ok := s.Get(key)
	if !ok {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// putJSON stores the JSON encoding of v. The protocol's structs always
// marshal, so an error is a programming bug reported as ErrInternal.
func (s *State) putJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: encode %q: %v", ErrInternal, key, err)
	}
	s.Set(key, b)
	return nil
}

// burnTracked burns amount from an account and counts it in keyBurned.
func (s *State) burnTracked(from Address, amount uint64) error {
	if amount == 0 {
		return nil
	}
	if err := s.Burn(from, amount); err != nil {
		return err
	}
	b, err := addU64(s.getU64(keyBurned), amount)
	if err != nil {
		return err
	}
	s.setU64(keyBurned, b)
	return nil
}

// countMinted adds amount to keyMinted and to the supply; the caller puts
// the new units into a balance or a stake.
func (s *State) countMinted(amount uint64) error {
	m, err := addU64(s.getU64(keyMinted), amount)
	if err != nil {
		return err
	}
	sup, err := addU64(s.Supply(), amount)
	if err != nil {
		return err
	}
	s.setU64(keyMinted, m)
	s.setU64(keySupply, sup)
	return nil
}

// mintTracked mints amount into to's balance and counts it in keyMinted.
func (s *State) mintTracked(to Address, amount uint64) error {
	if amount == 0 {
		return nil
	}
	if err := s.credit(to, amount); err != nil {
		return err
	}
	return s.countMinted(amount)
}

// Tokenomics is the protocol's supply accounting (query /tokenomics).
//
// Invariants: Supply == genesis supply + Minted - Burned, and Supply ==
// sum of balances + FeePool + TotalStake (CheckProtocolSupply).
type Tokenomics struct {
	// Supply is every base unit in existence.
	Supply uint64 `json:"supply"`
	// FeePool is collected fees held by no account.
	FeePool uint64 `json:"fee_pool"`
	// TotalStake is every base unit staked on any hotkey of any subnet.
	TotalStake uint64 `json:"total_stake"`
	// Minted is the emission minted since genesis.
	Minted uint64 `json:"minted"`
	// Burned is what subnet-create and register burned since genesis.
	Burned uint64 `json:"burned"`
}

// Tokenomics returns the supply accounting.
func (s *State) Tokenomics() Tokenomics {
	return Tokenomics{Supply: s.Supply(), FeePool: s.FeePool(), TotalStake: s.getU64(keyTotalStake),
		Minted: s.getU64(keyMinted), Burned: s.getU64(keyBurned)}
}

// CheckProtocolSupply extends CheckSupply with stake: balances + fee pool +
// total stake must equal the supply, and the stake entries must sum to the
// total stake and, per hotkey, to the neuron's stake. It walks the whole
// state: for tests and audits.
func (s *State) CheckProtocolSupply() error {
	total := s.FeePool()
	var err error
	s.Accounts(func(a Account) bool {
		total, err = addU64(total, a.Balance)
		return err == nil
	})
	if err != nil {
		return err
	}
	var staked uint64
	s.Iterate(prefixStake, func(_ string, v []byte) bool {
		if len(v) == 8 {
			staked, err = addU64(staked, binary.BigEndian.Uint64(v))
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if staked != s.getU64(keyTotalStake) {
		return fmt.Errorf("%w: stake entries sum to %d, total stake %d", ErrInternal, staked, s.getU64(keyTotalStake))
	}
	if total, err = addU64(total, staked); err != nil {
		return err
	}
	if total != s.Supply() {
		return fmt.Errorf("%w: balances + fee pool + stake = %d, supply = %d", ErrInternal, total, s.Supply())
	}
	for _, sn := range s.Subnets() {
		for _, n := range s.Neurons(sn.ID) {
			var sum uint64
			for _, d := range s.Delegations(sn.ID, n.Hotkey) {
				sum += d.Amount
			}
			if sum != n.Stake {
				return fmt.Errorf("%w: subnet %d uid %d stake %d, delegations %d", ErrInternal, sn.ID, n.UID, n.Stake, sum)
			}
		}
	}
	return nil
}
