package scoring

import (
	"math/rand/v2"
	"testing"
)

// benchInput builds a full subnet: n UIDs, v validators each weighting
// perRow miners, with previous bonds from one earlier epoch. Validators
// mostly agree, as honest ones do: each picks its perRow miners from a
// shared pool of perRow*5/4 miners and gives each the miner's quality
// plus or minus 20% noise, so most pool columns reach consensus and every
// step of the epoch (clipping, bonds, dividends) does real work.
func benchInput(b testing.TB, n, v, perRow int) Input {
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
	pool := r.Perm(n - v)[:min(n-v, perRow*5/4)]
	quality := make([]int, len(pool))
	for k := range quality {
		quality[k] = 10_000 + r.IntN(40_000)
	}
	for i := 0; i < v; i++ {
		row := Row{UID: uint16(i)}
		for _, k := range r.Perm(len(pool))[:perRow] {
			q := quality[k]
			row.Weights = append(row.Weights, Weight{UID: uint16(v + pool[k]), Value: uint16(q + r.IntN(q*2/5+1) - q/5)})
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
		{"256x64", 256, 64, 153},
		{"4096x256", 4096, 256, 256},
	} {
		for _, mode := range []BondsMode{BondsYuma, BondsYuma3} {
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

// TestEpochLargeSparse runs the benchmark's 4,096 x 256 subnet once in each
// bonds mode and checks conservation, that (nearly) every validator holds
// bonds and every one that does earns, and that the bonds stay sparse (at most weights + previous
// bonds entries).
func TestEpochLargeSparse(t *testing.T) {
	in := benchInput(t, 4096, 256, 256)
	for _, mode := range []BondsMode{BondsYuma, BondsYuma3} {
		in.Params.BondsMode = mode
		res, err := Epoch(in)
		if err != nil {
			t.Fatal(err)
		}
		checkConservation(t, in, res)
		// A validator with a tiny stake may hold bonds below 1/65535 (dropped).
		if len(res.Bonds) < 250 {
			t.Errorf("%v: %d bond rows, want about 256", mode, len(res.Bonds))
		}
		agreed := 0
		for _, nr := range res.Neurons {
			if nr.Consensus > 0 {
				agreed++
			}
		}
		if agreed < 300 { // the shared pool has 320 miners, each weighted by ~80% of validators
			t.Errorf("%v: only %d miners reached consensus", mode, agreed)
		}
		nnz := 0
		for _, row := range res.Bonds {
			nnz += len(row.Weights)
			if res.Neurons[row.UID].Dividends == 0 {
				t.Errorf("%v: validator %d has bonds but no dividends", mode, row.UID)
			}
		}
		if nnz > 2*256*256 {
			t.Errorf("%v: %d bond entries", mode, nnz)
		}
	}
}
