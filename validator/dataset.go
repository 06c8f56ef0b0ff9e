package validator

import (
	"fmt"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/zk"
)

// Dataset is the validator's held-out labelled data: the graded challenges
// are drawn from it.
type Dataset interface {
	// Len is the number of samples (> 0).
	Len() int
	// Sample returns sample i (0 <= i < Len): the model input, already
	// quantized to the task's int8 encoding, and its label. The engine does
	// not modify the returned slice.
	Sample(i int) (input []int8, label uint32)
}

// Samples is an in-memory Dataset.
type Samples struct {
	Inputs [][]int8
	Labels []uint32
}

// Len implements Dataset.
func (s *Samples) Len() int { return len(s.Labels) }

// Sample implements Dataset.
func (s *Samples) Sample(i int) ([]int8, uint32) { return s.Inputs[i], s.Labels[i] }

// MNISTDataset quantizes a labelled MNIST set (zk.QuantizeImage: pixel>>1)
// into a Dataset for 784-input subnets. Use the test set: miners train on the
// training set, so the test set is held out.
func MNISTDataset(set mnist.Set) (*Samples, error) {
	if set.Len() == 0 || len(set.Images) != set.Len() {
		return nil, fmt.Errorf("validator: mnist set has %d images and %d labels", len(set.Images), set.Len())
	}
	s := &Samples{Inputs: make([][]int8, set.Len()), Labels: make([]uint32, set.Len())}
	for i := range set.Labels {
		s.Inputs[i] = zk.QuantizeImage(set.Images[i])
		s.Labels[i] = uint32(set.Labels[i])
	}
	return s, nil
}
