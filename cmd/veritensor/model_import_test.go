package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// onnxMLP writes a Gemm-Relu-Gemm ONNX model on [N, 784] inputs with random
// weights, built with the ONNX library's protobuf types.
func onnxMLP(t *testing.T, path string, extra *onnx.NodeProto) {
	r := rand.New(rand.NewPCG(1, 2))
	init := func(name string, dims ...int64) *onnx.TensorProto {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		raw := make([]byte, 4*n)
		for i := range n {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(r.NormFloat64()*0.05)))
		}
		return &onnx.TensorProto{Name: name, Dims: dims, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw}
	}
	dim := func(d int64) *onnx.TensorShapeProto_Dimension {
		return &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}}
	}
	in := &onnx.ValueInfoProto{Name: "x", Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{TensorType: &onnx.TypeProto_Tensor{
		ElemType: int32(onnx.TensorProto_FLOAT), Shape: &onnx.TensorShapeProto{Dim: []*onnx.TensorShapeProto_Dimension{dim(1), dim(784)}}}}}}
	nodes := []*onnx.NodeProto{
		{OpType: "Gemm", Name: "fc1", Input: []string{"x", "w1", "b1"}, Output: []string{"h"}},
		{OpType: "Relu", Input: []string{"h"}, Output: []string{"hr"}},
		{OpType: "Gemm", Name: "fc2", Input: []string{"hr", "w2", "b2"}, Output: []string{"y"}},
	}
	if extra != nil {
		nodes = append(nodes, extra)
	}
	g := &onnx.GraphProto{Name: "mlp", Input: []*onnx.ValueInfoProto{in}, Node: nodes,
		Initializer: []*onnx.TensorProto{init("w1", 784, 16), init("b1", 16), init("w2", 16, 10), init("b2", 10)},
		Output:      []*onnx.ValueInfoProto{{Name: nodes[len(nodes)-1].Output[0]}}}
	b, err := proto.Marshal(&onnx.ModelProto{IrVersion: 8, OpsetImport: []*onnx.OperatorSetIdProto{{Version: 13}}, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestModelImport: an ONNX MLP imports, quantizes with MNIST calibration data
// into a loadable .vtm model of the 784-input task; an unsupported op is
// refused naming the node.
func TestModelImport(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "m.onnx"), filepath.Join(dir, "m.vtm")
	onnxMLP(t, in, nil)
	text, err := runCLI(t, "model", "import", in, "--calibration-images", "200", "--out", out, "-o", "json")
	if err != nil {
		t.Fatalf("model import: %v\n%s", err, text)
	}
	var res importResult
	if err := json.Unmarshal([]byte(text[strings.Index(text, "{"):]), &res); err != nil || res.Arch != "784-16-10" || res.Task != "mnist" {
		t.Fatalf("import result %+v %v", res, err)
	}
	if _, err := loadModel(out); err != nil {
		t.Fatal(err)
	}
	onnxMLP(t, in, &onnx.NodeProto{OpType: "Softmax", Name: "probs", Input: []string{"y"}, Output: []string{"p"}})
	if _, err := runCLI(t, "model", "import", in, "--out", out); err == nil || !strings.Contains(err.Error(), `Softmax "probs"`) {
		t.Fatalf("softmax: %v", err)
	}
}
