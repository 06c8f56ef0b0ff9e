package chain

import (
	"encoding/json"
	"fmt"
)

// Params are the chain parameters, set at genesis and stored in the state.
type Params struct {
	// MinFee is the smallest fee a transaction may pay, in base units.
	MinFee uint64 `json:"min_fee"`
	// MaxTxBytes is the largest encoded transaction accepted, in bytes.
	MaxTxBytes uint64 `json:"max_tx_bytes"`
	// BlockEmission is the number of base units the subnet protocol emits per
	// block, shared across subnets by emission share (docs/protocol.md).
	BlockEmission uint64 `json:"block_emission"`
	// SubnetBurn is the base burn of subnet-create, in base units; creating
	// the (n+1)-th subnet burns SubnetBurn*(n+1).
	SubnetBurn uint64 `json:"subnet_burn"`
	// MaxSubnets is the largest number of subnets (at most 65535).
	MaxSubnets uint64 `json:"max_subnets"`
	// FeePerWeight is the fee per weight entry of set-weights and
	// reveal-weights, on top of MinFee (RequiredFee).
	FeePerWeight uint64 `json:"fee_per_weight"`
	// FeePerProof is the fee per Groth16 verification a transaction causes
	// (submit-proof), on top of MinFee.
	FeePerProof uint64 `json:"fee_per_proof"`
	// CeremonyMinContributors is the fewest distinct contributors a setup
	// ceremony needs to be sealed or used (1..MaxCeremonyContributions).
	CeremonyMinContributors uint64 `json:"ceremony_min_contributors"`
	// CeremonyBeaconDelay is how many blocks after ceremony-open the beacon
	// block comes: contributions land before it, the seal after it.
	CeremonyBeaconDelay uint64 `json:"ceremony_beacon_delay"`
}

// DefaultParams are used where a genesis leaves params out.
func DefaultParams() Params {
	return Params{MinFee: 100, MaxTxBytes: 64 << 10, BlockEmission: 1_000_000_000,
		SubnetBurn: 100_000_000_000, MaxSubnets: 64, FeePerWeight: 1, FeePerProof: 3_000,
		CeremonyMinContributors: 2, CeremonyBeaconDelay: 100}
}

// Validate checks that the parameters are usable.
func (p Params) Validate() error {
	if p.MaxTxBytes < 200 || p.MaxTxBytes > MaxBodyLen+1024 {
		return fmt.Errorf("%w: max_tx_bytes %d outside [200, %d]", ErrInvalidGenesis, p.MaxTxBytes, MaxBodyLen+1024)
	}
	if p.MaxSubnets > 65535 {
		return fmt.Errorf("%w: max_subnets %d > 65535", ErrInvalidGenesis, p.MaxSubnets)
	}
	if p.CeremonyMinContributors < 1 || p.CeremonyMinContributors > MaxCeremonyContributions {
		return fmt.Errorf("%w: ceremony_min_contributors %d outside [1, %d]", ErrInvalidGenesis, p.CeremonyMinContributors, MaxCeremonyContributions)
	}
	if p.CeremonyBeaconDelay < 1 || p.CeremonyBeaconDelay > 10_000_000 {
		return fmt.Errorf("%w: ceremony_beacon_delay %d outside [1, 10000000]", ErrInvalidGenesis, p.CeremonyBeaconDelay)
	}
	return nil
}

// Params returns the current parameters (DefaultParams before genesis).
func (s *State) Params() Params {
	if s.params != nil {
		return *s.params
	}
	p := DefaultParams()
	if v, ok := s.Get(keyParams); ok {
		_ = json.Unmarshal(v, &p) // written only by SetParams from a validated value
	}
	s.params = &p
	return p
}

// SetParams validates and stores p.
func (s *State) SetParams(p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(p) // struct fields marshal in declaration order: deterministic
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInternal, err)
	}
	s.Set(keyParams, b)
	s.params = &p
	return nil
}

// ChainID returns the chain ID recorded at genesis.
func (s *State) ChainID() string {
	v, _ := s.Get(keyChainID)
	return string(v)
}

// GenesisAccount is an account funded at genesis.
type GenesisAccount struct {
	Address Address `json:"address"`
	// Balance in base units.
	Balance uint64 `json:"balance"`
}

// Genesis is the application part of CometBFT's genesis.json ("app_state").
type Genesis struct {
	Accounts []GenesisAccount `json:"accounts"`
	Params   Params           `json:"params"`
	// ValidatorAuthority, if set, may add and remove validators
	// (validators.go); without it the genesis validator set is fixed.
	ValidatorAuthority *Address `json:"validator_authority,omitempty"`
}

// DefaultGenesis returns a genesis with default params and no accounts.
func DefaultGenesis() *Genesis { return &Genesis{Params: DefaultParams()} }

// ParseGenesis decodes app_state JSON; empty input gives DefaultGenesis.
func ParseGenesis(b []byte) (*Genesis, error) {
	g := DefaultGenesis()
	if len(b) == 0 {
		return g, nil
	}
	if err := json.Unmarshal(b, g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
	}
	return g, nil
}

// Validate checks params, duplicate accounts and that the supply fits a uint64.
func (g *Genesis) Validate() error {
	if err := g.Params.Validate(); err != nil {
		return err
	}
	seen := make(map[Address]bool, len(g.Accounts))
	var total uint64
	for _, a := range g.Accounts {
		if seen[a.Address] {
			return fmt.Errorf("%w: account %s listed twice", ErrInvalidGenesis, a.Address)
		}
		seen[a.Address] = true
		var err error
		if total, err = addU64(total, a.Balance); err != nil {
			return fmt.Errorf("%w: total supply: %v", ErrInvalidGenesis, err)
		}
	}
	return nil
}

// InitGenesis writes the genesis state (chain ID, params, balances, supply)
// into an empty state.
func (s *State) InitGenesis(chainID string, g *Genesis) error {
	if chainID == "" || len(chainID) > MaxChainIDLen {
		return fmt.Errorf("%w: chain id %q", ErrInvalidGenesis, chainID)
	}
	if s.Len() != 0 {
		return fmt.Errorf("%w: state is not empty", ErrInvalidGenesis)
	}
	if err := g.Validate(); err != nil {
		return err
	}
	s.Set(keyChainID, []byte(chainID))
	if err := s.SetParams(g.Params); err != nil {
		return err
	}
	s.setU64(keyFeePool, 0)
	for _, a := range g.Accounts {
		if err := s.Mint(a.Address, a.Balance); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
		}
	}
	s.setU64(keySupply, s.Supply())
	return nil
}
