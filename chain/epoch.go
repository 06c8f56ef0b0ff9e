package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/veritensor/veritensor/scoring"
)

// SeedDomain starts the preimage of an epoch seed.
const SeedDomain = "veritensor/seed/v1"

// EpochSeed is the seed of epoch e of subnet id: SHA-256(SeedDomain | block
// hash (u32 length + bytes) | id (u16) | e (u64)), where the block is the last
// block before the epoch's first one (the block that closed the previous
// epoch, or the block that created the subnet).
func EpochSeed(blockHash []byte, id uint16, e uint64) Hash32 {
	return sha256.Sum256(NewEncoder(64).Fixed([]byte(SeedDomain)).VarBytes(blockHash).Uint16(id).Uint64(e).Bytes())
}

// UIDResult is one UID's outcome of an epoch. Fractions are Q32.32 fixed
// point as raw integers (value / 2^32), emissions are base units.
type UIDResult struct {
	UID             uint16  `json:"uid"`
	Hotkey          Address `json:"hotkey"`
	Stake           uint64  `json:"stake"`
	ProofOK         bool    `json:"proof_ok"`
	Active          bool    `json:"active"`
	ValidatorPermit bool    `json:"validator_permit"`
	Consensus       uint64  `json:"consensus"`
	Trust           uint64  `json:"trust"`
	Rank            uint64  `json:"rank"`
	Incentive       uint64  `json:"incentive"`
	ValidatorTrust  uint64  `json:"validator_trust"`
	Dividends       uint64  `json:"dividends"`
	// MinerEmission went to the UID owner's balance.
	MinerEmission uint64 `json:"miner_emission"`
	// ValidatorEmission went to the hotkey's delegators as stake, pro rata.
	ValidatorEmission uint64 `json:"validator_emission"`
	Emission          uint64 `json:"emission"`
}

// EpochRecord is the outcome of a subnet's last epoch (query /emissions).
//
// Invariant: OwnerEmission + Unminted + sum of Neurons[i].Emission == Emission.
type EpochRecord struct {
	Subnet uint16 `json:"subnet"`
	Epoch  uint64 `json:"epoch"`
	// Block is the block whose end ran the epoch.
	Block uint64 `json:"block"`
	// Emission is the emission accrued during the epoch.
	Emission uint64 `json:"emission"`
	// OwnerEmission went to the subnet owner's balance.
	OwnerEmission uint64 `json:"owner_emission"`
	// Unminted is emission nobody could receive (scoring's Unpaid); it is
	// never minted.
	Unminted uint64 `json:"unminted"`
	// Proofs is the number of UIDs with a valid proof this epoch.
	Proofs  int         `json:"proofs"`
	Neurons []UIDResult `json:"neurons"`
	// ErrorCode is set when scoring refused the input (ScoringErrorCode);
	// the emission then carries over to the next epoch. State stores the
	// code, never an error's text, so rewording a message cannot change the
	// app hash.
	ErrorCode uint32 `json:"error_code,omitempty"`
}

// Scoring failure codes of EpochRecord.ErrorCode (docs/protocol.md).
var scoringErrorCodes = []struct {
	err  error
	code uint32
}{
	{scoring.ErrParams, 1}, {scoring.ErrNeuronOrder, 2}, {scoring.ErrRowOrder, 3},
	{scoring.ErrUnknownUID, 4}, {scoring.ErrTooFewWeights, 5}, {scoring.ErrWeightLimit, 6},
}

// ScoringErrorCode is the stable code of a scoring failure: 1-6 for
// scoring's sentinels (in the order of docs/protocol.md), 255 for anything
// else.
func ScoringErrorCode(err error) uint32 {
	for _, c := range scoringErrorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return 255
}

// encodeEpochRecord is the stored epoch record (epres/ + id): subnet (u16)
// | epoch | block | emission | owner_emission | unminted (u64 each) | proofs
// (u32) | error_code (u32) | count (u32), then per UID: uid (u16) | hotkey
// (20) | stake (u64) | flags (u8: 1 proof_ok, 2 active, 4
// validator_permit) | consensus | trust | rank | incentive |
// validator_trust | dividends | miner_emission | validator_emission |
// emission (u64 each).
func encodeEpochRecord(r *EpochRecord) []byte {
	e := NewEncoder(56 + 103*len(r.Neurons))
	e.Uint16(r.Subnet).Uint64(r.Epoch).Uint64(r.Block).Uint64(r.Emission).Uint64(r.OwnerEmission).Uint64(r.Unminted).
		Uint32(uint32(r.Proofs)).Uint32(r.ErrorCode).Uint32(uint32(len(r.Neurons)))
	for _, n := range r.Neurons {
		var f uint8
		if n.ProofOK {
			f |= 1
		}
		if n.Active {
			f |= 2
		}
		if n.ValidatorPermit {
			f |= 4
		}
		e.Uint16(n.UID).Fixed(n.Hotkey[:]).Uint64(n.Stake).Uint8(f).Uint64(n.Consensus).Uint64(n.Trust).Uint64(n.Rank).
			Uint64(n.Incentive).Uint64(n.ValidatorTrust).Uint64(n.Dividends).Uint64(n.MinerEmission).
			Uint64(n.ValidatorEmission).Uint64(n.Emission)
	}
	return e.Bytes()
}

func decodeEpochRecord(v []byte) (*EpochRecord, bool) {
	d := NewDecoder(v)
	r := &EpochRecord{Subnet: d.Uint16("subnet"), Epoch: d.Uint64("epoch"), Block: d.Uint64("block"),
		Emission: d.Uint64("emission"), OwnerEmission: d.Uint64("owner_emission"), Unminted: d.Uint64("unminted"),
		Proofs: int(d.Uint32("proofs")), ErrorCode: d.Uint32("error_code")}
	count := d.Uint32("count")
	if count > MaxUIDsLimit {
		return nil, false
	}
	if count > 0 {
		r.Neurons = make([]UIDResult, count)
	}
	for i := range r.Neurons {
		n := &r.Neurons[i]
		n.UID = d.Uint16("uid")
		copy(n.Hotkey[:], d.Fixed(AddressLen, "hotkey"))
		n.Stake = d.Uint64("stake")
		f := d.Uint8("flags")
		if f > 7 {
			return nil, false
		}
		n.ProofOK, n.Active, n.ValidatorPermit = f&1 != 0, f&2 != 0, f&4 != 0
		n.Consensus, n.Trust, n.Rank = d.Uint64("consensus"), d.Uint64("trust"), d.Uint64("rank")
		n.Incentive, n.ValidatorTrust, n.Dividends = d.Uint64("incentive"), d.Uint64("validator_trust"), d.Uint64("dividends")
		n.MinerEmission, n.ValidatorEmission, n.Emission = d.Uint64("miner_emission"), d.Uint64("validator_emission"), d.Uint64("emission")
	}
	if d.Finish() != nil {
		return nil, false
	}
	return r, true
}

// EpochRecord returns subnet id's last epoch record, or nil before its first.
func (s *State) EpochRecord(id uint16) *EpochRecord {
	v, ok := s.Get(idKey(prefixEpochRes, id))
	if !ok {
		return nil
	}
	r, ok := decodeEpochRecord(v)
	if !ok {
		return nil
	}
	return r
}

// Bonds returns subnet id's bonds (scoring's previous Result.Bonds), one
// row per validator in UID order. Each row is its own key (bnd/ + id + uid)
// in the binary row encoding (encodeWeights), so deregistering a UID deletes
// one key instead of rewriting the matrix.
func (s *State) Bonds(id uint16) []scoring.Row {
	var out []scoring.Row
	prefix := idKey(prefixBonds, id)
	s.Iterate(prefix, func(k string, v []byte) bool {
		if len(k) != len(prefix)+2 {
			return true
		}
		d := NewDecoder(v)
		w := decodeWeights(d)
		if d.Finish() == nil {
			out = append(out, scoring.Row{UID: binary.BigEndian.Uint16([]byte(k[len(prefix):])), Weights: w})
		}
		return true
	})
	return out
}

// putBonds replaces subnet id's bonds with rows.
func (s *State) putBonds(id uint16, rows []scoring.Row) {
	prefix := idKey(prefixBonds, id)
	var old []string
	s.Iterate(prefix, func(k string, _ []byte) bool {
		old = append(old, k)
		return true
	})
	keep := make(map[uint16]bool, len(rows))
	for _, r := range rows {
		keep[r.UID] = true
		e := NewEncoder(2 + 4*len(r.Weights))
		encodeWeights(e, r.Weights)
		s.Set(uidKey(prefixBonds, id, r.UID), e.Bytes())
	}
	for _, k := range old {
		if len(k) == len(prefix)+2 && !keep[binary.BigEndian.Uint16([]byte(k[len(prefix):]))] {
			s.Delete(k)
		}
	}
}

// PendingEmission is what subnet id accrued in its current epoch.
func (s *State) PendingEmission(id uint16) uint64 { return s.getU64(idKey(prefixPending, id)) }

// subnetsEndBlock runs at the end of every block once a subnet exists. For
// every subnet in ID order it (1) accrues the subnet's part of
// Params.BlockEmission (split by emission share with scoring.Split: exact,
// largest remainder); (2) at the end of its creation block, sets the seed of
// epoch 0; (3) at the last block of an epoch (height >= EpochStart+Tempo-1),
// runs the epoch, pays it, and starts the next epoch with a seed from this
// block's hash. It never fails: a scoring error is recorded and the emission
// carries over.
func subnetsEndBlock(s *State, ctx BlockContext) ([]Event, error) {
	subnets := s.Subnets()
	if len(subnets) == 0 {
		return nil, nil
	}
	h := uint64(ctx.Height)
	s.setU64(keyProtoHeight, h)
	shares := make([]uint64, len(subnets))
	for i, sn := range subnets {
		shares[i] = uint64(sn.Hyper.EmissionShare)
	}
	parts, ok := scoring.Split(s.Params().BlockEmission, shares)
	var evs []Event
	for i, sn := range subnets {
		if ok && parts[i] > 0 {
			k := idKey(prefixPending, sn.ID)
			if v, err := addU64(s.getU64(k), parts[i]); err == nil {
				s.setU64(k, v)
			}
		}
		switch {
		case sn.Seed.IsZero():
			sn.Seed = EpochSeed(ctx.Hash, sn.ID, sn.Epoch)
			sn.EpochStart = h + 1
		case h+1 >= sn.NextEpochAt():
			evs = append(evs, s.runEpoch(sn, h)...)
			sn.Epoch++
			sn.EpochStart = h + 1
			sn.Seed = EpochSeed(ctx.Hash, sn.ID, sn.Epoch)
			evs = append(evs, Event{Type: "epoch_start", Attrs: []Attr{{"subnet", strconv.Itoa(int(sn.ID))},
				{"epoch", strconv.FormatUint(sn.Epoch, 10)}, {"seed", sn.Seed.String()},
				{"next_epoch_at", strconv.FormatUint(sn.NextEpochAt(), 10)}}})
		default:
			continue
		}
		if err := s.putSubnet(sn); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// EpochInput builds the scoring input of sn's current epoch at block h from
// state: every UID's stake held for the whole epoch (EligibleStake), last
// update, registration and proof of model, the weight rows that count and
// the stored bonds. Only the rows of the UIDs holding a validator permit are
// read (scoring ignores the others), with commit-reveal only those revealed
// this epoch, and without the entries for UIDs registered at or after the
// block the row was chosen at (WeightsRow.Since). Emission is the accrued
// pending emission.
func (s *State) EpochInput(sn *Subnet, h uint64) (scoring.Input, []*Neuron) {
	neurons := s.Neurons(sn.ID)
	in := scoring.Input{Params: scoring.Params{Kappa: sn.Hyper.Kappa, BondsMovingAverage: sn.Hyper.BondsMovingAverage,
		OwnerCutBps: sn.Hyper.OwnerCutBps, MinerShareBps: sn.Hyper.MinerShareBps, MaxValidators: sn.Hyper.MaxValidators,
		ActivityCutoff: sn.Hyper.ActivityCutoff, Emission: s.PendingEmission(sn.ID), Block: h,
		RequireProof: sn.Hyper.RequireProof, MinValidatorStake: sn.Hyper.MinValidatorStake}}
	if sn.Task.ScoringRule == ScoringYuma3 {
		in.Params.BondsMode = scoring.BondsYuma3
	}
	in.Neurons = make([]scoring.Neuron, len(neurons))
	for i, n := range neurons {
		p, ok := s.Proof(sn.ID, n.UID)
		in.Neurons[i] = scoring.Neuron{UID: n.UID, Stake: s.EligibleStake(sn.ID, sn.Epoch, n), LastUpdate: n.LastUpdate,
			RegisteredAt: n.RegisteredAt, ProofOK: ok && p.Epoch == sn.Epoch}
	}
	for i, permit := range scoring.Permits(in.Neurons, int(sn.Hyper.MaxValidators)) {
		if !permit {
			continue
		}
		r, ok := s.WeightsRow(sn.ID, uint16(i))
		if !ok || (sn.Hyper.CommitReveal && r.Epoch != sn.Epoch) {
			continue
		}
		w := r.Weights[:0:0]
		for _, x := range r.Weights {
			if int(x.UID) < len(neurons) && neurons[x.UID].RegisteredAt < r.Since {
				w = append(w, x)
			}
		}
		in.Weights = append(in.Weights, scoring.Row{UID: r.UID, Weights: w})
	}
	in.Bonds = s.Bonds(sn.ID)
	return in, neurons
}

// runEpoch scores sn's current epoch, mints and pays its emission, stores the
// bonds and the epoch record, and resets the accrual.
func (s *State) runEpoch(sn *Subnet, h uint64) []Event {
	in, neurons := s.EpochInput(sn, h)
	rec := EpochRecord{Subnet: sn.ID, Epoch: sn.Epoch, Block: h, Emission: in.Params.Emission}
	id := strconv.Itoa(int(sn.ID))
	res, err := scoring.Epoch(in)
	if err == nil && len(res.Neurons) != len(neurons) {
		err = ErrInternal
	}
	if err != nil {
		rec.ErrorCode = ScoringErrorCode(err)
		s.Set(idKey(prefixEpochRes, sn.ID), encodeEpochRecord(&rec))
		return []Event{{Type: "epoch_error", Attrs: []Attr{{"subnet", id}, {"epoch", strconv.FormatUint(sn.Epoch, 10)}, {"error", err.Error()}}}}
	}
	// Every payout below adds to the supply exactly what it credits, so a
	// failure (an overflow of a balance near 2^64) skips that payout and
	// leaves the supply consistent; the skipped amount is unminted.
	unminted := res.Unpaid
	if s.mintTracked(sn.Owner, res.OwnerEmission) != nil {
		unminted += res.OwnerEmission
		res.OwnerEmission = 0
	}
	rec.OwnerEmission = res.OwnerEmission
	rec.Neurons = make([]UIDResult, len(neurons))
	var evs []Event
	for i, n := range neurons {
		nr := res.Neurons[i]
		if nr.MinerEmission > 0 && s.mintTracked(n.Owner, nr.MinerEmission) != nil {
			unminted += nr.MinerEmission
			nr.MinerEmission = 0
		}
		if nr.ValidatorEmission > 0 && s.payDividends(sn.ID, sn.Epoch, n, nr.ValidatorEmission) != nil {
			unminted += nr.ValidatorEmission
			nr.ValidatorEmission = 0
		}
		nr.Emission = nr.MinerEmission + nr.ValidatorEmission
		old := s.PruningScore(sn.ID, n)
		s.setPruningScore(sn.ID, n, old, pruningEMA(old, nr.Emission), true)
		rec.Neurons[i] = UIDResult{UID: n.UID, Hotkey: n.Hotkey, Stake: in.Neurons[i].Stake, ProofOK: in.Neurons[i].ProofOK,
			Active: nr.Active, ValidatorPermit: nr.ValidatorPermit, Consensus: uint64(nr.Consensus), Trust: uint64(nr.Trust),
			Rank: uint64(nr.Rank), Incentive: uint64(nr.Incentive), ValidatorTrust: uint64(nr.ValidatorTrust),
			Dividends: uint64(nr.Dividends), MinerEmission: nr.MinerEmission, ValidatorEmission: nr.ValidatorEmission,
			Emission: nr.Emission}
		if in.Neurons[i].ProofOK {
			rec.Proofs++
		}
		if nr.Emission > 0 {
			evs = append(evs, Event{Type: "emission", Attrs: []Attr{{"subnet", id}, {"uid", strconv.Itoa(int(n.UID))},
				{"hotkey", n.Hotkey.String()}, {"miner", strconv.FormatUint(nr.MinerEmission, 10)},
				{"validator", strconv.FormatUint(nr.ValidatorEmission, 10)}}})
		}
	}
	rec.Unminted = unminted
	s.putBonds(sn.ID, res.Bonds)
	s.Set(idKey(prefixEpochRes, sn.ID), encodeEpochRecord(&rec))
	s.Delete(idKey(prefixPending, sn.ID))
	head := Event{Type: "epoch", Attrs: []Attr{{"subnet", id}, {"epoch", strconv.FormatUint(sn.Epoch, 10)},
		{"block", strconv.FormatUint(h, 10)}, {"emission", strconv.FormatUint(rec.Emission, 10)},
		{"owner_emission", strconv.FormatUint(rec.OwnerEmission, 10)}, {"unminted", strconv.FormatUint(unminted, 10)},
		{"proofs", strconv.Itoa(rec.Proofs)}}}
	return append([]Event{head}, evs...)
}

// payDividends mints amount as stake on n's hotkey, split among its
// delegators in proportion to the stake each held for the whole epoch
// (EligibleDelegation; scoring.Split: exact, largest remainder, ties to the
// lower owner address). With no such stake it goes to n's owner's balance.
func (s *State) payDividends(id uint16, epoch uint64, n *Neuron, amount uint64) error {
	// Check every sum first so that no write below can fail half way.
	if _, err := addU64(s.getU64(keyTotalStake), amount); err != nil {
		return err
	}
	if _, err := addU64(s.Supply(), amount); err != nil {
		return err
	}
	if _, err := addU64(s.getU64(keyMinted), amount); err != nil {
		return err
	}
	ds := s.Delegations(id, n.Hotkey)
	w := make([]uint64, len(ds))
	for i, d := range ds {
		w[i] = s.EligibleDelegation(id, epoch, n.Hotkey, d.Owner)
	}
	parts, ok := scoring.Split(amount, w)
	if !ok {
		return s.mintTracked(n.Owner, amount)
	}
	for i, d := range ds {
		if parts[i] == 0 {
			continue
		}
		if err := s.addStake(id, epoch, n, d.Owner, parts[i]); err != nil {
			return err
		}
		if err := s.countMinted(parts[i]); err != nil {
			return err
		}
	}
	return nil
}
