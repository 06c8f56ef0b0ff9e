package zk

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Limits on the convolutional part of an architecture (see Arch.Feats).
const (
	// MaxFeats is the largest number of feature layers (convolutions and
	// poolings) before the dense layers.
	MaxFeats = 8
	// MaxSide is the largest height or width of any feature map.
	MaxSide = 256
	// MaxChannels is the largest number of channels of any feature map.
	MaxChannels = 256
	// MaxKernel is the largest convolution kernel side.
	MaxKernel = 11
	// MaxPoolWindow is the largest pooling window side (window <= 64 values).
	MaxPoolWindow = 8
	// MaxNeurons bounds the values of any one feature map (C*H*W).
	MaxNeurons = 1 << 16
	// MaxMACs bounds a model's multiplications (conv and dense together),
	// and so its circuit: about one constraint each.
	MaxMACs = 1 << 21
)

// FeatKind is the kind of a feature layer. Each kind has one typed name and
// one token in architecture strings.
type FeatKind uint8

const (
	// Conv is a 2-D convolution with int8 weights and int32 biases, followed
	// by the power-of-two requantization and ReLU saturated to 0..127 (like a
	// hidden dense layer). Token c<out>k<k>[s<stride>][p<pad>].
	Conv FeatKind = 1
	// MaxPool takes the maximum of each window. Token mp<k>[s<stride>].
	MaxPool FeatKind = 2
	// AvgPool takes floor(sum / (k*k)) of each window. Token ap<k>[s<stride>].
	AvgPool FeatKind = 3
)

// String is the kind's name.
func (k FeatKind) String() string {
	switch k {
	case Conv:
		return "conv"
	case MaxPool:
		return "maxpool"
	case AvgPool:
		return "avgpool"
	}
	return fmt.Sprintf("featkind(%d)", uint8(k))
}

// Shape is a feature map shape: channels, height, width (CHW order; values
// are stored channel-major, then row, then column, as ONNX's NCHW).
type Shape struct{ C, H, W int }

// Size is C*H*W.
func (s Shape) Size() int { return s.C * s.H * s.W }

// Feat is one feature layer. Pooling windows are never padded; convolutions
// are zero-padded by Pad on every side.
type Feat struct {
	Kind   FeatKind
	Out    int // output channels (Conv only)
	K      int // kernel or window side
	Stride int
	Pad    int // Conv only
}

// outShape is the shape Feat f produces from in.
func (f Feat) outShape(in Shape) Shape {
	c := in.C
	if f.Kind == Conv {
		c = f.Out
	}
	if f.Stride < 1 {
		return Shape{}
	}
	h := (in.H+2*f.Pad-f.K)/f.Stride + 1
	w := (in.W+2*f.Pad-f.K)/f.Stride + 1
	if in.H+2*f.Pad < f.K || in.W+2*f.Pad < f.K {
		return Shape{C: c}
	}
	return Shape{C: c, H: h, W: w}
}

// token is f's canonical text form.
func (f Feat) token() string {
	switch f.Kind {
	case Conv:
		s := "c" + strconv.Itoa(f.Out) + "k" + strconv.Itoa(f.K)
		if f.Stride != 1 {
			s += "s" + strconv.Itoa(f.Stride)
		}
		if f.Pad != 0 {
			s += "p" + strconv.Itoa(f.Pad)
		}
		return s
	case MaxPool, AvgPool:
		s := "mp"
		if f.Kind == AvgPool {
			s = "ap"
		}
		s += strconv.Itoa(f.K)
		if f.Stride != f.K {
			s += "s" + strconv.Itoa(f.Stride)
		}
		return s
	}
	return "?"
}

// parseFeat parses one feature token; ok is false when tok is not a feature
// token at all (a dense size, say).
func parseFeat(tok string) (f Feat, ok bool, err error) {
	var rest string
	switch {
	case strings.HasPrefix(tok, "mp"):
		f, rest = Feat{Kind: MaxPool}, tok[2:]
	case strings.HasPrefix(tok, "ap"):
		f, rest = Feat{Kind: AvgPool}, tok[2:]
	case strings.HasPrefix(tok, "c"):
		f, rest = Feat{Kind: Conv}, tok[1:]
	default:
		return Feat{}, false, nil
	}
	// Fields: a leading number (out channels for conv, window for pools),
	// then letter-number pairs.
	fields := map[byte]int{}
	lead := -1
	for len(rest) > 0 {
		key := byte(0)
		if rest[0] < '0' || rest[0] > '9' {
			key, rest = rest[0], rest[1:]
		}
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 || j > 6 {
			return Feat{}, true, fmt.Errorf("%w: layer %q: expected a number after %q", ErrBadArch, tok, string(key))
		}
		n, _ := strconv.Atoi(rest[:j])
		rest = rest[j:]
		if key == 0 {
			if lead >= 0 {
				return Feat{}, true, fmt.Errorf("%w: layer %q: malformed", ErrBadArch, tok)
			}
			lead = n
			continue
		}
		if _, dup := fields[key]; dup {
			return Feat{}, true, fmt.Errorf("%w: layer %q: %q given twice", ErrBadArch, tok, string(key))
		}
		fields[key] = n
	}
	if lead < 0 {
		return Feat{}, true, fmt.Errorf("%w: layer %q: missing size", ErrBadArch, tok)
	}
	allowed := "s"
	if f.Kind == Conv {
		allowed = "ksp"
		f.Out, f.Stride = lead, 1
		k, has := fields['k']
		if !has {
			return Feat{}, true, fmt.Errorf("%w: layer %q: convolution needs a kernel size k<n>", ErrBadArch, tok)
		}
		f.K = k
	} else {
		f.K, f.Stride = lead, lead
	}
	// Keys in sorted order: the chain parses architectures, so even the
	// error text must not depend on map iteration order.
	keys := make([]byte, 0, len(fields))
	for key := range fields {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		n := fields[key]
		if !strings.ContainsRune(allowed, rune(key)) {
			return Feat{}, true, fmt.Errorf("%w: layer %q: unknown attribute %q", ErrBadArch, tok, string(key))
		}
		switch key {
		case 's':
			f.Stride = n
		case 'p':
			f.Pad = n
		}
	}
	return f, true, nil
}

// parseShape parses "HxW" (one channel) or "CxHxW".
func parseShape(s string) (Shape, error) {
	parts := strings.Split(s, "x")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > MaxSide {
			return Shape{}, fmt.Errorf("%w: input shape %q: %q is not a size in 1..%d", ErrBadArch, s, p, MaxSide)
		}
		nums[i] = n
	}
	switch len(nums) {
	case 2:
		return Shape{C: 1, H: nums[0], W: nums[1]}, nil
	case 3:
		return Shape{C: nums[0], H: nums[1], W: nums[2]}, nil
	}
	return Shape{}, fmt.Errorf("%w: input shape %q: want HxW or CxHxW", ErrBadArch, s)
}

// shapeString is the canonical form of an input shape.
func shapeString(s Shape) string {
	if s.C == 1 {
		return fmt.Sprintf("%dx%d", s.H, s.W)
	}
	return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W)
}

// parseCNN parses a convolutional architecture: an input shape, feature
// tokens, then dense sizes (the first dense input is the flattened feature
// map and is not written).
func parseCNN(s string, parts []string) (Arch, error) {
	in, err := parseShape(parts[0])
	if err != nil {
		return Arch{}, err
	}
	a := Arch{Input: in}
	i := 1
	for ; i < len(parts); i++ {
		f, ok, err := parseFeat(parts[i])
		if err != nil {
			return Arch{}, err
		}
		if !ok {
			break
		}
		if len(a.Feats) == MaxFeats {
			return Arch{}, fmt.Errorf("%w: %q: more than %d feature layers", ErrBadArch, s, MaxFeats)
		}
		a.Feats = append(a.Feats, f)
	}
	if len(a.Feats) == 0 {
		return Arch{}, fmt.Errorf("%w: %q: an input shape needs at least one conv or pooling layer", ErrBadArch, s)
	}
	if i == len(parts) {
		return Arch{}, fmt.Errorf("%w: %q: no dense layer after the feature layers (the last size is the number of classes)", ErrBadArch, s)
	}
	shapes, err := a.featShapes()
	if err != nil {
		return Arch{}, err
	}
	a.Sizes = []int{shapes[len(shapes)-1].Size()}
	for ; i < len(parts); i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return Arch{}, fmt.Errorf("%w: %q: layer %q is neither a feature layer (c, mp, ap) nor a dense size", ErrBadArch, s, parts[i])
		}
		a.Sizes = append(a.Sizes, n)
	}
	return a, a.Validate()
}

// IsCNN reports whether a has feature layers.
func (a Arch) IsCNN() bool { return len(a.Feats) > 0 }

// featShapes returns the input shape and the shape after every feature
// layer, checking each layer's parameters.
func (a Arch) featShapes() ([]Shape, error) {
	in := a.Input
	if in.C < 1 || in.C > MaxChannels || in.H < 1 || in.H > MaxSide || in.W < 1 || in.W > MaxSide {
		return nil, fmt.Errorf("%w: input shape %dx%dx%d outside 1..%d channels, 1..%d sides", ErrBadArch, in.C, in.H, in.W, MaxChannels, MaxSide)
	}
	if in.Size() > MaxNeurons {
		return nil, fmt.Errorf("%w: input has %d values, at most %d", ErrBadArch, in.Size(), MaxNeurons)
	}
	shapes := []Shape{in}
	for i, f := range a.Feats {
		switch f.Kind {
		case Conv:
			if f.Out < 1 || f.Out > MaxChannels {
				return nil, fmt.Errorf("%w: layer %d (%s): %d output channels, want 1..%d", ErrBadArch, i, f.token(), f.Out, MaxChannels)
			}
			if f.K < 1 || f.K > MaxKernel {
				return nil, fmt.Errorf("%w: layer %d (%s): kernel %d, want 1..%d", ErrBadArch, i, f.token(), f.K, MaxKernel)
			}
			if f.Pad < 0 || f.Pad >= f.K {
				return nil, fmt.Errorf("%w: layer %d (%s): padding %d, want 0..kernel-1", ErrBadArch, i, f.token(), f.Pad)
			}
			if p := f.K * f.K * in.C; p > MaxWidth {
				return nil, fmt.Errorf("%w: layer %d (%s): %d weights per output, at most %d", ErrBadArch, i, f.token(), p, MaxWidth)
			}
		case MaxPool, AvgPool:
			if f.K < 1 || f.K > MaxPoolWindow {
				return nil, fmt.Errorf("%w: layer %d (%s): window %d, want 1..%d", ErrBadArch, i, f.token(), f.K, MaxPoolWindow)
			}
			if f.Out != 0 || f.Pad != 0 {
				return nil, fmt.Errorf("%w: layer %d (%s): pooling has no channels or padding", ErrBadArch, i, f.token())
			}
		default:
			return nil, fmt.Errorf("%w: layer %d: unknown kind %d", ErrBadArch, i, f.Kind)
		}
		if f.Stride < 1 || f.Stride > MaxKernel {
			return nil, fmt.Errorf("%w: layer %d (%s): stride %d, want 1..%d", ErrBadArch, i, f.token(), f.Stride, MaxKernel)
		}
		out := f.outShape(in)
		if out.H < 1 || out.W < 1 {
			return nil, fmt.Errorf("%w: layer %d (%s): a %dx%d map is smaller than the window", ErrBadArch, i, f.token(), in.H, in.W)
		}
		if out.Size() > MaxNeurons {
			return nil, fmt.Errorf("%w: layer %d (%s): %d values, at most %d", ErrBadArch, i, f.token(), out.Size(), MaxNeurons)
		}
		shapes = append(shapes, out)
		in = out
	}
	return shapes, nil
}

// convWeights is the number of weights of conv layer f on input in.
func convWeights(f Feat, in Shape) int { return f.Out * in.C * f.K * f.K }

// validateCNN checks the feature part of a and the link to the dense part.
func (a Arch) validateCNN() error {
	shapes, err := a.featShapes()
	if err != nil {
		return err
	}
	if flat := shapes[len(shapes)-1].Size(); a.Sizes[0] != flat {
		return fmt.Errorf("%w: first dense layer takes %d inputs, the feature map flattens to %d", ErrBadArch, a.Sizes[0], flat)
	}
	if a.NumWeights() > MaxWeights {
		return fmt.Errorf("%w: %d weights, at most %d", ErrBadArch, a.NumWeights(), MaxWeights)
	}
	if m := a.MACs(); m > MaxMACs {
		return fmt.Errorf("%w: %d multiplications, at most %d", ErrBadArch, m, MaxMACs)
	}
	return nil
}

// MACs is the number of multiplications of one inference (about one circuit
// constraint each).
func (a Arch) MACs() int {
	n := 0
	if a.IsCNN() {
		shapes, err := a.featShapes()
		if err != nil {
			return 0
		}
		for i, f := range a.Feats {
			if f.Kind == Conv {
				n += shapes[i+1].Size() * shapes[i].C * f.K * f.K
			}
		}
	}
	for i := 1; i < len(a.Sizes); i++ {
		n += a.Sizes[i-1] * a.Sizes[i]
	}
	return n
}

// convLayers lists, per Conv feature, its index in Feats and input shape.
func (a Arch) convLayers() (idx []int, in []Shape) {
	shapes, err := a.featShapes()
	if err != nil {
		return nil, nil
	}
	for i, f := range a.Feats {
		if f.Kind == Conv {
			idx = append(idx, i)
			in = append(in, shapes[i])
		}
	}
	return idx, in
}

// cnnMarker starts the canonical encoding of a convolutional architecture;
// an MLP encoding starts with its size count (2..9), so the two never meet.
const cnnMarker = 0xC1

// encodeCNN: u8 0xC1, u16 C, H, W, u8 feature count, per feature u8 kind,
// u16 out, u8 k, u8 stride, u8 pad; then the MLP encoding of Sizes.
func (a Arch) encodeCNN() []byte {
	b := []byte{cnnMarker}
	b = binary.BigEndian.AppendUint16(b, uint16(a.Input.C))
	b = binary.BigEndian.AppendUint16(b, uint16(a.Input.H))
	b = binary.BigEndian.AppendUint16(b, uint16(a.Input.W))
	b = append(b, byte(len(a.Feats)))
	for _, f := range a.Feats {
		b = append(b, byte(f.Kind))
		b = binary.BigEndian.AppendUint16(b, uint16(f.Out))
		b = append(b, byte(f.K), byte(f.Stride), byte(f.Pad))
	}
	return append(b, a.encodeMLP()...)
}

// decodeArch reads an architecture encoding (either form) from r.
func decodeArch(r *reader) (Arch, error) {
	var a Arch
	first := r.u8()
	if first == cnnMarker {
		a.Input = Shape{C: int(r.u16()), H: int(r.u16()), W: int(r.u16())}
		nf := int(r.u8())
		if nf < 1 || nf > MaxFeats {
			return Arch{}, fmt.Errorf("%w: %d feature layers", ErrBadArch, nf)
		}
		a.Feats = make([]Feat, nf)
		for i := range a.Feats {
			a.Feats[i] = Feat{Kind: FeatKind(r.u8()), Out: int(r.u16()), K: int(r.u8()), Stride: int(r.u8()), Pad: int(r.u8())}
		}
		first = r.u8()
	}
	n := int(first)
	if r.err {
		return Arch{}, fmt.Errorf("%w: truncated architecture", ErrBadArch)
	}
	if n < 2 || n > MaxLayers+1 {
		return Arch{}, fmt.Errorf("%w: %d layer sizes", ErrBadArch, n)
	}
	a.Sizes = make([]int, n)
	for i := range a.Sizes {
		a.Sizes[i] = int(r.u16())
	}
	if r.err {
		return Arch{}, fmt.Errorf("%w: truncated architecture", ErrBadArch)
	}
	return a, a.Validate()
}

// archElemCNN is the commitment's architecture element of a CNN: the first
// 31 bytes of SHA-256("veritensor/zk/arch" || encoding), big-endian (an MLP's
// element is its packed sizes, below 2^144).
func archElemCNN(a Arch) fr.Element {
	h := sha256.New()
	h.Write([]byte("veritensor/zk/arch"))
	h.Write(a.encode())
	sum := h.Sum(nil)
	var e fr.Element
	e.SetBytes(sum[:31])
	return e
}

// convIdx lists the indexes in Feats of the Conv layers.
func (a Arch) convIdx() []int {
	var idx []int
	for i, f := range a.Feats {
		if f.Kind == Conv {
			idx = append(idx, i)
		}
	}
	return idx
}

// FeatShapes returns the input shape and the shape after every feature
// layer (nil for an MLP or an invalid architecture).
func (a Arch) FeatShapes() []Shape {
	if !a.IsCNN() {
		return nil
	}
	s, err := a.featShapes()
	if err != nil {
		return nil
	}
	return s
}
