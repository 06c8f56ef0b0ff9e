package zk

import (
	"os"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
)

// shippedCNN is the LeNet-style CNN trained in Go (veritensor model train
// --arch 28x28-c8k5-mp2-c16k5-mp2-10 --epochs 3 --seed 1).
const shippedCNN = "mnist-cnn-28x28-c8k5-mp2-c16k5-mp2-10.vtm"

// TestShippedCNNAccuracy: the shipped CNN's integer inference reaches
// 98.5% on the 10,000 real MNIST test images, as recorded in its file.
func TestShippedCNNAccuracy(t *testing.T) {
	m := shippedModel(t, shippedCNN)
	if m.Arch.String() != "28x28-c8k5-mp2-c16k5-mp2-10" {
		t.Fatalf("shipped CNN is %s", m.Arch)
	}
	test := mnistTest(t)
	xs := make([][]int8, test.Len())
	for i, img := range test.Images {
		xs[i] = QuantizeImage(img)
	}
	got, err := m.InferBatch(xs)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for i, c := range got {
		if c == uint32(test.Labels[i]) {
			ok++
		}
	}
	bp := uint32(ok * 10000 / len(got))
	t.Logf("shipped CNN: %d/%d = %.2f%% quantized test accuracy (recorded %d bp, float %d bp)", ok, len(got), float64(ok)*100/float64(len(got)), m.Meta.QuantAccBP, m.Meta.FloatAccBP)
	if ok*1000 < 985*len(got) {
		t.Fatalf("quantized accuracy %d/%d below 98.5%%", ok, len(got))
	}
	if d := int(bp) - int(m.Meta.QuantAccBP); d < -1 || d > 1 {
		t.Fatalf("measured %d bp, file records %d", bp, m.Meta.QuantAccBP)
	}
}

// TestCNNNativeEqualsCircuitOnMNIST compiles the real CNN circuit with the
// logits exposed and checks with gnark's solver that native inference of the
// shipped CNN on real MNIST test images satisfies it bit for bit (class and
// every logit), and that a changed logit or class does not.
//
// The circuit has ~509k constraints: compiling and solving costs about two
// CPU-minutes, so it runs in `make test-cnn` (VERITENSOR_CNN_TESTS=1), not in
// `make test`; the small CNNs of TestCNNCircuitSoundness exercise the same
// gadgets there.
func TestCNNNativeEqualsCircuitOnMNIST(t *testing.T) {
	if os.Getenv("VERITENSOR_CNN_TESTS") == "" {
		t.Skip("set VERITENSOR_CNN_TESTS=1 (make test-cnn): the full CNN circuit costs about two CPU-minutes")
	}
	m := shippedModel(t, shippedCNN)
	ccs, err := compile(m.Arch, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s with logits: %d constraints", m.Arch, ccs.GetNbConstraints())
	test := mnistTest(t)
	n := 4
	if testing.Short() {
		n = 1
	}
	for i := range n {
		x := QuantizeImage(test.Images[i])
		asg, pub, err := assign(m, x, Binding{HotkeyHash: HotkeyHash([]byte("hotkey")), Epoch: 3}, true)
		if err != nil {
			t.Fatal(err)
		}
		w, err := frontend.NewWitness(asg, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		if err := ccs.IsSolved(w); err != nil {
			t.Fatalf("image %d: native inference does not satisfy the circuit: %v", i, err)
		}
		if pub.Output != uint32(test.Labels[i]) {
			t.Logf("image %d: class %d, label %d", i, pub.Output, test.Labels[i])
		}
		if i == 0 {
			asg.Logits[3] = asg.Logits[3].(int64) - 1
			w, _ = frontend.NewWitness(asg, ecc.BN254.ScalarField())
			if ccs.IsSolved(w) == nil {
				t.Fatal("circuit accepts a wrong logit")
			}
			asg.Logits[3] = asg.Logits[3].(int64) + 1
			asg.Output = (pub.Output + 1) % 10
			w, _ = frontend.NewWitness(asg, ecc.BN254.ScalarField())
			if ccs.IsSolved(w) == nil {
				t.Fatal("circuit accepts a wrong class")
			}
		}
	}
}
