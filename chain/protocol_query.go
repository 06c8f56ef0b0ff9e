package chain

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SubnetInfo answers /subnet/<id> and is one entry of /subnets.
type SubnetInfo struct {
	Subnet
	// VK is the verifying key (only in /subnet/<id>).
	VK []byte `json:"vk,omitempty"`
	// PendingEmission accrued in the current epoch, base units.
	PendingEmission uint64 `json:"pending_emission"`
	// NextEpochAt is the first block of the next epoch.
	NextEpochAt uint64 `json:"next_epoch_at"`
	// Scheme is the task's proof scheme (TaskSpec.Scheme, from its circuit
	// ID): "hash" (model commitments are Poseidon2 hashes; proof-less
	// subnets too) or "commit" (model commitments are model points).
	Scheme string `json:"scheme"`
}

// SubnetsInfo answers /subnets.
type SubnetsInfo struct {
	Subnets []SubnetInfo `json:"subnets"`
	// NextCreateBurn is what the next subnet-create burns.
	NextCreateBurn uint64 `json:"next_create_burn"`
}

// EpochInfo answers /epoch/<id>: what a miner needs to build its proof.
type EpochInfo struct {
	Subnet uint16 `json:"subnet"`
	// Epoch is the current epoch number.
	Epoch uint64 `json:"epoch"`
	// Seed of the current epoch (zero until the creation block ends).
	Seed Hash32 `json:"seed"`
	// StartHeight is the first block of the epoch.
	StartHeight uint64 `json:"start_height"`
	// NextEpochHeight is the first block of the next epoch; the epoch is
	// scored at the end of block NextEpochHeight-1.
	NextEpochHeight uint64 `json:"next_epoch_height"`
	Tempo           uint64 `json:"tempo"`
	// Height is the last block the protocol processed.
	Height          uint64 `json:"height"`
	PendingEmission uint64 `json:"pending_emission"`
	InputSize       uint32 `json:"input_size"`
	CommitReveal    bool   `json:"commit_reveal"`
	RequireProof    bool   `json:"require_proof"`
	// RevealDelay is how many epochs after its commit a commit is revealed.
	RevealDelay uint64 `json:"reveal_delay_epochs"`
}

// NeuronInfo is one UID as queries show it: the stored neuron plus derived
// fields.
type NeuronInfo struct {
	Neuron
	// ValidatorPermit: among the top max_validators by stake now (stake > 0,
	// ties to the lower UID), the rule the epoch applies.
	ValidatorPermit bool `json:"validator_permit"`
	// Immune: inside the immunity period at Height.
	Immune bool `json:"immune"`
	// ProofEpoch is the epoch of the last accepted proof (valid with
	// HasProof); ProofOK means it is for the current epoch.
	HasProof   bool   `json:"has_proof"`
	ProofEpoch uint64 `json:"proof_epoch"`
	ProofOK    bool   `json:"proof_ok"`
	// Last epoch's outcome (zero before the UID's first epoch).
	Incentive    uint64 `json:"incentive"`
	Dividends    uint64 `json:"dividends"`
	Emission     uint64 `json:"emission"`
	PruningScore uint64 `json:"pruning_score"`
}

// Metagraph answers /metagraph/<id>: the subnet, its epoch and every UID in
// one round trip.
type Metagraph struct {
	Subnet  SubnetInfo   `json:"subnet"`
	Epoch   EpochInfo    `json:"epoch"`
	Neurons []NeuronInfo `json:"neurons"`
}

// WeightsInfo answers /weights/<id>.
type WeightsInfo struct {
	Subnet  uint16          `json:"subnet"`
	Epoch   uint64          `json:"epoch"`
	Rows    []WeightsRow    `json:"rows"`
	Commits []WeightsCommit `json:"commits"`
}

// StakeInfo answers /stake/<id>/<hotkey>.
type StakeInfo struct {
	Subnet      uint16       `json:"subnet"`
	Hotkey      Address      `json:"hotkey"`
	Total       uint64       `json:"total"`
	Delegations []Delegation `json:"delegations"`
}

func init() {
	RegisterQuery("subnets", func(s *State, _ string, _ []byte) (any, error) {
		out := SubnetsInfo{Subnets: []SubnetInfo{}}
		for _, sn := range s.Subnets() {
			out.Subnets = append(out.Subnets, s.subnetInfo(sn, false))
		}
		b, err := s.SubnetCreateBurn()
		out.NextCreateBurn = b
		return out, err
	})
	RegisterQuery("subnet", func(s *State, rest string, _ []byte) (any, error) {
		sn, err := s.subnetArg(rest)
		if err != nil {
			return nil, err
		}
		return s.subnetInfo(sn, true), nil
	})
	RegisterQuery("epoch", func(s *State, rest string, _ []byte) (any, error) {
		sn, err := s.subnetArg(rest)
		if err != nil {
			return nil, err
		}
		return s.epochInfo(sn), nil
	})
	RegisterQuery("metagraph", func(s *State, rest string, _ []byte) (any, error) {
		sn, err := s.subnetArg(rest)
		if err != nil {
			return nil, err
		}
		return s.Metagraph(sn), nil
	})
	RegisterQuery("neuron", queryNeuron)
	RegisterQuery("weights", func(s *State, rest string, _ []byte) (any, error) {
		sn, err := s.subnetArg(rest)
		if err != nil {
			return nil, err
		}
		out := WeightsInfo{Subnet: sn.ID, Epoch: sn.Epoch, Rows: s.WeightsRows(sn.ID), Commits: s.Commits(sn.ID)}
		if out.Rows == nil {
			out.Rows = []WeightsRow{}
		}
		if out.Commits == nil {
			out.Commits = []WeightsCommit{}
		}
		return out, nil
	})
	RegisterQuery("emissions", func(s *State, rest string, _ []byte) (any, error) {
		sn, err := s.subnetArg(rest)
		if err != nil {
			return nil, err
		}
		rec := s.EpochRecord(sn.ID)
		if rec == nil {
			return nil, fmt.Errorf("%w: subnet %d has not finished an epoch yet", ErrNotFound, sn.ID)
		}
		return rec, nil
	})
	RegisterQuery("stake", func(s *State, rest string, _ []byte) (any, error) {
		idStr, hkStr, _ := strings.Cut(rest, "/")
		sn, err := s.subnetArg(idStr)
		if err != nil {
			return nil, err
		}
		hk, err := ParseAddress(hkStr)
		if err != nil {
			return nil, err
		}
		out := StakeInfo{Subnet: sn.ID, Hotkey: hk, Delegations: s.Delegations(sn.ID, hk)}
		if out.Delegations == nil {
			out.Delegations = []Delegation{}
		}
		for _, d := range out.Delegations {
			out.Total += d.Amount
		}
		return out, nil
	})
	RegisterQuery("tokenomics", func(s *State, _ string, _ []byte) (any, error) { return s.Tokenomics(), nil })
}

// subnetArg parses a decimal subnet ID and loads the subnet.
func (s *State) subnetArg(arg string) (*Subnet, error) {
	id, err := strconv.ParseUint(arg, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: subnet id %q", ErrMalformed, arg)
	}
	return s.Subnet(uint16(id))
}

func (s *State) subnetInfo(sn *Subnet, withVK bool) SubnetInfo {
	si := SubnetInfo{Subnet: *sn, PendingEmission: s.PendingEmission(sn.ID), NextEpochAt: sn.NextEpochAt()}
	if scheme, err := sn.Task.Scheme(); err == nil {
		si.Scheme = scheme.String()
	}
	if withVK {
		si.VK = s.SubnetVK(sn.ID)
	}
	return si
}

func (s *State) epochInfo(sn *Subnet) EpochInfo {
	return EpochInfo{Subnet: sn.ID, Epoch: sn.Epoch, Seed: sn.Seed, StartHeight: sn.EpochStart,
		NextEpochHeight: sn.NextEpochAt(), Tempo: sn.Hyper.Tempo, Height: s.getU64(keyProtoHeight),
		PendingEmission: s.PendingEmission(sn.ID), InputSize: sn.Task.InputSize,
		CommitReveal: sn.Hyper.CommitReveal, RequireProof: sn.Hyper.RequireProof, RevealDelay: sn.Hyper.revealDelay()}
}

// ValidatorPermits returns, by UID, whether each neuron is among the top
// max_validators by stake among those with at least min_validator_stake
// (stake > 0, ties to the lower UID). Queries pass
// the current stake: it is what counts from the next epoch on, when weights
// committed now are revealed; an epoch's own permits use the stake held for
// the whole epoch (EpochRecord.Neurons[i].ValidatorPermit).
func ValidatorPermits(sn *Subnet, neurons []*Neuron) []bool {
	idx := make([]int, 0, len(neurons))
	for i, n := range neurons {
		if n.Stake > 0 && n.Stake >= sn.Hyper.MinValidatorStake {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(neurons[b].Stake, neurons[a].Stake); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	permit := make([]bool, len(neurons))
	for k, i := range idx {
		if k >= int(sn.Hyper.MaxValidators) {
			break
		}
		permit[i] = true
	}
	return permit
}

// Metagraph assembles the metagraph view of sn.
func (s *State) Metagraph(sn *Subnet) Metagraph {
	neurons := s.Neurons(sn.ID)
	permits := ValidatorPermits(sn, neurons)
	mg := Metagraph{Subnet: s.subnetInfo(sn, false), Epoch: s.epochInfo(sn), Neurons: make([]NeuronInfo, len(neurons))}
	rec := s.EpochRecord(sn.ID)
	for i, n := range neurons {
		mg.Neurons[i] = s.neuronInfo(sn, n, permits[i], rec)
	}
	return mg
}

func (s *State) neuronInfo(sn *Subnet, n *Neuron, permit bool, rec *EpochRecord) NeuronInfo {
	ni := NeuronInfo{Neuron: *n, ValidatorPermit: permit, Immune: sn.Immune(n, s.getU64(keyProtoHeight)),
		PruningScore: s.PruningScore(sn.ID, n)}
	if p, ok := s.Proof(sn.ID, n.UID); ok {
		ni.HasProof, ni.ProofEpoch, ni.ProofOK = true, p.Epoch, p.Epoch == sn.Epoch
	}
	if rec != nil && rec.Block >= n.RegisteredAt && int(n.UID) < len(rec.Neurons) {
		r := rec.Neurons[n.UID]
		ni.Incentive, ni.Dividends, ni.Emission = r.Incentive, r.Dividends, r.Emission
	}
	return ni
}

// queryNeuron answers /neuron/<id>/<uid> (decimal) and
// /neuron/<id>/<hotkey address> (40 hex digits).
func queryNeuron(s *State, rest string, _ []byte) (any, error) {
	idStr, who, _ := strings.Cut(rest, "/")
	sn, err := s.subnetArg(idStr)
	if err != nil {
		return nil, err
	}
	var n *Neuron
	if len(who) == 2*AddressLen {
		hk, err := ParseAddress(who)
		if err != nil {
			return nil, err
		}
		n, err = s.NeuronByHotkey(sn.ID, hk)
		if err != nil {
			return nil, err
		}
	} else {
		uid, err := strconv.ParseUint(who, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%w: uid %q", ErrMalformed, who)
		}
		if n, err = s.Neuron(sn.ID, uint16(uid)); err != nil {
			return nil, err
		}
	}
	permits := ValidatorPermits(sn, s.Neurons(sn.ID))
	return s.neuronInfo(sn, n, permits[n.UID], s.EpochRecord(sn.ID)), nil
}
