package chain

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// State keys owned by this file and genesis.go. Every key of the state is
// listed in docs/chain.md.
const (
	prefixAccount = "acct/"    // + 20-byte address -> balance u64 | nonce u64
	keySupply     = "supply"   // u64: every base unit in existence
	keyFeePool    = "feepool"  // u64: fees collected and not yet distributed
	keyChainID    = "chain_id" // the chain ID from InitChain
	keyParams     = "params"   // JSON Params
)

// Account is the public state of one address.
type Account struct {
	Address Address `json:"address"`
	// Balance in base units.
	Balance uint64 `json:"balance"`
	// Nonce is the nonce the account's next transaction must carry (the number
	// of its transactions applied so far).
	Nonce uint64 `json:"nonce"`
}

func accountKey(a Address) string { return prefixAccount + string(a[:]) }

// Account returns the account at a (zero balance and nonce if absent).
func (s *State) Account(a Address) Account {
	acct := Account{Address: a}
	if v, ok := s.Get(accountKey(a)); ok && len(v) == 16 {
		acct.Balance = binary.BigEndian.Uint64(v[:8])
		acct.Nonce = binary.BigEndian.Uint64(v[8:])
	}
	return acct
}

// SetAccount stores acct; an account with zero balance and zero nonce is
// deleted (it is indistinguishable from an absent one).
func (s *State) SetAccount(acct Account) {
	if acct.Balance == 0 && acct.Nonce == 0 {
		s.Delete(accountKey(acct.Address))
		return
	}
	var v [16]byte
	binary.BigEndian.PutUint64(v[:8], acct.Balance)
	binary.BigEndian.PutUint64(v[8:], acct.Nonce)
	s.Set(accountKey(acct.Address), v[:])
}

// Accounts calls fn for every stored account in address order until fn
// returns false.
func (s *State) Accounts(fn func(Account) bool) {
	s.Iterate(prefixAccount, func(k string, _ []byte) bool {
		var a Address
		copy(a[:], k[len(prefixAccount):])
		return fn(s.Account(a))
	})
}

func addU64(a, b uint64) (uint64, error) {
	sum, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return 0, fmt.Errorf("%w: %d + %d", ErrOverflow, a, b)
	}
	return sum, nil
}

func (s *State) getU64(key string) uint64 {
	if v, ok := s.Get(key); ok && len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (s *State) setU64(key string, v uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	s.Set(key, b[:])
}

// Supply is the total number of base units in existence: the sum of all
// balances plus the fee pool (CheckSupply verifies it).
func (s *State) Supply() uint64 { return s.getU64(keySupply) }

// FeePool is the fees collected so far (base units), held by no account. The
// protocol may distribute it; until then it stays part of the supply.
func (s *State) FeePool() uint64 { return s.getU64(keyFeePool) }

// Credit adds amount to a's balance (supply unchanged: the caller took it
// from somewhere).
func (s *State) credit(a Address, amount uint64) error {
	acct := s.Account(a)
	b, err := addU64(acct.Balance, amount)
	if err != nil {
		return err
	}
	acct.Balance = b
	s.SetAccount(acct)
	return nil
}

func (s *State) debit(a Address, amount uint64) error {
	acct := s.Account(a)
	if acct.Balance < amount {
		return fmt.Errorf("%w: %s has %d, needs %d", ErrInsufficientFunds, a, acct.Balance, amount)
	}
	acct.Balance -= amount
	s.SetAccount(acct)
	return nil
}

// Transfer moves amount base units from one account to another. Supply is
// unchanged. Fails with ErrInsufficientFunds or ErrOverflow and then writes
// nothing.
func (s *State) Transfer(from, to Address, amount uint64) error {
	if from == to {
		if s.Account(from).Balance < amount {
			return fmt.Errorf("%w: %s has %d, needs %d", ErrInsufficientFunds, from, s.Account(from).Balance, amount)
		}
		return nil
	}
	if _, err := addU64(s.Account(to).Balance, amount); err != nil {
		return err
	}
	if err := s.debit(from, amount); err != nil {
		return err
	}
	return s.credit(to, amount)
}

// Mint creates amount new base units in to's balance and raises the supply
// (epoch emission uses it).
func (s *State) Mint(to Address, amount uint64) error {
	sup, err := addU64(s.Supply(), amount)
	if err != nil {
		return err
	}
	if err := s.credit(to, amount); err != nil {
		return err
	}
	s.setU64(keySupply, sup)
	return nil
}

// Burn destroys amount base units from from's balance and lowers the supply
// (registration burns use it).
func (s *State) Burn(from Address, amount uint64) error {
	if err := s.debit(from, amount); err != nil {
		return err
	}
	s.setU64(keySupply, s.Supply()-amount)
	return nil
}

// PayFromFeePool moves amount from the fee pool to an account (for a protocol
// that rewards validators with fees). Supply is unchanged.
func (s *State) PayFromFeePool(to Address, amount uint64) error {
	pool := s.FeePool()
	if pool < amount {
		return fmt.Errorf("%w: fee pool has %d, needs %d", ErrInsufficientFunds, pool, amount)
	}
	if err := s.credit(to, amount); err != nil {
		return err
	}
	s.setU64(keyFeePool, pool-amount)
	return nil
}

// balancesAndFeePool sums every balance and the fee pool (ErrOverflow past
// 2^64). It walks every account.
func (s *State) balancesAndFeePool() (uint64, error) {
	total := s.FeePool()
	var err error
	s.Accounts(func(a Account) bool {
		total, err = addU64(total, a.Balance)
		return err == nil
	})
	return total, err
}

// CheckSupply verifies the supply invariant: the sum of all balances plus the
// fee pool equals Supply. Other modules that hold funds outside accounts (for
// example stake) must extend it. It walks every account: for tests and audits.
func (s *State) CheckSupply() error {
	total, err := s.balancesAndFeePool()
	if err != nil {
		return err
	}
	if total != s.Supply() {
		return fmt.Errorf("%w: balances + fee pool = %d, supply = %d", ErrInternal, total, s.Supply())
	}
	return nil
}
