package train

import (
	"math"
	"math/rand/v2"
)

// stepper is a model's trainer as the SGD loop drives it: gradients of one
// example accumulated by backprop, applied by update.
type stepper interface {
	zeroGrad()
	backprop(img []byte, label int) float64
	update(lr, mom, wd float32)
}

// sgd runs steps mini-batch steps of SGD with momentum and a cosine learning
// rate over d, reshuffled with rng at every pass, reporting the mean loss of
// the last 100 steps to progress (nil: none). The MLP and the CNN share it.
func sgd(cfg Config, steps int, rng *rand.Rand, d Data, t stepper, progress func(Progress)) {
	order := rng.Perm(len(d.Images))
	pos, epoch := 0, 1
	var lossWin []float64
	for step := 1; step <= steps; step++ {
		t.zeroGrad()
		loss := 0.0
		for range cfg.Batch {
			if pos == len(order) {
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				pos = 0
				epoch++
			}
			k := order[pos]
			pos++
			loss += t.backprop(d.Images[k], int(d.Labels[k]))
		}
		lr := cfg.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step-1)/float64(steps)))
		t.update(float32(lr/float64(cfg.Batch)), float32(cfg.Momentum), float32(cfg.WeightDec))
		lossWin = append(lossWin, loss/float64(cfg.Batch))
		if len(lossWin) > 100 {
			lossWin = lossWin[1:]
		}
		if progress != nil {
			s := 0.0
			for _, v := range lossWin {
				s += v
			}
			progress(Progress{Step: step, Steps: steps, Epoch: epoch, Loss: s / float64(len(lossWin))})
		}
	}
}
