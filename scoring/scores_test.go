package scoring

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestEMA(t *testing.T) {
	cases := []struct {
		prev, sample Fixed
		alpha        uint32
		want         Fixed
	}{
		{0, One, 100_000, frac(1, 10)},
		{One, 0, 100_000, One - frac(1, 10) - 1}, // floor of 0.9
		{One / 2, One / 2, 300_000, One / 2},
		{123, 456, 0, 123},
		{123, 456, 1_000_000, 456},
		{maxFixed, maxFixed, 500_000, maxFixed}, // no overflow
	}
	for _, c := range cases {
		got, err := EMA(c.prev, c.sample, c.alpha)
		if err != nil || !near(got, c.want, 1) {
			t.Errorf("EMA(%v, %v, %d) = %v, %v; want %v", c.prev, c.sample, c.alpha, got, err, c.want)
		}
	}
	if _, err := EMA(0, 0, 1_000_001); !errors.Is(err, ErrParams) {
		t.Errorf("alpha > 1: %v", err)
	}
}

func TestCombineScore(t *testing.T) {
	w := DefaultScoreWeights()
	got, err := CombineScore(One, One/2, One, w)
	if err != nil || got != frac(95, 100) { // 0.7 + 0.05 + 0.2
		t.Errorf("CombineScore = %v, %v; want 0.95", got, err)
	}
	if got, _ := CombineScore(0, 0, 0, w); got != 0 {
		t.Errorf("zero inputs: %v", got)
	}
	if _, err := CombineScore(0, 0, 0, ScoreWeights{1, 2, 3}); !errors.Is(err, ErrParams) {
		t.Errorf("bad weights: %v", err)
	}
	if got := LatencyScore(50, 100, 1000); got != One {
		t.Errorf("fast: %v", got)
	}
	if got := LatencyScore(550, 100, 1000); got != One/2 {
		t.Errorf("halfway: %v", got)
	}
	if got := LatencyScore(2000, 100, 1000); got != 0 {
		t.Errorf("slow: %v", got)
	}
}

func TestNormalizeWeights(t *testing.T) {
	// No binding limit: the largest becomes 65535, the others scale (rounded up).
	got, err := NormalizeWeights([]Score{{5, One / 4}, {2, One}, {9, 0}, {3, One / 2}}, 65535, 1)
	want := []Weight{{2, 65535}, {3, 32768}, {5, 16384}}
	if err != nil || !rowsEqual([]Row{{Weights: got}}, []Row{{Weights: want}}) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	// A limit of 1/2 with scores 8:1:1: the top is capped at half the row,
	// the other two share the rest equally: 65535*32767/65536 = 32766.5 each, rounded up.
	got, err = NormalizeWeights([]Score{{0, 8 * One / 10}, {1, One / 10}, {2, One / 10}}, 32768, 1)
	want = []Weight{{0, 65535}, {1, 32767}, {2, 32767}}
	if err != nil || !rowsEqual([]Row{{Weights: got}}, []Row{{Weights: want}}) {
		t.Errorf("capped: got %v, %v; want %v", got, err, want)
	}
	if _, err := NormalizeWeights([]Score{{0, One}, {1, 0}}, 65535, 2); !errors.Is(err, ErrTooFewWeights) {
		t.Errorf("too few: %v", err)
	}
	if _, err := NormalizeWeights([]Score{{0, One}, {1, One}}, 30000, 1); !errors.Is(err, ErrWeightLimit) {
		t.Errorf("infeasible limit: %v", err)
	}
	if _, err := NormalizeWeights([]Score{{0, One}, {0, One}}, 65535, 1); !errors.Is(err, ErrRowOrder) {
		t.Errorf("duplicate: %v", err)
	}
}

// TestNormalizeWeightsProperties: over random score vectors the row is
// sorted, keeps every positive score, tops out at 65535, respects the limit
// exactly and preserves the order of scores.
func TestNormalizeWeightsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for it := 0; it < 300; it++ {
		k := 1 + r.IntN(300)
		scores := make([]Score, 0, k)
		for _, u := range r.Perm(k) {
			v := Fixed(r.Uint64N(uint64(One) + 1))
			if r.IntN(5) == 0 {
				v = Fixed(r.Uint64()) // scores above 1 are fine too
			}
			scores = append(scores, Score{UID: uint16(u), Value: v})
		}
		limit := uint16(1 + r.IntN(65535))
		row, err := NormalizeWeights(scores, limit, 0)
		positive := 0
		for _, s := range scores {
			if s.Value > 0 {
				positive++
			}
		}
		if uint64(positive)*uint64(limit) < 65535 {
			if !errors.Is(err, ErrWeightLimit) {
				t.Fatalf("case %d: infeasible limit accepted: %v", it, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("case %d: k=%d limit=%d: %v", it, len(scores), limit, err)
		}
		if len(row) != positive {
			t.Fatalf("case %d: %d weights for %d positive scores", it, len(row), positive)
		}
		var sum, top uint64
		byUID := map[uint16]Fixed{}
		for _, s := range scores {
			byUID[s.UID] = s.Value
		}
		for i, w := range row {
			if i > 0 && w.UID <= row[i-1].UID || w.Value == 0 {
				t.Fatalf("case %d: bad row %v", it, row)
			}
			sum += uint64(w.Value)
			top = max(top, uint64(w.Value))
		}
		if top != 65535 || top*65535 > uint64(limit)*sum {
			t.Fatalf("case %d: top %d sum %d limit %d", it, top, sum, limit)
		}
		for _, a := range row {
			for _, b := range row[:min(len(row), 8)] {
				if byUID[a.UID] > byUID[b.UID] && a.Value < b.Value {
					t.Fatalf("case %d: order not kept: %v %v", it, a, b)
				}
			}
		}
	}
}
