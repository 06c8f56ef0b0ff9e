package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/veritensor/veritensor/zk"
)

// ErrConfig reports an invalid training configuration or data set.
var ErrConfig = errors.New("train: bad config")

// Data is a labelled image set: pixels 0..255, labels 0..classes-1.
type Data struct {
	Images [][]byte
	Labels []uint8
}

// Config is a training run.
type Config struct {
	Arch      zk.Arch
	Seed      uint64  // seeds weight init and shuffling
	Epochs    int     // passes over the data (used when Steps == 0)
	Steps     int     // total SGD steps; overrides Epochs when > 0
	Batch     int     // minibatch size (default 32)
	LR        float64 // initial learning rate (default 0.05), cosine-decayed to 0
	Momentum  float64 // SGD momentum (default 0.9)
	WeightDec float64 // L2 weight decay (default 1e-4)
}

// Progress is reported after every step.
type Progress struct {
	Step, Steps int     // 1-based step, total steps
	Epoch       int     // 1-based epoch
	Loss        float64 // running mean cross-entropy over the last 100 steps
}

// MLP is a float model: W[l] is stored input-major (W[l][i*out+o]).
type MLP struct {
	Sizes []int
	W, B  [][]float32
}

// input maps a pixel to the float the quantized model sees: (p>>1)/128.
func input(p byte) float32 { return float32(p>>1) / 128 }

// Train runs minibatch SGD with momentum on softmax cross-entropy.
func Train(cfg Config, d Data, progress func(Progress)) (*MLP, error) {
	if err := cfg.Arch.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.Arch.IsCNN() {
		return nil, fmt.Errorf("%w: %s is a CNN (use TrainCNN)", ErrConfig, cfg.Arch)
	}
	if err := checkData(cfg.Arch, d); err != nil {
		return nil, err
	}
	cfg, steps := cfg.defaults(len(d.Images))
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7665726974656e73))
	m := newMLP(cfg.Arch.Sizes, rng)
	t := newTrainer(m)
	sgd(cfg, steps, rng, d, t, progress)
	return m, nil
}

// checkData checks that d is a non-empty labelled set that fits a.
func checkData(a zk.Arch, d Data) error {
	if len(d.Images) == 0 || len(d.Images) != len(d.Labels) {
		return fmt.Errorf("%w: %d images, %d labels", ErrConfig, len(d.Images), len(d.Labels))
	}
	for i, img := range d.Images {
		if len(img) != a.Inputs() || int(d.Labels[i]) >= a.Outputs() {
			return fmt.Errorf("%w: sample %d does not fit %s", ErrConfig, i, a)
		}
	}
	return nil
}

// defaults fills cfg's zero fields and returns the number of steps for n
// samples.
func (cfg Config) defaults(n int) (Config, int) {
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.LR <= 0 {
		cfg.LR = 0.05
	}
	if cfg.Momentum == 0 {
		cfg.Momentum = 0.9
	}
	if cfg.WeightDec == 0 {
		cfg.WeightDec = 1e-4
	}
	perEpoch := (n + cfg.Batch - 1) / cfg.Batch
	steps := cfg.Steps
	if steps <= 0 {
		steps = max(cfg.Epochs, 1) * perEpoch
	}
	return cfg, steps
}

func newMLP(sizes []int, rng *rand.Rand) *MLP {
	m := &MLP{Sizes: append([]int(nil), sizes...)}
	for l := 1; l < len(sizes); l++ {
		in, out := sizes[l-1], sizes[l]
		w := make([]float32, in*out)
		std := math.Sqrt(2 / float64(in)) // He initialisation
		for i := range w {
			w[i] = float32(rng.NormFloat64() * std)
		}
		m.W = append(m.W, w)
		m.B = append(m.B, make([]float32, out))
	}
	return m
}

// Logits runs the float model on a float input.
func (m *MLP) Logits(x []float32) []float32 {
	acts := m.newActs()
	copy(acts[0], x)
	return append([]float32(nil), m.run(acts)...)
}

// forward fills acts[l] (post-activation, acts[0] the input) and returns the
// logits (acts[last]).
func (m *MLP) forward(img []byte, acts [][]float32) []float32 {
	for i, p := range img {
		acts[0][i] = input(p)
	}
	return m.run(acts)
}

// run computes acts[1:] from acts[0] and returns the logits.
func (m *MLP) run(acts [][]float32) []float32 {
	for l := 1; l < len(m.Sizes); l++ {
		in, out := m.Sizes[l-1], m.Sizes[l]
		a := acts[l]
		copy(a, m.B[l-1])
		w := m.W[l-1]
		for i, x := range acts[l-1][:in] {
			if x == 0 {
				continue
			}
			row := w[i*out : (i+1)*out]
			for o, wv := range row {
				a[o] += wv * x
			}
		}
		if l < len(m.Sizes)-1 {
			for o := range a {
				if a[o] < 0 {
					a[o] = 0
				}
			}
		}
	}
	return acts[len(acts)-1]
}

func (m *MLP) newActs() [][]float32 {
	acts := make([][]float32, len(m.Sizes))
	for l, n := range m.Sizes {
		acts[l] = make([]float32, n)
	}
	return acts
}

// Predict returns the float model's class for an image.
func (m *MLP) Predict(img []byte) int { return argmax(m.forward(img, m.newActs())) }

// Accuracy is the fraction of d the float model classifies correctly.
func (m *MLP) Accuracy(d Data) float64 {
	a := m.newActs()
	return accuracy(d, func(img []byte) []float32 { return m.forward(img, a) })
}

// trainer holds gradients, momentum buffers and activations.
type trainer struct {
	m          *MLP
	gw, gb     [][]float32
	vw, vb     [][]float32
	acts, dels [][]float32
}

func newTrainer(m *MLP) *trainer {
	t := &trainer{m: m, acts: m.newActs(), dels: m.newActs()}
	for l := range m.W {
		t.gw = append(t.gw, make([]float32, len(m.W[l])))
		t.vw = append(t.vw, make([]float32, len(m.W[l])))
		t.gb = append(t.gb, make([]float32, len(m.B[l])))
		t.vb = append(t.vb, make([]float32, len(m.B[l])))
	}
	return t
}

func (t *trainer) zeroGrad() {
	for l := range t.gw {
		clear(t.gw[l])
		clear(t.gb[l])
	}
}

// backprop accumulates the gradient of one sample and returns its loss.
func (t *trainer) backprop(img []byte, label int) float64 {
	m := t.m
	logits := m.forward(img, t.acts)
	L := len(m.Sizes) - 1
	// softmax cross-entropy
	mx := logits[0]
	for _, v := range logits {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - mx))
	}
	d := t.dels[L]
	for o, v := range logits {
		d[o] = float32(math.Exp(float64(v-mx)) / sum)
	}
	loss := -math.Log(max(float64(d[label]), 1e-12))
	d[label] -= 1
	for l := L; l >= 1; l-- {
		in, out := m.Sizes[l-1], m.Sizes[l]
		d := t.dels[l]
		gw, w := t.gw[l-1], m.W[l-1]
		for o := range out {
			t.gb[l-1][o] += d[o]
		}
		prev := t.acts[l-1]
		var dp []float32
		if l > 1 {
			dp = t.dels[l-1]
			clear(dp)
		}
		for i := range in {
			x := prev[i]
			if x == 0 {
				continue // ReLU/input zero: no weight gradient, no delta
			}
			g := gw[i*out : (i+1)*out]
			for o := range out {
				g[o] += x * d[o]
			}
			if dp != nil {
				row := w[i*out : (i+1)*out]
				var s float32
				for o := range out {
					s += row[o] * d[o]
				}
				dp[i] = s // prev[i] > 0, so the ReLU derivative is 1
			}
		}
	}
	return loss
}

func (t *trainer) update(lr, mom, wd float32) {
	for l := range t.m.W {
		w, g, v := t.m.W[l], t.gw[l], t.vw[l]
		for i := range w {
			v[i] = mom*v[i] + g[i] + wd*w[i]
			w[i] -= lr * v[i]
		}
		b, gb, vb := t.m.B[l], t.gb[l], t.vb[l]
		for i := range b {
			vb[i] = mom*vb[i] + gb[i]
			b[i] -= lr * vb[i]
		}
	}
}

// argmax is the index of the largest logit (the first on ties).
func argmax(logits []float32) int {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return best
}

// accuracy is the fraction of d whose logits from forward have their
// argmax at the label.
func accuracy(d Data, forward func(img []byte) []float32) float64 {
	if len(d.Images) == 0 {
		return 0
	}
	ok := 0
	for i, img := range d.Images {
		if argmax(forward(img)) == int(d.Labels[i]) {
			ok++
		}
	}
	return float64(ok) / float64(len(d.Images))
}
