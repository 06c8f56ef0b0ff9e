package train

import (
	"fmt"

	"github.com/veritensor/veritensor/zk"
)

// Calibration sizes: how many of the first training images Quantize and
// QuantizeCNN calibrate the scales on in TrainModel. A CNN gets fewer:
// every candidate scale costs a CNN inference per image.
const (
	CalibrationMLP = 5000
	CalibrationCNN = 2000
)

// Result is a trained, quantized model and its accuracies.
type Result struct {
	// Model is the quantized model; its Meta records the seed, the steps
	// and both accuracies (basis points, rounded).
	Model *zk.Model
	// Steps is the number of SGD steps run (Config.Steps, or Epochs passes
	// over the training set in minibatches of Config.Batch).
	Steps int
	// FloatAccuracy and QuantAccuracy are the float and the quantized
	// model's accuracies on the test set, 0..1.
	FloatAccuracy, QuantAccuracy float64
}

// TrainModel is the whole pipeline from images to a model file's content:
// it trains a float model for cfg.Arch (Train for an MLP, TrainCNN for a
// CNN) on trainSet, quantizes it (calibrated on the first CalibrationMLP or
// CalibrationCNN training images), measures both accuracies on test and
// records them in the model's Meta. Images come already preprocessed to
// the architecture's input (internal/task pools them for 49-input
// architectures). It is deterministic for a seed on a given platform.
func TrainModel(cfg Config, trainSet, test Data, progress func(Progress)) (*Result, error) {
	var (
		q   *zk.Model
		fm  interface{ Accuracy(Data) float64 } // the float model
		err error
	)
	if cfg.Arch.IsCNN() {
		var m *CNN
		if m, err = TrainCNN(cfg, trainSet, progress); err == nil {
			q, err = QuantizeCNN(m, trainSet.Head(CalibrationCNN))
		}
		fm = m
	} else {
		var m *MLP
		if m, err = Train(cfg, trainSet, progress); err == nil {
			q, err = Quantize(m, trainSet.Head(CalibrationMLP))
		}
		fm = m
	}
	if err != nil {
		return nil, err
	}
	floatAcc := fm.Accuracy(test)
	quantAcc, err := QuantAccuracy(q, test)
	if err != nil {
		return nil, err
	}
	_, steps := cfg.defaults(len(trainSet.Images))
	if steps > int(^uint32(0)) {
		return nil, fmt.Errorf("%w: %d steps do not fit the model's meta", ErrConfig, steps)
	}
	q.Meta = zk.Meta{Seed: cfg.Seed, Steps: uint32(steps), FloatAccBP: basisPoints(floatAcc), QuantAccBP: basisPoints(quantAcc)}
	return &Result{Model: q, Steps: steps, FloatAccuracy: floatAcc, QuantAccuracy: quantAcc}, nil
}

// Head returns the first n samples (all when n <= 0 or n > len).
func (d Data) Head(n int) Data {
	if n <= 0 || n > len(d.Images) {
		return d
	}
	return Data{Images: d.Images[:n], Labels: d.Labels[:n]}
}

// basisPoints rounds a fraction 0..1 to basis points.
func basisPoints(f float64) uint32 { return uint32(f*10000 + 0.5) }
