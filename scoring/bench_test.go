package scoring

import (
	"math/rand/v2"
	"testing"
)

// benchInput builds a full subnet: n UIDs, v validators each weighting
// perRow miners, with previous bonds from one earlier epoch.
func benchInput(b *testing.B, n, v, perRow int) Input {
	r := rand.New(rand.NewPCG(uint64(n), uint64(v)))
	p := DefaultParams()
	p.Block, p.Emission = 10_000, 1_000_000_000_000
	p.MaxValidators = uint16(v)
	in := Input{Params: p, Neurons: make([]Neuron, n)}
	for i := range in.Neurons {
		in.Neurons[i] = Neuron{UID: uint16(i), LastUpdate: 9_900, RegisteredAt: uint64(i % 1000), ProofOK: r.IntN(20) != 0}
		if i < v {
			in.Neurons[i].Stake = 1 + r.Uint64N(1<<50)
		}
	}
	for i := 0; i < v; i++ {
		row := Row{UID: uint16(i)}
		for _, j := range r.Perm(n - v)[:perRow] {
			row.Weights = append(row.Weights, Weight{UID: uint16(v + j), Value: uint16(1 + r.IntN(65535))})
		}
		sortWeights(row.Weights)
		in.Weights = append(in.Weights, row)
	}
	res, err := Epoch(in)
	if err != nil {
		b.Fatal(err)
	}
	in.Bonds = res.Bonds
	return in
}

func sortWeights(w []Weight) {
	for i := 1; i < len(w); i++ {
		for k := i; k > 0 && w[k].UID < w[k-1].UID; k-- {
			w[k], w[k-1] = w[k-1], w[k]
		}
	}
}

// BenchmarkEpoch measures one epoch at subtensor's scale (256 UIDs, 64
// validators weighting every miner) and at Veritensor's target (4,096 UIDs,
// 256 validators with 256 weights each), in both bonds modes.
func BenchmarkEpoch(b *testing.B) {
	for _, c := range []struct {
		name         string
		n, v, perRow int
	}{
		{"256x64", 256, 64, 192},
		{"4096x256", 4096, 256, 256},
	} {
		for _, mode := range []BondsMode{BondsLegacy, BondsYuma3} {
			b.Run(c.name+"/"+mode.String(), func(b *testing.B) {
				in := benchInput(b, c.n, c.v, c.perRow)
				in.Params.BondsMode = mode
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := Epoch(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
