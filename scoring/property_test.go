package scoring

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// genConfig shapes a random metagraph.
type genConfig struct {
	n, validators int
	density       int // percent of miners each validator weights
}

// randomInput draws a metagraph: the first `validators` UIDs have stake
// (some huge, some inactive), every UID may be weighted, about 10% of
// miners lack a proof, and previous bonds come from a random earlier
// epoch's result.
func randomInput(r *rand.Rand, cfg genConfig) Input {
	p := DefaultParams()
	p.Block = 10_000
	p.Emission = r.Uint64N(1 << 40)
	if r.IntN(4) == 0 {
		p.Emission = r.Uint64()
	}
	p.MaxValidators = uint16(1 + r.IntN(cfg.validators+2))
	p.Kappa = []uint16{32767, 32767, 0, 65535, uint16(r.IntN(65536))}[r.IntN(5)]
	p.BondsMode = BondsMode(r.IntN(2))
	p.BondsMovingAverage = uint32(r.IntN(ppm + 1))
	p.OwnerCutBps = uint16(r.IntN(bps + 1))
	p.MinerShareBps = uint16(r.IntN(bps + 1))
	ns := make([]Neuron, cfg.n)
	for i := range ns {
		ns[i] = Neuron{UID: uint16(i), LastUpdate: 9_000 + r.Uint64N(1000), RegisteredAt: r.Uint64N(8_000), ProofOK: r.IntN(10) != 0}
		if i < cfg.validators {
			switch r.IntN(4) {
			case 0:
				ns[i].Stake = math.MaxUint64 - r.Uint64N(1<<20)
			default:
				ns[i].Stake = 1 + r.Uint64N(1<<uint(10+r.IntN(40)))
			}
			if r.IntN(8) == 0 {
				ns[i].LastUpdate = r.Uint64N(4_000) // inactive
			}
		}
	}
	in := Input{Params: p, Neurons: ns}
	in.Weights = randomWeights(r, cfg)
	if r.IntN(2) == 0 {
		in.Bonds = randomWeights(r, cfg) // arbitrary previous bonds
	}
	return in
}

func randomWeights(r *rand.Rand, cfg genConfig) []Row {
	var rows []Row
	for i := 0; i < cfg.validators; i++ {
		row := Row{UID: uint16(i)}
		for j := 0; j < cfg.n; j++ {
			if r.IntN(100) < cfg.density {
				row.Weights = append(row.Weights, Weight{UID: uint16(j), Value: uint16(r.IntN(65536))})
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func randomConfig(r *rand.Rand) genConfig {
	n := 1 + r.IntN(48)
	return genConfig{n: n, validators: 1 + r.IntN(min(n, 12)), density: 10 + r.IntN(90)}
}

func TestPropertyConservationAndDeterminism(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 400; it++ {
		in := randomInput(r, randomConfig(r))
		res, err := Epoch(in)
		if err != nil {
			t.Fatalf("case %d: %v", it, err)
		}
		checkConservation(t, in, res)
		var sumI, sumD Fixed
		anyStake := false
		for _, nr := range res.Neurons {
			sumI += nr.Incentive
			sumD += nr.Dividends
			anyStake = anyStake || nr.ActiveStake > 0
			if nr.Trust > One || nr.Consensus > One || nr.ValidatorTrust > One+16 {
				t.Fatalf("case %d: fraction above 1: %+v", it, nr)
			}
		}
		if sumI > One || sumD > One {
			t.Fatalf("case %d: incentive sums to %v, dividends to %v", it, sumI, sumD)
		}
		if anyStake && sumI > 0 && res.Unpaid != 0 {
			t.Fatalf("case %d: unpaid %d although validators have stake", it, res.Unpaid)
		}
		// Determinism: a deep copy gives byte-identical JSON.
		a, _ := json.Marshal(res)
		res2, err := Epoch(cloneInput(in))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res2)
		if !bytes.Equal(a, b) {
			t.Fatalf("case %d: output differs between runs", it)
		}
	}
}

func cloneInput(in Input) Input {
	out := in
	out.Neurons = slices.Clone(in.Neurons)
	cl := func(rows []Row) []Row {
		o := make([]Row, len(rows))
		for i, r := range rows {
			o[i] = Row{UID: r.UID, Weights: slices.Clone(r.Weights)}
		}
		return o
	}
	out.Weights, out.Bonds = cl(in.Weights), cl(in.Bonds)
	return out
}

// permuteInput relabels UID u as perm[u] and restores the sort order.
func permuteInput(in Input, perm []int) Input {
	out := in
	out.Neurons = make([]Neuron, len(in.Neurons))
	for u, nr := range in.Neurons {
		nr.UID = uint16(perm[u])
		out.Neurons[perm[u]] = nr
	}
	pr := func(rows []Row) []Row {
		o := make([]Row, 0, len(rows))
		for _, r := range rows {
			nr := Row{UID: uint16(perm[r.UID])}
			for _, e := range r.Weights {
				nr.Weights = append(nr.Weights, Weight{UID: uint16(perm[e.UID]), Value: e.Value})
			}
			slices.SortFunc(nr.Weights, func(a, b Weight) int { return int(a.UID) - int(b.UID) })
			o = append(o, nr)
		}
		slices.SortFunc(o, func(a, b Row) int { return int(a.UID) - int(b.UID) })
		return o
	}
	out.Weights, out.Bonds = pr(in.Weights), pr(in.Bonds)
	return out
}

func TestPropertyPermutationEquivariance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 200; it++ {
		in := randomInput(r, randomConfig(r))
		// Distinct stakes, so the permit tie-break (lower UID) cannot differ.
		seen := map[uint64]bool{}
		for i := range in.Neurons {
			for in.Neurons[i].Stake != 0 && seen[in.Neurons[i].Stake] {
				in.Neurons[i].Stake--
			}
			seen[in.Neurons[i].Stake] = true
		}
		perm := r.Perm(len(in.Neurons))
		a, err := Epoch(in)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Epoch(permuteInput(in, perm))
		if err != nil {
			t.Fatal(err)
		}
		for u, x := range a.Neurons {
			y := b.Neurons[perm[u]]
			y.UID = x.UID
			// The remainder rule's tie-break is by UID: a leftover unit may
			// land elsewhere; every fixed-point column is exactly permuted.
			ex, ey := x, y
			ex.MinerEmission, ex.ValidatorEmission, ex.Emission = 0, 0, 0
			ey.MinerEmission, ey.ValidatorEmission, ey.Emission = 0, 0, 0
			if ex != ey {
				t.Fatalf("case %d uid %d -> %d:\n%+v\n%+v", it, u, perm[u], x, y)
			}
			if d := int64(x.MinerEmission - y.MinerEmission); d > 1 || d < -1 {
				t.Fatalf("case %d uid %d: miner emission %d vs %d", it, u, x.MinerEmission, y.MinerEmission)
			}
			if d := int64(x.ValidatorEmission - y.ValidatorEmission); d > 1 || d < -1 {
				t.Fatalf("case %d uid %d: validator emission %d vs %d", it, u, x.ValidatorEmission, y.ValidatorEmission)
			}
		}
		if !rowsEqual(permuteInput(Input{Neurons: in.Neurons, Bonds: a.Bonds}, perm).Bonds, b.Bonds) {
			t.Fatalf("case %d: bonds not permuted", it)
		}
	}
}

// cabalInput builds an honest majority that agrees on weights over miners
// [v, n-1) and a cabal, holding less than kappa of the stake, that puts
// weight on the last miner, which the majority ignores.
func cabalInput(r *rand.Rand) (in Input, honest, cabal []int, target int) {
	v := 2 + r.IntN(10)
	n := v + 2 + r.IntN(20)
	target = n - 1
	p := DefaultParams()
	p.Block, p.Emission = 10_000, 1_000_000_000
	p.BondsMode = BondsMode(r.IntN(2))
	in = Input{Params: p}
	honestRow := []Weight{}
	for j := v; j < target; j++ {
		if r.IntN(3) != 0 {
			honestRow = append(honestRow, Weight{uint16(j), uint16(1 + r.IntN(65535))})
		}
	}
	var honestStake, cabalStake uint64
	for i := 0; i < n; i++ {
		nr := Neuron{UID: uint16(i), LastUpdate: 9_500, RegisteredAt: uint64(i), ProofOK: true}
		if i < v {
			nr.Stake = 1 + r.Uint64N(1<<40)
			if i == 0 || r.IntN(3) != 0 {
				honest = append(honest, i)
				honestStake += nr.Stake
				in.Weights = append(in.Weights, Row{UID: uint16(i), Weights: honestRow})
			} else {
				cabal = append(cabal, i)
				cabalStake += nr.Stake
				row := Row{UID: uint16(i)}
				for j := v; j < target; j++ {
					if r.IntN(2) == 0 {
						row.Weights = append(row.Weights, Weight{uint16(j), uint16(r.IntN(65536))})
					}
				}
				row.Weights = append(row.Weights, Weight{uint16(target), 65535})
				in.Weights = append(in.Weights, row)
			}
		}
		in.Neurons = append(in.Neurons, nr)
	}
	// Keep the cabal under kappa: 65535*cabal < kappa*total.
	for cmp128(cabalStake, 65535, uint64(p.Kappa), cabalStake+honestStake) >= 0 {
		in.Neurons[honest[0]].Stake *= 2
		honestStake += in.Neurons[honest[0]].Stake / 2
	}
	return in, honest, cabal, target
}

func TestPropertyCabalCannotCreateIncentive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for it := 0; it < 200; it++ {
		in, _, _, target := cabalInput(r)
		for epoch := 0; epoch < 3; epoch++ { // also with the cabal's bonds carried over
			res, err := Epoch(in)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Neurons[target]
			if got.Consensus != 0 || got.Rank != 0 || got.Incentive != 0 || got.Emission != 0 {
				t.Fatalf("case %d epoch %d: cabal's miner got %+v", it, epoch, got)
			}
			in.Bonds = res.Bonds
		}
	}
}

func TestPropertyHonestStakeNeverLowersDividends(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for it := 0; it < 200; it++ {
		in, honest, _, _ := cabalInput(r)
		for epoch := 0; epoch < 1+r.IntN(3); epoch++ { // some previous bonds
			res, _ := Epoch(in)
			in.Bonds = res.Bonds
		}
		h := honest[r.IntN(len(honest))]
		before, _ := Epoch(in)
		for step := 0; step < 4; step++ {
			in.Neurons[h].Stake += 1 + r.Uint64N(in.Neurons[h].Stake)
			after, err := Epoch(in)
			if err != nil {
				t.Fatal(err)
			}
			// Exact: no tolerance for fixed-point rounding is needed here.
			if a, b := after.Neurons[h].Dividends, before.Neurons[h].Dividends; a < b {
				t.Fatalf("case %d (%v): uid %d dividends fell from %v to %v after raising stake to %d",
					it, in.Params.BondsMode, h, b, a, in.Neurons[h].Stake)
			}
			before = after
		}
	}
}

func TestPropertyBondsConverge(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	bonded := 0
	for it := 0; it < 20; it++ {
		in := randomInput(r, genConfig{n: 24, validators: 6, density: 60})
		in.Bonds = nil
		in.Params.BondsMovingAverage = 900_000
		var prev, last Result
		for epoch := 0; epoch < 250; epoch++ {
			res, err := Epoch(in)
			if err != nil {
				t.Fatal(err)
			}
			prev, last = last, res
			in.Bonds = res.Bonds
		}
		// Converged: the last step moves no bond by more than one unit, and
		// each bond sits within 12/65535 of its fixed point (the EMA target).
		if d := maxBondDiff(prev.Bonds, last.Bonds); d > 1 {
			t.Fatalf("case %d (%v): bonds still moving by %d after 250 epochs", it, in.Params.BondsMode, d)
		}
		target := targetBonds(t, in)
		if d := maxBondDiff(target, last.Bonds); d > 12 {
			t.Fatalf("case %d (%v): bonds %d units from the target", it, in.Params.BondsMode, d)
		}
		if len(last.Bonds) > 0 {
			bonded++
		}
	}
	if bonded < 15 { // most random subnets reach some consensus; guard against a vacuous pass
		t.Fatalf("only %d of 20 cases formed bonds", bonded)
	}
}

// targetBonds is the fixed point of the EMA under constant weights: with
// BondsMovingAverage = 0 the bonds jump straight to it.
func targetBonds(t *testing.T, in Input) []Row {
	in.Bonds = nil
	in.Params.BondsMovingAverage = 0
	res, err := Epoch(in)
	if err != nil {
		t.Fatal(err)
	}
	return res.Bonds
}

func maxBondDiff(a, b []Row) int {
	dense := func(rows []Row) map[[2]uint16]int {
		m := map[[2]uint16]int{}
		for _, r := range rows {
			for _, e := range r.Weights {
				m[[2]uint16{r.UID, e.UID}] = int(e.Value)
			}
		}
		return m
	}
	da, db := dense(a), dense(b)
	worst := 0
	for k, v := range da {
		worst = max(worst, v-db[k], db[k]-v)
	}
	for k, v := range db {
		worst = max(worst, v-da[k], da[k]-v)
	}
	return worst
}
