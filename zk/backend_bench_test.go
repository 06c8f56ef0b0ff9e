package zk_test

import (
	"testing"

	"github.com/veritensor/veritensor/zk"
)

// BenchmarkProveGPU is BenchmarkProve on the ICICLE GPU prover (CUDA device
// 0). It needs a binary built with -tags icicle and a GPU; elsewhere it is
// skipped. scripts/gpu-check.sh runs it next to BenchmarkProve.
func BenchmarkProveGPU(b *testing.B) {
	if !zk.GPUBuild {
		b.Skip("built without -tags icicle (make build-gpu): no GPU prover")
	}
	k := benchKeys(b)
	p, err := zk.NewProver(k.arch, k.pk, zk.WithGPU())
	if err != nil {
		b.Fatal(err)
	}
	m := zk.RandomTestModel(b, k.arch, 1)
	x := zk.ChallengeInput([32]byte{9}, 1, k.arch.Inputs())
	// The first proof copies the proving key to the device; keep it out of
	// the timing, and check that GPU proofs verify.
	proof, pub, err := p.Prove(m, x, zk.Binding{Epoch: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := k.ver.Verify(proof, pub); err != nil {
		b.Fatalf("GPU proof rejected: %v", err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := p.Prove(m, x, zk.Binding{Epoch: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.NbConstraints()), "constraints")
}
