package chain

import (
	"crypto/sha256"
	"fmt"
	"strconv"

	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// Envelope types of the subnet protocol's messages.
const (
	TxSubnetCreate  TxType = 10
	TxSubnetUpdate  TxType = 11
	TxRegister      TxType = 12
	TxServe         TxType = 13
	TxStake         TxType = 14
	TxUnstake       TxType = 15
	TxSetWeights    TxType = 16
	TxCommitWeights TxType = 17
	TxRevealWeights TxType = 18
	TxSubmitProof   TxType = 19
)

// Scoring rule names a subnet may choose (TaskSpec.ScoringRule). They are
// part of the subnet-create encoding and the state, so they never change;
// they are the names of scoring.BondsMode (BondsYuma, BondsYuma3), which
// TestScoringRuleNames pins.
const (
	// ScoringYuma is Yuma consensus with subtensor's original bonds
	// (scoring.BondsYuma).
	ScoringYuma = "yuma"
	// ScoringYuma3 is Yuma consensus with per-pair (Yuma3) bonds
	// (scoring.BondsYuma3).
	ScoringYuma3 = "yuma3"
)

// Limits of subnet fields.
const (
	MaxSubnetNameLen = 64
	MaxArchLen       = 128
	MaxUIDsLimit     = 4096
	MaxTempo         = 100_000
	// MinTempo is the shortest epoch: an epoch's end block costs
	// O(max_uids × max_validators), so it may not run every block.
	MinTempo = 10
	// MaxValidatorCells caps max_uids × max_validators, the size of the
	// weight and bond matrices an epoch reads (4096 UIDs × 32 validators, or 2048 × 64).
	MaxValidatorCells = 1 << 17
	// MaxRevealDelay is the longest commit-reveal delay, in epochs.
	MaxRevealDelay = 16
)

// Scheme is how the subnet's proofs bind the model (zk.SchemeOf Arch and
// CircuitID): the form of every neuron's ModelCommitment and the verifier of
// its proofs.
func (t TaskSpec) Scheme() (zk.Scheme, error) {
	a, err := zk.ParseArch(t.Arch)
	if err != nil {
		return 0, err
	}
	return zk.SchemeOf(a, t.CircuitID)
}

// TaskSpec is what a subnet asks miners to do: prove inference of a model of
// architecture Arch on challenge inputs. Immutable after subnet-create.
type TaskSpec struct {
	// Arch is the model architecture, e.g. "784-64-10".
	Arch string `json:"arch"`
	// CircuitID is the subnet ceremony's circuit: zk.Scheme.CircuitID(Arch)
	// of the scheme it was opened with (Scheme), or zk.Arch.CircuitID() of
	// a proof-less subnet.
	CircuitID Hash32 `json:"circuit_id"`
	// Ceremony is the sealed phase-2 ceremony the keys come from.
	Ceremony uint32 `json:"ceremony"`
	// VKHash is SHA-256 of the verifying key (the ceremony's, stored under
	// snvk/<id>).
	VKHash Hash32 `json:"vk_hash"`
	// PKHash is SHA-256 of the ceremony's proving key, served off chain.
	PKHash Hash32 `json:"pk_hash"`
	// InputSize and OutputSize are the model's input length and number of
	// output classes (from Arch).
	InputSize  uint32 `json:"input_size"`
	OutputSize uint32 `json:"output_size"`
	// DatasetCommitment commits to the validators' held-out dataset.
	DatasetCommitment Hash32 `json:"dataset_commitment"`
	// ScoringRule is ScoringYuma or ScoringYuma3.
	ScoringRule string `json:"scoring_rule"`
	// TaskHash is the SHA-256 of the subnet's task spec (internal/task,
	// stored under sntask/<id>); absent for subnets made by subnet-create
	// (arch only), whose task is task.ForArch(Arch).
	TaskHash *Hash32 `json:"task_hash,omitempty"`
	// Proofless: the task declares require_proof=false. Miners answer
	// without proofs, there is no ceremony or verifying key, and
	// require_proof stays false.
	Proofless bool `json:"proofless,omitempty"`
}

// Hyperparams are a subnet's tunable parameters; the owner may change them
// with subnet-update within the bounds of Validate.
type Hyperparams struct {
	// Tempo is the epoch length in blocks, 1..MaxTempo.
	Tempo uint64 `json:"tempo"`
	// ImmunityPeriod is how many blocks after registration a UID cannot be
	// replaced.
	ImmunityPeriod uint64 `json:"immunity_period"`
	// MaxUIDs is the number of UIDs, 1..4096; never below the UIDs in use.
	MaxUIDs uint16 `json:"max_uids"`
	// MaxValidators is how many UIDs, top by stake, hold a validator permit.
	MaxValidators uint16 `json:"max_validators"`
	// MinAllowedWeights is the fewest entries a weight row may have.
	MinAllowedWeights uint16 `json:"min_allowed_weights"`
	// Kappa is the consensus quantile, a u16 fraction of 65535.
	Kappa uint16 `json:"kappa"`
	// BondsMovingAverage is the weight of old bonds in the EMA, ppm.
	BondsMovingAverage uint32 `json:"bonds_moving_average_ppm"`
	// WeightsRateLimit is the fewest blocks between two set-weights of one UID.
	WeightsRateLimit uint64 `json:"weights_rate_limit"`
	// ActivityCutoff: a UID whose last update is older counts no stake.
	ActivityCutoff uint64 `json:"activity_cutoff"`
	// CommitReveal makes validators commit weights and reveal them the next
	// epoch (set-weights is then refused).
	CommitReveal bool `json:"commit_reveal"`
	// RequireProof zeroes the incentive of miners without a valid on-chain
	// proof this epoch.
	RequireProof bool `json:"require_proof"`
	// EmissionShare is the subnet's weight in the split of block emission;
	// fixed at creation.
	EmissionShare uint32 `json:"emission_share"`
	// RegistrationBurn is what register burns, in base units.
	RegistrationBurn uint64 `json:"registration_burn"`
	// OwnerCutBps is the owner's cut of each epoch's emission (basis points).
	OwnerCutBps uint16 `json:"owner_cut_bps"`
	// MinerShareBps is the miners' share of the rest (basis points).
	MinerShareBps uint16 `json:"miner_share_bps"`
	// RevealDelay is how many epochs after its commit a weights commit is
	// revealed (1..MaxRevealDelay; commit-reveal subnets only).
	RevealDelay uint16 `json:"reveal_delay_epochs"`
	// MinValidatorStake is the least stake, in base units, that a UID needs
	// for a validator permit (besides being in the top max_validators).
	MinValidatorStake uint64 `json:"min_validator_stake"`
}

// revealDelay is RevealDelay, at least 1.
func (h Hyperparams) revealDelay() uint64 { return uint64(max(h.RevealDelay, 1)) }

// DefaultMinValidatorStake is min_validator_stake of a new subnet: 100
// registration burns (100 blocks of the chain's emission). A permit lets
// its holder query every miner and have its weights count, so it must cost
// more than a registration: one base unit of stake no longer buys one
// while fewer than max_validators UIDs are staked (docs/protocol.md).
const DefaultMinValidatorStake = 100_000_000_000

// DefaultHyperparams are subtensor's defaults for a new subnet.
func DefaultHyperparams() Hyperparams {
	d := scoring.DefaultParams()
	return Hyperparams{Tempo: 360, ImmunityPeriod: 5000, MaxUIDs: 256, MaxValidators: 64, MinAllowedWeights: 1,
		Kappa: d.Kappa, BondsMovingAverage: d.BondsMovingAverage, WeightsRateLimit: 100, ActivityCutoff: d.ActivityCutoff,
		CommitReveal: true, RequireProof: true, EmissionShare: 1, RegistrationBurn: 1_000_000_000,
		OwnerCutBps: d.OwnerCutBps, MinerShareBps: d.MinerShareBps, RevealDelay: 1, MinValidatorStake: DefaultMinValidatorStake}
}

// Validate checks the bounds; failures wrap ErrHyperparams.
func (h Hyperparams) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrHyperparams}, a...)...) }
	switch {
	case h.Tempo < MinTempo || h.Tempo > MaxTempo:
		return bad("tempo %d outside [%d, %d]", h.Tempo, MinTempo, MaxTempo)
	case h.ImmunityPeriod > 10_000_000:
		return bad("immunity_period %d > 10000000", h.ImmunityPeriod)
	case h.MaxUIDs < 1 || h.MaxUIDs > MaxUIDsLimit:
		return bad("max_uids %d outside [1, %d]", h.MaxUIDs, MaxUIDsLimit)
	case h.MaxValidators < 1 || h.MaxValidators > h.MaxUIDs:
		return bad("max_validators %d outside [1, max_uids %d]", h.MaxValidators, h.MaxUIDs)
	case uint64(h.MaxUIDs)*uint64(h.MaxValidators) > MaxValidatorCells:
		return bad("max_uids %d × max_validators %d > %d", h.MaxUIDs, h.MaxValidators, MaxValidatorCells)
	case h.RevealDelay < 1 || h.RevealDelay > MaxRevealDelay:
		return bad("reveal_delay_epochs %d outside [1, %d]", h.RevealDelay, MaxRevealDelay)
	case h.MinAllowedWeights < 1 || h.MinAllowedWeights > h.MaxUIDs:
		return bad("min_allowed_weights %d outside [1, max_uids]", h.MinAllowedWeights)
	case h.Kappa == 0:
		return bad("kappa is zero")
	case h.BondsMovingAverage > 1_000_000:
		return bad("bonds_moving_average_ppm %d > 1000000", h.BondsMovingAverage)
	case h.WeightsRateLimit > 10_000_000:
		return bad("weights_rate_limit %d > 10000000", h.WeightsRateLimit)
	case h.ActivityCutoff < 1 || h.ActivityCutoff > 10_000_000:
		return bad("activity_cutoff %d outside [1, 10000000]", h.ActivityCutoff)
	case h.EmissionShare > 1_000_000:
		return bad("emission_share %d > 1000000", h.EmissionShare)
	case h.OwnerCutBps > 10_000 || h.MinerShareBps > 10_000:
		return bad("owner_cut_bps %d / miner_share_bps %d > 10000", h.OwnerCutBps, h.MinerShareBps)
	}
	return nil
}

func (h Hyperparams) encode(e *Encoder) {
	e.Uint64(h.Tempo).Uint64(h.ImmunityPeriod).Uint16(h.MaxUIDs).Uint16(h.MaxValidators).
		Uint16(h.MinAllowedWeights).Uint16(h.Kappa).Uint32(h.BondsMovingAverage).Uint64(h.WeightsRateLimit).
		Uint64(h.ActivityCutoff).Bool(h.CommitReveal).Bool(h.RequireProof).Uint32(h.EmissionShare).
		Uint64(h.RegistrationBurn).Uint16(h.OwnerCutBps).Uint16(h.MinerShareBps).Uint16(h.RevealDelay).Uint64(h.MinValidatorStake)
}

func decodeHyperparams(d *Decoder) Hyperparams {
	return Hyperparams{Tempo: d.Uint64("tempo"), ImmunityPeriod: d.Uint64("immunity_period"),
		MaxUIDs: d.Uint16("max_uids"), MaxValidators: d.Uint16("max_validators"),
		MinAllowedWeights: d.Uint16("min_allowed_weights"), Kappa: d.Uint16("kappa"),
		BondsMovingAverage: d.Uint32("bonds_moving_average"), WeightsRateLimit: d.Uint64("weights_rate_limit"),
		ActivityCutoff: d.Uint64("activity_cutoff"), CommitReveal: d.Bool("commit_reveal"),
		RequireProof: d.Bool("require_proof"), EmissionShare: d.Uint32("emission_share"),
		RegistrationBurn: d.Uint64("registration_burn"), OwnerCutBps: d.Uint16("owner_cut_bps"),
		MinerShareBps: d.Uint16("miner_share_bps"), RevealDelay: d.Uint16("reveal_delay_epochs"),
		MinValidatorStake: d.Uint64("min_validator_stake")}
}

// Subnet is one subnet's stored record.
type Subnet struct {
	ID    uint16      `json:"id"`
	Name  string      `json:"name"`
	Owner Address     `json:"owner"`
	Task  TaskSpec    `json:"task"`
	Hyper Hyperparams `json:"hyperparams"`
	// CreatedAt is the block of subnet-create.
	CreatedAt uint64 `json:"created_at"`
	// N is the number of UIDs in use (0..MaxUIDs); it never decreases.
	N uint16 `json:"n"`
	// Epoch is the current epoch number (0 from creation).
	Epoch uint64 `json:"epoch"`
	// EpochStart is the first block of the current epoch.
	EpochStart uint64 `json:"epoch_start"`
	// Seed is the current epoch's seed; zero until the end of the creation
	// block.
	Seed Hash32 `json:"seed"`
}

// NextEpochAt is the first block of the next epoch: the current epoch's last
// block is NextEpochAt-1, where the end blocker pays it out.
func (sn *Subnet) NextEpochAt() uint64 { return sn.EpochStart + sn.Hyper.Tempo }

// Subnet returns the subnet with id, or ErrSubnetNotFound.
func (s *State) Subnet(id uint16) (*Subnet, error) {
	var sn Subnet
	if !s.getJSON(idKey(prefixSubnet, id), &sn) {
		return nil, fmt.Errorf("%w: %d", ErrSubnetNotFound, id)
	}
	return &sn, nil
}

func (s *State) putSubnet(sn *Subnet) error { return s.putJSON(idKey(prefixSubnet, sn.ID), sn) }

// Subnets returns every subnet in ID order.
func (s *State) Subnets() []*Subnet {
	var out []*Subnet
	s.Iterate(prefixSubnet, func(k string, _ []byte) bool {
		if len(k) == len(prefixSubnet)+2 {
			if sn, err := s.Subnet(uint16(k[len(prefixSubnet)])<<8 | uint16(k[len(prefixSubnet)+1])); err == nil {
				out = append(out, sn)
			}
		}
		return true
	})
	return out
}

// SubnetVK returns the subnet's verifying key.
func (s *State) SubnetVK(id uint16) []byte {
	v, _ := s.Get(idKey(prefixSubnetVK, id))
	return v
}

// SubnetCreateBurn is what the next subnet-create burns: SubnetBurn times
// (number of subnets + 1).
func (s *State) SubnetCreateBurn() (uint64, error) {
	n := uint64(len(s.Subnets()))
	b := s.Params().SubnetBurn
	if b != 0 && (n+1) > ^uint64(0)/b {
		return 0, fmt.Errorf("%w: subnet burn", ErrOverflow)
	}
	return b * (n + 1), nil
}

// MsgSubnetCreate creates a subnet owned by the signer. Body: name (string) |
// arch (string) | ceremony (u32) | dataset_commitment (32) | scoring_rule
// (string) | hyperparams (see docs/protocol.md for the field order). The
// keys are the named sealed phase-2 ceremony's: there is no way to install a
// verifying key of one's own.
type MsgSubnetCreate struct {
	Name              string      `json:"name"`
	Arch              string      `json:"arch"`
	Ceremony          uint32      `json:"ceremony"`
	DatasetCommitment Hash32      `json:"dataset_commitment"`
	ScoringRule       string      `json:"scoring_rule"`
	Hyper             Hyperparams `json:"hyperparams"`
}

// MsgSubnetUpdate replaces a subnet's hyperparameters; only the owner may
// send it. Body: subnet (u16) | hyperparams.
type MsgSubnetUpdate struct {
	Subnet uint16      `json:"subnet"`
	Hyper  Hyperparams `json:"hyperparams"`
}

func init() {
	RegisterMsg(TxSubnetCreate, "subnet-create", decodeSubnetCreate)
	RegisterMsg(TxSubnetUpdate, "subnet-update", decodeSubnetUpdate)
}

func decodeSubnetCreate(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgSubnetCreate
	m.Name = d.String(MaxSubnetNameLen, "name")
	m.Arch = d.String(MaxArchLen, "arch")
	m.Ceremony = d.Uint32("ceremony")
	copy(m.DatasetCommitment[:], d.Fixed(32, "dataset_commitment"))
	m.ScoringRule = d.String(16, "scoring_rule")
	m.Hyper = decodeHyperparams(d)
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgSubnetCreate) Type() TxType { return TxSubnetCreate }

// MarshalBody implements Msg.
func (m *MsgSubnetCreate) MarshalBody() []byte {
	e := NewEncoder(256)
	e.String(m.Name).String(m.Arch).Uint32(m.Ceremony).Fixed(m.DatasetCommitment[:]).String(m.ScoringRule)
	m.Hyper.encode(e)
	return e.Bytes()
}

// ValidateBasic checks the name, the architecture, the scoring rule and the
// hyperparameters.
func (m *MsgSubnetCreate) ValidateBasic() error {
	if !printable(m.Name) {
		return fmt.Errorf("%w: subnet name must be printable ASCII", ErrInvalidMsg)
	}
	if _, err := zk.ParseArch(m.Arch); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMsg, err)
	}
	if m.ScoringRule != ScoringYuma && m.ScoringRule != ScoringYuma3 {
		return fmt.Errorf("%w: scoring rule %q (want %s or %s)", ErrInvalidMsg, m.ScoringRule, ScoringYuma, ScoringYuma3)
	}
	return m.Hyper.Validate()
}

// Execute checks the ceremony (UsableCircuitCeremony: sealed phase 2 for the
// arch's circuit, on a sealed phase 1, both with enough distinct
// contributors), burns the creation fee and stores the subnet with the
// ceremony's keys; its epoch 0 starts at the next block.
func (m *MsgSubnetCreate) Execute(tc *TxContext) error {
	s := tc.State
	p := s.Params()
	arch, _ := zk.ParseArch(m.Arch)
	cer, err := s.UsableCircuitCeremony(m.Ceremony, arch)
	if err != nil {
		return err
	}
	vk := s.CeremonyVK(cer.ID)
	subnets := s.Subnets()
	if uint64(len(subnets)) >= p.MaxSubnets {
		return fmt.Errorf("%w: %d subnets, limit %d", ErrTooManySubnets, len(subnets), p.MaxSubnets)
	}
	next := s.getU64(keySubnetNext)
	if next > 0xffff {
		return fmt.Errorf("%w: subnet IDs exhausted", ErrTooManySubnets)
	}
	burn, err := s.SubnetCreateBurn()
	if err != nil {
		return err
	}
	if err := s.burnTracked(tc.Signer, burn); err != nil {
		return err
	}
	h := uint64(tc.Block.Height)
	sn := &Subnet{ID: uint16(next), Name: m.Name, Owner: tc.Signer, Hyper: m.Hyper, CreatedAt: h,
		EpochStart: h + 1,
		Task: TaskSpec{Arch: arch.String(), CircuitID: cer.CircuitID, Ceremony: cer.ID, VKHash: sha256.Sum256(vk), PKHash: cer.PKHash,
			InputSize: uint32(arch.Inputs()), OutputSize: uint32(arch.Outputs()),
			DatasetCommitment: m.DatasetCommitment, ScoringRule: m.ScoringRule}}
	if err := s.putSubnet(sn); err != nil {
		return err
	}
	s.Set(idKey(prefixSubnetVK, sn.ID), vk)
	s.setU64(keySubnetNext, next+1)
	tc.Emit("subnet_create", "subnet", strconv.Itoa(int(sn.ID)), "owner", tc.Signer.String(),
		"burn", strconv.FormatUint(burn, 10), "circuit_id", sn.Task.CircuitID.String(), "ceremony", strconv.FormatUint(uint64(cer.ID), 10))
	return nil
}

func decodeSubnetUpdate(body []byte) (Msg, error) {
	d := NewDecoder(body)
	var m MsgSubnetUpdate
	m.Subnet = d.Uint16("subnet")
	m.Hyper = decodeHyperparams(d)
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Type implements Msg.
func (m *MsgSubnetUpdate) Type() TxType { return TxSubnetUpdate }

// MarshalBody implements Msg.
func (m *MsgSubnetUpdate) MarshalBody() []byte {
	e := NewEncoder(80).Uint16(m.Subnet)
	m.Hyper.encode(e)
	return e.Bytes()
}

// ValidateBasic checks the bounds of the hyperparameters.
func (m *MsgSubnetUpdate) ValidateBasic() error { return m.Hyper.Validate() }

// Execute replaces the hyperparameters. Only the owner may; max_uids may not
// drop below the UIDs in use, and emission_share may not change.
func (m *MsgSubnetUpdate) Execute(tc *TxContext) error {
	s := tc.State
	sn, err := s.Subnet(m.Subnet)
	if err != nil {
		return err
	}
	if sn.Owner != tc.Signer {
		return fmt.Errorf("%w: subnet %d is owned by %s", ErrUnauthorized, sn.ID, sn.Owner)
	}
	if m.Hyper.MaxUIDs < sn.N {
		return fmt.Errorf("%w: max_uids %d below the %d UIDs in use", ErrHyperparams, m.Hyper.MaxUIDs, sn.N)
	}
	if m.Hyper.EmissionShare != sn.Hyper.EmissionShare {
		return fmt.Errorf("%w: emission_share is fixed at creation (%d)", ErrHyperparams, sn.Hyper.EmissionShare)
	}
	if m.Hyper.RequireProof && sn.Task.Proofless {
		return fmt.Errorf("%w: require_proof: subnet %d's task is proof-less (no verifying key)", ErrHyperparams, sn.ID)
	}
	sn.Hyper = m.Hyper
	if err := s.putSubnet(sn); err != nil {
		return err
	}
	tc.Emit("subnet_update", "subnet", strconv.Itoa(int(sn.ID)))
	return nil
}

// printable reports whether s is printable ASCII (space to tilde).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
