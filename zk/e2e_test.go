package zk_test

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/internal/keycache/keycachetest"
	"github.com/veritensor/veritensor/zk"
)

// e2eKeys is one architecture's keys, parsed.
type e2eKeys struct {
	arch   zk.Arch
	pk, vk []byte
	prover *zk.Prover
	ver    *zk.Verifier
}

var (
	e2eMu    sync.Mutex
	e2eCache = map[string]e2eKeys{}
)

// sharedKeys returns a's keys from the machine-wide key cache
// (keycachetest.Get: set up once per machine, shared by every test package
// and waited for across processes), with a prover and verifier built once
// per test binary.
func sharedKeys(t testing.TB, a zk.Arch) e2eKeys {
	t.Helper()
	e2eMu.Lock()
	defer e2eMu.Unlock()
	if k, ok := e2eCache[a.String()]; ok {
		return k
	}
	ks := keycachetest.Get(t, a)
	p, err := zk.NewProver(a, ks.PK)
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewVerifier(ks.VK)
	if err != nil {
		t.Fatal(err)
	}
	k := e2eKeys{arch: a, pk: ks.PK, vk: ks.VK, prover: p, ver: v}
	e2eCache[a.String()] = k
	return k
}

// TestEndToEndMNIST784_64_10 is the one real proof of the production
// architecture: Groth16 setup, a proof of the shipped model on a real MNIST
// test image, verification, and rejection of the weaker model's commitment
// and of another epoch.
func TestEndToEndMNIST784_64_10(t *testing.T) {
	if testing.Short() {
		t.Skip("a first 784-64-10 setup takes tens of seconds; the small-architecture tests cover the same gadgets")
	}
	k := sharedKeys(t, zk.MustArch(t, "784-64-10"))
	m := zk.ShippedModel(t, "mnist-784-64-10.vtm")
	weak := zk.ShippedModel(t, "mnist-784-64-10-weak.vtm")
	img := zk.MnistTest(t).Images[0]
	label := zk.MnistTest(t).Labels[0]
	b := zk.Binding{HotkeyHash: zk.HotkeyHash([]byte("miner")), Epoch: 99}
	start := time.Now()
	proof, pub, err := k.prover.Prove(m, zk.QuantizeImage(img), b)
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
	if err := k.ver.Verify(proof, p); !errors.Is(err, zk.ErrProofInvalid) {
		t.Fatalf("weak model's commitment: %v", err)
	}
	p = pub
	p.Epoch = 100
	if err := k.ver.Verify(proof, p); !errors.Is(err, zk.ErrProofInvalid) {
		t.Fatalf("another epoch: %v", err)
	}
	// The per-epoch proof of model on the chain's challenge input.
	ch := zk.ChallengeInput([32]byte{1, 2, 3}, 5, 784)
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
func benchArch(b *testing.B) zk.Arch {
	s := os.Getenv("VERITENSOR_BENCH_ARCH")
	if s == "" {
		s = "784-64-10"
	}
	return zk.MustArch(b, s)
}

func benchKeys(b *testing.B) e2eKeys { return sharedKeys(b, benchArch(b)) }

func BenchmarkSetup(b *testing.B) {
	a := benchArch(b)
	for b.Loop() {
		pk, vk, err := zk.Setup(a, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(pk)), "pk-bytes")
		b.ReportMetric(float64(len(vk)), "vk-bytes")
	}
}

func BenchmarkProve(b *testing.B) {
	k := benchKeys(b)
	m := zk.RandomTestModel(b, k.arch, 1)
	x := zk.ChallengeInput([32]byte{9}, 1, k.arch.Inputs())
	b.ResetTimer()
	cpu0, n := cpuTime(), 0
	for b.Loop() {
		proof, _, err := k.prover.Prove(m, x, zk.Binding{Epoch: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(proof)), "proof-bytes")
		n++
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(n), "cpu-ms/op")
	b.ReportMetric(float64(k.prover.NbConstraints()), "constraints")
}

func BenchmarkVerify(b *testing.B) {
	k := benchKeys(b)
	m := zk.RandomTestModel(b, k.arch, 1)
	proof, pub, err := k.prover.Prove(m, zk.ChallengeInput([32]byte{9}, 1, k.arch.Inputs()), zk.Binding{Epoch: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0, n := cpuTime(), 0
	for b.Loop() {
		if err := k.ver.Verify(proof, pub); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-us/op")
}

func BenchmarkInferNative(b *testing.B) {
	m := zk.RandomTestModel(b, benchArch(b), 1)
	x := zk.ChallengeInput([32]byte{9}, 1, m.Arch.Inputs())
	for b.Loop() {
		if _, _, err := m.Infer(x); err != nil {
			b.Fatal(err)
		}
	}
}
