package chain

import (
	"encoding/binary"
	"fmt"
)

// Supply accounting of the protocol: mints and burns that are counted in
// keyMinted and keyBurned, the Tokenomics query and the supply invariant
// check over the whole state.

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
	total, err := s.balancesAndFeePool()
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
