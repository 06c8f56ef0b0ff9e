package train

import (
	"fmt"
	"math"

	"github.com/veritensor/veritensor/zk"
)

// inputExp is the input's power-of-two scale: x_float = q * 2^-7.
const inputExp = 7

// Quantize converts a float MLP into a zk.Model with power-of-two scales:
// per layer the weight exponent e is the largest with max|w|*2^e <= 127,
// biases are round(b * 2^(a_in+e)) in the accumulator's scale, and each hidden
// layer's output exponent a_out is chosen among candidates around the one
// that maps the largest activation on calib to 127, keeping the candidate
// with the best quantized accuracy on calib (ties: the smaller shift). The
// shift a_in+e-a_out carries a rounding offset 2^(shift-1) folded into the
// bias. calib should be training data, never the test set.
func Quantize(m *MLP, calib Data) (*zk.Model, error) {
	a := zk.Arch{Sizes: append([]int(nil), m.Sizes...)}
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if len(calib.Images) == 0 {
		return nil, fmt.Errorf("%w: empty calibration set", ErrConfig)
	}
	xs := make([][]int8, len(calib.Images))
	for i, img := range calib.Images {
		xs[i] = zk.QuantizeImage(img)
	}
	// largest float activation per hidden layer on calib
	maxAct := make([]float32, len(m.Sizes))
	acts := m.newActs()
	for _, img := range calib.Images {
		m.forward(img, acts)
		for l := 1; l < len(m.Sizes)-1; l++ {
			for _, v := range acts[l] {
				maxAct[l] = max(maxAct[l], v)
			}
		}
	}
	q := &zk.Model{Arch: a, Layers: make([]zk.Layer, a.Layers())}
	aOut := make([]int, len(m.Sizes)) // activation exponents, aOut[0] = input
	aOut[0] = inputExp
	for l := 1; l < len(m.Sizes); l++ {
		aOut[l] = expFor(maxAct[l]) // provisional for later layers
	}
	for l := 1; l < len(m.Sizes)-1; l++ {
		best, bestAcc := aOut[l], -1
		for _, c := range []int{aOut[l] - 1, aOut[l], aOut[l] + 1, aOut[l] + 2} {
			aOut[l] = c
			if err := fill(q, m, aOut); err != nil {
				continue
			}
			acc := correct(q, xs, calib.Labels)
			if acc > bestAcc {
				best, bestAcc = c, acc
			}
		}
		aOut[l] = best
	}
	if err := fill(q, m, aOut); err != nil {
		return nil, err
	}
	return q, q.Validate()
}

// expFor is the largest exponent with v*2^e <= 127 (v > 0), within 0..20.
func expFor(v float32) int {
	if v <= 0 {
		return inputExp
	}
	e := int(math.Floor(math.Log2(127 / float64(v))))
	return min(max(e, 0), 20)
}

// fill writes every layer of q from m for the activation exponents aOut.
func fill(q *zk.Model, m *MLP, aOut []int) error {
	L := len(m.Sizes) - 1
	for l := 1; l <= L; l++ {
		in, out := m.Sizes[l-1], m.Sizes[l]
		w := m.W[l-1]
		var mx float64
		for _, v := range w {
			mx = max(mx, math.Abs(float64(v)))
		}
		e := 0
		if mx > 0 {
			e = int(math.Floor(math.Log2(127.49 / mx)))
		}
		accExp := aOut[l-1] + e
		ly := zk.Layer{Weights: make([]int8, in*out), Biases: make([]int32, out)}
		for i := range in {
			for o := range out {
				ly.Weights[o*in+i] = int8(clampF(math.Round(float64(w[i*out+o])*math.Ldexp(1, e)), -128, 127))
			}
		}
		var round float64
		if l < L {
			shift := accExp - aOut[l]
			if shift < 0 || shift > zk.MaxShift {
				return fmt.Errorf("%w: layer %d shift %d out of range", ErrConfig, l, shift)
			}
			ly.Shift = uint8(shift)
			if shift > 0 {
				round = math.Ldexp(1, shift-1)
			}
		}
		for o := range out {
			b := math.Round(float64(m.B[l-1][o])*math.Ldexp(1, accExp)) + round
			ly.Biases[o] = int32(clampF(b, -zk.MaxBias, zk.MaxBias-1))
		}
		q.Layers[l-1] = ly
	}
	return nil
}

func clampF(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// correct counts the inputs q classifies as labelled.
func correct(q *zk.Model, xs [][]int8, labels []uint8) int {
	got, err := q.InferBatch(xs)
	if err != nil {
		return -1
	}
	n := 0
	for i, c := range got {
		if c == uint32(labels[i]) {
			n++
		}
	}
	return n
}

// QuantAccuracy is the fraction of d the quantized model classifies
// correctly.
func QuantAccuracy(q *zk.Model, d Data) (float64, error) {
	if len(d.Images) == 0 {
		return 0, nil
	}
	xs := make([][]int8, len(d.Images))
	for i, img := range d.Images {
		xs[i] = zk.QuantizeImage(img)
	}
	got, err := q.InferBatch(xs)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, c := range got {
		if c == uint32(d.Labels[i]) {
			n++
		}
	}
	return float64(n) / float64(len(d.Images)), nil
}
