package zk

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Limits on architectures this package accepts. They bound the circuit size
// and keep every accumulator far inside the ranges the circuit range-checks.
const (
	// MaxLayers is the largest number of dense layers.
	MaxLayers = 8
	// MaxWidth is the largest layer size (inputs or outputs of one layer).
	MaxWidth = 4096
	// MaxWeights is the largest total number of weights of a model.
	MaxWeights = 1 << 20
	// MaxOutputs is the largest number of output classes.
	MaxOutputs = 1024
	// CircuitVersion is mixed into every CircuitID; bump it when the circuit
	// or any hash encoding changes.
	CircuitVersion = 3
)

// Arch is the architecture of a quantized network: optional feature layers
// (convolutions and poolings over an input image), then dense layers, e.g.
// [784 64 10] is Dense(784->64), requantize, ReLU, Dense(64->10), Argmax.
// Every architecture has its own circuit and keys.
//
// Text forms: an MLP is its sizes, "784-64-10"; a CNN starts with its input
// shape (HxW, one channel, or CxHxW), then feature tokens, then the dense
// sizes after the flattened feature map, e.g. "28x28-c8k5-mp2-c16k5-mp2-10":
// Conv(8 channels, 5x5) + requantize + ReLU, 2x2 max pooling, Conv(16, 5x5)
// + requantize + ReLU, 2x2 max pooling, flatten (256), Dense(256->10),
// Argmax. Tokens: c<out>k<k>[s<stride>][p<pad>], mp<k>[s<stride>] (max
// pooling), ap<k>[s<stride>] (average pooling).
type Arch struct {
	// Input is the input image shape of a CNN; zero for an MLP.
	Input Shape
	// Feats are the feature layers of a CNN, input first; nil for an MLP.
	Feats []Feat
	// Sizes are the dense layer widths, input first; len(Sizes) >= 2. For a
	// CNN Sizes[0] is the flattened size of the last feature map.
	Sizes []int
}

// ParseArch parses "784-64-10" or "28x28-c8k5-mp2-c16k5-mp2-10" into an Arch
// and checks the limits.
func ParseArch(s string) (Arch, error) {
	parts := strings.Split(strings.TrimSpace(s), "-")
	if strings.Contains(parts[0], "x") {
		return parseCNN(s, parts)
	}
	sizes := make([]int, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return Arch{}, fmt.Errorf("%w: %q: layer size %q is not a number", ErrBadArch, s, p)
		}
		sizes = append(sizes, n)
	}
	a := Arch{Sizes: sizes}
	if err := a.Validate(); err != nil {
		return Arch{}, err
	}
	return a, nil
}

// Validate checks the architecture against the package limits.
func (a Arch) Validate() error {
	if len(a.Sizes) < 2 || len(a.Sizes) > MaxLayers+1 {
		return fmt.Errorf("%w: %d sizes, want 2..%d", ErrBadArch, len(a.Sizes), MaxLayers+1)
	}
	total := 0
	for i, n := range a.Sizes {
		if n < 1 || n > MaxWidth {
			return fmt.Errorf("%w: layer %d has size %d, want 1..%d", ErrBadArch, i, n, MaxWidth)
		}
		if i > 0 {
			total += a.Sizes[i-1] * n
		}
	}
	if total > MaxWeights {
		return fmt.Errorf("%w: %d weights, at most %d", ErrBadArch, total, MaxWeights)
	}
	if o := a.Sizes[len(a.Sizes)-1]; o > MaxOutputs {
		return fmt.Errorf("%w: %d outputs, at most %d", ErrBadArch, o, MaxOutputs)
	}
	if a.IsCNN() {
		return a.validateCNN()
	}
	if a.Input != (Shape{}) {
		return fmt.Errorf("%w: an input shape without feature layers", ErrBadArch)
	}
	return nil
}

// String returns the canonical text form, e.g. "784-64-10" or
// "28x28-c8k5-mp2-c16k5-mp2-10".
func (a Arch) String() string {
	var parts []string
	sizes := a.Sizes
	if a.IsCNN() {
		parts = append(parts, shapeString(a.Input))
		for _, f := range a.Feats {
			parts = append(parts, f.token())
		}
		if len(sizes) > 0 {
			sizes = sizes[1:]
		}
	}
	for _, n := range sizes {
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, "-")
}

// Equal reports whether a and b are the same architecture.
func (a Arch) Equal(b Arch) bool {
	if len(a.Sizes) != len(b.Sizes) || a.Input != b.Input || len(a.Feats) != len(b.Feats) {
		return false
	}
	for i := range a.Feats {
		if a.Feats[i] != b.Feats[i] {
			return false
		}
	}
	for i := range a.Sizes {
		if a.Sizes[i] != b.Sizes[i] {
			return false
		}
	}
	return true
}

// Inputs is the input vector length (C*H*W for a CNN, in CHW order).
func (a Arch) Inputs() int {
	if a.IsCNN() {
		return a.Input.Size()
	}
	return a.Sizes[0]
}

// Outputs is the number of classes (logits).
func (a Arch) Outputs() int { return a.Sizes[len(a.Sizes)-1] }

// Layers is the number of dense layers (Model.Layers).
func (a Arch) Layers() int { return len(a.Sizes) - 1 }

// NumWeights is the total number of int8 weights (convolutions and dense).
func (a Arch) NumWeights() int {
	n := 0
	idx, ins := a.convLayers()
	for i, j := range idx {
		n += convWeights(a.Feats[j], ins[i])
	}
	for i := 1; i < len(a.Sizes); i++ {
		n += a.Sizes[i-1] * a.Sizes[i]
	}
	return n
}

// NumBiases is the total number of int32 biases (convolutions and dense).
func (a Arch) NumBiases() int {
	n := 0
	for _, idx := range a.convIdx() {
		n += a.Feats[idx].Out
	}
	for _, s := range a.Sizes[1:] {
		n += s
	}
	return n
}

// encode is the canonical byte encoding: encodeCNN for a CNN, else
// encodeMLP.
func (a Arch) encode() []byte {
	if a.IsCNN() {
		return a.encodeCNN()
	}
	return a.encodeMLP()
}

// encodeMLP is the MLP encoding: u8 count, then u16 big-endian sizes.
func (a Arch) encodeMLP() []byte {
	b := []byte{byte(len(a.Sizes))}
	for _, n := range a.Sizes {
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	}
	return b
}

// CircuitID identifies the circuit (and so the keys) of this architecture:
// SHA-256 of "veritensor/zk/circuit", the circuit version (u16 big-endian)
// and the canonical architecture encoding.
func (a Arch) CircuitID() [32]byte {
	h := sha256.New()
	h.Write([]byte("veritensor/zk/circuit"))
	h.Write(binary.BigEndian.AppendUint16(nil, CircuitVersion))
	h.Write(a.encode())
	var id [32]byte
	h.Sum(id[:0])
	return id
}
