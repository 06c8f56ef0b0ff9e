package zk

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	fullOnce sync.Once
	fullKeys keys
	fullErr  error
)

// fullSetup runs the real 784-64-10 setup once per test binary (tens of
// seconds on 2 cores).
func fullSetup(t testing.TB) keys {
	t.Helper()
	fullOnce.Do(func() { fullKeys, fullErr = setupKeys(mustArch(t, "784-64-10")) })
	if fullErr != nil {
		t.Fatal(fullErr)
	}
	return fullKeys
}

// TestEndToEndMNIST784_64_10 is the one real proof of the production
// architecture: Groth16 setup, a proof of the shipped model on a real MNIST
// test image, verification, and rejection of the weaker model's commitment
// and of another epoch.
func TestEndToEndMNIST784_64_10(t *testing.T) {
	if testing.Short() {
		t.Skip("784-64-10 setup takes tens of seconds; the small-architecture tests cover the same gadgets")
	}
	k := fullSetup(t)
	m := shippedModel(t, "mnist-784-64-10.vtm")
	weak := shippedModel(t, "mnist-784-64-10-weak.vtm")
	img := mnistTest(t).Images[0]
	label := mnistTest(t).Labels[0]
	b := Binding{HotkeyHash: HotkeyHash([]byte("miner")), Epoch: 99}
	start := time.Now()
	proof, pub, err := k.prover.Prove(m, QuantizeImage(img), b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("784-64-10: %d constraints, proof %d bytes, pk %d bytes, vk %d bytes, prove %v",
		k.prover.NbConstraints(), len(proof), len(k.pk), len(k.vk), time.Since(start))
	if pub.Output != uint32(label) {
		t.Fatalf("class %d, label %d", pub.Output, label)
	}
	if err := k.ver.Verify(proof, pub); err != nil {
		t.Fatal(err)
	}
	p := pub
	p.ModelCommitment = weak.Commitment()
	if err := k.ver.Verify(proof, p); !errors.Is(err, ErrProofInvalid) {
		t.Fatalf("weak model's commitment: %v", err)
	}
	p = pub
	p.Epoch = 100
	if err := k.ver.Verify(proof, p); !errors.Is(err, ErrProofInvalid) {
		t.Fatalf("another epoch: %v", err)
	}
	// The per-epoch proof of model on the chain's challenge input.
	ch := ChallengeInput([32]byte{1, 2, 3}, 5, 784)
	proof, pub, err = k.prover.Prove(weak, ch, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.ver.Verify(proof, pub); err != nil || pub.ModelCommitment != weak.Commitment() {
		t.Fatalf("challenge proof: %v", err)
	}
}

// benchArch lets `VERITENSOR_BENCH_ARCH=784-32-10 go test -bench .` measure
// other sizes.
func benchArch(b *testing.B) Arch {
	s := os.Getenv("VERITENSOR_BENCH_ARCH")
	if s == "" {
		s = "784-64-10"
	}
	return mustArch(b, s)
}

func benchKeys(b *testing.B) keys {
	a := benchArch(b)
	if a.String() == "784-64-10" {
		return fullSetup(b)
	}
	k, err := setupKeys(a)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func BenchmarkSetup(b *testing.B) {
	a := benchArch(b)
	for b.Loop() {
		pk, vk, err := Setup(a, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(pk)), "pk-bytes")
		b.ReportMetric(float64(len(vk)), "vk-bytes")
	}
}

func BenchmarkProve(b *testing.B) {
	k := benchKeys(b)
	m := randomModel(b, k.arch, 1)
	x := ChallengeInput([32]byte{9}, 1, k.arch.Inputs())
	b.ReportMetric(float64(k.prover.NbConstraints()), "constraints")
	b.ResetTimer()
	for b.Loop() {
		proof, _, err := k.prover.Prove(m, x, Binding{Epoch: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(proof)), "proof-bytes")
	}
}

func BenchmarkVerify(b *testing.B) {
	k := benchKeys(b)
	m := randomModel(b, k.arch, 1)
	proof, pub, err := k.prover.Prove(m, ChallengeInput([32]byte{9}, 1, k.arch.Inputs()), Binding{Epoch: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := k.ver.Verify(proof, pub); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInferNative(b *testing.B) {
	m := randomModel(b, benchArch(b), 1)
	x := ChallengeInput([32]byte{9}, 1, m.Arch.Inputs())
	for b.Loop() {
		if _, _, err := m.Infer(x); err != nil {
			b.Fatal(err)
		}
	}
}
