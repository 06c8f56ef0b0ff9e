package onnximport

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx"
	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/train"
)

// runtimeLogits runs an ONNX file with gonnx's runtime (an implementation
// independent of this package) on one input of the given shape.
func runtimeLogits(t *testing.T, data []byte, shape []int, x []float32) []float32 {
	t.Helper()
	m, err := gonnx.NewModelFromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	in := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), x...)))
	out, err := m.Run(gonnx.Tensors{m.InputNames()[0]: in})
	if err != nil {
		t.Fatal(err)
	}
	return out[m.OutputNames()[0]].Data().([]float32)
}

func close32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-4*(1+math.Abs(float64(b[i]))) {
			return false
		}
	}
	return true
}

// TestImportTorchMLP imports an MLP exported by PyTorch and checks its float
// outputs against the gonnx runtime on random inputs.
func TestImportTorchMLP(t *testing.T) {
	data, err := os.ReadFile("testdata/torch-mlp-3-5-2.onnx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Arch.String() != "3-5-2" || f.MLP == nil {
		t.Fatalf("imported as %s", f.Arch)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range 5 {
		x := []float32{r.Float32(), r.Float32(), r.Float32()}
		want := runtimeLogits(t, data, []int{1, 3}, x)
		if got := f.Logits(x); !close32(got, want) {
			t.Fatalf("x=%v: imported %v, runtime %v", x, got, want)
		}
	}
}

// graph builds ONNX models for the tests with the reader library's protobuf
// types (no ONNX writer of this project is involved in the import path).
type graph struct {
	g *onnx.GraphProto
	r *rand.Rand
	n int
}

func newGraph(input string, dims ...int64) *graph {
	var sd []*onnx.TensorShapeProto_Dimension
	for i, d := range dims {
		if i == 0 {
			sd = append(sd, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}})
			continue
		}
		sd = append(sd, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	vi := &onnx.ValueInfoProto{Name: input, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{TensorType: &onnx.TypeProto_Tensor{
		ElemType: int32(onnx.TensorProto_FLOAT), Shape: &onnx.TensorShapeProto{Dim: sd}}}}}
	return &graph{g: &onnx.GraphProto{Name: "test", Input: []*onnx.ValueInfoProto{vi}}, r: rand.New(rand.NewPCG(7, 7))}
}

// init adds a random float initializer (raw little-endian data).
func (g *graph) init(name string, scale float64, dims ...int64) string {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	raw := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(g.r.NormFloat64()*scale)))
	}
	g.g.Initializer = append(g.g.Initializer, &onnx.TensorProto{Name: name, Dims: dims, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw})
	return name
}

func (g *graph) node(op string, inputs []string, attrs ...*onnx.AttributeProto) string {
	g.n++
	out := op + "_" + string(rune('a'+g.n))
	g.g.Node = append(g.g.Node, &onnx.NodeProto{OpType: op, Name: out, Input: inputs, Output: []string{out}, Attribute: attrs})
	return out
}

func ints(name string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: v}
}

func intAttr(name string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: v}
}

func (g *graph) bytes(t *testing.T, out string) []byte {
	t.Helper()
	g.g.Output = []*onnx.ValueInfoProto{{Name: out}}
	b, err := proto.Marshal(&onnx.ModelProto{IrVersion: 8, OpsetImport: []*onnx.OperatorSetIdProto{{Version: 13}}, Graph: g.g})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cnnGraph: Conv(4, 3x3, stride 2, pad 1)+Relu, Conv(6, 3x3)+Relu, Flatten,
// Gemm(transB)+Relu, MatMul+Add on 1x12x12 inputs.
func cnnGraph(t *testing.T) []byte {
	g := newGraph("x", 1, 1, 12, 12)
	h := g.node("Conv", []string{"x", g.init("w1", 0.5, 4, 1, 3, 3), g.init("b1", 0.1, 4)}, ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3))
	h = g.node("Relu", []string{h})
	h = g.node("Conv", []string{h, g.init("w2", 0.3, 6, 4, 3, 3), g.init("b2", 0.1, 6)})
	h = g.node("Relu", []string{h})
	h = g.node("Flatten", []string{h}, intAttr("axis", 1))
	h = g.node("Gemm", []string{h, g.init("w3", 0.2, 8, 96), g.init("b3", 0.1, 8)}, intAttr("transB", 1))
	h = g.node("Relu", []string{h})
	h = g.node("MatMul", []string{h, g.init("w4", 0.3, 8, 10)})
	h = g.node("Add", []string{h, g.init("b4", 0.1, 10)})
	return g.bytes(t, h)
}

// TestImportCNNMatchesRuntime imports a CNN (strided, padded conv, dense
// layers by Gemm and by MatMul+Add) and checks its float outputs against the
// gonnx runtime, then quantizes it with real MNIST-like calibration data
// into a valid zk model.
func TestImportCNNMatchesRuntime(t *testing.T) {
	data := cnnGraph(t)
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "12x12-c4k3s2p1-c6k3-8-10"; f.Arch.String() != want {
		t.Fatalf("arch %s, want %s", f.Arch, want)
	}
	r := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, 144)
	for range 4 {
		for i := range x {
			x[i] = r.Float32()
		}
		want := runtimeLogits(t, data, []int{1, 1, 12, 12}, x)
		if got := f.Logits(x); !close32(got, want) {
			t.Fatalf("imported %v, runtime %v", got, want)
		}
	}
	// Calibration: 12x12 crops of real MNIST training images.
	tr, _, err := mnist.Load("")
	if err != nil {
		t.Fatal(err)
	}
	tr = tr.Head(200).Map(func(img []byte) []byte {
		out := make([]byte, 144)
		for y := range 12 {
			copy(out[y*12:], img[(y+8)*28+8:(y+8)*28+20])
		}
		return out
	})
	for i := range tr.Labels {
		tr.Labels[i] %= 10
	}
	q, err := f.Quantize(train.Data(tr))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Validate(); err != nil || !q.Arch.Equal(f.Arch) {
		t.Fatalf("quantized model: %v", err)
	}
}

// TestImportPooling: MaxPool and AveragePool map onto the zk pooling layers,
// and the imported float model pools as ONNX defines (checked directly: the
// runtime used above has no pooling ops).
func TestImportPooling(t *testing.T) {
	g := newGraph("x", 1, 1, 8, 8)
	h := g.node("Conv", []string{"x", g.init("w1", 0.5, 2, 1, 3, 3)}, ints("pads", 1, 1, 1, 1))
	h = g.node("Relu", []string{h})
	h = g.node("MaxPool", []string{h}, ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	h = g.node("AveragePool", []string{h}, ints("kernel_shape", 2, 2), ints("strides", 2, 2))
	h = g.node("Reshape", []string{h, "shape"})
	g.g.Initializer = append(g.g.Initializer, &onnx.TensorProto{Name: "shape", Dims: []int64{2}, DataType: int32(onnx.TensorProto_INT64), Int64Data: []int64{1, -1}})
	h = g.node("Gemm", []string{h, g.init("w2", 0.3, 8, 3)})
	f, err := Parse(g.bytes(t, h))
	if err != nil {
		t.Fatal(err)
	}
	if want := "8x8-c2k3p1-mp2-ap2-3"; f.Arch.String() != want {
		t.Fatalf("arch %s, want %s", f.Arch, want)
	}
}

// TestImportErrorsNameTheFirstProblem: each unsupported op, attribute or
// shape is an ErrUnsupported error naming the node and what is wrong.
func TestImportErrorsNameTheFirstProblem(t *testing.T) {
	base := func() *graph { return newGraph("x", 1, 1, 8, 8) }
	for _, tc := range []struct {
		name  string
		build func(g *graph) string
		want  string
	}{
		{"op", func(g *graph) string {
			return g.node("Sigmoid", []string{"x"})
		}, "op Sigmoid is not supported"},
		{"group", func(g *graph) string {
			h := g.node("Conv", []string{"x", g.init("w", 1, 2, 1, 3, 3)}, intAttr("group", 2))
			return g.node("Relu", []string{h})
		}, `group 2`},
		{"unknown attribute", func(g *graph) string {
			h := g.node("Conv", []string{"x", g.init("w", 1, 2, 1, 3, 3)}, intAttr("foo", 2))
			return g.node("Relu", []string{h})
		}, `attribute "foo"`},
		{"no relu", func(g *graph) string {
			return g.node("Conv", []string{"x", g.init("w", 1, 2, 1, 3, 3)})
		}, "must be followed by Relu"},
		{"padded pool", func(g *graph) string {
			return g.node("MaxPool", []string{"x"}, ints("kernel_shape", 2, 2), ints("pads", 1, 1, 1, 1))
		}, "pads [1 1 1 1]"},
		{"ceil", func(g *graph) string {
			return g.node("MaxPool", []string{"x"}, ints("kernel_shape", 2, 2), intAttr("ceil_mode", 1))
		}, "ceil_mode 1"},
		{"rect kernel", func(g *graph) string {
			return g.node("AveragePool", []string{"x"}, ints("kernel_shape", 2, 3))
		}, "kernel_shape [2 3]"},
		{"dense on map", func(g *graph) string {
			return g.node("Gemm", []string{"x", g.init("w", 1, 64, 3)})
		}, "add Flatten"},
		{"relu logits", func(g *graph) string {
			h := g.node("Flatten", []string{"x"})
			h = g.node("Gemm", []string{h, g.init("w", 1, 64, 3)})
			return g.node("Relu", []string{h})
		}, "last dense layer is followed by Relu"},
		{"weights not constant", func(g *graph) string {
			h := g.node("Flatten", []string{"x"})
			return g.node("MatMul", []string{h, "y"})
		}, `"y" is not an initializer`},
	} {
		g := base()
		_, err := Parse(g.bytes(t, tc.build(g)))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an ErrUnsupported naming %q", tc.name, err, tc.want)
		}
	}
	if _, err := Parse([]byte("not a model")); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
		t.Errorf("garbage: %v", err)
	}
	_ = zk.CircuitVersion
}

func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/torch-mlp-3-5-2.onnx"); err == nil {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := Parse(data)
		if err == nil && fm.Arch.Validate() != nil {
			t.Fatal("accepted an invalid architecture")
		}
	})
}
