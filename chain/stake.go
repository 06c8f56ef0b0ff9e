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

// Stake that counts for an epoch. Epoch payouts (the split of a hotkey's
// dividends among its delegators), validator permits and consensus weight
// use the stake held for the whole epoch: the smallest amount a delegation
// (and a UID's total) held at any point of the epoch being paid. Stake
// added during an epoch counts from the next one; unstaking is immediate but
// forfeits the epoch in progress for the amount taken out. The minimum is
// kept lazily: a stake change writes a mark (epoch, minimum since its start)
// under stkm/ (a delegation) or nstkm/ (a UID's total); a mark of an older
// epoch means the amount did not change since, so the current amount
// counts. Nothing is rewritten at an epoch boundary.
type stakeMark struct{ epoch, min uint64 }

func (s *State) getMark(key string) (stakeMark, bool) {
	v, ok := s.Get(key)
	if !ok || len(v) != 16 {
		return stakeMark{}, false
	}
	return stakeMark{binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])}, true
}

// markChange records that an amount of before becomes after during epoch.
func (s *State) markChange(key string, epoch, before, after uint64) {
	m, ok := s.getMark(key)
	if !ok || m.epoch != epoch {
		m = stakeMark{epoch, before}
	}
	m.min = min(m.min, after)
	s.Set(key, binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, m.epoch), m.min))
}

// eligible is the part of cur held since the start of epoch.
func (s *State) eligible(key string, epoch, cur uint64) uint64 {
	if m, ok := s.getMark(key); ok && m.epoch == epoch {
		return min(m.min, cur)
	}
	return cur
}

func stakeMarkKey(id uint16, hk, owner Address) string {
	return hotkeyKey(prefixStakeMark, id, hk) + string(owner[:])
}

// EligibleStake is n's stake that counts in epoch (held since its start).
func (s *State) EligibleStake(id uint16, epoch uint64, n *Neuron) uint64 {
	return s.eligible(uidKey(prefixNeuronStakeMark, id, n.UID), epoch, n.Stake)
}

// EligibleDelegation is owner's stake on hk that counts in epoch.
func (s *State) EligibleDelegation(id uint16, epoch uint64, hk, owner Address) uint64 {
	return s.eligible(stakeMarkKey(id, hk, owner), epoch, s.StakeOf(id, hk, owner))
}

// addStake puts amount (already taken from a balance or freshly minted) on
// n's hotkey for owner during epoch.
func (s *State) addStake(id uint16, epoch uint64, n *Neuron, owner Address, amount uint64) error {
	k := stakeKey(id, n.Hotkey, owner)
	before := s.getU64(k)
	cur, err := addU64(before, amount)
	if err != nil {
		return err
	}
	tot, err := addU64(s.getU64(keyTotalStake), amount)
	if err != nil {
		return err
	}
	nBefore := n.Stake
	if n.Stake, err = addU64(n.Stake, amount); err != nil {
		return err
	}
	s.setU64(k, cur)
	s.setU64(keyTotalStake, tot)
	s.markChange(stakeMarkKey(id, n.Hotkey, owner), epoch, before, cur)
	s.markChange(uidKey(prefixNeuronStakeMark, id, n.UID), epoch, nBefore, n.Stake)
	return s.putNeuron(id, n)
}

// removeStake takes amount off owner's stake on n's hotkey during epoch (the
// caller puts it somewhere); ErrStakeUnderflow when owner has less.
func (s *State) removeStake(id uint16, epoch uint64, n *Neuron, owner Address, amount uint64) error {
	k := stakeKey(id, n.Hotkey, owner)
	cur := s.getU64(k)
	if cur < amount {
		return fmt.Errorf("%w: %s has %d staked on %s, unstaking %d", ErrStakeUnderflow, owner, cur, n.Hotkey, amount)
	}
	mk := stakeMarkKey(id, n.Hotkey, owner)
	if cur == amount {
		s.Delete(k)
		s.Delete(mk) // nothing left to count this epoch
	} else {
		s.setU64(k, cur-amount)
		s.markChange(mk, epoch, cur, cur-amount)
	}
	s.setU64(keyTotalStake, s.getU64(keyTotalStake)-amount)
	s.markChange(uidKey(prefixNeuronStakeMark, id, n.UID), epoch, n.Stake, n.Stake-amount)
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

// Execute moves the amount from the signer's balance to its delegation; it
// counts for payouts, permits and consensus from the next epoch.
func (m *MsgStake) Execute(tc *TxContext) error {
	s := tc.State
	sn, n, err := m.target(s)
	if err != nil {
		return err
	}
	if err := s.debit(tc.Signer, m.Amount); err != nil {
		return err
	}
	if err := s.addStake(m.Subnet, sn.Epoch, n, tc.Signer, m.Amount); err != nil {
		return err
	}
	m.emit(tc, "stake")
	return nil
}

// target is the subnet and the neuron of the hotkey a stake or unstake names
// (ErrSubnetNotFound, then ErrNeuronNotFound).
func (m *MsgStake) target(s *State) (*Subnet, *Neuron, error) {
	sn, err := s.Subnet(m.Subnet)
	if err != nil {
		return nil, nil, err
	}
	n, err := s.NeuronByHotkey(m.Subnet, m.Hotkey)
	if err != nil {
		return nil, nil, err
	}
	return sn, n, nil
}

// emit records the event of a stake or unstake (typ) by the signer.
func (m *MsgStake) emit(tc *TxContext, typ string) {
	tc.Emit(typ, "subnet", strconv.Itoa(int(m.Subnet)), "hotkey", m.Hotkey.String(),
		"owner", tc.Signer.String(), "amount", strconv.FormatUint(m.Amount, 10))
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

// Execute moves the amount from the signer's delegation back to its balance
// at once; the amount earns nothing for the epoch in progress.
// ErrStakeUnderflow when the delegation is smaller.
func (m *MsgUnstake) Execute(tc *TxContext) error {
	s := tc.State
	sn, n, err := (*MsgStake)(m).target(s)
	if err != nil {
		return err
	}
	if err := s.removeStake(m.Subnet, sn.Epoch, n, tc.Signer, m.Amount); err != nil {
		return err
	}
	if err := s.credit(tc.Signer, m.Amount); err != nil {
		return err
	}
	(*MsgStake)(m).emit(tc, "unstake")
	return nil
}
