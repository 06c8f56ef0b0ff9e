package chain

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Delegation is stake one owner account put on one hotkey of one subnet.
type Delegation struct {
	Owner Address `json:"owner"`
	// Amount in base units.
	Amount uint64 `json:"amount"`
}

// Delegations returns the stake on hotkey hk of subnet id, by owner address.
func (s *State) Delegations(id uint16, hk Address) []Delegation {
	var out []Delegation
	prefix := hotkeyKey(prefixStake, id, hk)
	s.Iterate(prefix, func(k string, v []byte) bool {
		if len(k) == len(prefix)+AddressLen && len(v) == 8 {
			var d Delegation
			copy(d.Owner[:], k[len(prefix):])
			d.Amount = binary.BigEndian.Uint64(v)
			out = append(out, d)
		}
		return true
	})
	return out
}

// StakeOf is owner's stake on hotkey hk of subnet id.
func (s *State) StakeOf(id uint16, hk, owner Address) uint64 {
	return s.getU64(stakeKey(id, hk, owner))
}

// addStake puts amount (already taken from a balance or freshly minted) on
// n's hotkey for owner.
func (s *State) addStake(id uint16, n *Neuron, owner Address, amount uint64) error {
	k := stakeKey(id, n.Hotkey, owner)
	cur, err := addU64(s.getU64(k), amount)
	if err != nil {
		return err
	}
	tot, err := addU64(s.getU64(keyTotalStake), amount)
	if err != nil {
		return err
	}
	if n.Stake, err = addU64(n.Stake, amount); err != nil {
		return err
	}
	s.setU64(k, cur)
	s.setU64(keyTotalStake, tot)
	return s.putNeuron(id, n)
}

// removeStake takes amount off owner's stake on n's hotkey (the caller puts
// it somewhere); ErrStakeUnderflow when owner has less.
func (s *State) removeStake(id uint16, n *Neuron, owner Address, amount uint64) error {
	k := stakeKey(id, n.Hotkey, owner)
	cur := s.getU64(k)
	if cur < amount {
		return fmt.Errorf("%w: %s has %d staked on %s, unstaking %d", ErrStakeUnderflow, owner, cur, n.Hotkey, amount)
	}
	if cur == amount {
		s.Delete(k)
	} else {
		s.setU64(k, cur-amount)
	}
	s.setU64(keyTotalStake, s.getU64(keyTotalStake)-amount)
	n.Stake -= amount
	return s.putNeuron(id, n)
}

// MsgStake delegates Amount base units of the signer's balance to Hotkey on
// Subnet; signed by the owner (funds) key. Body: subnet (u16) | hotkey (20) |
// amount (u64).
type MsgStake struct {
	Subnet uint16  `json:"subnet"`
	Hotkey Address `json:"hotkey"`
	Amount uint64  `json:"amount"`
}

// MsgUnstake returns Amount of the signer's stake on Hotkey to its balance.
// Same body as MsgStake.
type MsgUnstake MsgStake

func init() {
	RegisterMsg(TxStake, "stake", func(b []byte) (Msg, error) {
		m, err := decodeStakeBody(b)
		return (*MsgStake)(m), err
	})
	RegisterMsg(TxUnstake, "unstake", func(b []byte) (Msg, error) {
		m, err := decodeStakeBody(b)
		return (*MsgUnstake)(m), err
	})
}

func decodeStakeBody(body []byte) (*MsgStake, error) {
	d := NewDecoder(body)
	var m MsgStake
	m.Subnet = d.Uint16("subnet")
	copy(m.Hotkey[:], d.Fixed(AddressLen, "hotkey"))
	m.Amount = d.Uint64("amount")
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *MsgStake) body() []byte {
	return NewEncoder(30).Uint16(m.Subnet).Fixed(m.Hotkey[:]).Uint64(m.Amount).Bytes()
}

// Type implements Msg.
func (m *MsgStake) Type() TxType { return TxStake }

// MarshalBody implements Msg.
func (m *MsgStake) MarshalBody() []byte { return m.body() }

// ValidateBasic rejects a zero amount.
func (m *MsgStake) ValidateBasic() error {
	if m.Amount == 0 {
		return fmt.Errorf("%w: stake amount is zero", ErrInvalidMsg)
	}
	return nil
}

// Execute moves the amount from the signer's balance to its delegation.
func (m *MsgStake) Execute(tc *TxContext) error {
	s := tc.State
	if _, err := s.Subnet(m.Subnet); err != nil {
		return err
	}
	n, err := s.NeuronByHotkey(m.Subnet, m.Hotkey)
	if err != nil {
		return err
	}
	if err := s.debit(tc.Signer, m.Amount); err != nil {
		return err
	}
	if err := s.addStake(m.Subnet, n, tc.Signer, m.Amount); err != nil {
		return err
	}
	tc.Emit("stake", "subnet", strconv.Itoa(int(m.Subnet)), "hotkey", m.Hotkey.String(),
		"owner", tc.Signer.String(), "amount", strconv.FormatUint(m.Amount, 10))
	return nil
}

// Type implements Msg.
func (m *MsgUnstake) Type() TxType { return TxUnstake }

// MarshalBody implements Msg.
func (m *MsgUnstake) MarshalBody() []byte { return (*MsgStake)(m).body() }

// ValidateBasic rejects a zero amount.
func (m *MsgUnstake) ValidateBasic() error {
	if m.Amount == 0 {
		return fmt.Errorf("%w: unstake amount is zero", ErrInvalidMsg)
	}
	return nil
}

// Execute moves the amount from the signer's delegation back to its balance;
// ErrStakeUnderflow when the delegation is smaller.
func (m *MsgUnstake) Execute(tc *TxContext) error {
	s := tc.State
	if _, err := s.Subnet(m.Subnet); err != nil {
		return err
	}
	n, err := s.NeuronByHotkey(m.Subnet, m.Hotkey)
	if err != nil {
		return err
	}
	if err := s.removeStake(m.Subnet, n, tc.Signer, m.Amount); err != nil {
		return err
	}
	if err := s.credit(tc.Signer, m.Amount); err != nil {
		return err
	}
	tc.Emit("unstake", "subnet", strconv.Itoa(int(m.Subnet)), "hotkey", m.Hotkey.String(),
		"owner", tc.Signer.String(), "amount", strconv.FormatUint(m.Amount, 10))
	return nil
}
