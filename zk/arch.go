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

// Arch is the architecture of a quantized MLP: layer sizes from the input to
// the output, e.g. [784 64 10] is Dense(784->64), requantize, ReLU,
// Dense(64->10), Argmax. Every architecture has its own circuit and keys.
type Arch struct {
	// Sizes are the layer widths, input first; len(Sizes) >= 2.
	Sizes []int
}

// ParseArch parses "784-64-10" into an Arch and checks the limits.
func ParseArch(s string) (Arch, error) {
	parts := strings.Split(strings.TrimSpace(s), "-")
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
	return nil
}

// String returns the canonical text form, e.g. "784-64-10".
func (a Arch) String() string {
	parts := make([]string, len(a.Sizes))
	for i, n := range a.Sizes {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, "-")
}

// Equal reports whether a and b have the same layer sizes.
func (a Arch) Equal(b Arch) bool {
	if len(a.Sizes) != len(b.Sizes) {
		return false
	}
	for i := range a.Sizes {
		if a.Sizes[i] != b.Sizes[i] {
			return false
		}
	}
	return true
}

// Inputs is the input vector length.
func (a Arch) Inputs() int { return a.Sizes[0] }

// Outputs is the number of classes (logits).
func (a Arch) Outputs() int { return a.Sizes[len(a.Sizes)-1] }

// Layers is the number of dense layers.
func (a Arch) Layers() int { return len(a.Sizes) - 1 }

// NumWeights is the total number of int8 weights.
func (a Arch) NumWeights() int {
	n := 0
	for i := 1; i < len(a.Sizes); i++ {
		n += a.Sizes[i-1] * a.Sizes[i]
	}
	return n
}

// NumBiases is the total number of int32 biases.
func (a Arch) NumBiases() int {
	n := 0
	for _, s := range a.Sizes[1:] {
		n += s
	}
	return n
}

// encode is the canonical byte encoding: u8 count, then u16 big-endian sizes.
func (a Arch) encode() []byte {
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
