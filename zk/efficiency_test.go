package zk_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/veritensor/veritensor/zk"
)

// baselineCircuit is the reference R1CS of the prover-efficiency ratio
// (issue 17): n constraints P_i = X_i * Y_i and one more, sum P_i = S, over
// private X, Y. Plain gnark Groth16, no commitment. Its cost depends on the
// witness: small non-negative values make every wire a small scalar in
// gnark's multi-scalar multiplications, negative ones full-size field
// elements (p - |v|).
type baselineCircuit struct {
	S    frontend.Variable `gnark:",public"`
	X, Y []frontend.Variable
}

func (c *baselineCircuit) Define(api frontend.API) error {
	terms := make([]frontend.Variable, len(c.X))
	for i := range c.X {
		terms[i] = api.Mul(c.X[i], c.Y[i])
	}
	// The long sum goes second, into C, as in our circuit.
	api.AssertIsEqual(c.S, api.Add(terms[0], terms[1], terms[2:]...))
	return nil
}

// baseline is the compiled reference circuit of n constraints with its keys
// (a single-party setup: the key's origin does not change the prover's work).
type baseline struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	// nonneg: X in 0..127, Y in 0..255; int8: X, Y in -128..127.
	nonneg, int8 witness.Witness
}

func newBaseline(tb testing.TB, n int) baseline {
	tb.Helper()
	shape := &baselineCircuit{X: make([]frontend.Variable, n-1), Y: make([]frontend.Variable, n-1)}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, shape, frontend.WithCompressThreshold(0))
	if err != nil {
		tb.Fatal(err)
	}
	pk := baselineKey(tb, ccs, n)
	r := rand.New(rand.NewPCG(1, 2))
	mk := func(lo, xs, ys int) witness.Witness {
		a := &baselineCircuit{X: make([]frontend.Variable, n-1), Y: make([]frontend.Variable, n-1)}
		var s int64
		for i := range a.X {
			x, y := int64(lo+r.IntN(xs)), int64(lo+r.IntN(ys))
			a.X[i], a.Y[i] = x, y
			s += x * y
		}
		a.S = s
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			tb.Fatal(err)
		}
		return w
	}
	return baseline{ccs: ccs, pk: pk, nonneg: mk(0, 128, 256), int8: mk(-128, 256, 256)}
}

// baselineKey is a single-party proving key of the baseline circuit of n
// constraints, kept between runs under $TMPDIR/veritensor-bench-keys.
func baselineKey(tb testing.TB, ccs constraint.ConstraintSystem, n int) groth16.ProvingKey {
	tb.Helper()
	path := filepath.Join(os.TempDir(), "veritensor-bench-keys", fmt.Sprintf("baseline-%d.pk", n))
	if b, err := os.ReadFile(path); err == nil {
		pk := groth16.NewProvingKey(ecc.BN254)
		if _, err := pk.UnsafeReadFrom(bytes.NewReader(b)); err == nil {
			return pk
		}
	}
	pk, _, err := zk.TestSetup(ccs)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := pk.WriteRawTo(&buf); err == nil && os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		_ = os.WriteFile(path+".tmp", buf.Bytes(), 0o644)
		_ = os.Rename(path+".tmp", path)
	}
	return pk
}

// BenchmarkEfficiency measures, interleaved in one loop, our single proof
// (Prover.Prove of VERITENSOR_BENCH_ARCH, default 784-64-10: circuit version
// 3, "before"), the batch circuit with k = 1 (BatchProver, offset wires,
// "after"; two constraints more), and plain gnark Groth16 on the baseline
// R1CS with the single circuit's number of constraints, with small
// non-negative and with signed int8 values. It reports each time per proof
// and the efficiency ratios ours / baseline (non-negative).
func BenchmarkEfficiency(b *testing.B) {
	k := benchKeys(b)
	m := zk.RandomTestModel(b, k.arch, 1)
	x := zk.ChallengeInput([32]byte{9}, 1, k.arch.Inputs())
	bpk, _ := batchBenchKeys(b, k.arch, 1)
	bp, err := zk.NewBatchProver(k.arch, 1, bpk)
	if err != nil {
		b.Fatal(err)
	}
	bpk = nil
	base := newBaseline(b, k.prover.NbConstraints())
	if base.ccs.GetNbConstraints() != k.prover.NbConstraints() {
		b.Fatalf("baseline has %d constraints, ours %d", base.ccs.GetNbConstraints(), k.prover.NbConstraints())
	}
	// Wall and process CPU time (user+sys) of each prover, interleaved so
	// that load from other processes hits all four alike; CPU time is the
	// figure a shared machine distorts least.
	wall, cpu := interleave(b,
		func() error { _, _, err := k.prover.Prove(m, x, zk.Binding{Epoch: 1}); return err },
		func() error { _, err := groth16.Prove(base.ccs, base.pk, base.nonneg); return err },
		func() error { _, err := groth16.Prove(base.ccs, base.pk, base.int8); return err },
		func() error { _, _, err := bp.Prove(m, [][]int8{x}, zk.Binding{Epoch: 1}); return err },
	)
	ours, nonneg, signed, batch1 := wall[0], wall[1], wall[2], wall[3]
	b.ReportMetric(ours, "ours-s")
	b.ReportMetric(nonneg, "baseline-nonneg-s")
	b.ReportMetric(signed, "baseline-int8-s")
	b.ReportMetric(ours/nonneg, "ratio")
	b.ReportMetric(batch1, "batch1-s")
	b.ReportMetric(batch1/nonneg, "batch1-ratio")
	b.ReportMetric(signed/nonneg, "int8/nonneg")
	b.ReportMetric(float64(k.prover.NbConstraints()), "constraints")
	b.ReportMetric(cpu[0], "ours-cpu-s")
	b.ReportMetric(cpu[1], "baseline-nonneg-cpu-s")
	b.ReportMetric(cpu[2], "baseline-int8-cpu-s")
	b.ReportMetric(cpu[3], "batch1-cpu-s")
	b.ReportMetric(cpu[0]/cpu[1], "cpu-ratio")
	b.ReportMetric(cpu[3]/cpu[1], "batch1-cpu-ratio")
}

// BenchmarkEfficiencyBatch is BenchmarkEfficiency for the batch circuits
// of VERITENSOR_BENCH_BATCH sizes (default 4 and 16): each batch proof
// against plain gnark Groth16 on the non-negative baseline R1CS with the
// same number of constraints, interleaved, in wall and CPU time.
func BenchmarkEfficiencyBatch(b *testing.B) {
	a := benchArch(b)
	m := zk.RandomTestModel(b, a, 1)
	sizes := batchSizes()
	if os.Getenv("VERITENSOR_BENCH_BATCH") == "" {
		sizes = []int{4, 16}
	}
	for _, k := range sizes {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			pk, _ := batchBenchKeys(b, a, k)
			p, err := zk.NewBatchProver(a, k, pk)
			if err != nil {
				b.Fatal(err)
			}
			pk = nil
			base := newBaseline(b, p.NbConstraints())
			xs := make([][]int8, k)
			for j := range xs {
				xs[j] = zk.ChallengeInput([32]byte{9}, uint32(j), a.Inputs())
			}
			wall, cpu := interleave(b,
				func() error { _, _, err := p.Prove(m, xs, zk.Binding{Epoch: 1}); return err },
				func() error { _, err := groth16.Prove(base.ccs, base.pk, base.nonneg); return err },
			)
			b.ReportMetric(wall[0], "batch-s")
			b.ReportMetric(wall[1], "baseline-nonneg-s")
			b.ReportMetric(cpu[0], "batch-cpu-s")
			b.ReportMetric(cpu[1], "baseline-nonneg-cpu-s")
			b.ReportMetric(wall[0]/wall[1], "ratio")
			b.ReportMetric(cpu[0]/cpu[1], "cpu-ratio")
			b.ReportMetric(float64(p.NbConstraints()), "constraints")
		})
	}
}

// commitBenchKeys are single-party keys of a's commit circuit, kept between
// runs under $TMPDIR/veritensor-bench-keys (as batchBenchKeys).
func commitBenchKeys(tb testing.TB, a zk.Arch) []byte {
	tb.Helper()
	id := zk.CommitCircuitID(a)
	path := filepath.Join(os.TempDir(), "veritensor-bench-keys", fmt.Sprintf("commit-%x.pk", id[:8]))
	if pk, err := os.ReadFile(path); err == nil {
		return pk
	}
	pk, _, err := zk.SetupCommit(a)
	if err != nil {
		tb.Fatal(err)
	}
	if os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		_ = os.WriteFile(path+".tmp", pk, 0o644)
		_ = os.Rename(path+".tmp", path)
	}
	return pk
}

// BenchmarkEfficiencyCommit measures, interleaved in one loop, the commit
// circuit (single inference, model bound by the proof's Pedersen
// commitment; docs/zk.md "Commit circuit"), plain gnark Groth16 on the
// non-negative baseline R1CS with the commit circuit's number of
// constraints, and, for the absolute comparison, today's single proof
// (circuit version 3). The efficiency ratio is the commit circuit's time
// over its baseline's, in wall and in CPU time.
func BenchmarkEfficiencyCommit(b *testing.B) {
	k := benchKeys(b)
	m := zk.RandomTestModel(b, k.arch, 1)
	x := zk.ChallengeInput([32]byte{9}, 1, k.arch.Inputs())
	cp, err := zk.NewCommitProver(k.arch, commitBenchKeys(b, k.arch))
	if err != nil {
		b.Fatal(err)
	}
	base := newBaseline(b, cp.NbConstraints())
	wall, cpu := interleave(b,
		func() error { _, _, err := cp.Prove(m, x, zk.Binding{Epoch: 1}); return err },
		func() error { _, err := groth16.Prove(base.ccs, base.pk, base.nonneg); return err },
		func() error { _, _, err := k.prover.Prove(m, x, zk.Binding{Epoch: 1}); return err },
	)
	b.ReportMetric(wall[0], "commit-s")
	b.ReportMetric(wall[1], "baseline-nonneg-s")
	b.ReportMetric(wall[2], "v3-s")
	b.ReportMetric(cpu[0], "commit-cpu-s")
	b.ReportMetric(cpu[1], "baseline-nonneg-cpu-s")
	b.ReportMetric(cpu[2], "v3-cpu-s")
	b.ReportMetric(wall[0]/wall[1], "ratio")
	b.ReportMetric(cpu[0]/cpu[1], "cpu-ratio")
	b.ReportMetric(cpu[2]/cpu[0], "v3/commit-cpu")
	b.ReportMetric(float64(cp.NbConstraints()), "constraints")
	b.ReportMetric(float64(k.prover.NbConstraints()), "v3-constraints")
}

// interleave runs the provers one after the other in every benchmark
// iteration, so that load from other processes hits them alike, and returns
// each one's mean wall and process CPU time (user+sys) per proof, in
// seconds: CPU time is the figure a shared machine distorts least.
func interleave(b *testing.B, provers ...func() error) (wall, cpu []float64) {
	b.Helper()
	wd := make([]time.Duration, len(provers))
	cd := make([]time.Duration, len(provers))
	n := 0
	b.ResetTimer()
	for b.Loop() {
		for i, prove := range provers {
			t0, c0 := time.Now(), cpuTime()
			if err := prove(); err != nil {
				b.Fatal(err)
			}
			wd[i] += time.Since(t0)
			cd[i] += cpuTime() - c0
		}
		n++
	}
	wall, cpu = make([]float64, len(provers)), make([]float64, len(provers))
	for i := range provers {
		wall[i], cpu[i] = wd[i].Seconds()/float64(n), cd[i].Seconds()/float64(n)
	}
	return wall, cpu
}
