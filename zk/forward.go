package zk

import "fmt"

// arith is the arithmetic one forward pass needs. Native inference implements
// it on int64 (nativeArith), the circuit on gnark variables (circuitArith);
// forward is written once against it, so both compute the same function.
type arith[V any] interface {
	// dot returns sum_i w[i]*x[i] (the int32 accumulator).
	dot(w, x []V) V
	// add returns a+b.
	add(a, b V) V
	// requantReLU returns clamp(floor(v / pow), 0, 127), pow = 2^shift:
	// requantize with a power-of-two scale, then ReLU saturated to int8.
	requantReLU(v, pow V) V
	// argmax returns the index of the largest logit (the first on ties).
	argmax(logits []V) V
}

// layerOf is a dense layer with values of type V.
type layerOf[V any] struct {
	in, out int
	w       []V // row-major [out][in]
	b       []V // [out]
	pow     V   // 2^shift; unused for the last layer
}

// forward runs Dense -> requantize+ReLU for every hidden layer, then the last
// Dense and Argmax. It returns the class and the logits.
func forward[V any](e arith[V], layers []layerOf[V], x []V) (class V, logits []V) {
	act := x
	for l, ly := range layers {
		next := make([]V, ly.out)
		for o := range ly.out {
			v := e.add(e.dot(ly.w[o*ly.in:(o+1)*ly.in], act), ly.b[o])
			if l < len(layers)-1 {
				v = e.requantReLU(v, ly.pow)
			}
			next[o] = v
		}
		act = next
	}
	return e.argmax(act), act
}

// nativeArith is exact integer arithmetic.
type nativeArith struct{}

func (nativeArith) dot(w, x []int64) int64 {
	var s int64
	for i := range w {
		s += w[i] * x[i]
	}
	return s
}

func (nativeArith) add(a, b int64) int64 { return a + b }

func (nativeArith) requantReLU(v, pow int64) int64 {
	return clampInt8(floorDiv(v, pow))
}

func (nativeArith) argmax(logits []int64) int64 { return int64(argmaxFirst(logits)) }

// floorDiv is floor(v / d) for d > 0.
func floorDiv(v, d int64) int64 {
	q := v / d
	if v%d != 0 && v < 0 {
		q--
	}
	return q
}

// clampInt8 is ReLU saturated at 127.
func clampInt8(q int64) int64 { return min(max(q, 0), 127) }

// argmaxFirst returns the index of the first maximum.
func argmaxFirst(v []int64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// Infer runs the native integer inference on x (len = Arch.Inputs()). It
// returns the argmax class and the int32 logits; it is bit for bit what the
// circuit proves.
func (m *Model) Infer(x []int8) (class uint32, logits []int32, err error) {
	if err := m.Validate(); err != nil {
		return 0, nil, err
	}
	if len(x) != m.Arch.Inputs() {
		return 0, nil, fmt.Errorf("%w: %d values, model %s wants %d", ErrBadInput, len(x), m.Arch, m.Arch.Inputs())
	}
	xs := make([]int64, len(x))
	for i, v := range x {
		xs[i] = int64(v)
	}
	c, lg := forward[int64](nativeArith{}, m.nativeLayers(), xs)
	logits = make([]int32, len(lg))
	for i, v := range lg {
		logits[i] = int32(v) // |v| < 2^28 by the model and architecture limits
	}
	return uint32(c), logits, nil
}

// nativeLayers widens the model to int64 layers.
func (m *Model) nativeLayers() []layerOf[int64] {
	out := make([]layerOf[int64], len(m.Layers))
	for l, ly := range m.Layers {
		nl := layerOf[int64]{in: m.Arch.Sizes[l], out: m.Arch.Sizes[l+1], pow: 1 << ly.Shift}
		nl.w = make([]int64, len(ly.Weights))
		for i, w := range ly.Weights {
			nl.w[i] = int64(w)
		}
		nl.b = make([]int64, len(ly.Biases))
		for i, b := range ly.Biases {
			nl.b[i] = int64(b)
		}
		out[l] = nl
	}
	return out
}

// InferBatch classifies many inputs with one widening of the weights; it is
// Infer's class for each input.
func (m *Model) InferBatch(xs [][]int8) ([]uint32, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	layers := m.nativeLayers()
	out := make([]uint32, len(xs))
	xw := make([]int64, m.Arch.Inputs())
	for n, x := range xs {
		if len(x) != len(xw) {
			return nil, fmt.Errorf("%w: input %d has %d values, model %s wants %d", ErrBadInput, n, len(x), m.Arch, len(xw))
		}
		for i, v := range x {
			xw[i] = int64(v)
		}
		c, _ := forward[int64](nativeArith{}, layers, xw)
		out[n] = uint32(c)
	}
	return out, nil
}
