// Package onnximport reads an ONNX model (a ModelProto, decoded with the
// protobuf types of github.com/advancedclimatesystems/gonnx/onnx) and maps
// it onto a float model of a zk architecture (zk/train's MLP or CNN), which
// zk/train then quantizes with calibration data into a .vtm model.
//
// Supported: a single chain of Conv (+Relu), MaxPool, AveragePool, Flatten
// or Reshape, Gemm or MatMul (+Add bias) (+Relu), float32 weights as
// initializers. Every conv and every dense layer but the last must be
// followed by Relu (the circuit requantizes and applies ReLU there); the
// last dense layer gives the logits. The first unsupported op, attribute or
// shape is an error naming the node.
package onnximport

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/train"
)

// ErrUnsupported: the model uses an op, attribute or shape outside the
// supported subset (the message names the first one).
var ErrUnsupported = errors.New("onnx import: unsupported")

// ErrMalformed: the bytes are not an ONNX model or it is inconsistent.
var ErrMalformed = errors.New("onnx import: malformed model")

// MaxSize bounds an ONNX file.
const MaxSize = 64 << 20

// Float is an imported float model.
type Float struct {
	Arch zk.Arch
	MLP  *train.MLP // set for an MLP
	CNN  *train.CNN // set for a CNN
}

// Logits runs the float model on x (the graph input, flattened, CHW).
func (f *Float) Logits(x []float32) []float32 {
	if f.CNN != nil {
		return f.CNN.Logits(x)
	}
	return f.MLP.Logits(x)
}

// Quantize converts the float model to a zk model with calibration data.
func (f *Float) Quantize(calib train.Data) (*zk.Model, error) {
	if f.CNN != nil {
		return train.QuantizeCNN(f.CNN, calib)
	}
	return train.Quantize(f.MLP, calib)
}

// node describes a node in errors.
func node(i int, n *onnx.NodeProto) string {
	if n.GetName() != "" {
		return fmt.Sprintf("node %d (%s %q)", i, n.GetOpType(), n.GetName())
	}
	return fmt.Sprintf("node %d (%s)", i, n.GetOpType())
}

// Supported lists the supported ops.
var Supported = []string{"Conv", "Relu", "MaxPool", "AveragePool", "Flatten", "Reshape", "Gemm", "MatMul", "Add"}

// initTensor is an initializer as float32 values with its dims.
type initTensor struct {
	dims []int64
	f32  []float32
	i64  []int64
}

func readTensor(t *onnx.TensorProto) (initTensor, error) {
	out := initTensor{dims: t.GetDims()}
	switch onnx.TensorProto_DataType(t.GetDataType()) {
	case onnx.TensorProto_FLOAT:
		if raw := t.GetRawData(); len(raw) > 0 {
			v, err := onnx.ReadFloat32ArrayFromBytes(raw)
			if err != nil {
				return initTensor{}, fmt.Errorf("%w: initializer %q: %v", ErrMalformed, t.GetName(), err)
			}
			out.f32 = v
		} else {
			out.f32 = t.GetFloatData()
		}
	case onnx.TensorProto_INT64:
		if raw := t.GetRawData(); len(raw) > 0 {
			if len(raw)%8 != 0 {
				return initTensor{}, fmt.Errorf("%w: initializer %q: %d raw bytes", ErrMalformed, t.GetName(), len(raw))
			}
			for i := 0; i < len(raw); i += 8 {
				var v uint64
				for j := 7; j >= 0; j-- {
					v = v<<8 | uint64(raw[i+j])
				}
				out.i64 = append(out.i64, int64(v))
			}
		} else {
			out.i64 = t.GetInt64Data()
		}
	default:
		return initTensor{}, fmt.Errorf("%w: initializer %q has data type %s (want FLOAT, or INT64 for shapes)", ErrUnsupported, t.GetName(), onnx.TensorProto_DataType(t.GetDataType()))
	}
	n := int64(1)
	for _, d := range out.dims {
		if d < 0 || d > 1<<24 {
			return initTensor{}, fmt.Errorf("%w: initializer %q has dims %v", ErrMalformed, t.GetName(), out.dims)
		}
		n *= d
		if n > 1<<26 {
			return initTensor{}, fmt.Errorf("%w: initializer %q too large", ErrUnsupported, t.GetName())
		}
	}
	if got := len(out.f32) + len(out.i64); int64(got) != n {
		return initTensor{}, fmt.Errorf("%w: initializer %q has %d values for dims %v", ErrMalformed, t.GetName(), got, out.dims)
	}
	return out, nil
}

// attrs reads a node's attributes; every attribute must be consumed (an
// unknown one is an error naming it).
type attrs struct {
	m    map[string]*onnx.AttributeProto
	used map[string]bool
}

func newAttrs(n *onnx.NodeProto) attrs {
	a := attrs{m: map[string]*onnx.AttributeProto{}, used: map[string]bool{}}
	for _, at := range n.GetAttribute() {
		a.m[at.GetName()] = at
	}
	return a
}

func (a attrs) ints(name string, def []int64) []int64 {
	a.used[name] = true
	if at, ok := a.m[name]; ok {
		return at.GetInts()
	}
	return def
}

func (a attrs) int(name string, def int64) int64 {
	a.used[name] = true
	if at, ok := a.m[name]; ok {
		return at.GetI()
	}
	return def
}

func (a attrs) float(name string, def float32) float32 {
	a.used[name] = true
	if at, ok := a.m[name]; ok {
		return at.GetF()
	}
	return def
}

func (a attrs) str(name, def string) string {
	a.used[name] = true
	if at, ok := a.m[name]; ok {
		return string(at.GetS())
	}
	return def
}

// leftover names the first attribute not read.
func (a attrs) leftover() string {
	var names []string
	for k := range a.m {
		if !a.used[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func allEq(v []int64, want int64) bool {
	for _, x := range v {
		if x != want {
			return false
		}
	}
	return true
}

// square returns v[0] if v has two equal entries.
func square(v []int64) (int, bool) {
	if len(v) != 2 || v[0] != v[1] {
		return 0, false
	}
	return int(v[0]), true
}

// Parse decodes an ONNX model and maps it onto a zk architecture. The graph
// input must be [N, C, H, W] (a CNN) or [N, F] (an MLP), N free.
func Parse(data []byte) (*Float, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(data), MaxSize)
	}
	var mp onnx.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	g := mp.GetGraph()
	if g == nil || len(g.GetNode()) == 0 {
		return nil, fmt.Errorf("%w: no graph", ErrMalformed)
	}
	for _, os := range mp.GetOpsetImport() {
		if d := os.GetDomain(); d != "" && d != "ai.onnx" {
			return nil, fmt.Errorf("%w: operator set domain %q (only the default ai.onnx)", ErrUnsupported, d)
		}
	}
	inits := map[string]initTensor{}
	for _, t := range g.GetInitializer() {
		tt, err := readTensor(t)
		if err != nil {
			return nil, err
		}
		inits[t.GetName()] = tt
	}
	var inputs []*onnx.ValueInfoProto
	for _, v := range g.GetInput() {
		if _, isInit := inits[v.GetName()]; !isInit {
			inputs = append(inputs, v)
		}
	}
	if len(inputs) != 1 {
		return nil, fmt.Errorf("%w: %d graph inputs (want one)", ErrUnsupported, len(inputs))
	}
	if len(g.GetOutput()) != 1 {
		return nil, fmt.Errorf("%w: %d graph outputs (want one: the logits)", ErrUnsupported, len(g.GetOutput()))
	}
	var dims []int64
	for _, d := range inputs[0].GetType().GetTensorType().GetShape().GetDim() {
		dims = append(dims, d.GetDimValue()) // a symbolic (batch) dim reads 0
	}
	b := builder{inits: inits, cur: inputs[0].GetName()}
	switch len(dims) {
	case 4:
		if dims[1] < 1 || dims[2] < 1 || dims[3] < 1 {
			return nil, fmt.Errorf("%w: input %q shape %v: C, H, W must be fixed", ErrUnsupported, b.cur, dims)
		}
		b.arch.Input = zk.Shape{C: int(dims[1]), H: int(dims[2]), W: int(dims[3])}
		b.shape = b.arch.Input
	case 2:
		if dims[1] < 1 {
			return nil, fmt.Errorf("%w: input %q shape %v: features must be fixed", ErrUnsupported, b.cur, dims)
		}
		b.flat = true
		b.arch.Sizes = []int{int(dims[1])}
	default:
		return nil, fmt.Errorf("%w: input %q has shape %v (want [N,C,H,W] or [N,F])", ErrUnsupported, b.cur, dims)
	}
	nodes := g.GetNode()
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
			return nil, fmt.Errorf("%w: %s: domain %q", ErrUnsupported, node(i, n), n.GetDomain())
		}
		if len(n.GetInput()) == 0 || n.GetInput()[0] != b.cur || len(n.GetOutput()) != 1 {
			return nil, fmt.Errorf("%w: %s: does not continue a single chain from %q (only sequential models are supported)", ErrUnsupported, node(i, n), b.cur)
		}
		relu := i+1 < len(nodes) && nodes[i+1].GetOpType() == "Relu" && len(nodes[i+1].GetInput()) == 1 && nodes[i+1].GetInput()[0] == n.GetOutput()[0]
		consumed, err := b.add(i, n, nodes, relu)
		if err != nil {
			return nil, err
		}
		i += consumed
	}
	if b.cur != g.GetOutput()[0].GetName() {
		return nil, fmt.Errorf("%w: graph output %q is not the last layer's output %q", ErrUnsupported, g.GetOutput()[0].GetName(), b.cur)
	}
	return b.finish()
}

// builder accumulates the layers of a chain.
type builder struct {
	inits    map[string]initTensor
	cur      string
	arch     zk.Arch
	shape    zk.Shape // current feature map (before flattening)
	flat     bool     // in the dense part
	lastRelu bool     // the last dense layer had a ReLU
	cw, cb   [][]float32
	w, b     [][]float32 // dense, [out][in]
}

// weight returns the initializer feeding input k of n.
func (b *builder) weight(i int, n *onnx.NodeProto, k int) (initTensor, bool, error) {
	if k >= len(n.GetInput()) || n.GetInput()[k] == "" {
		return initTensor{}, false, nil
	}
	t, ok := b.inits[n.GetInput()[k]]
	if !ok {
		return initTensor{}, false, fmt.Errorf("%w: %s: input %q is not an initializer (weights must be constants)", ErrUnsupported, node(i, n), n.GetInput()[k])
	}
	return t, true, nil
}

// add maps node i onto a layer and returns how many following nodes it
// consumed (a Relu, an Add bias).
func (b *builder) add(i int, n *onnx.NodeProto, nodes []*onnx.NodeProto, relu bool) (int, error) {
	at := newAttrs(n)
	unsupported := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrUnsupported, node(i, n), fmt.Sprintf(format, args...))
	}
	consumed := 0
	out := n.GetOutput()[0]
	switch n.GetOpType() {
	case "Conv":
		if b.flat {
			return 0, unsupported("convolution after flattening")
		}
		w, ok, err := b.weight(i, n, 1)
		if err != nil {
			return 0, err
		}
		if !ok || len(w.dims) != 4 || w.f32 == nil || int(w.dims[1]) != b.shape.C || w.dims[2] != w.dims[3] {
			return 0, unsupported("weight shape %v: want float [out, %d, k, k]", w.dims, b.shape.C)
		}
		k := int(w.dims[2])
		if ks := at.ints("kernel_shape", []int64{int64(k), int64(k)}); !allEq(ks, int64(k)) || len(ks) != 2 {
			return 0, unsupported("kernel_shape %v", ks)
		}
		if g := at.int("group", 1); g != 1 {
			return 0, unsupported("group %d (only 1)", g)
		}
		if d := at.ints("dilations", []int64{1, 1}); !allEq(d, 1) {
			return 0, unsupported("dilations %v (only 1)", d)
		}
		if ap := at.str("auto_pad", "NOTSET"); ap != "NOTSET" {
			return 0, unsupported("auto_pad %s (only explicit pads)", ap)
		}
		s, ok := square(at.ints("strides", []int64{1, 1}))
		if !ok {
			return 0, unsupported("strides %v (want equal)", at.ints("strides", nil))
		}
		pads := at.ints("pads", []int64{0, 0, 0, 0})
		if len(pads) != 4 || !allEq(pads, pads[0]) {
			return 0, unsupported("pads %v (want four equal)", pads)
		}
		if name := at.leftover(); name != "" {
			return 0, unsupported("attribute %q", name)
		}
		bias := make([]float32, w.dims[0])
		if bt, ok, err := b.weight(i, n, 2); err != nil {
			return 0, err
		} else if ok {
			if len(bt.f32) != len(bias) {
				return 0, unsupported("bias has %d values for %d channels", len(bt.f32), len(bias))
			}
			copy(bias, bt.f32)
		}
		if !relu {
			return 0, unsupported("a convolution must be followed by Relu (the circuit requantizes and applies ReLU after every conv)")
		}
		f := zk.Feat{Kind: zk.Conv, Out: int(w.dims[0]), K: k, Stride: s, Pad: int(pads[0])}
		b.arch.Feats = append(b.arch.Feats, f)
		shapes, err := b.shapes()
		if err != nil {
			return 0, unsupported("%v", err)
		}
		b.shape = shapes[len(shapes)-1]
		b.cw, b.cb = append(b.cw, w.f32), append(b.cb, bias)
		out, consumed = nodes[i+1].GetOutput()[0], 1
	case "MaxPool", "AveragePool":
		if b.flat {
			return 0, unsupported("pooling after flattening")
		}
		k, ok := square(at.ints("kernel_shape", nil))
		if !ok {
			return 0, unsupported("kernel_shape %v (want two equal)", at.ints("kernel_shape", nil))
		}
		s, ok := square(at.ints("strides", []int64{1, 1}))
		if !ok {
			return 0, unsupported("strides %v (want equal)", at.ints("strides", nil))
		}
		if p := at.ints("pads", []int64{0, 0, 0, 0}); !allEq(p, 0) {
			return 0, unsupported("pads %v (pooling is never padded)", p)
		}
		if c := at.int("ceil_mode", 0); c != 0 {
			return 0, unsupported("ceil_mode %d", c)
		}
		if d := at.ints("dilations", []int64{1, 1}); !allEq(d, 1) {
			return 0, unsupported("dilations %v", d)
		}
		if ap := at.str("auto_pad", "NOTSET"); ap != "NOTSET" && ap != "VALID" {
			return 0, unsupported("auto_pad %s", ap)
		}
		at.int("count_include_pad", 0) // no padding: no effect
		at.int("storage_order", 0)
		if name := at.leftover(); name != "" {
			return 0, unsupported("attribute %q", name)
		}
		kind := zk.MaxPool
		if n.GetOpType() == "AveragePool" {
			kind = zk.AvgPool
		}
		b.arch.Feats = append(b.arch.Feats, zk.Feat{Kind: kind, K: k, Stride: s})
		shapes, err := b.shapes()
		if err != nil {
			return 0, unsupported("%v", err)
		}
		b.shape = shapes[len(shapes)-1]
	case "Flatten", "Reshape":
		size := b.shape.Size()
		if b.flat {
			size = b.arch.Sizes[len(b.arch.Sizes)-1]
		}
		if n.GetOpType() == "Flatten" {
			if ax := at.int("axis", 1); ax != 1 {
				return 0, unsupported("axis %d (only 1)", ax)
			}
		} else {
			st, ok, err := b.weight(i, n, 1)
			if err != nil {
				return 0, err
			}
			at.int("allowzero", 0)
			if !ok || len(st.i64) != 2 || (st.i64[1] != -1 && st.i64[1] != int64(size)) || (st.i64[0] != -1 && st.i64[0] != 1 && st.i64[0] != 0) {
				return 0, unsupported("target shape %v (only [N, %d] or [N, -1], a flatten)", st.i64, size)
			}
		}
		if name := at.leftover(); name != "" {
			return 0, unsupported("attribute %q", name)
		}
		if !b.flat {
			b.flat = true
			b.arch.Sizes = []int{size}
		}
	case "Gemm", "MatMul":
		if !b.flat {
			return 0, unsupported("dense layer on an unflattened %dx%dx%d map (add Flatten)", b.shape.C, b.shape.H, b.shape.W)
		}
		if !b.lastRelu && len(b.w) > 0 {
			return 0, unsupported("a dense layer after the logits layer needs a Relu between them")
		}
		in := b.arch.Sizes[len(b.arch.Sizes)-1]
		w, ok, err := b.weight(i, n, 1)
		if err != nil {
			return 0, err
		}
		transB := int64(0)
		if n.GetOpType() == "Gemm" {
			if a := at.float("alpha", 1); a != 1 {
				return 0, unsupported("alpha %g (only 1)", a)
			}
			if bb := at.float("beta", 1); bb != 1 {
				return 0, unsupported("beta %g (only 1)", bb)
			}
			if ta := at.int("transA", 0); ta != 0 {
				return 0, unsupported("transA %d", ta)
			}
			transB = at.int("transB", 0)
		}
		if name := at.leftover(); name != "" {
			return 0, unsupported("attribute %q", name)
		}
		if !ok || len(w.dims) != 2 || w.f32 == nil {
			return 0, unsupported("weight shape %v: want a float matrix", w.dims)
		}
		rows, cols := int(w.dims[0]), int(w.dims[1])
		var outN int
		mat := make([]float32, rows*cols) // [out][in]
		if transB == 1 {
			if cols != in {
				return 0, unsupported("weight shape %v for %d inputs", w.dims, in)
			}
			outN = rows
			copy(mat, w.f32)
		} else {
			if rows != in {
				return 0, unsupported("weight shape %v for %d inputs", w.dims, in)
			}
			outN = cols
			for r := range rows {
				for c := range cols {
					mat[c*in+r] = w.f32[r*cols+c]
				}
			}
		}
		bias := make([]float32, outN)
		var bt initTensor
		var hasBias bool
		if n.GetOpType() == "Gemm" {
			if bt, hasBias, err = b.weight(i, n, 2); err != nil {
				return 0, err
			}
		} else if i+1 < len(nodes) && nodes[i+1].GetOpType() == "Add" && len(nodes[i+1].GetInput()) == 2 && nodes[i+1].GetInput()[0] == out {
			if bt, hasBias, err = b.weight(i+1, nodes[i+1], 1); err != nil {
				return 0, err
			}
			out, consumed = nodes[i+1].GetOutput()[0], 1
			i++
		}
		if hasBias {
			if len(bt.f32) != outN {
				return 0, unsupported("bias has %d values for %d outputs (only a per-output bias)", len(bt.f32), outN)
			}
			copy(bias, bt.f32)
		}
		b.w, b.b = append(b.w, mat), append(b.b, bias)
		b.arch.Sizes = append(b.arch.Sizes, outN)
		b.lastRelu = i+1 < len(nodes) && nodes[i+1].GetOpType() == "Relu" && len(nodes[i+1].GetInput()) == 1 && nodes[i+1].GetInput()[0] == out
		if b.lastRelu {
			out = nodes[i+1].GetOutput()[0]
			consumed++
		}
	case "Relu":
		return 0, unsupported("Relu must follow a Conv, Gemm or MatMul (+Add) layer")
	default:
		return 0, unsupported("op %s is not supported (supported: %s)", n.GetOpType(), strings.Join(Supported, ", "))
	}
	b.cur = out
	return consumed, nil
}

func (b *builder) shapes() ([]zk.Shape, error) {
	a := zk.Arch{Input: b.arch.Input, Feats: b.arch.Feats, Sizes: []int{1, 1}}
	s := a.FeatShapes()
	if s == nil {
		_, err := zk.ParseArch(a.String())
		return nil, err
	}
	return s, nil
}

func (b *builder) finish() (*Float, error) {
	if len(b.w) == 0 {
		return nil, fmt.Errorf("%w: no dense layer (the last layer must be Gemm or MatMul giving the logits)", ErrUnsupported)
	}
	if b.lastRelu {
		return nil, fmt.Errorf("%w: the last dense layer is followed by Relu; the circuit's last layer gives raw logits", ErrUnsupported)
	}
	a := b.arch
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if a.IsCNN() {
		m, err := train.NewCNN(a, b.cw, b.cb, b.w, b.b)
		if err != nil {
			return nil, err
		}
		return &Float{Arch: a, CNN: m}, nil
	}
	m := &train.MLP{Sizes: slices.Clone(a.Sizes)}
	for l, w := range b.w { // [out][in] -> input-major
		in, out := a.Sizes[l], a.Sizes[l+1]
		t := make([]float32, in*out)
		for o := range out {
			for i := range in {
				t[i*out+o] = w[o*in+i]
			}
		}
		m.W, m.B = append(m.W, t), append(m.B, b.b[l])
	}
	return &Float{Arch: a, MLP: m}, nil
}
