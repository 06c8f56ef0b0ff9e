package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/internal/onnximport"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/train"
)

// modelImportCommand is `veritensor model import`.
var modelImportCommand = &cli.Command{
	Name:      "import",
	Usage:     "import an ONNX model (Conv, Relu, MaxPool, AveragePool, Flatten, Reshape, Gemm, MatMul, Add), quantize it with calibration data and write a .vtm model",
	ArgsUsage: "MODEL.onnx",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "calibration", Value: "mnist", Usage: "calibration data: mnist (the first --calibration-images MNIST training images, preprocessed for the model's task)"},
		&cli.IntFlag{Name: "calibration-images", Value: 2000, Usage: "number of calibration images"},
		&cli.StringFlag{Name: "out", Value: "model.vtm", Usage: "output model file"},
		mnistDirFlag, outputFlag,
	},
	Action: modelImport,
}

type importResult struct {
	In         string  `json:"in"`
	Out        string  `json:"out"`
	Arch       string  `json:"arch"`
	Task       string  `json:"task"`
	FloatAcc   float64 `json:"float_test_accuracy"`
	QuantAcc   float64 `json:"quantized_test_accuracy"`
	Commitment string  `json:"model_commitment"`
	CircuitID  string  `json:"circuit_id"`
	Bytes      int     `json:"bytes"`
}

func modelImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("want one argument, the ONNX file (got %d)", c.NArg())
	}
	if cal := c.String("calibration"); cal != "mnist" {
		return fmt.Errorf("--calibration %q: only mnist", cal)
	}
	in := c.Args().First()
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	f, err := onnximport.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	spec, err := task.ForArch(f.Arch.String())
	if err != nil {
		return fmt.Errorf("%s imports as %s: %w", in, f.Arch, err)
	}
	trainSet, testSet, err := mnist.Load(c.String("mnist-dir"))
	if err != nil {
		return err
	}
	if trainSet, err = spec.MapSet(trainSet); err != nil {
		return err
	}
	if testSet, err = spec.MapSet(testSet); err != nil {
		return err
	}
	q, err := f.Quantize(train.Data(trainSet.Head(c.Int("calibration-images"))))
	if err != nil {
		return err
	}
	quantAcc, err := train.QuantAccuracy(q, train.Data(testSet))
	if err != nil {
		return err
	}
	ok := 0
	x := make([]float32, f.Arch.Inputs())
	for i, img := range testSet.Images {
		for j, p := range img {
			x[j] = float32(p>>1) / 128
		}
		lg := f.Logits(x)
		best := 0
		for j, v := range lg {
			if v > lg[best] {
				best = j
			}
		}
		if best == int(testSet.Labels[i]) {
			ok++
		}
	}
	floatAcc := float64(ok) / float64(max(testSet.Len(), 1))
	q.Meta = zk.Meta{FloatAccBP: uint32(floatAcc*10000 + 0.5), QuantAccBP: uint32(quantAcc*10000 + 0.5)}
	b, err := q.MarshalBinary()
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	cm, id := q.Commitment(), q.Arch.CircuitID()
	res := importResult{In: in, Out: out, Arch: q.Arch.String(), Task: spec.Name, FloatAcc: floatAcc, QuantAcc: quantAcc,
		Commitment: fmt.Sprintf("%x", cm), CircuitID: fmt.Sprintf("%x", id), Bytes: len(b)}
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "imported %s as %s (task %s)\nwrote %s (%d bytes)\nfloat test accuracy:     %.2f%%\nquantized test accuracy: %.2f%%\nmodel commitment: %s\ncircuit id:       %s\n",
			in, res.Arch, res.Task, out, res.Bytes, 100*floatAcc, 100*quantAcc, res.Commitment, res.CircuitID)
		return err
	})
}
