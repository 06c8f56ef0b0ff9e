package explorer

import (
	"cmp"
	"sort"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/scoring"
)

// SubnetView is a subnet as the explorer shows it.
type SubnetView struct {
	chain.SubnetInfo
	// EmissionSharePPM is the subnet's part of block emission, in parts per
	// million of all subnets' shares (0 when unknown).
	EmissionSharePPM uint64 `json:"emission_share_ppm"`
	// Setup names where the subnet's proving system comes from.
	Setup Setup `json:"setup"`
}

// Setup is a subnet's trusted setup as the chain names it: the sealed
// phase-2 ceremony its keys come from (Kind "ceremony", Ceremony its ID) and
// the verifying key's hash (ID). Verified reports that a light-client proof
// of the value was checked.
type Setup struct {
	Kind     string       `json:"kind"`
	Ceremony uint32       `json:"ceremony"`
	ID       chain.Hash32 `json:"id"`
	Verified bool         `json:"verified"`
}

func subnetView(si chain.SubnetInfo, totalShares uint64) SubnetView {
	v := SubnetView{SubnetInfo: si, Setup: Setup{Kind: "ceremony", Ceremony: si.Task.Ceremony, ID: si.Task.VKHash}}
	if totalShares > 0 {
		v.EmissionSharePPM = uint64(si.Hyper.EmissionShare) * 1_000_000 / totalShares
	}
	return v
}

func totalShares(all chain.SubnetsInfo) uint64 {
	var t uint64
	for _, s := range all.Subnets {
		t += uint64(s.Hyper.EmissionShare)
	}
	return t
}

// UIDRow is one row of the metagraph table. Consensus, trust, incentive and
// dividends are Q32.32 fixed point (scoring.Fixed) as the chain reports
// them; the *_str fields are the same values as decimals.
type UIDRow struct {
	UID             uint16       `json:"uid"`
	Hotkey          string       `json:"hotkey"`
	Owner           string       `json:"owner"`
	Role            string       `json:"role"`
	Stake           uint64       `json:"stake"`
	Active          bool         `json:"active"`
	ValidatorPermit bool         `json:"validator_permit"`
	Immune          bool         `json:"immune"`
	Consensus       uint64       `json:"consensus"`
	Trust           uint64       `json:"trust"`
	Incentive       uint64       `json:"incentive"`
	Dividends       uint64       `json:"dividends"`
	ConsensusStr    string       `json:"consensus_str"`
	TrustStr        string       `json:"trust_str"`
	IncentiveStr    string       `json:"incentive_str"`
	DividendsStr    string       `json:"dividends_str"`
	Emission        uint64       `json:"emission"`
	ProofOK         bool         `json:"proof_ok"`
	HasProof        bool         `json:"has_proof"`
	ProofEpoch      uint64       `json:"proof_epoch"`
	ModelCommitment chain.Hash32 `json:"model_commitment"`
	Endpoint        string       `json:"endpoint"`
	Hardware        string       `json:"hardware"`
	RegisteredAt    uint64       `json:"registered_at"`
	LastUpdate      uint64       `json:"last_update"`
}

// MetagraphView is a subnet's metagraph joined with its last epoch record.
type MetagraphView struct {
	Subnet SubnetView      `json:"subnet"`
	Epoch  chain.EpochInfo `json:"epoch"`
	// LastEpoch is the last epoch's record without its per-UID rows (which
	// are in Neurons); nil before the first epoch.
	LastEpoch *chain.EpochRecord `json:"last_epoch,omitempty"`
	Neurons   []UIDRow           `json:"neurons"`
	Sort      string             `json:"sort"`
	Desc      bool               `json:"desc"`
}

func fx(v uint64) string { return scoring.Fixed(v).Format(4) }

// metagraphView joins the chain's metagraph with its last epoch record
// (consensus, trust and activity come from the record).
func metagraphView(mg chain.Metagraph, rec *chain.EpochRecord, totalShares uint64) MetagraphView {
	v := MetagraphView{Subnet: subnetView(mg.Subnet, totalShares), Epoch: mg.Epoch, Neurons: make([]UIDRow, len(mg.Neurons))}
	var byUID map[uint16]*chain.UIDResult
	if rec != nil {
		byUID = make(map[uint16]*chain.UIDResult, len(rec.Neurons))
		for i := range rec.Neurons {
			byUID[rec.Neurons[i].UID] = &rec.Neurons[i]
		}
		head := *rec
		head.Neurons = nil
		v.LastEpoch = &head
	}
	for i, n := range mg.Neurons {
		r := UIDRow{UID: n.UID, Hotkey: n.Hotkey.String(), Owner: n.Owner.String(), Role: "miner", Stake: n.Stake,
			ValidatorPermit: n.ValidatorPermit, Immune: n.Immune, Incentive: n.Incentive, Dividends: n.Dividends,
			Emission: n.Emission, ProofOK: n.ProofOK, HasProof: n.HasProof, ProofEpoch: n.ProofEpoch,
			ModelCommitment: n.ModelCommitment, Endpoint: n.Endpoint, Hardware: n.Hardware,
			RegisteredAt: n.RegisteredAt, LastUpdate: n.LastUpdate}
		if n.ValidatorPermit {
			r.Role = "validator"
		}
		// The record's row counts only if it is this hotkey's (a UID may
		// have been replaced since).
		if u, ok := byUID[n.UID]; ok && u.Hotkey == n.Hotkey {
			r.Active, r.Consensus, r.Trust = u.Active, u.Consensus, u.Trust
		}
		r.ConsensusStr, r.TrustStr, r.IncentiveStr, r.DividendsStr = fx(r.Consensus), fx(r.Trust), fx(r.Incentive), fx(r.Dividends)
		v.Neurons[i] = r
	}
	return v
}

// sortKeys are the metagraph table's sortable columns.
var sortKeys = map[string]func(a, b *UIDRow) int{
	"uid":       func(a, b *UIDRow) int { return 0 },
	"hotkey":    func(a, b *UIDRow) int { return cmp.Compare(a.Hotkey, b.Hotkey) },
	"role":      func(a, b *UIDRow) int { return cmp.Compare(a.Role, b.Role) },
	"stake":     func(a, b *UIDRow) int { return cmp.Compare(a.Stake, b.Stake) },
	"active":    func(a, b *UIDRow) int { return cmpBool(a.Active, b.Active) },
	"permit":    func(a, b *UIDRow) int { return cmpBool(a.ValidatorPermit, b.ValidatorPermit) },
	"consensus": func(a, b *UIDRow) int { return cmp.Compare(a.Consensus, b.Consensus) },
	"trust":     func(a, b *UIDRow) int { return cmp.Compare(a.Trust, b.Trust) },
	"incentive": func(a, b *UIDRow) int { return cmp.Compare(a.Incentive, b.Incentive) },
	"dividends": func(a, b *UIDRow) int { return cmp.Compare(a.Dividends, b.Dividends) },
	"emission":  func(a, b *UIDRow) int { return cmp.Compare(a.Emission, b.Emission) },
	"proof":     func(a, b *UIDRow) int { return cmpBool(a.ProofOK, b.ProofOK) },
	"model":     func(a, b *UIDRow) int { return cmp.Compare(a.ModelCommitment.String(), b.ModelCommitment.String()) },
	"endpoint":  func(a, b *UIDRow) int { return cmp.Compare(a.Endpoint, b.Endpoint) },
	"hardware":  func(a, b *UIDRow) int { return cmp.Compare(a.Hardware, b.Hardware) },
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// sortRows orders rows by key (ties by UID ascending); an unknown key sorts
// by UID.
func sortRows(rows []UIDRow, key string, desc bool) (string, bool) {
	f, ok := sortKeys[key]
	if !ok {
		key, desc = "uid", false
		f = sortKeys["uid"]
	}
	// Compare through pointers: a UIDRow is large and a 4096-row sort
	// compares ~50k pairs.
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		c := f(a, b)
		if key == "uid" {
			c = cmp.Compare(a.UID, b.UID)
		}
		if desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.UID, b.UID)
		}
		return c < 0
	})
	return key, desc
}

// EpochPoint is one UID in one past epoch.
type EpochPoint struct {
	Epoch uint64 `json:"epoch"`
	Block uint64 `json:"block"`
	// ProofKnown is false for epochs read back from block events, which
	// record emissions only (then ProofOK, Active, Incentive and
	// Dividends are unknown).
	ProofKnown bool   `json:"proof_known"`
	ProofOK    bool   `json:"proof_ok"`
	Active     bool   `json:"active"`
	Incentive  uint64 `json:"incentive"`
	Dividends  uint64 `json:"dividends"`
	Emission   uint64 `json:"emission"`
}

// WeightEdge is one weight a UID set or received.
type WeightEdge struct {
	UID   uint16 `json:"uid"`
	Value uint16 `json:"value"`
	// PPM is the value's part of its row, in parts per million.
	PPM   uint64 `json:"ppm"`
	Epoch uint64 `json:"epoch"`
}

// UIDView is the per-UID page.
type UIDView struct {
	Subnet   SubnetView      `json:"subnet"`
	Epoch    chain.EpochInfo `json:"epoch"`
	Neuron   UIDRow          `json:"neuron"`
	History  []EpochPoint    `json:"history"`
	Set      []WeightEdge    `json:"weights_set"`
	Received []WeightEdge    `json:"weights_received"`
}

// uidHistory is hotkey's part of the recorded epochs (only epochs in which
// this hotkey held the UID).
func uidHistory(recs []EpochHistoryRecord, uid uint16, hotkey chain.Address) []EpochPoint {
	out := []EpochPoint{}
	for _, r := range recs {
		for _, n := range r.Neurons {
			if n.UID == uid && n.Hotkey == hotkey {
				out = append(out, EpochPoint{Epoch: r.Epoch, Block: r.Block, ProofKnown: !r.Partial, ProofOK: n.ProofOK, Active: n.Active,
					Incentive: n.Incentive, Dividends: n.Dividends, Emission: n.Emission})
			}
		}
	}
	return out
}

func rowSum(ws []scoring.Weight) uint64 {
	var sum uint64
	for _, w := range ws {
		sum += uint64(w.Value)
	}
	return sum
}

// ppm is v's part of sum in parts per million.
func ppm(v uint16, sum uint64) uint64 {
	if sum == 0 {
		return 0
	}
	return uint64(v) * 1_000_000 / sum
}

// weightEdges are the weights uid set and the weights it received.
func weightEdges(wi chain.WeightsInfo, uid uint16) (set, recv []WeightEdge) {
	set, recv = []WeightEdge{}, []WeightEdge{}
	for _, r := range wi.Rows {
		sum := rowSum(r.Weights)
		for _, w := range r.Weights {
			if r.UID == uid {
				set = append(set, WeightEdge{UID: w.UID, Value: w.Value, PPM: ppm(w.Value, sum), Epoch: r.Epoch})
			}
			if w.UID == uid {
				recv = append(recv, WeightEdge{UID: r.UID, Value: w.Value, PPM: ppm(w.Value, sum), Epoch: r.Epoch})
			}
		}
	}
	return set, recv
}
