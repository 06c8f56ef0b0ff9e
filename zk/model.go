package zk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Ranges every model must respect; the circuit enforces the same bounds, so
// a model that loads can always be proven.
const (
	// MaxShift is the largest requantization shift (output = floor(v / 2^shift)).
	MaxShift = 30
	// MaxBias bounds biases: -MaxBias <= b < MaxBias (2^26).
	MaxBias = 1 << 26
	// MaxModelSize bounds an encoded model file in bytes.
	MaxModelSize = 64 + 9*2 + MaxWeights + 4*MaxLayers*MaxWidth + 4*MaxFeats*MaxChannels + 512
)

// Layer is one dense layer of a quantized MLP.
type Layer struct {
	// Weights are int8, row-major: Weights[o*In+i] multiplies input i for
	// output o.
	Weights []int8
	// Biases are added to the int32 accumulators (in the accumulator's scale),
	// one per output; |b| < MaxBias.
	Biases []int32
	// Shift is the requantization shift of a hidden layer: its output is
	// clamp(floor((acc+b) / 2^Shift), 0, 127) (requantize then ReLU, saturated
	// to int8). It is 0 for the last layer, whose acc+b are the logits.
	Shift uint8
}

// Meta records how a model was trained. It is stored in the model file but is
// not part of the commitment.
type Meta struct {
	Seed       uint64 // training seed
	Steps      uint32 // SGD steps
	FloatAccBP uint32 // float model test accuracy, basis points (0: unknown)
	QuantAccBP uint32 // quantized model test accuracy, basis points (0: unknown)
}

// Model is a quantized network: int8 weights and activations, int32
// accumulators, a power-of-two requantization per conv and hidden dense
// layer, ReLU, argmax.
type Model struct {
	Arch Arch
	// Convs are the Conv feature layers of a CNN, in order (nil for an MLP).
	// Weights are int8 in [out][in channel][ky][kx] order (ONNX's OIHW);
	// Shift is the requantization shift of the conv output.
	Convs  []Layer
	Layers []Layer
	Meta   Meta
}

// Validate checks shapes and value ranges against the architecture.
func (m *Model) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil model", ErrBadModel)
	}
	if err := m.Arch.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	if len(m.Layers) != m.Arch.Layers() {
		return fmt.Errorf("%w: %d layers for architecture %s", ErrBadModel, len(m.Layers), m.Arch)
	}
	idx, ins := m.Arch.convLayers()
	if len(m.Convs) != len(idx) {
		return fmt.Errorf("%w: %d conv layers for architecture %s", ErrBadModel, len(m.Convs), m.Arch)
	}
	for i, ly := range m.Convs {
		f := m.Arch.Feats[idx[i]]
		if len(ly.Weights) != convWeights(f, ins[i]) || len(ly.Biases) != f.Out {
			return fmt.Errorf("%w: conv layer %d has %d weights and %d biases, want %d and %d",
				ErrBadModel, i, len(ly.Weights), len(ly.Biases), convWeights(f, ins[i]), f.Out)
		}
		for _, b := range ly.Biases {
			if b < -MaxBias || b >= MaxBias {
				return fmt.Errorf("%w: conv layer %d bias %d outside [-2^26, 2^26)", ErrBadModel, i, b)
			}
		}
		if ly.Shift > MaxShift {
			return fmt.Errorf("%w: conv layer %d shift %d > %d", ErrBadModel, i, ly.Shift, MaxShift)
		}
	}
	for l, ly := range m.Layers {
		in, out := m.Arch.Sizes[l], m.Arch.Sizes[l+1]
		if len(ly.Weights) != in*out || len(ly.Biases) != out {
			return fmt.Errorf("%w: layer %d has %d weights and %d biases, want %d and %d",
				ErrBadModel, l, len(ly.Weights), len(ly.Biases), in*out, out)
		}
		for _, b := range ly.Biases {
			if b < -MaxBias || b >= MaxBias {
				return fmt.Errorf("%w: layer %d bias %d outside [-2^26, 2^26)", ErrBadModel, l, b)
			}
		}
		last := l == len(m.Layers)-1
		if last && ly.Shift != 0 {
			return fmt.Errorf("%w: last layer has shift %d, want 0", ErrBadModel, ly.Shift)
		}
		if ly.Shift > MaxShift {
			return fmt.Errorf("%w: layer %d shift %d > %d", ErrBadModel, l, ly.Shift, MaxShift)
		}
	}
	return nil
}

// modelMagic starts every .vtm file. Version 1 holds an MLP; version 2 any
// architecture (its encoding, then the conv layers before the dense ones).
// MLPs are still written as version 1, byte for byte as before.
var modelMagic = [4]byte{'V', 'T', 'M', 'Q'}

const (
	modelVersionMLP = 1
	modelVersionCNN = 2
)

// MarshalBinary encodes the model in the versioned .vtm format (docs/zk.md):
// magic "VTMQ", u16 version, the architecture encoding (version 1: u8 size
// count, u16 sizes; version 2: Arch.encode, which for a CNN starts 0xC1),
// per conv layer (version 2) then per dense layer u8 shift, int32 biases,
// int8 weights, then Meta, then SHA-256 of all preceding bytes. Integers are
// big-endian.
func (m *Model) MarshalBinary() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(modelMagic[:])
	version := uint16(modelVersionMLP)
	if m.Arch.IsCNN() {
		version = modelVersionCNN
	}
	b.Write(binary.BigEndian.AppendUint16(nil, version))
	b.Write(m.Arch.encode())
	for _, ly := range append(append([]Layer(nil), m.Convs...), m.Layers...) {
		b.WriteByte(ly.Shift)
		for _, v := range ly.Biases {
			b.Write(binary.BigEndian.AppendUint32(nil, uint32(v)))
		}
		for _, w := range ly.Weights {
			b.WriteByte(byte(w))
		}
	}
	b.Write(binary.BigEndian.AppendUint64(nil, m.Meta.Seed))
	b.Write(binary.BigEndian.AppendUint32(nil, m.Meta.Steps))
	b.Write(binary.BigEndian.AppendUint32(nil, m.Meta.FloatAccBP))
	b.Write(binary.BigEndian.AppendUint32(nil, m.Meta.QuantAccBP))
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
}

// UnmarshalModel decodes and validates a .vtm file. It never panics; every
// failure wraps ErrBadModel.
func UnmarshalModel(data []byte) (*Model, error) {
	if len(data) > MaxModelSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadModel, len(data), MaxModelSize)
	}
	if len(data) < 4+2+1+32 {
		return nil, fmt.Errorf("%w: truncated (%d bytes)", ErrBadModel, len(data))
	}
	body, sum := data[:len(data)-32], data[len(data)-32:]
	if want := sha256.Sum256(body); !bytes.Equal(want[:], sum) {
		return nil, fmt.Errorf("%w: checksum mismatch (corrupted file)", ErrBadModel)
	}
	r := reader{b: body}
	if magic := r.next(4); !bytes.Equal(magic, modelMagic[:]) {
		return nil, fmt.Errorf("%w: not a .vtm file", ErrBadModel)
	}
	v := r.u16()
	if v != modelVersionMLP && v != modelVersionCNN {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d and %d", ErrBadModel, v, modelVersionMLP, modelVersionCNN)
	}
	a, err := decodeArch(&r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	if a.IsCNN() != (v == modelVersionCNN) {
		return nil, fmt.Errorf("%w: format version %d does not hold architecture %s", ErrBadModel, v, a)
	}
	readLayer := func(what string, l, nw, nb int) (Layer, error) {
		var ly Layer
		ly.Shift = r.u8()
		ly.Biases = make([]int32, nb)
		for i := range ly.Biases {
			ly.Biases[i] = int32(r.u32())
		}
		ws := r.next(nw)
		if r.err {
			return Layer{}, fmt.Errorf("%w: truncated %s layer %d", ErrBadModel, what, l)
		}
		ly.Weights = make([]int8, nw)
		for i, w := range ws {
			ly.Weights[i] = int8(w)
		}
		return ly, nil
	}
	m := &Model{Arch: a, Layers: make([]Layer, a.Layers())}
	idx, ins := a.convLayers()
	for i, j := range idx {
		f := a.Feats[j]
		ly, err := readLayer("conv", i, convWeights(f, ins[i]), f.Out)
		if err != nil {
			return nil, err
		}
		m.Convs = append(m.Convs, ly)
	}
	for l := range m.Layers {
		ly, err := readLayer("dense", l, a.Sizes[l]*a.Sizes[l+1], a.Sizes[l+1])
		if err != nil {
			return nil, err
		}
		m.Layers[l] = ly
	}
	m.Meta.Seed = r.u64()
	m.Meta.Steps = r.u32()
	m.Meta.FloatAccBP = r.u32()
	m.Meta.QuantAccBP = r.u32()
	if r.err {
		return nil, fmt.Errorf("%w: truncated metadata", ErrBadModel)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadModel, len(r.b))
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// commitmentElems lists the field elements hashed into the model commitment:
// the packed architecture, the packed hidden shifts, the packed biases (all
// layers in order) and the packed weight bytes (w+128, all layers in order,
// row-major, one byte stream).
func commitmentElems(a Arch, shifts []uint8, biases []int32, wbytes []byte) []fr.Element {
	elems := []fr.Element{archElem(a), shiftsElem(shifts)}
	elems = append(elems, packBiases(biases)...)
	return append(elems, packBytes(wbytes)...)
}

// Commitment is the model commitment: the Poseidon2 sponge (domain 1) over
// commitmentElems, as a big-endian BN254 scalar field element. It equals the
// value the circuit computes from the private weights. It panics on a model
// that fails Validate (use UnmarshalModel or Validate first).
func (m *Model) Commitment() [32]byte {
	if err := m.Validate(); err != nil {
		panic(err)
	}
	shifts, biases, wbytes := m.flatten()
	return elemBytes(sponge(domainModel, commitmentElems(m.Arch, shifts, biases, wbytes)))
}

// flatten returns the shifts (conv layers', then hidden dense layers'), all
// biases and all weight bytes (conv layers first, then dense).
func (m *Model) flatten() (shifts []uint8, biases []int32, wbytes []byte) {
	for _, ly := range m.Convs {
		shifts = append(shifts, ly.Shift)
		biases = append(biases, ly.Biases...)
		wbytes = append(wbytes, int8Bytes(ly.Weights)...)
	}
	for l, ly := range m.Layers {
		if l < len(m.Layers)-1 {
			shifts = append(shifts, ly.Shift)
		}
		biases = append(biases, ly.Biases...)
		wbytes = append(wbytes, int8Bytes(ly.Weights)...)
	}
	return shifts, biases, wbytes
}

// reader is a bounds-checked big-endian cursor; err latches on short reads.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) next(n int) []byte {
	if r.err || n < 0 || n > len(r.b) {
		r.err = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.next(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.next(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.next(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.next(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}
