package scoring

import (
	"encoding/json"
	"fmt"
)

// BondsMode selects how validator bonds evolve and pay dividends.
type BondsMode uint8

const (
	// BondsYuma is subtensor's original ("legacy") path, the scoring rule
	// "yuma" on chain (chain.ScoringYuma): the bond delta
	// S_i*Wc_ij is column-normalised, blended into the column-normalised
	// previous bonds with an EMA and column-normalised again; dividends are
	// D_i = sum_j B_ij*I_j.
	BondsYuma BondsMode = 0
	// BondsYuma3 is subtensor's per-pair path, the scoring rule "yuma3" on
	// chain (chain.ScoringYuma3): B_ij = (1-a)*B_prev_ij +
	// a*Wc_ij with no normalisation, and D_i is proportional to
	// S_i * sum_j B_ij*I_j.
	BondsYuma3 BondsMode = 1
)

// String returns "yuma" or "yuma3": the scoring rule names of the chain.
func (m BondsMode) String() string {
	switch m {
	case BondsYuma:
		return "yuma"
	case BondsYuma3:
		return "yuma3"
	}
	return fmt.Sprintf("BondsMode(%d)", uint8(m))
}

// MarshalJSON encodes the mode by name.
func (m BondsMode) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// UnmarshalJSON accepts "yuma" or "yuma3", and "legacy" (the name of
// BondsYuma before issue 19) for files written then.
func (m *BondsMode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("bonds_mode: %w", err)
	}
	switch s {
	case "yuma", "legacy":
		*m = BondsYuma
	case "yuma3":
		*m = BondsYuma3
	default:
		return fmt.Errorf("bonds_mode %q: want yuma or yuma3", s)
	}
	return nil
}

// Params are a subnet's epoch hyperparameters, all integers.
type Params struct {
	// Kappa is the consensus quantile as a u16 fraction of 65535: C_j is the
	// largest weight given to j by validators holding >= Kappa/65535 of the
	// active stake. Subtensor's default 32767 is just under one half.
	Kappa uint16 `json:"kappa"`
	// BondsMovingAverage is the weight of the previous bonds in the bonds
	// EMA, in parts per million (<= 1,000,000); the EMA rate of the new
	// bonds is alpha = 1 - BondsMovingAverage/1e6.
	BondsMovingAverage uint32 `json:"bonds_moving_average_ppm"`
	// BondsMode selects the Yuma (subtensor's original) or the Yuma3 bonds
	// path.
	BondsMode BondsMode `json:"bonds_mode"`
	// OwnerCutBps is the subnet owner's share of the epoch emission, in basis
	// points (<= 10,000), taken first and rounded down.
	OwnerCutBps uint16 `json:"owner_cut_bps"`
	// MinerShareBps is the miners' share of what is left after the owner
	// cut, in basis points (<= 10,000), rounded down; validators get the rest.
	MinerShareBps uint16 `json:"miner_share_bps"`
	// MaxValidators is how many UIDs, the top by stake, hold a validator
	// permit; only their weight rows and bonds count.
	MaxValidators uint16 `json:"max_validators"`
	// MinValidatorStake is the least stake a UID needs for a permit.
	MinValidatorStake uint64 `json:"min_validator_stake"`
	// ActivityCutoff is the number of blocks after its last update past
	// which a UID is inactive and its stake does not count.
	ActivityCutoff uint64 `json:"activity_cutoff"`
	// Emission is the amount paid out this epoch, in base units. The owner
	// emission, every UID's emission and Result.Unpaid sum to it exactly.
	Emission uint64 `json:"emission"`
	// Block is the current block height.
	Block uint64 `json:"block"`
	// RequireProof makes a UID whose Neuron.ProofOK is false earn no
	// incentive; its share goes to the other miners.
	RequireProof bool `json:"require_proof"`
}

// DefaultParams returns the defaults for a new subnet: subtensor's (kappa
// 32767, bonds moving average 900,000 ppm, Yuma (original) bonds, owner cut 18%,
// miners 50% of the rest, activity cutoff 5,000 blocks) except 64
// validators (subtensor's runtime default is 128; see docs/scoring.md), with
// proofs of model required. Emission and Block are zero: the chain fills them.
func DefaultParams() Params {
	return Params{
		Kappa:              32767,
		BondsMovingAverage: 900_000,
		BondsMode:          BondsYuma,
		OwnerCutBps:        1800,
		MinerShareBps:      5000,
		MaxValidators:      64,
		ActivityCutoff:     5000,
		RequireProof:       true,
	}
}

// Validate reports the first out-of-range parameter, wrapping ErrParams.
func (p Params) Validate() error {
	switch {
	case p.BondsMovingAverage > ppm:
		return fmt.Errorf("%w: bonds_moving_average_ppm %d > %d", ErrParams, p.BondsMovingAverage, ppm)
	case p.BondsMode != BondsYuma && p.BondsMode != BondsYuma3:
		return fmt.Errorf("%w: bonds mode %d", ErrParams, p.BondsMode)
	case p.OwnerCutBps > bps:
		return fmt.Errorf("%w: owner_cut_bps %d > %d", ErrParams, p.OwnerCutBps, bps)
	case p.MinerShareBps > bps:
		return fmt.Errorf("%w: miner_share_bps %d > %d", ErrParams, p.MinerShareBps, bps)
	}
	return nil
}

const (
	ppm = 1_000_000
	bps = 10_000
)
