package scoring

import (
	"errors"
	"math"
	"testing"
)

// handInput is the worked example of docs/scoring.md: validators 0 and 1
// with stake 3000 and 1000; miners 2, 3, 4. Validator 0 weights miners 2
// and 3 equally, validator 1 weights miners 3 and 4 equally.
func handInput() Input {
	p := DefaultParams()
	p.Emission = 1_000_000
	p.Block = 100
	ns := []Neuron{
		{UID: 0, Stake: 3000, LastUpdate: 90, RegisteredAt: 1, ProofOK: true},
		{UID: 1, Stake: 1000, LastUpdate: 90, RegisteredAt: 1, ProofOK: true},
		{UID: 2, LastUpdate: 50, RegisteredAt: 2, ProofOK: true},
		{UID: 3, LastUpdate: 50, RegisteredAt: 3, ProofOK: true},
		{UID: 4, LastUpdate: 50, RegisteredAt: 4, ProofOK: true},
	}
	w := []Row{
		{UID: 0, Weights: []Weight{{2, 65535}, {3, 65535}}},
		{UID: 1, Weights: []Weight{{3, 65535}, {4, 65535}}},
	}
	return Input{Params: p, Neurons: ns, Weights: w}
}

// frac is num/den as Fixed, rounded down: the exact value of a hand-computed
// rational.
func frac(num, den uint64) Fixed { return Ratio(num, den) }

// near reports |a-b| <= tol units of 2^-32.
func near(a, b Fixed, tol uint64) bool {
	if a > b {
		return uint64(a-b) <= tol
	}
	return uint64(b-a) <= tol
}

func TestEpochHandComputedLegacy(t *testing.T) {
	res, err := Epoch(handInput())
	if err != nil {
		t.Fatal(err)
	}
	// Column by column, from docs/scoring.md's worked example.
	type col struct {
		name string
		get  func(NeuronResult) Fixed
		want [5]Fixed
		tol  uint64
	}
	cols := []col{
		{"active_stake", func(r NeuronResult) Fixed { return r.ActiveStake }, [5]Fixed{frac(3, 4), frac(1, 4), 0, 0, 0}, 0},
		// C_2: only v0 (75% >= kappa) gave 1/2; C_3: both gave 1/2; C_4: only v1 (25% < kappa).
		{"consensus", func(r NeuronResult) Fixed { return r.Consensus }, [5]Fixed{0, 0, One / 2, One / 2, 0}, 0},
		// R_2 = 3/4*1/2, R_3 = 3/4*1/2 + 1/4*1/2, R_4 = 1/4*min(1/2, 0).
		{"rank", func(r NeuronResult) Fixed { return r.Rank }, [5]Fixed{0, 0, frac(3, 8), frac(1, 2), 0}, 0},
		// T_4 = 0 / (1/4*1/2): v1's weight on 4 was clipped away.
		{"trust", func(r NeuronResult) Fixed { return r.Trust }, [5]Fixed{0, 0, One, One, 0}, 0},
		// I = R / (7/8).
		{"incentive", func(r NeuronResult) Fixed { return r.Incentive }, [5]Fixed{0, 0, frac(3, 7), frac(4, 7), 0}, 0},
		// VT_0 = 1/2 + 1/2; VT_1 = 1/2 + 0.
		{"validator_trust", func(r NeuronResult) Fixed { return r.ValidatorTrust }, [5]Fixed{One, One / 2, 0, 0, 0}, 0},
		// B_02 = 1, B_03 = 3/4, B_13 = 1/4 (no previous bonds: B = dB);
		// D_0 = 1*3/7 + 3/4*4/7 = 6/7, D_1 = 1/4*4/7 = 1/7.
		{"dividends", func(r NeuronResult) Fixed { return r.Dividends }, [5]Fixed{frac(6, 7), frac(1, 7), 0, 0, 0}, 4},
	}
	for _, c := range cols {
		for i, nr := range res.Neurons {
			if got := c.get(nr); !near(got, c.want[i], c.tol) {
				t.Errorf("%s[%d] = %v (%d), want %v (%d)", c.name, i, got, uint64(got), c.want[i], uint64(c.want[i]))
			}
		}
	}
	wantPermit := [5]bool{true, true, false, false, false}
	for i, nr := range res.Neurons {
		if nr.ValidatorPermit != wantPermit[i] || !nr.Active {
			t.Errorf("uid %d: permit %v active %v", i, nr.ValidatorPermit, nr.Active)
		}
	}
	// Owner 18% = 180,000; miners 410,000 by 3/7, 4/7 = 175,714.29 and
	// 234,285.71: one unit left, to the larger remainder (uid 3).
	// Validators 410,000 by 6/7, 1/7 = 351,428.57 and 58,571.43: to uid 0.
	wantEm := [5]uint64{351_429, 58_571, 175_714, 234_286, 0}
	for i, nr := range res.Neurons {
		if nr.Emission != wantEm[i] {
			t.Errorf("emission[%d] = %d, want %d", i, nr.Emission, wantEm[i])
		}
	}
	if res.OwnerEmission != 180_000 || res.Unpaid != 0 {
		t.Errorf("owner %d unpaid %d", res.OwnerEmission, res.Unpaid)
	}
	wantBonds := []Row{
		{UID: 0, Weights: []Weight{{2, 65535}, {3, 49151}}},
		{UID: 1, Weights: []Weight{{3, 16383}}},
	}
	if !rowsEqual(res.Bonds, wantBonds) {
		t.Errorf("bonds = %v, want %v", res.Bonds, wantBonds)
	}
}

func TestEpochHandComputedYuma3(t *testing.T) {
	in := handInput()
	in.Params.BondsMode = BondsYuma3
	res, err := Epoch(in)
	if err != nil {
		t.Fatal(err)
	}
	// B = 0.1 * Wc: B_02 = B_03 = B_13 = 1/20 (B_14 = 0: clipped).
	// d_0 = 3/4 * (1/20*3/7 + 1/20*4/7) = 3/80; d_1 = 1/4 * 1/20*4/7 = 1/140;
	// D_0 = (3/80) / (3/80 + 1/140) = 21/25, D_1 = 4/25.
	if d := res.Neurons[0].Dividends; !near(d, frac(21, 25), 1<<8) {
		t.Errorf("D_0 = %v, want 0.84", d)
	}
	if d := res.Neurons[1].Dividends; !near(d, frac(4, 25), 1<<8) {
		t.Errorf("D_1 = %v, want 0.16", d)
	}
	// 410,000 * 0.84 = 344,400; * 0.16 = 65,600 (fixed-point dust may move one unit).
	if e := res.Neurons[0].ValidatorEmission; e < 344_399 || e > 344_401 {
		t.Errorf("validator emission 0 = %d, want 344400 +- 1", e)
	}
	if e := res.Neurons[1].ValidatorEmission; e < 65_599 || e > 65_601 {
		t.Errorf("validator emission 1 = %d, want 65600 +- 1", e)
	}
	// floor(65535/20) = 3276 (the Fixed value of 1/20 is itself rounded down).
	want := []Row{{UID: 0, Weights: []Weight{{2, 3276}, {3, 3276}}}, {UID: 1, Weights: []Weight{{3, 3276}}}}
	if !rowsEqual(res.Bonds, want) {
		t.Errorf("bonds = %v, want %v", res.Bonds, want)
	}
}

func TestEpochProofMaskRedistributes(t *testing.T) {
	in := handInput()
	in.Neurons[3].ProofOK = false
	res, err := Epoch(in)
	if err != nil {
		t.Fatal(err)
	}
	// Rank and trust are computed before the mask; incentive after it.
	if res.Neurons[3].Rank != frac(1, 2) || res.Neurons[3].Incentive != 0 || res.Neurons[3].Emission != 0 {
		t.Errorf("masked miner: %+v", res.Neurons[3])
	}
	if res.Neurons[2].Incentive != One || res.Neurons[2].MinerEmission != 410_000 {
		t.Errorf("miner 2 should take the whole miner pot: %+v", res.Neurons[2])
	}
	// Only v0 is bonded to miner 2: it takes every dividend.
	if res.Neurons[0].ValidatorEmission != 410_000 || res.Neurons[1].ValidatorEmission != 0 {
		t.Errorf("dividends: %d, %d", res.Neurons[0].ValidatorEmission, res.Neurons[1].ValidatorEmission)
	}
	// Without RequireProof the flag is ignored.
	in.Params.RequireProof = false
	res2, _ := Epoch(in)
	if res2.Neurons[3].Incentive != frac(4, 7) {
		t.Errorf("RequireProof=false still masked: %v", res2.Neurons[3].Incentive)
	}
}

// TestEpochNoWeightsPaysValidatorsByStake: with no miner incentive the
// validators get their own pot by stake; the miner pot is unpaid (it used to
// go to the idle validators too).
func TestEpochNoWeightsPaysValidatorsByStake(t *testing.T) {
	in := handInput()
	in.Weights = nil
	res, err := Epoch(in)
	if err != nil {
		t.Fatal(err)
	}
	// No incentive: validators get their half, 410,000, by stake 3:1.
	if res.Neurons[0].Emission != 307_500 || res.Neurons[1].Emission != 102_500 || res.Unpaid != 410_000 {
		t.Errorf("emission %d %d unpaid %d, want 307500 102500 410000", res.Neurons[0].Emission, res.Neurons[1].Emission, res.Unpaid)
	}
	for _, nr := range res.Neurons[2:] {
		if nr.Emission != 0 {
			t.Errorf("miner %d earned %d with no weights", nr.UID, nr.Emission)
		}
	}
}

func TestEpochWeightFilters(t *testing.T) {
	in := handInput()
	// A self-weight is dropped, so v0's row renormalises over miners 2 and 3.
	in.Weights[0].Weights = []Weight{{0, 65535}, {2, 65535}, {3, 65535}}
	res, _ := Epoch(in)
	base, _ := Epoch(handInput())
	if !resultsEqual(res, base) {
		t.Error("self-weight changed the result")
	}
	// Miner 4 re-registered after v1's last update: v1's weight to it is
	// dropped. With kappa 0 (consensus = the largest weight) v1's weight
	// would otherwise give miner 4 rank.
	in = handInput()
	in.Params.Kappa = 0
	res, _ = Epoch(in)
	if res.Neurons[4].Rank == 0 {
		t.Fatal("kappa 0: miner 4 should have rank before re-registration")
	}
	in.Neurons[4].RegisteredAt = 95
	res, _ = Epoch(in)
	if res.Neurons[4].Rank != 0 || res.Neurons[4].Consensus != 0 {
		t.Errorf("weight to re-registered uid 4 kept: %+v", res.Neurons[4])
	}
	// An inactive validator's stake does not count.
	in = handInput()
	in.Params.Block = 10_000
	in.Neurons[0].LastUpdate = 9_000
	in.Neurons[1].LastUpdate = 90 // 9,910 blocks old > 5,000
	res, _ = Epoch(in)
	if res.Neurons[1].Active || res.Neurons[1].ActiveStake != 0 || res.Neurons[0].ActiveStake != One {
		t.Errorf("inactive validator: %+v / %+v", res.Neurons[1], res.Neurons[0])
	}
	// With one permit only the largest stake validates.
	in = handInput()
	in.Params.MaxValidators = 1
	res, _ = Epoch(in)
	if !res.Neurons[0].ValidatorPermit || res.Neurons[1].ValidatorPermit || res.Neurons[4].Consensus != 0 || res.Neurons[1].Dividends != 0 {
		t.Errorf("max_validators=1: %+v %+v", res.Neurons[0], res.Neurons[1])
	}
}

func TestEpochBondsResetOnReregistration(t *testing.T) {
	in := handInput()
	first, _ := Epoch(in)
	in.Bonds = first.Bonds
	// Miner 2 is taken over by a new hotkey after both validators' last update.
	in.Neurons[2].RegisteredAt = 95
	res, err := Epoch(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range res.Bonds {
		for _, e := range row.Weights {
			if e.UID == 2 {
				t.Errorf("bond %d->2 survived re-registration: %v", row.UID, e)
			}
		}
	}
}

func TestEpochEdgeCases(t *testing.T) {
	p := DefaultParams()
	p.Emission = 1000
	cases := []struct {
		name     string
		in       Input
		owner    uint64
		unpaid   uint64
		earnings []uint64
	}{
		{"empty subnet", Input{Params: p}, 180, 820, nil},
		{"all zero stake", Input{Params: p, Neurons: []Neuron{{UID: 0}, {UID: 1}},
			Weights: []Row{{UID: 0, Weights: []Weight{{1, 9}}}}}, 180, 820, []uint64{0, 0}},
		{"n = 1", Input{Params: p, Neurons: []Neuron{{UID: 0, Stake: 5, ProofOK: true}},
			Weights: []Row{{UID: 0, Weights: []Weight{{0, 9}}}}}, 180, 410, []uint64{410}}, // self-weight only: no miner incentive, the miner pot is unpaid,
		{"single validator", Input{Params: p, Neurons: []Neuron{{UID: 0, Stake: 5, LastUpdate: 1}, {UID: 1, ProofOK: true}},
			Weights: []Row{{UID: 0, Weights: []Weight{{1, 9}}}}}, 180, 0, []uint64{410, 410}},
		{"stake near 2^64", Input{Params: func() Params { q := p; q.Emission = math.MaxUint64; return q }(),
			Neurons: []Neuron{{UID: 0, Stake: math.MaxUint64, LastUpdate: 1}, {UID: 1, Stake: math.MaxUint64, LastUpdate: 1},
				{UID: 2, Stake: math.MaxUint64 - 1, LastUpdate: 1, ProofOK: true}},
			Weights: []Row{{UID: 0, Weights: []Weight{{2, 1}}}, {UID: 1, Weights: []Weight{{2, 65535}}}}},
			3320413933267719290, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Epoch(c.in)
			if err != nil {
				t.Fatal(err)
			}
			checkConservation(t, c.in, res)
			if res.OwnerEmission != c.owner || res.Unpaid != c.unpaid {
				t.Errorf("owner %d unpaid %d, want %d %d", res.OwnerEmission, res.Unpaid, c.owner, c.unpaid)
			}
			for i, want := range c.earnings {
				if res.Neurons[i].Emission != want {
					t.Errorf("emission[%d] = %d, want %d", i, res.Neurons[i].Emission, want)
				}
			}
		})
	}
}

func TestEpochRejectsBadInput(t *testing.T) {
	bad := func(f func(*Input)) Input { in := handInput(); f(&in); return in }
	cases := []struct {
		name string
		in   Input
		want error
	}{
		{"weight to unknown uid", bad(func(in *Input) { in.Weights[1].Weights[1].UID = 5 }), ErrUnknownUID},
		{"row of unknown uid", bad(func(in *Input) { in.Weights[1].UID = 9 }), ErrUnknownUID},
		{"bond to unknown uid", bad(func(in *Input) { in.Bonds = []Row{{UID: 0, Weights: []Weight{{7, 1}}}} }), ErrUnknownUID},
		{"rows out of order", bad(func(in *Input) { in.Weights[0], in.Weights[1] = in.Weights[1], in.Weights[0] }), ErrRowOrder},
		{"duplicate row", bad(func(in *Input) { in.Weights[1].UID = 0 }), ErrRowOrder},
		{"entries out of order", bad(func(in *Input) { in.Weights[0].Weights = []Weight{{3, 1}, {2, 1}} }), ErrRowOrder},
		{"duplicate entry", bad(func(in *Input) { in.Weights[0].Weights = []Weight{{3, 1}, {3, 1}} }), ErrRowOrder},
		{"neuron gap", bad(func(in *Input) { in.Neurons[2].UID = 7 }), ErrNeuronOrder},
		{"neurons unsorted", bad(func(in *Input) { in.Neurons[0], in.Neurons[1] = in.Neurons[1], in.Neurons[0] }), ErrNeuronOrder},
		{"owner cut > 100%", bad(func(in *Input) { in.Params.OwnerCutBps = 10001 }), ErrParams},
		{"miner share > 100%", bad(func(in *Input) { in.Params.MinerShareBps = 10001 }), ErrParams},
		{"bonds average > 1", bad(func(in *Input) { in.Params.BondsMovingAverage = 1_000_001 }), ErrParams},
		{"bonds mode", bad(func(in *Input) { in.Params.BondsMode = 7 }), ErrParams},
	}
	for _, c := range cases {
		if _, err := Epoch(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func rowsEqual(a, b []Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].UID != b[i].UID || len(a[i].Weights) != len(b[i].Weights) {
			return false
		}
		for k := range a[i].Weights {
			if a[i].Weights[k] != b[i].Weights[k] {
				return false
			}
		}
	}
	return true
}

func resultsEqual(a, b Result) bool {
	if len(a.Neurons) != len(b.Neurons) || a.OwnerEmission != b.OwnerEmission || a.Unpaid != b.Unpaid {
		return false
	}
	for i := range a.Neurons {
		if a.Neurons[i] != b.Neurons[i] {
			return false
		}
	}
	return rowsEqual(a.Bonds, b.Bonds)
}

// checkConservation asserts the emission invariant of Result.
func checkConservation(t testing.TB, in Input, res Result) {
	t.Helper()
	sum := res.OwnerEmission
	for _, nr := range res.Neurons {
		if nr.Emission != nr.MinerEmission+nr.ValidatorEmission || nr.Emission > in.Params.Emission {
			t.Fatalf("uid %d: emission %d = %d + %d?", nr.UID, nr.Emission, nr.MinerEmission, nr.ValidatorEmission)
		}
		sum += nr.Emission
		if sum < nr.Emission {
			t.Fatalf("emission sum overflows")
		}
	}
	if sum+res.Unpaid != in.Params.Emission {
		t.Fatalf("paid %d + unpaid %d != emission %d", sum, res.Unpaid, in.Params.Emission)
	}
}

// TestFrozenBondsDoNotDrift: with bonds_moving_average_ppm = 10^6 the bonds
// are frozen, and the u16 round trip (store, read back) keeps yuma3 bonds
// exact (they used to lose one unit per epoch, drifting to 0). Legacy bonds
// are column-normalised every epoch, so they may move by one unit of 65535
// but never drift.
func TestFrozenBondsDoNotDrift(t *testing.T) {
	for _, mode := range []BondsMode{BondsYuma3, BondsYuma} {
		in := handInput()
		in.Params.BondsMode = mode
		in.Params.BondsMovingAverage = 1_000_000
		start := []Row{{UID: 0, Weights: []Weight{{2, 40000}, {3, 25001}}}, {UID: 1, Weights: []Weight{{2, 25535}, {3, 40534}}}}
		in.Bonds = start
		for ep := 0; ep < 50; ep++ {
			res, err := Epoch(in)
			if err != nil {
				t.Fatal(err)
			}
			in.Bonds = res.Bonds
		}
		tol := 0
		if mode == BondsYuma {
			tol = 1
		}
		for r, row := range start {
			for k, e := range row.Weights {
				got := int(in.Bonds[r].Weights[k].Value)
				if got < int(e.Value)-tol || got > int(e.Value)+tol {
					t.Errorf("mode %v: frozen bond %d->%d drifted from %d to %d over 50 epochs", mode, row.UID, e.UID, e.Value, got)
				}
			}
		}
	}
}
