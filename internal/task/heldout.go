package task

import (
	"fmt"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/zk"
)

// Samples is labelled held-out data in memory: each input preprocessed and
// quantized to the model's int8 encoding (zk.QuantizeImage: pixel >> 1),
// with its label. It is the validator's Dataset (validator.Dataset).
type Samples struct {
	Inputs [][]int8
	Labels []uint32
}

// Len is the number of samples.
func (s *Samples) Len() int { return len(s.Labels) }

// Sample returns input i and its label (0 <= i < Len). The slice is shared:
// callers must not modify it.
func (s *Samples) Sample(i int) ([]int8, uint32) { return s.Inputs[i], s.Labels[i] }

// Quantize turns a labelled image set, already preprocessed, into Samples
// (zk.QuantizeImage per image). Use a test split: miners train on the
// training split, so the test split is held out.
func Quantize(set mnist.Set) (*Samples, error) {
	if set.Len() == 0 || len(set.Images) != set.Len() {
		return nil, fmt.Errorf("task: mnist set has %d images and %d labels", len(set.Images), set.Len())
	}
	s := &Samples{Inputs: make([][]int8, set.Len()), Labels: make([]uint32, set.Len())}
	for i := range set.Labels {
		s.Inputs[i] = zk.QuantizeImage(set.Images[i])
		s.Labels[i] = uint32(set.Labels[i])
	}
	return s, nil
}

// LoadHeldOut loads the held-out labelled data of the task called name (a
// built-in task, see Resolve) from dir ("" searches the default places):
// the test split, preprocessed and quantized to the model's int8 input.
func LoadHeldOut(name, dir string) (*Samples, error) {
	s, err := Resolve(name)
	if err != nil {
		return nil, err
	}
	return s.LoadHeldOut(dir)
}

// LoadHeldOut loads s's held-out data (see the function LoadHeldOut).
func (s Spec) LoadHeldOut(dir string) (*Samples, error) {
	set, err := mnist.LoadTest(dir)
	if err != nil {
		return nil, err
	}
	if set, err = s.MapSet(set); err != nil {
		return nil, err
	}
	out, err := Quantize(set)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", s.Name, err)
	}
	return out, nil
}
