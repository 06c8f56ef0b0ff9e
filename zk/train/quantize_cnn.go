package train

import (
	"fmt"
	"math"

	"github.com/veritensor/veritensor/zk"
)

// QuantizeCNN converts a float CNN into a zk.Model with power-of-two scales,
// as Quantize does for an MLP: per conv or dense layer the weight exponent is
// the largest with max|w|*2^e <= 127, biases are in the accumulator's scale
// with the rounding offset folded in, pooling keeps its input's scale, and
// each requantized layer's (every conv's, every hidden dense's) output
// exponent is chosen, in order, among four candidates around the one that
// maps the largest activation on calib to 127, keeping the best quantized
// accuracy on calib. calib should be training data, never the test set.
func QuantizeCNN(m *CNN, calib Data) (*zk.Model, error) {
	a := m.Arch
	if err := a.Validate(); err != nil || !a.IsCNN() {
		return nil, fmt.Errorf("%w: %s is not a valid CNN", ErrConfig, a)
	}
	if len(calib.Images) == 0 {
		return nil, fmt.Errorf("%w: empty calibration set", ErrConfig)
	}
	xs := make([][]int8, len(calib.Images))
	for i, img := range calib.Images {
		xs[i] = zk.QuantizeImage(img)
	}
	nc, nh := len(m.CW), len(a.Sizes)-2
	// Largest float activation of every requantized layer on calib.
	maxAct := make([]float32, nc+nh)
	acts := m.newActs()
	for _, img := range calib.Images {
		m.forward(img, acts)
		ci := 0
		for i, f := range a.Feats {
			if f.Kind == zk.Conv {
				for _, v := range acts.feat[i+1] {
					maxAct[ci] = max(maxAct[ci], v)
				}
				ci++
			}
		}
		for l := 1; l <= nh; l++ {
			for _, v := range acts.dense[l] {
				maxAct[nc+l-1] = max(maxAct[nc+l-1], v)
			}
		}
	}
	exps := make([]int, nc+nh)
	for i, v := range maxAct {
		exps[i] = expFor(v)
	}
	q := &zk.Model{Arch: a, Convs: make([]zk.Layer, nc), Layers: make([]zk.Layer, a.Layers())}
	for k := range exps {
		best, bestAcc := exps[k], -1
		for _, c := range []int{exps[k] - 1, exps[k], exps[k] + 1, exps[k] + 2} {
			exps[k] = c
			if err := fillCNN(q, m, exps); err != nil {
				continue
			}
			if acc := correct(q, xs, calib.Labels); acc > bestAcc {
				best, bestAcc = c, acc
			}
		}
		exps[k] = best
	}
	if err := fillCNN(q, m, exps); err != nil {
		return nil, err
	}
	return q, q.Validate()
}

// quantLayer quantizes one layer with float weights w (already in the zk
// order), biases b, input exponent aIn and output exponent aOut (requant
// true) or none (the logits layer).
func quantLayer(w, b []float32, aIn, aOut int, requant bool) (zk.Layer, error) {
	var mx float64
	for _, v := range w {
		mx = max(mx, math.Abs(float64(v)))
	}
	e := 0
	if mx > 0 {
		e = int(math.Floor(math.Log2(127.49 / mx)))
	}
	accExp := aIn + e
	ly := zk.Layer{Weights: make([]int8, len(w)), Biases: make([]int32, len(b))}
	for i, v := range w {
		ly.Weights[i] = int8(clampF(math.Round(float64(v)*math.Ldexp(1, e)), -128, 127))
	}
	var round float64
	if requant {
		shift := accExp - aOut
		if shift < 0 || shift > zk.MaxShift {
			return zk.Layer{}, fmt.Errorf("%w: shift %d out of range", ErrConfig, shift)
		}
		ly.Shift = uint8(shift)
		if shift > 0 {
			round = math.Ldexp(1, shift-1)
		}
	}
	for o, v := range b {
		ly.Biases[o] = int32(clampF(math.Round(float64(v)*math.Ldexp(1, accExp))+round, -zk.MaxBias, zk.MaxBias-1))
	}
	return ly, nil
}

// fillCNN writes every layer of q from m for the requantized layers' output
// exponents exps (convs, then hidden dense layers).
func fillCNN(q *zk.Model, m *CNN, exps []int) error {
	aIn, ci := inputExp, 0
	for _, f := range m.Arch.Feats {
		if f.Kind != zk.Conv {
			continue // pooling keeps the scale
		}
		ly, err := quantLayer(m.CW[ci], m.CB[ci], aIn, exps[ci], true)
		if err != nil {
			return err
		}
		q.Convs[ci] = ly
		aIn = exps[ci]
		ci++
	}
	L := len(m.W)
	for l := range L {
		aOut, requant := 0, l < L-1
		if requant {
			aOut = exps[ci+l]
		}
		ly, err := quantLayer(m.W[l], m.B[l], aIn, aOut, requant)
		if err != nil {
			return err
		}
		q.Layers[l] = ly
		aIn = aOut
	}
	return nil
}
