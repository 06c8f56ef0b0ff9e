package zk

import "fmt"

// arith is the arithmetic one forward pass needs. Native inference implements
// it on int64 (nativeArith), the circuit on gnark variables (circuitArith);
// forward is written once against it, so both compute the same function.
type arith[V any] interface {
	// dot returns sum_i w[i]*x[i] (the int32 accumulator).
	dot(w, x []V) V
	// dotAt returns sum_k w[wi[k]]*x[xi[k]] (a convolution's accumulator).
	dotAt(w []V, wi []int32, x []V, xi []int32) V
	// add returns a+b.
	add(a, b V) V
	// requantReLU returns clamp(floor(v / pow), 0, 127), pow = 2^shift:
	// requantize with a power-of-two scale, then ReLU saturated to int8.
	requantReLU(v, pow V) V
	// argmax returns the index of the largest logit (the first on ties).
	argmax(logits []V) V
	// maxOf returns the largest of xs (int8 values; max pooling).
	maxOf(xs []V) V
	// avgFloor returns floor(sum(xs) / d) (int8 values; average pooling).
	avgFloor(xs []V, d int64) V
}

// layerOf is a dense layer with values of type V.
type layerOf[V any] struct {
	in, out int
	w       []V // row-major [out][in]
	b       []V // [out]
	pow     V   // 2^shift; unused for the last layer
}

// featOf is a feature layer (convolution or pooling) with values of type V.
type featOf[V any] struct {
	f       Feat
	in, out Shape
	w, b    []V // Conv only: [out][in][ky][kx], [out]
	pow     V   // Conv only: 2^shift
	taps    taps
}

// taps lists, for every output of a feature layer, the weight and input
// indexes it reads: output o reads wi[off[o]:off[o+1]] and
// xi[off[o]:off[o+1]] (wi is empty for pooling). Zero padding contributes
// no taps; pooling windows are never padded.
type taps struct {
	off    []int32
	wi, xi []int32
}

// featTaps computes f's taps on input shape in (output shape out).
func featTaps(f Feat, in, out Shape) taps {
	var t taps
	t.off = make([]int32, 0, out.Size()+1)
	t.off = append(t.off, 0)
	for oc := range out.C {
		for oy := range out.H {
			for ox := range out.W {
				switch f.Kind {
				case Conv:
					for ic := range in.C {
						for ky := range f.K {
							iy := oy*f.Stride - f.Pad + ky
							if iy < 0 || iy >= in.H {
								continue
							}
							for kx := range f.K {
								ix := ox*f.Stride - f.Pad + kx
								if ix < 0 || ix >= in.W {
									continue
								}
								t.wi = append(t.wi, int32(((oc*in.C+ic)*f.K+ky)*f.K+kx))
								t.xi = append(t.xi, int32((ic*in.H+iy)*in.W+ix))
							}
						}
					}
				case MaxPool, AvgPool:
					for ky := range f.K {
						for kx := range f.K {
							t.xi = append(t.xi, int32((oc*in.H+oy*f.Stride+ky)*in.W+ox*f.Stride+kx))
						}
					}
				}
				t.off = append(t.off, int32(len(t.xi)))
			}
		}
	}
	return t
}

// applyFeat runs one feature layer on x (shape fl.in, CHW order). A
// convolution output is requantReLU(sum of its taps' w*x + b); a pooling
// output is the max or floor-average of its window.
func applyFeat[V any](e arith[V], fl featOf[V], x []V) []V {
	out, f, t := fl.out, fl.f, fl.taps
	y := make([]V, out.Size())
	plane := out.H * out.W
	xs := make([]V, 0, f.K*f.K)
	for o := range y {
		lo, hi := t.off[o], t.off[o+1]
		switch f.Kind {
		case Conv:
			y[o] = e.requantReLU(e.add(e.dotAt(fl.w, t.wi[lo:hi], x, t.xi[lo:hi]), fl.b[o/plane]), fl.pow)
		case MaxPool, AvgPool:
			xs = xs[:0]
			for _, i := range t.xi[lo:hi] {
				xs = append(xs, x[i])
			}
			if f.Kind == MaxPool {
				y[o] = e.maxOf(xs)
			} else {
				y[o] = e.avgFloor(xs, int64(f.K*f.K))
			}
		}
	}
	return y
}

// forward runs the feature layers, flattens (CHW order), then Dense ->
// requantize+ReLU for every hidden layer, then the last Dense and Argmax. It
// returns the class and the logits.
func forward[V any](e arith[V], feats []featOf[V], layers []layerOf[V], x []V) (class V, logits []V) {
	act := x
	for _, fl := range feats {
		act = applyFeat(e, fl, act)
	}
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

func (nativeArith) dotAt(w []int64, wi []int32, x []int64, xi []int32) int64 {
	var s int64
	for k, i := range wi {
		s += w[i] * x[xi[k]]
	}
	return s
}

func (nativeArith) add(a, b int64) int64 { return a + b }

func (nativeArith) requantReLU(v, pow int64) int64 {
	return clampInt8(floorDiv(v, pow))
}

func (nativeArith) argmax(logits []int64) int64 { return int64(argmaxFirst(logits)) }

func (nativeArith) maxOf(xs []int64) int64 {
	m := xs[0]
	for _, v := range xs[1:] {
		m = max(m, v)
	}
	return m
}

func (nativeArith) avgFloor(xs []int64, d int64) int64 {
	var s int64
	for _, v := range xs {
		s += v
	}
	return floorDiv(s, d)
}

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
	c, lg := forward[int64](nativeArith{}, m.nativeFeats(), m.nativeLayers(), xs)
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

// nativeFeats widens the model's feature layers to int64.
func (m *Model) nativeFeats() []featOf[int64] {
	return featLayers(m.Arch, func(conv int) (w, b []int64, pow int64) {
		ly := m.Convs[conv]
		w = make([]int64, len(ly.Weights))
		for i, v := range ly.Weights {
			w[i] = int64(v)
		}
		b = make([]int64, len(ly.Biases))
		for i, v := range ly.Biases {
			b[i] = int64(v)
		}
		return w, b, 1 << ly.Shift
	})
}

// featLayers lays out a's feature layers; conv supplies the weights, biases
// and 2^shift of the i-th Conv layer.
func featLayers[V any](a Arch, conv func(i int) (w, b []V, pow V)) []featOf[V] {
	if !a.IsCNN() {
		return nil
	}
	shapes, err := a.featShapes()
	if err != nil {
		return nil
	}
	out := make([]featOf[V], len(a.Feats))
	ci := 0
	for i, f := range a.Feats {
		out[i] = featOf[V]{f: f, in: shapes[i], out: shapes[i+1], taps: featTaps(f, shapes[i], shapes[i+1])}
		if f.Kind == Conv {
			out[i].w, out[i].b, out[i].pow = conv(ci)
			ci++
		}
	}
	return out
}

// InferBatch classifies many inputs with one widening of the weights; it is
// Infer's class for each input.
func (m *Model) InferBatch(xs [][]int8) ([]uint32, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	feats, layers := m.nativeFeats(), m.nativeLayers()
	out := make([]uint32, len(xs))
	xw := make([]int64, m.Arch.Inputs())
	for n, x := range xs {
		if len(x) != len(xw) {
			return nil, fmt.Errorf("%w: input %d has %d values, model %s wants %d", ErrBadInput, n, len(x), m.Arch, len(xw))
		}
		for i, v := range x {
			xw[i] = int64(v)
		}
		c, _ := forward[int64](nativeArith{}, feats, layers, xw)
		out[n] = uint32(c)
	}
	return out, nil
}
