package chain

import "strconv"

// burnFees burns the fee pool at the end of every block: the block's fees
// leave the supply and are counted in Tokenomics.Burned, so supply ==
// genesis + minted - burned and balances + fee pool + stake == supply both
// hold. Fees are burned rather than paid to the proposer because a CometBFT
// proposer address is bound to no account (docs/protocol.md, "Fees").
func burnFees(s *State, _ BlockContext) ([]Event, error) {
	pool := s.FeePool()
	if pool == 0 {
		return nil, nil
	}
	burned, err := addU64(s.getU64(keyBurned), pool)
	if err != nil {
		return nil, nil // 2^64 burned: keep the pool
	}
	s.setU64(keyFeePool, 0)
	s.setU64(keySupply, s.Supply()-pool)
	s.setU64(keyBurned, burned)
	return []Event{{Type: "fees_burned", Attrs: []Attr{{"amount", strconv.FormatUint(pool, 10)}}}}, nil
}
