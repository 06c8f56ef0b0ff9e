package scoring

// Neuron is one UID of the metagraph as the epoch sees it.
type Neuron struct {
	// UID is the neuron's index; Input.Neurons[i].UID must equal i.
	UID uint16 `json:"uid"`
	// Stake is the stake behind the UID's hotkey, in base units.
	Stake uint64 `json:"stake"`
	// LastUpdate is the block of the UID's last weights update (or of its
	// registration if it never set weights).
	LastUpdate uint64 `json:"last_update"`
	// RegisteredAt is the block at which the current holder of the UID
	// registered.
	RegisteredAt uint64 `json:"registered_at"`
	// ProofOK reports a valid proof of model this epoch; with
	// Params.RequireProof a false value zeroes the UID's incentive.
	ProofOK bool `json:"proof_ok"`
}

// Weight is one sparse entry of a weight or bond row: a target UID and a
// u16 value. Weights are relative (each row is normalised); bonds are u16
// fractions of 65535.
type Weight struct {
	UID   uint16 `json:"uid"`
	Value uint16 `json:"value"`
}

// Row is one validator's sparse row; Weights are strictly increasing by UID.
type Row struct {
	UID     uint16   `json:"uid"`
	Weights []Weight `json:"weights"`
}

// Input is everything one epoch reads.
//
// Preconditions (checked; a violation returns an error wrapping
// ErrNeuronOrder, ErrRowOrder or ErrUnknownUID): Neurons[i].UID == i;
// Weights and Bonds are strictly increasing by Row.UID and each row's
// entries strictly increasing by Weight.UID; every UID is < len(Neurons).
type Input struct {
	Params  Params
	Neurons []Neuron
	// Weights are the validators' latest weights. Rows of UIDs without a
	// validator permit are ignored.
	Weights []Row
	// Bonds are the previous epoch's Result.Bonds (u16 fractions of 65535).
	// The chain must drop the row of a UID when a new hotkey takes it over;
	// bonds towards a UID registered at or after the validator's last
	// update are dropped here.
	Bonds []Row
}

// NeuronResult is one UID's outcome. Fractions are Fixed (Q32.32).
type NeuronResult struct {
	UID uint16 `json:"uid"`
	// Active is false when the UID's last update is more than
	// ActivityCutoff blocks old.
	Active bool `json:"active"`
	// ValidatorPermit: the UID is among the top MaxValidators by stake
	// (ties: lower UID first) and has stake > 0.
	ValidatorPermit bool `json:"validator_permit"`
	// ActiveStake is the UID's share of the stake of active permitted
	// validators (the stake weights S_i of consensus); sums to ~1 or is all 0.
	ActiveStake Fixed `json:"active_stake"`
	// Consensus is the kappa-quantile C_j of the weights the UID received.
	Consensus Fixed `json:"consensus"`
	// Trust is Rank / pre-clip rank: the part of the UID's support that
	// survived clipping.
	Trust Fixed `json:"trust"`
	// Rank is R_j = sum_i S_i*min(W_ij, C_j), before normalisation and
	// before the proof-of-model mask.
	Rank Fixed `json:"rank"`
	// Incentive is the UID's share of the miners' emission: Rank with the
	// proof-of-model mask applied, normalised to sum to 1 (or all 0).
	Incentive Fixed `json:"incentive"`
	// ValidatorTrust is sum_j min(W_ij, C_j) over the UID's own row.
	ValidatorTrust Fixed `json:"validator_trust"`
	// Dividends is the UID's share of the validators' emission (sums to 1
	// or is all 0).
	Dividends Fixed `json:"dividends"`
	// MinerEmission is the incentive part of Emission, in base units.
	MinerEmission uint64 `json:"miner_emission"`
	// ValidatorEmission is the dividends part of Emission, in base units.
	ValidatorEmission uint64 `json:"validator_emission"`
	// Emission = MinerEmission + ValidatorEmission, in base units; it is also
	// the UID's pruning score.
	Emission uint64 `json:"emission"`
}

// Result is the outcome of one epoch.
//
// Invariant: OwnerEmission + Unpaid + sum of Neurons[i].Emission ==
// Params.Emission exactly.
type Result struct {
	Neurons []NeuronResult `json:"neurons"`
	// Bonds are the new bonds (u16 fractions of 65535), sparse, rows and
	// entries strictly increasing by UID, zero entries and empty rows
	// omitted. Feed them back as Input.Bonds next epoch.
	Bonds []Row `json:"bonds"`
	// OwnerEmission is the subnet owner's cut, in base units.
	OwnerEmission uint64 `json:"owner_emission"`
	// Unpaid is emission nobody could receive: the miner pot when no miner
	// has incentive (no proof, or no weights), plus the validator pot when no
	// active permitted validator has stake (e.g. an empty subnet). The chain
	// never mints it.
	Unpaid uint64 `json:"unpaid"`
}
