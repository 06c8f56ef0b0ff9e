package scoring

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSplitRemainderRule(t *testing.T) {
	cases := []struct {
		amount  uint64
		weights []uint64
		want    []uint64
	}{
		{10, []uint64{1, 1, 1}, []uint64{4, 3, 3}}, // equal remainders: lowest index first
		{10, []uint64{0, 1, 1, 1}, []uint64{0, 4, 3, 3}},
		{100, []uint64{1, 2}, []uint64{33, 67}},   // 33.33 / 66.67
		{7, []uint64{5, 0, 2}, []uint64{5, 0, 2}}, // exact
		{1, []uint64{3, 5, 5}, []uint64{0, 1, 0}}, // largest remainder, then lowest index
		{math.MaxUint64, []uint64{math.MaxUint64, math.MaxUint64}, []uint64{1 << 63, 1<<63 - 1}},
	}
	for _, c := range cases {
		got, ok := Split(c.amount, c.weights)
		if !ok {
			t.Fatalf("Split(%d, %v) not ok", c.amount, c.weights)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Split(%d, %v) = %v, want %v", c.amount, c.weights, got, c.want)
				break
			}
		}
	}
	if got, ok := Split(5, []uint64{0, 0}); ok || got[0] != 0 || got[1] != 0 {
		t.Errorf("all-zero weights: %v %v", got, ok)
	}
}

func TestSplitConservesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for it := 0; it < 500; it++ {
		w := make([]uint64, 1+r.IntN(50))
		for i := range w {
			if r.IntN(3) > 0 {
				w[i] = r.Uint64() >> uint(r.IntN(64))
			}
		}
		amount := r.Uint64() >> uint(r.IntN(64))
		parts, ok := Split(amount, w)
		var sum uint64
		for i, p := range parts {
			sum += p
			if w[i] == 0 && p != 0 {
				t.Fatalf("zero weight paid %d", p)
			}
		}
		if ok && sum != amount || !ok && sum != 0 {
			t.Fatalf("Split(%d, %v) = %v sums to %d", amount, w, parts, sum)
		}
	}
}

func TestFixedFormatting(t *testing.T) {
	cases := map[Fixed]string{0: "0", One: "1", One / 2: "0.5", One + One/4: "1.25", 1: "0.00000000023283064365386962890625"}
	for f, want := range cases {
		if got := f.String(); got != want {
			t.Errorf("%d: %q, want %q", uint64(f), got, want)
		}
	}
	if got := (One / 3).Format(6); got != "0.333333" {
		t.Errorf("Format(6) = %q", got)
	}
	if got := One.Format(3); got != "1.000" {
		t.Errorf("Format(3) = %q", got)
	}
	if FixedFromU16(65535) != One || One.U16() != 65535 || (One/2).U16() != 32767 || FixedFromU16(0) != 0 {
		t.Error("u16 conversions")
	}
	if mul(maxFixed, maxFixed) != maxFixed || Ratio(5, 0) != 0 || Ratio(math.MaxUint64, 1) != maxFixed {
		t.Error("saturation")
	}
}
