package zk_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veritensor/veritensor/zk"
)

// batchBenchKeys returns single-party keys of (a, k)'s batch circuit, kept
// between runs under $TMPDIR/veritensor-bench-keys (benchmarks only: the
// keys' origin does not change the prover's work; daemons take batch keys
// from a ceremony).
func batchBenchKeys(tb testing.TB, a zk.Arch, k int) (pk, vk []byte) {
	tb.Helper()
	id := zk.BatchCircuitID(a, k)
	dir := filepath.Join(os.TempDir(), "veritensor-bench-keys")
	base := filepath.Join(dir, hex.EncodeToString(id[:]))
	pk, err1 := os.ReadFile(base + ".pk")
	vk, err2 := os.ReadFile(base + ".vk")
	if err1 == nil && err2 == nil {
		return pk, vk
	}
	start := time.Now()
	pk, vk, err := zk.SetupBatch(a, k)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("setup of %s batch %d: %v", a, k, time.Since(start).Round(time.Second))
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(base+".pk.tmp", pk, 0o644)
		_ = os.Rename(base+".pk.tmp", base+".pk")
		_ = os.WriteFile(base+".vk", vk, 0o644)
	}
	return pk, vk
}

// peakHeap samples the memory the Go runtime holds (mapped, less what it
// returned to the OS: keys, witness, MSM buffers) every 10 ms until stop is
// called and returns the largest value seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64() - s[1].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// batchSizes is VERITENSOR_BENCH_BATCH (e.g. "1,4") or 1, 4, 16.
func batchSizes() []int {
	s := os.Getenv("VERITENSOR_BENCH_BATCH")
	if s == "" {
		return zk.BatchSizes
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		var k int
		if _, err := fmt.Sscan(f, &k); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// BenchmarkBatch proves, after one single proof ("single", circuit version
// 3, today's path) as the reference, batches of k = 1, 4, 16 inputs of one model
// (VERITENSOR_BENCH_ARCH, default 784-64-10) side by side: wall and CPU time
// per batch and per inference, inferences proved per second, verify time per
// batch, proof size and the Go runtime's peak memory while proving.
func BenchmarkBatch(b *testing.B) {
	a := benchArch(b)
	m := zk.RandomTestModel(b, a, 1)
	// Today's single proof (circuit version 3), for the throughput ratio.
	b.Run("single", func(b *testing.B) {
		k := benchKeys(b)
		x := zk.ChallengeInput([32]byte{9}, 0, a.Inputs())
		v, err := zk.NewVerifier(k.vk)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		debug.FreeOSMemory()
		stop := peakHeap()
		b.ResetTimer()
		cpu0, n := cpuTime(), 0
		var proof []byte
		var pub zk.Public
		start := time.Now()
		for b.Loop() {
			if proof, pub, err = k.prover.Prove(m, x, zk.Binding{Epoch: 1}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		wall, cpu, peak := time.Since(start), cpuTime()-cpu0, stop()
		b.StopTimer()
		const nv = 20
		vstart, vcpu := time.Now(), cpuTime()
		for range nv {
			if err := v.Verify(proof, pub); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-vcpu).Microseconds())/nv/1000, "verify-cpu-ms/batch")
		b.ReportMetric(wall.Seconds()/float64(n), "s/inference")
		b.ReportMetric(float64(n)/wall.Seconds(), "inferences/s")
		b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/inference")
		b.ReportMetric(float64(time.Since(vstart).Microseconds())/nv/1000, "verify-ms/batch")
		b.ReportMetric(float64(len(proof)), "proof-bytes")
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(k.prover.NbConstraints()), "constraints")
	})
	for _, k := range batchSizes() {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			pk, vk := batchBenchKeys(b, a, k)
			p, err := zk.NewBatchProver(a, k, pk)
			if err != nil {
				b.Fatal(err)
			}
			v, err := zk.NewBatchVerifier(vk, k)
			if err != nil {
				b.Fatal(err)
			}
			pk = nil
			xs := make([][]int8, k)
			for j := range xs {
				xs[j] = zk.ChallengeInput([32]byte{9}, uint32(j), a.Inputs())
			}
			runtime.GC()
			debug.FreeOSMemory()
			stop := peakHeap()
			b.ResetTimer()
			cpu0, n := cpuTime(), 0
			var proof []byte
			var pub zk.BatchPublic
			start := time.Now()
			for b.Loop() {
				if proof, pub, err = p.Prove(m, xs, zk.Binding{Epoch: 1}); err != nil {
					b.Fatal(err)
				}
				n++
			}
			wall := time.Since(start)
			cpu := cpuTime() - cpu0
			peak := stop()
			b.StopTimer()
			const nv = 20
			vstart, vcpu := time.Now(), cpuTime()
			for range nv {
				if err := v.Verify(proof, pub); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-vcpu).Microseconds())/nv/1000, "verify-cpu-ms/batch")
			b.ReportMetric(wall.Seconds()/float64(n*k), "s/inference")
			b.ReportMetric(float64(n*k)/wall.Seconds(), "inferences/s")
			b.ReportMetric(cpu.Seconds()/float64(n*k), "cpu-s/inference")
			b.ReportMetric(float64(time.Since(vstart).Microseconds())/nv/1000, "verify-ms/batch")
			b.ReportMetric(float64(len(proof)), "proof-bytes")
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
			b.ReportMetric(float64(p.NbConstraints()), "constraints")
		})
	}
}
