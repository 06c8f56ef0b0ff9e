package zk

import "math/rand/v2"

// RandomModel returns a valid model of a whose weights, biases and shifts are
// drawn from a PCG stream seeded with seed: the same (a, seed) always gives
// the same model, and distinct seeds give distinct commitments. Weights are
// uniform int8, biases uniform in [-2^15, 2^15), hidden layers requantize by
// 2^8. It is for tests, benchmarks and demos that need "some other weights"
// (a forger's model, a second miner), not a trained model.
func RandomModel(a Arch, seed uint64) (*Model, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x5ee1))
	m := &Model{Arch: a, Layers: make([]Layer, a.Layers())}
	for l := range m.Layers {
		in, out := a.Sizes[l], a.Sizes[l+1]
		ly := Layer{Weights: make([]int8, in*out), Biases: make([]int32, out)}
		for i := range ly.Weights {
			ly.Weights[i] = int8(r.IntN(256) - 128)
		}
		for i := range ly.Biases {
			ly.Biases[i] = int32(r.IntN(1<<16) - 1<<15)
		}
		if l < len(m.Layers)-1 {
			ly.Shift = 8
		}
		m.Layers[l] = ly
	}
	// Conv layers are drawn after the dense ones, so an MLP's draw is what
	// it always was. Conv outputs requantize by 2^10.
	idx, ins := a.convLayers()
	for i, j := range idx {
		f := a.Feats[j]
		ly := Layer{Weights: make([]int8, convWeights(f, ins[i])), Biases: make([]int32, f.Out), Shift: 10}
		for k := range ly.Weights {
			ly.Weights[k] = int8(r.IntN(256) - 128)
		}
		for k := range ly.Biases {
			ly.Biases[k] = int32(r.IntN(1<<16) - 1<<15)
		}
		m.Convs = append(m.Convs, ly)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}
