package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/internal/progress"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/train"
)

var mnistDirFlag = &cli.StringFlag{
	Name:  "mnist-dir",
	Usage: "directory holding MNIST's *-ubyte.gz files (default: $VERITENSOR_MNIST_DIR, then where 'veritensor data fetch' installs them)",
}

func init() {
	commands = append(commands, &cli.Command{
		Name:  "model",
		Usage: "train, evaluate and inspect quantized models (.vtm)",
		Subcommands: []*cli.Command{
			{
				Name:  "train",
				Usage: "train a float MLP or CNN on MNIST, quantize it to int8 and write a .vtm model",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dataset", Value: "mnist", Usage: "training data set (only mnist)"},
					&cli.StringFlag{Name: "arch", Value: "784-64-10", Usage: "architecture: MLP layer sizes, input first (784-64-10), or a CNN (28x28-c8k5-mp2-c16k5-mp2-10; docs/zk.md)"},
					&cli.StringFlag{Name: "out", Value: "model.vtm", Usage: "output model file"},
					&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed for initialisation and shuffling (same seed, same model)"},
					&cli.IntFlag{Name: "epochs", Value: 15, Usage: "passes over the 60,000 training images"},
					&cli.IntFlag{Name: "steps", Usage: "total SGD steps of 32 images (overrides --epochs when > 0)"},
					&cli.Float64Flag{Name: "lr", Value: 0.05, Usage: "initial learning rate (cosine decay to 0)"},
					mnistDirFlag, outputFlag,
				},
				Action: modelTrain,
			},
			{
				Name:  "eval",
				Usage: "report a model's quantized accuracy on the 10,000 MNIST test images (and its recorded float accuracy)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "model", Required: true, Usage: "model file (.vtm)"},
					&cli.IntFlag{Name: "limit", Usage: "evaluate only the first N test images (0: all)"},
					mnistDirFlag, outputFlag,
				},
				Action: modelEval,
			},
			{
				Name:  "inspect",
				Usage: "print a model's architecture, shifts, commitment and circuit ID",
				Description: "The commitment is the one a miner serving the model registers under --scheme. Under the hash\n" +
					"scheme it is the Poseidon2 hash of the weights. Under the commit scheme it is the model point, which\n" +
					"depends on the subnet's proving key: give it with --pk, or have the subnet's keys in --keys-dir.",
				Flags: []cli.Flag{&cli.StringFlag{Name: "model", Required: true, Usage: "model file (.vtm)"}, schemeFlag,
					&cli.StringFlag{Name: "pk", Usage: "--scheme commit: the subnet's proving key file (default: the cached commit-circuit key of the model's architecture in --keys-dir)"},
					keysDirFlag, outputFlag},
				Action: modelInspect,
			},
			modelImportCommand,
		},
	})
}

// stageTimer prints named stages of a long command (setup, proving) with
// the time elapsed, one line each (readable on a terminal and in logs).
type stageTimer struct {
	w     io.Writer
	start time.Time
}

func newStageTimer(w io.Writer) *stageTimer { return &stageTimer{w: w, start: time.Now()} }

// stage prints a named stage with the elapsed time (for setup and proving).
func (p *stageTimer) stage(name string) {
	fmt.Fprintf(p.w, "%8s  %s\n", time.Since(p.start).Round(10*time.Millisecond), name)
}

type trainResult struct {
	Out        string  `json:"out"`
	Arch       string  `json:"arch"`
	Seed       uint64  `json:"seed"`
	Steps      int     `json:"steps"`
	FloatAcc   float64 `json:"float_test_accuracy"`
	QuantAcc   float64 `json:"quantized_test_accuracy"`
	Commitment string  `json:"model_commitment"`
	Bytes      int     `json:"bytes"`
}

func modelTrain(c *cli.Context) error {
	if d := c.String("dataset"); d != "mnist" {
		return fmt.Errorf("unknown dataset %q (only mnist)", d)
	}
	a, err := zk.ParseArch(c.String("arch"))
	if err != nil {
		return err
	}
	trainSet, testSet, err := mnist.Load(c.String("mnist-dir"))
	if err != nil {
		return err
	}
	cfg := train.Config{Arch: a, Seed: c.Uint64("seed"), Epochs: c.Int("epochs"), Steps: c.Int("steps"), LR: c.Float64("lr")}
	if a.Inputs() == 49 { // the small architectures take 4x4-pooled 7x7 images, as the validator's mnist-7x7
		trainSet, testSet = trainSet.Map(task.Pool4x4), testSet.Map(task.Pool4x4)
	} else if a.Inputs() != 784 {
		return fmt.Errorf("arch %s: MNIST gives 784 inputs (28x28) or, pooled, 49 (7x7); not %d", a, a.Inputs())
	}
	bar := progress.New(c.App.ErrWriter, "train "+a.String())
	report := func(p train.Progress) {
		bar.Update(p.Step, p.Steps, fmt.Sprintf("epoch %d loss %.4f", p.Epoch, p.Loss))
	}
	tr, err := train.TrainModel(cfg, train.Data(trainSet), train.Data(testSet), report)
	if err != nil {
		return err
	}
	res, err := writeModel(c.String("out"), tr, cfg.Seed)
	if err != nil {
		return err
	}
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "wrote %s (%s, %d bytes, seed %d, %d steps)\nfloat test accuracy:     %.2f%%\nquantized test accuracy: %.2f%%\nmodel commitment: %s\n",
			res.Out, res.Arch, res.Bytes, res.Seed, res.Steps, 100*res.FloatAcc, 100*res.QuantAcc, res.Commitment)
		return err
	})
}

// writeModel writes a trained model (its Meta already recorded by
// train.TrainModel) to out.
func writeModel(out string, tr *train.Result, seed uint64) (trainResult, error) {
	b, err := tr.Model.MarshalBinary()
	if err != nil {
		return trainResult{}, err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return trainResult{}, err
	}
	cm := tr.Model.Commitment()
	return trainResult{Out: out, Arch: tr.Model.Arch.String(), Seed: seed, Steps: tr.Steps, FloatAcc: tr.FloatAccuracy,
		QuantAcc: tr.QuantAccuracy, Commitment: fmt.Sprintf("%x", cm), Bytes: len(b)}, nil
}

func loadModel(path string) (*zk.Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := zk.UnmarshalModel(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

type evalResult struct {
	Model            string  `json:"model"`
	Arch             string  `json:"arch"`
	Images           int     `json:"images"`
	QuantAcc         float64 `json:"quantized_test_accuracy"`
	RecordedFloatAcc float64 `json:"recorded_float_test_accuracy"`
	RecordedQuantAcc float64 `json:"recorded_quantized_test_accuracy"`
}

func modelEval(c *cli.Context) error {
	m, err := loadModel(c.String("model"))
	if err != nil {
		return err
	}
	test, err := mnist.LoadTest(c.String("mnist-dir"))
	if err != nil {
		return err
	}
	test = test.Head(c.Int("limit"))
	if m.Arch.Inputs() == 49 {
		test = test.Map(task.Pool4x4)
	}
	acc, err := train.QuantAccuracy(m, train.Data(test))
	if err != nil {
		return err
	}
	res := evalResult{Model: c.String("model"), Arch: m.Arch.String(), Images: test.Len(), QuantAcc: acc,
		RecordedFloatAcc: float64(m.Meta.FloatAccBP) / 10000, RecordedQuantAcc: float64(m.Meta.QuantAccBP) / 10000}
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s (%s) on %d MNIST test images\nquantized accuracy: %.2f%% (measured now, integer inference)\nfloat accuracy:     %.2f%% (recorded at training)\n",
			res.Model, res.Arch, res.Images, 100*res.QuantAcc, 100*res.RecordedFloatAcc)
		return err
	})
}

type inspectModelResult struct {
	Arch       string  `json:"arch"`
	Scheme     string  `json:"scheme"`
	CircuitID  string  `json:"circuit_id"`
	Commitment string  `json:"model_commitment"`
	Weights    int     `json:"weights"`
	Biases     int     `json:"biases"`
	Shifts     []uint8 `json:"shifts"`
	Meta       zk.Meta `json:"meta"`
}

func modelInspect(c *cli.Context) error {
	m, err := loadModel(c.String("model"))
	if err != nil {
		return err
	}
	s, err := schemeArg(c)
	if err != nil {
		return err
	}
	id := s.CircuitID(m.Arch)
	cm := m.Commitment()
	if s == zk.SchemeCommit {
		if cm, err = modelPoint(c, m); err != nil {
			return err
		}
	}
	res := inspectModelResult{Arch: m.Arch.String(), Scheme: s.String(), CircuitID: fmt.Sprintf("%x", id), Commitment: fmt.Sprintf("%x", cm),
		Weights: m.Arch.NumWeights(), Biases: m.Arch.NumBiases(), Meta: m.Meta}
	for _, l := range append(append([]zk.Layer(nil), m.Convs...), m.Layers[:len(m.Layers)-1]...) {
		res.Shifts = append(res.Shifts, l.Shift) // conv layers', then hidden dense layers'
	}
	return render(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "arch:        %s\nscheme:      %s\ncircuit id:  %s\ncommitment:  %s\nweights:     %d int8\nbiases:      %d int32\nshifts:      %v\ntrained:     seed %d, %d steps, float %.2f%%, quantized %.2f%%\n",
			res.Arch, res.Scheme, res.CircuitID, res.Commitment, res.Weights, res.Biases, res.Shifts, m.Meta.Seed, m.Meta.Steps,
			float64(m.Meta.FloatAccBP)/100, float64(m.Meta.QuantAccBP)/100)
		return err
	})
}

// modelPoint is m's model point under the commit scheme, made with the
// proving key of --pk or the commit-circuit key of m's architecture cached
// in --keys-dir (never a fresh setup: another key gives another point).
func modelPoint(c *cli.Context, m *zk.Model) ([32]byte, error) {
	var pk []byte
	if path := c.String("pk"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return [32]byte{}, fmt.Errorf("--pk: %w", err)
		}
		pk = b
	} else {
		kc, err := keycache.New(c.String("keys-dir"))
		if err != nil {
			return [32]byte{}, err
		}
		k, err := kc.LoadScheme(zk.SchemeCommit, m.Arch)
		if err != nil {
			return [32]byte{}, fmt.Errorf("the model point depends on the subnet's proving key: pass --pk FILE, or put the subnet's "+
				"keys in --keys-dir (`veritensor ceremony verify --subnet N --node URL` verifies them and prints their directory): %w", err)
		}
		pk = k.PK
	}
	p, err := zk.NewSingleProver(zk.SchemeCommit, m.Arch, pk)
	if err != nil {
		return [32]byte{}, err
	}
	return p.ModelCommitment(m)
}
