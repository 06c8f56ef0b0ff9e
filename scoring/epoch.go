package scoring

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
)

// Epoch runs one Yuma-style consensus epoch over a subnet's metagraph and
// returns every UID's consensus columns, the new bonds and the integer
// emission. It is deterministic: the same Input always yields the same
// Result, bit for bit. It validates its input (see Input for the ordering
// preconditions) and returns an error wrapping ErrParams, ErrNeuronOrder,
// ErrRowOrder or ErrUnknownUID instead of panicking. The algorithm is
// documented step by step in docs/scoring.md.
//
// Cost: O(n log n + nnz log nnz) time for n UIDs and nnz weight and bond
// entries, O(n + nnz) memory.
func Epoch(in Input) (Result, error) {
	p := in.Params
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	if err := checkNeurons(in.Neurons); err != nil {
		return Result{}, err
	}
	n := len(in.Neurons)
	if err := checkRows("weights", in.Weights, n); err != nil {
		return Result{}, err
	}
	if err := checkRows("bonds", in.Bonds, n); err != nil {
		return Result{}, err
	}
	ns := in.Neurons
	res := Result{Neurons: make([]NeuronResult, n)}
	out := res.Neurons
	for i := range out {
		out[i].UID = uint16(i)
	}

	// 1-2. Activity, permits and stake weights.
	active := make([]bool, n)
	for i, nr := range ns {
		active[i] = !(p.Block > nr.LastUpdate && p.Block-nr.LastUpdate > p.ActivityCutoff)
		out[i].Active = active[i]
	}
	permit := permits(ns, int(p.MaxValidators))
	for i := range permit {
		// Dropping those under the minimum after the top-K cut is the same
		// as before it: they are the lowest stakes.
		permit[i] = permit[i] && ns[i].Stake >= p.MinValidatorStake
	}
	stake, total := stakeWeights(ns, active, permit)
	s := make([]Fixed, n)
	for i := range ns {
		out[i].ValidatorPermit = permit[i]
		s[i] = Ratio(stake[i], total)
		out[i].ActiveStake = s[i]
	}

	// 3-5. Weights, consensus, clipping.
	m := buildWeights(in.Weights, ns, permit)
	c := consensus(m, stake, total, p.Kappa, n)

	// 6. Ranks, trust, validator trust, incentive.
	rank := make([]Fixed, n)
	pre := make([]Fixed, n)
	for r, i := range m.uid {
		var vt Fixed
		for k := m.ptr[r]; k < m.ptr[r+1]; k++ {
			j := m.col[k]
			m.wc[k] = min(m.w[k], c[j])
			m.x[k] = mul(s[i], m.wc[k])
			rank[j] += m.x[k]
			pre[j] += mul(s[i], m.w[k])
			vt += m.wc[k]
		}
		out[i].ValidatorTrust = vt
	}
	masked := make([]Fixed, n)
	for j := range out {
		out[j].Consensus = c[j]
		out[j].Rank = rank[j]
		out[j].Trust = div(rank[j], pre[j])
		if !p.RequireProof || ns[j].ProofOK {
			masked[j] = rank[j]
		}
	}
	incentive := normalize(masked)
	for j := range out {
		out[j].Incentive = incentive[j]
	}

	// 7-8. Bonds and dividends.
	prev := prevBonds(in.Bonds, ns, permit)
	bonds := newBonds(p, m, prev, s, rank, incentive)
	entries := make([]Weight, 0, len(bonds.col)) // one backing array for every row
	res.Bonds = make([]Row, 0, len(bonds.uid))
	for r, i := range bonds.uid {
		start := len(entries)
		for k := bonds.ptr[r]; k < bonds.ptr[r+1]; k++ {
			if v := bonds.val[k].U16(); v != 0 {
				entries = append(entries, Weight{UID: bonds.col[k], Value: v})
			}
		}
		if len(entries) > start {
			res.Bonds = append(res.Bonds, Row{UID: i, Weights: entries[start:len(entries):len(entries)]})
		}
	}
	dividends := normalize(bonds.dividends)
	for i := range out {
		out[i].Dividends = dividends[i]
	}

	// 9. Emission.
	if err := emit(&res, p, incentive, dividends, s); err != nil {
		return Result{}, err
	}
	return res, nil
}

// Permits reports, by UID, which neurons hold a validator permit in an
// epoch of these neurons (the rule of step 2, see permits): callers that
// build an Input can skip reading the rows of the others.
func Permits(ns []Neuron, maxValidators int) []bool { return permits(ns, maxValidators) }

// permits returns the top maxValidators UIDs by stake among those with
// stake > 0; ties go to the lower UID.
func permits(ns []Neuron, maxValidators int) []bool {
	permit := make([]bool, len(ns))
	cand := make([]int, 0, len(ns))
	for i, nr := range ns {
		if nr.Stake > 0 {
			cand = append(cand, i)
		}
	}
	if len(cand) > maxValidators {
		slices.SortFunc(cand, func(a, b int) int {
			if c := cmp.Compare(ns[b].Stake, ns[a].Stake); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		cand = cand[:maxValidators]
	}
	for _, i := range cand {
		permit[i] = true
	}
	return permit
}

// stakeWeights returns the stake of active permitted UIDs (0 for others),
// shifted right by the smallest k that makes their sum fit in 64 bits, and
// that sum.
func stakeWeights(ns []Neuron, active, permit []bool) ([]uint64, uint64) {
	stake := make([]uint64, len(ns))
	var hi, lo, carry uint64
	for i, nr := range ns {
		if active[i] && permit[i] {
			stake[i] = nr.Stake
			lo, carry = bits.Add64(lo, nr.Stake, 0)
			hi += carry
		}
	}
	shift := uint(bits.Len64(hi))
	var total uint64
	for i := range stake {
		stake[i] >>= shift
		total += stake[i]
	}
	return stake, total
}

// normalize returns v scaled to sum to ~One (each entry rounded down), or
// all zeros when v sums to 0. The sum of v must fit in 64 bits.
func normalize(v []Fixed) []Fixed {
	var sum Fixed
	for _, x := range v {
		sum += x
	}
	outv := make([]Fixed, len(v))
	if sum == 0 {
		return outv
	}
	for i, x := range v {
		outv[i] = div(x, sum)
	}
	return outv
}

// emit applies step 9: the owner cut, then miners by incentive and
// validators by dividends, every cut by Split.
func emit(res *Result, p Params, incentive, dividends, s []Fixed) error {
	e := p.Emission
	owner, _ := mulDiv(e, uint64(p.OwnerCutBps), bps)
	rest := e - owner
	minerPot, _ := mulDiv(rest, uint64(p.MinerShareBps), bps)
	validatorPot := rest - minerPot

	minerParts, ok := Split(minerPot, fixedWeights(incentive))
	if !ok { // no miner has incentive (none proved): the miner pot is unpaid
		res.Unpaid += minerPot
		minerPot = 0
	}
	valParts, ok := Split(validatorPot, fixedWeights(dividends))
	if !ok { // no dividends: validators by active stake
		valParts, ok = Split(validatorPot, fixedWeights(s))
	}
	if !ok {
		res.Unpaid += validatorPot
	}
	res.OwnerEmission = owner
	var paid uint64
	for i := range res.Neurons {
		nr := &res.Neurons[i]
		if minerPot > 0 {
			nr.MinerEmission = minerParts[i]
		}
		nr.ValidatorEmission = valParts[i]
		nr.Emission = nr.MinerEmission + nr.ValidatorEmission
		paid += nr.Emission
	}
	if paid+res.OwnerEmission+res.Unpaid != e {
		return fmt.Errorf("scoring: internal error: paid %d + owner %d + unpaid %d != emission %d", paid, owner, res.Unpaid, e)
	}
	return nil
}
