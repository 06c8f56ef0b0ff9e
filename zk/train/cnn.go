package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/veritensor/veritensor/zk"
)

// CNN is a float convolutional model of a zk CNN architecture. Conv weights
// are [out][in][ky][kx] (as zk.Model.Convs); dense weights are row-major
// [out][in] (as zk.Layer).
type CNN struct {
	Arch   zk.Arch
	CW, CB [][]float32 // per Conv feature layer
	W, B   [][]float32 // per dense layer

	shapes []zk.Shape
}

func newCNN(a zk.Arch, rng *rand.Rand) *CNN {
	m := &CNN{Arch: a, shapes: a.FeatShapes()}
	for i, f := range a.Feats {
		if f.Kind != zk.Conv {
			continue
		}
		in := m.shapes[i]
		fan := in.C * f.K * f.K
		w := make([]float32, f.Out*fan)
		std := math.Sqrt(2 / float64(fan))
		for j := range w {
			w[j] = float32(rng.NormFloat64() * std)
		}
		m.CW = append(m.CW, w)
		m.CB = append(m.CB, make([]float32, f.Out))
	}
	for l := 1; l < len(a.Sizes); l++ {
		in, out := a.Sizes[l-1], a.Sizes[l]
		w := make([]float32, in*out)
		std := math.Sqrt(2 / float64(in))
		for j := range w {
			w[j] = float32(rng.NormFloat64() * std)
		}
		m.W = append(m.W, w)
		m.B = append(m.B, make([]float32, out))
	}
	return m
}

// cnnActs holds one sample's activations: feat[0] is the input, feat[i+1]
// the output of feature layer i (post-ReLU for convs); dense[0] is the
// flattened map, dense[l] the output of dense layer l. arg records each max
// pooling output's input index.
type cnnActs struct {
	feat  [][]float32
	arg   [][]int32
	dense [][]float32
}

func (m *CNN) newActs() *cnnActs {
	a := &cnnActs{}
	for i, s := range m.shapes {
		a.feat = append(a.feat, make([]float32, s.Size()))
		if i > 0 && m.Arch.Feats[i-1].Kind == zk.MaxPool {
			a.arg = append(a.arg, make([]int32, s.Size()))
		} else {
			a.arg = append(a.arg, nil)
		}
	}
	for _, n := range m.Arch.Sizes {
		a.dense = append(a.dense, make([]float32, n))
	}
	return a
}

// NewCNN wraps float weights (conv [out][in][ky][kx], dense [out][in]) of
// architecture a, e.g. imported from another framework, as a CNN.
func NewCNN(a zk.Arch, cw, cb, w, b [][]float32) (*CNN, error) {
	if err := a.Validate(); err != nil || !a.IsCNN() {
		return nil, fmt.Errorf("%w: %s is not a valid CNN", ErrConfig, a)
	}
	m := &CNN{Arch: a, CW: cw, CB: cb, W: w, B: b, shapes: a.FeatShapes()}
	ref, err := zk.RandomModel(a, 0)
	if err != nil {
		return nil, err
	}
	if len(cw) != len(ref.Convs) || len(cb) != len(ref.Convs) || len(w) != len(ref.Layers) || len(b) != len(ref.Layers) {
		return nil, fmt.Errorf("%w: layer counts do not fit %s", ErrConfig, a)
	}
	for i, ly := range ref.Convs {
		if len(cw[i]) != len(ly.Weights) || len(cb[i]) != len(ly.Biases) {
			return nil, fmt.Errorf("%w: conv layer %d has %d weights and %d biases, %s wants %d and %d", ErrConfig, i, len(cw[i]), len(cb[i]), a, len(ly.Weights), len(ly.Biases))
		}
	}
	for i, ly := range ref.Layers {
		if len(w[i]) != len(ly.Weights) || len(b[i]) != len(ly.Biases) {
			return nil, fmt.Errorf("%w: dense layer %d has %d weights and %d biases, %s wants %d and %d", ErrConfig, i, len(w[i]), len(b[i]), a, len(ly.Weights), len(ly.Biases))
		}
	}
	return m, nil
}

// Logits runs the float model on a float input (CHW order).
func (m *CNN) Logits(x []float32) []float32 {
	a := m.newActs()
	copy(a.feat[0], x)
	return append([]float32(nil), m.run(a)...)
}

// forward fills acts and returns the logits.
func (m *CNN) forward(img []byte, a *cnnActs) []float32 {
	for i, p := range img {
		a.feat[0][i] = input(p)
	}
	return m.run(a)
}

// run computes every activation from a.feat[0] and returns the logits.
func (m *CNN) run(a *cnnActs) []float32 {
	ci := 0
	for i, f := range m.Arch.Feats {
		in, out := m.shapes[i], m.shapes[i+1]
		x, y := a.feat[i], a.feat[i+1]
		switch f.Kind {
		case zk.Conv:
			w, b := m.CW[ci], m.CB[ci]
			ci++
			for oc := range out.C {
				for oy := range out.H {
					for ox := range out.W {
						s := b[oc]
						for ic := range in.C {
							for ky := range f.K {
								iy := oy*f.Stride - f.Pad + ky
								if iy < 0 || iy >= in.H {
									continue
								}
								wr := w[((oc*in.C+ic)*f.K+ky)*f.K:]
								xr := x[(ic*in.H+iy)*in.W:]
								for kx := range f.K {
									ix := ox*f.Stride - f.Pad + kx
									if ix < 0 || ix >= in.W {
										continue
									}
									s += wr[kx] * xr[ix]
								}
							}
						}
						y[(oc*out.H+oy)*out.W+ox] = max(s, 0)
					}
				}
			}
		case zk.MaxPool, zk.AvgPool:
			for c := range out.C {
				for oy := range out.H {
					for ox := range out.W {
						o := (c*out.H+oy)*out.W + ox
						best, bi, sum := float32(math.Inf(-1)), 0, float32(0)
						for ky := range f.K {
							for kx := range f.K {
								j := (c*in.H+oy*f.Stride+ky)*in.W + ox*f.Stride + kx
								sum += x[j]
								if x[j] > best {
									best, bi = x[j], j
								}
							}
						}
						if f.Kind == zk.MaxPool {
							y[o], a.arg[i+1][o] = best, int32(bi)
						} else {
							y[o] = sum / float32(f.K*f.K)
						}
					}
				}
			}
		}
	}
	copy(a.dense[0], a.feat[len(a.feat)-1])
	L := len(m.Arch.Sizes) - 1
	for l := 1; l <= L; l++ {
		in, out := m.Arch.Sizes[l-1], m.Arch.Sizes[l]
		x, y, w := a.dense[l-1], a.dense[l], m.W[l-1]
		for o := range out {
			s := m.B[l-1][o]
			row := w[o*in : (o+1)*in]
			for i, v := range x {
				s += row[i] * v
			}
			if l < L {
				s = max(s, 0)
			}
			y[o] = s
		}
	}
	return a.dense[L]
}

// Predict returns the float model's class for an image.
func (m *CNN) Predict(img []byte) int { return argmax(m.forward(img, m.newActs())) }

// Accuracy is the fraction of d the float model classifies correctly.
func (m *CNN) Accuracy(d Data) float64 {
	a := m.newActs()
	return accuracy(d, func(img []byte) []float32 { return m.forward(img, a) })
}

// cnnTrainer holds gradients, momentum buffers, activations and deltas.
type cnnTrainer struct {
	m             *CNN
	gcw, gcb      [][]float32
	gw, gb        [][]float32
	vcw, vcb      [][]float32
	vw, vb        [][]float32
	acts          *cnnActs
	dfeat, ddense [][]float32
}

func zerosLike(xs [][]float32) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		out[i] = make([]float32, len(x))
	}
	return out
}

func newCNNTrainer(m *CNN) *cnnTrainer {
	t := &cnnTrainer{m: m, acts: m.newActs()}
	t.gcw, t.gcb, t.vcw, t.vcb = zerosLike(m.CW), zerosLike(m.CB), zerosLike(m.CW), zerosLike(m.CB)
	t.gw, t.gb, t.vw, t.vb = zerosLike(m.W), zerosLike(m.B), zerosLike(m.W), zerosLike(m.B)
	t.dfeat, t.ddense = zerosLike(t.acts.feat), zerosLike(t.acts.dense)
	return t
}

func (t *cnnTrainer) zeroGrad() {
	for _, g := range [][][]float32{t.gcw, t.gcb, t.gw, t.gb} {
		for _, x := range g {
			clear(x)
		}
	}
}

// backprop accumulates one sample's gradient and returns its loss.
func (t *cnnTrainer) backprop(img []byte, label int) float64 {
	m, a := t.m, t.acts
	logits := m.forward(img, a)
	L := len(m.Arch.Sizes) - 1
	mx := logits[0]
	for _, v := range logits {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - mx))
	}
	d := t.ddense[L]
	for o, v := range logits {
		d[o] = float32(math.Exp(float64(v-mx)) / sum)
	}
	loss := -math.Log(max(float64(d[label]), 1e-12))
	d[label] -= 1
	for l := L; l >= 1; l-- {
		in, out := m.Arch.Sizes[l-1], m.Arch.Sizes[l]
		d, x, w := t.ddense[l], a.dense[l-1], m.W[l-1]
		dp := t.ddense[l-1]
		clear(dp)
		for o := range out {
			g := d[o]
			if g == 0 {
				continue
			}
			t.gb[l-1][o] += g
			gw, row := t.gw[l-1][o*in:(o+1)*in], w[o*in:(o+1)*in]
			for i, v := range x {
				gw[i] += g * v
				dp[i] += g * row[i]
			}
		}
		if l > 1 {
			for i, v := range x {
				if v <= 0 {
					dp[i] = 0
				}
			}
		}
	}
	nf := len(m.Arch.Feats)
	copy(t.dfeat[nf], t.ddense[0])
	ci := len(m.CW)
	for i := nf - 1; i >= 0; i-- {
		f := m.Arch.Feats[i]
		in, out := m.shapes[i], m.shapes[i+1]
		dy, dx, x := t.dfeat[i+1], t.dfeat[i], a.feat[i]
		clear(dx)
		switch f.Kind {
		case zk.MaxPool:
			for o, g := range dy {
				dx[a.arg[i+1][o]] += g
			}
		case zk.AvgPool:
			inv := 1 / float32(f.K*f.K)
			for c := range out.C {
				for oy := range out.H {
					for ox := range out.W {
						g := dy[(c*out.H+oy)*out.W+ox] * inv
						for ky := range f.K {
							for kx := range f.K {
								dx[(c*in.H+oy*f.Stride+ky)*in.W+ox*f.Stride+kx] += g
							}
						}
					}
				}
			}
		case zk.Conv:
			ci--
			w, gw, gb := m.CW[ci], t.gcw[ci], t.gcb[ci]
			y := a.feat[i+1]
			for oc := range out.C {
				for oy := range out.H {
					for ox := range out.W {
						o := (oc*out.H+oy)*out.W + ox
						if y[o] <= 0 {
							continue // ReLU
						}
						g := dy[o]
						if g == 0 {
							continue
						}
						gb[oc] += g
						for ic := range in.C {
							for ky := range f.K {
								iy := oy*f.Stride - f.Pad + ky
								if iy < 0 || iy >= in.H {
									continue
								}
								base := ((oc*in.C+ic)*f.K + ky) * f.K
								xr := (ic*in.H + iy) * in.W
								for kx := range f.K {
									ix := ox*f.Stride - f.Pad + kx
									if ix < 0 || ix >= in.W {
										continue
									}
									gw[base+kx] += g * x[xr+ix]
									if i > 0 {
										dx[xr+ix] += g * w[base+kx]
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return loss
}

func (t *cnnTrainer) update(lr, mom, wd float32) {
	step := func(ws, gs, vs [][]float32, decay float32) {
		for l := range ws {
			w, g, v := ws[l], gs[l], vs[l]
			for i := range w {
				v[i] = mom*v[i] + g[i] + decay*w[i]
				w[i] -= lr * v[i]
			}
		}
	}
	step(t.m.CW, t.gcw, t.vcw, wd)
	step(t.m.CB, t.gcb, t.vcb, 0)
	step(t.m.W, t.gw, t.vw, wd)
	step(t.m.B, t.gb, t.vb, 0)
}

// TrainCNN runs minibatch SGD with momentum on softmax cross-entropy for a
// CNN architecture (cfg.Arch.IsCNN()), with Train's defaults and schedule.
func TrainCNN(cfg Config, d Data, progress func(Progress)) (*CNN, error) {
	if err := cfg.Arch.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if !cfg.Arch.IsCNN() {
		return nil, fmt.Errorf("%w: %s is not a CNN (use Train)", ErrConfig, cfg.Arch)
	}
	if err := checkData(cfg.Arch, d); err != nil {
		return nil, err
	}
	cfg, steps := cfg.defaults(len(d.Images))
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7665726974656e73))
	m := newCNN(cfg.Arch, rng)
	t := newCNNTrainer(m)
	sgd(cfg, steps, rng, d, t, progress)
	return m, nil
}
