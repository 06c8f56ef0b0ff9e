package validator

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/veritensor/veritensor/scoring"
)

// TestFracShortestDecimal: JSON shows the shortest decimal that reads back
// as the same fixed-point value, not the float-like exact expansion.
func TestFracShortestDecimal(t *testing.T) {
	for _, tc := range []struct {
		f    Frac
		want string
	}{
		{0, "0"}, {Frac(scoring.One), "1"}, {Frac(scoring.One) / 2, "0.5"},
		{Frac(scoring.Ratio(3, 10)), "0.3"}, {Frac(scoring.Ratio(1, 3)), "0.3333333333"},
		{Frac(scoring.Ratio(471, 1000)), "0.471"}, {1, "0.0000000003"}, {Frac(scoring.One) - 1, "0.9999999998"},
	} {
		b, err := json.Marshal(tc.f)
		if err != nil || string(b) != tc.want {
			t.Errorf("%d: %s %v, want %s", uint64(tc.f), b, err, tc.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		f := Frac(r.Uint64N(4 << scoring.FracBits))
		b, _ := json.Marshal(f)
		var back Frac
		if err := json.Unmarshal(b, &back); err != nil || back != f {
			t.Fatalf("%d -> %s -> %d %v", uint64(f), b, uint64(back), err)
		}
	}
}
