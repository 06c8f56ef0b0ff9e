package train

import (
	"bytes"
	"testing"

	"github.com/veritensor/veritensor/internal/mnist"
	"github.com/veritensor/veritensor/zk"
)

// TestTrainDeterministicAndLearns trains 300 steps on real MNIST twice with
// the same seed (identical model files), once with another seed (a different
// model), and checks that accuracy rises from chance to well above it, both
// in float and after quantization.
func TestTrainDeterministicAndLearns(t *testing.T) {
	tr, te, err := mnist.Load("")
	if err != nil {
		t.Fatal(err)
	}
	test := Data(te.Head(2000))
	a, _ := zk.ParseArch("784-32-10")
	run := func(seed uint64) (*MLP, []byte, float64) {
		var last Progress
		m, err := Train(Config{Arch: a, Seed: seed, Steps: 300}, Data(tr), func(p Progress) { last = p })
		if err != nil {
			t.Fatal(err)
		}
		if last.Step != 300 || last.Steps != 300 {
			t.Fatalf("progress ended at %+v", last)
		}
		q, err := Quantize(m, Data(tr.Head(1000)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := q.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		acc, err := QuantAccuracy(q, test)
		if err != nil {
			t.Fatal(err)
		}
		return m, b, acc
	}
	untrained, err := Train(Config{Arch: a, Seed: 1, Steps: 1, LR: 1e-9}, Data(tr.Head(32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	m1, b1, q1 := run(1)
	_, b2, _ := run(1)
	_, b3, _ := run(2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("same seed, different models")
	}
	if bytes.Equal(b1, b3) {
		t.Fatal("different seeds, same model")
	}
	f0, f1 := untrained.Accuracy(test), m1.Accuracy(test)
	t.Logf("accuracy on 2000 test images: untrained %.3f, 300 steps float %.3f quantized %.3f", f0, f1, q1)
	if f0 > 0.3 || f1 < 0.85 || q1 < 0.85 {
		t.Fatalf("training did not learn: untrained %.3f, float %.3f, quantized %.3f", f0, f1, q1)
	}
}

func TestTrainRejectsBadData(t *testing.T) {
	a, _ := zk.ParseArch("4-2")
	if _, err := Train(Config{Arch: a}, Data{}, nil); err == nil {
		t.Fatal("empty data accepted")
	}
	if _, err := Train(Config{Arch: a}, Data{Images: [][]byte{{1, 2, 3}}, Labels: []uint8{0}}, nil); err == nil {
		t.Fatal("short image accepted")
	}
	if _, err := Train(Config{Arch: a}, Data{Images: [][]byte{{1, 2, 3, 4}}, Labels: []uint8{2}}, nil); err == nil {
		t.Fatal("label out of range accepted")
	}
}

// TestTrainCNNDeterministicAndLearns trains a tiny CNN (strided conv, max
// pooling) for 150 steps on real MNIST twice with one seed (identical model
// files) and checks that float and quantized accuracy rise far above chance.
func TestTrainCNNDeterministicAndLearns(t *testing.T) {
	tr, te, err := mnist.Load("")
	if err != nil {
		t.Fatal(err)
	}
	test := Data(te.Head(1000))
	a, err := zk.ParseArch("28x28-c4k5s2-mp2-10")
	if err != nil {
		t.Fatal(err)
	}
	run := func() (*CNN, []byte, float64) {
		m, err := TrainCNN(Config{Arch: a, Seed: 3, Steps: 150}, Data(tr), nil)
		if err != nil {
			t.Fatal(err)
		}
		q, err := QuantizeCNN(m, Data(tr.Head(500)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := q.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		acc, err := QuantAccuracy(q, test)
		if err != nil {
			t.Fatal(err)
		}
		return m, b, acc
	}
	m1, b1, q1 := run()
	_, b2, _ := run()
	if !bytes.Equal(b1, b2) {
		t.Fatal("same seed, different CNN models")
	}
	f1 := m1.Accuracy(test)
	t.Logf("tiny CNN, 150 steps, 1000 test images: float %.3f quantized %.3f", f1, q1)
	if f1 < 0.8 || q1 < 0.8 {
		t.Fatalf("CNN training did not learn: float %.3f, quantized %.3f", f1, q1)
	}
	if _, err := Train(Config{Arch: a}, Data(tr.Head(1)), nil); err == nil {
		t.Fatal("Train (MLP) accepted a CNN architecture")
	}
}

// TestTrainModelRecordsMeta: the pipeline counts its steps from the data it
// is given (the CLI once assumed 60,000 training images), records seed,
// steps and both accuracies in the model, and is deterministic for a seed.
func TestTrainModelRecordsMeta(t *testing.T) {
	a, _ := zk.ParseArch("49-16-10")
	d := Data{}
	for i := range 100 {
		img := make([]byte, 49)
		for j := range img {
			img[j] = byte((i*31 + j*7) % 256)
		}
		d.Images, d.Labels = append(d.Images, img), append(d.Labels, uint8(i%10))
	}
	cfg := Config{Arch: a, Seed: 3, Epochs: 2}
	r1, err := TrainModel(cfg, d, d.Head(40), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * ((100 + 31) / 32); r1.Steps != want || r1.Model.Meta.Steps != uint32(want) {
		t.Fatalf("steps %d, meta %d, want %d", r1.Steps, r1.Model.Meta.Steps, want)
	}
	if m := r1.Model.Meta; m.Seed != 3 || m.FloatAccBP != basisPoints(r1.FloatAccuracy) || m.QuantAccBP != basisPoints(r1.QuantAccuracy) {
		t.Fatalf("meta %+v for %+v", m, r1)
	}
	r2, err := TrainModel(cfg, d, d.Head(40), nil)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := r1.Model.MarshalBinary()
	b2, _ := r2.Model.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Fatal("same seed, different models")
	}
	if _, err := TrainModel(Config{Arch: a}, Data{}, d, nil); err == nil {
		t.Fatal("empty training set accepted")
	}
}
