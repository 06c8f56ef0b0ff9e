package server

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// zkProver adapts zk.Prover to the server's Prover for these tests (the
// daemon has its own adapter): it proves model m bound to the miner's hotkey
// and the requested epoch, and returns zk's fixed-size public inputs.
type zkProver struct {
	p     *zk.Prover
	m     *zk.Model
	miner [32]byte
}

func (z *zkProver) Prove(ctx context.Context, in []int8, epoch uint64) (uint32, []byte, []byte, error) {
	proof, pub, err := z.p.Prove(z.m, in, zk.Binding{HotkeyHash: zk.HotkeyHash(z.miner[:]), Epoch: epoch})
	if err != nil {
		return 0, nil, nil, err
	}
	pb, err := pub.MarshalBinary()
	return pub.Output, proof, pb, err
}

// smallModel draws a valid model of a small architecture (fast setup).
func smallModel(t testing.TB, a zk.Arch) *zk.Model {
	t.Helper()
	m, err := zk.RandomModel(a, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRealProofsOverHTTP serves real Groth16 proofs over loopback and
// verifies them as a validator would: the proof against the verifying key,
// and the public inputs against the model commitment, the input sent, the
// miner's hotkey and the epoch asked for.
func TestRealProofsOverHTTP(t *testing.T) {
	a, err := zk.ParseArch("64-8-10")
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := zk.Setup(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	zp, err := zk.NewProver(a, pk)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := zk.NewVerifier(vk)
	if err != nil {
		t.Fatal(err)
	}
	m := smallModel(t, a)
	ts := start(t, func(c *Config) {
		c.InputLen, c.Workers = 64, 2
		c.Prover = &zkProver{p: zp, m: m, miner: testMiner}
	})
	c := &api.Client{BaseURL: ts.url, Miner: testMiner, Signer: &api.Signer{ChainID: testChain, Key: high}}
	for i := 0; i < 3; i++ {
		in := zk.ChallengeInput([32]byte{byte(i)}, 1, 64)
		resp, err := c.Infer(context.Background(), api.InferRequest{ID: fmt.Sprint("z", i), Epoch: uint64(40 + i), Input: in})
		if err != nil {
			t.Fatal(err)
		}
		pub, err := zk.UnmarshalPublic(resp.Public)
		if err != nil {
			t.Fatal(err)
		}
		class, _, err := m.Infer(in)
		if err != nil {
			t.Fatal(err)
		}
		if pub.ModelCommitment != m.Commitment() || pub.InputHash != zk.InputHash(in) || pub.Epoch != uint64(40+i) ||
			pub.HotkeyHash != zk.HotkeyHash(testMiner[:]) || pub.Output != resp.Class || resp.Class != class {
			t.Fatalf("public inputs %+v do not bind the request (class %d, native %d)", pub, resp.Class, class)
		}
		if err := ver.Verify(resp.Proof, pub); err != nil {
			t.Fatalf("proof does not verify: %v", err)
		}
		// The same proof claimed for another epoch fails.
		pub.Epoch++
		if err := ver.Verify(resp.Proof, pub); err == nil {
			t.Fatal("proof verifies for another epoch")
		}
	}
}

// BenchmarkInferMNIST measures /v1/infer with real 784-64-10 Groth16 proofs
// over loopback HTTP at concurrency 1, 2 and 4 (workers = GOMAXPROCS),
// reporting requests/s, p50 and p99 latency, and the live heap with the
// proving key and compiled circuit loaded (after GC, before serving). Keys come from the key cache (a setup of tens of seconds on a
// miss).
func BenchmarkInferMNIST(b *testing.B) {
	a, err := zk.ParseArch("784-64-10")
	if err != nil {
		b.Fatal(err)
	}
	mb, err := os.ReadFile("../../zk/testdata/mnist-784-64-10.vtm")
	if err != nil {
		b.Skipf("shipped model: %v", err)
	}
	m, err := zk.UnmarshalModel(mb)
	if err != nil {
		b.Fatal(err)
	}
	kc, err := keycache.New("")
	if err != nil {
		b.Fatal(err)
	}
	keys, err := kc.Get(a, nil)
	if err != nil {
		b.Fatal(err)
	}
	zp, err := zk.NewProver(a, keys.PK)
	if err != nil {
		b.Fatal(err)
	}
	keys = nil // only the parsed key and the compiled circuit stay
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapMiB := float64(ms.HeapAlloc) / (1 << 20)

	// VERITENSOR_BENCH_WORKERS overrides the worker count (default: one
	// per CPU, the server's default).
	workers := runtime.GOMAXPROCS(0)
	if w, err := strconv.Atoi(os.Getenv("VERITENSOR_BENCH_WORKERS")); err == nil && w > 0 {
		workers = w
	}
	for _, conc := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d/concurrency=%d", workers, conc), func(b *testing.B) {
			ts := start(b, func(c *Config) {
				c.InputLen, c.Workers, c.QueueCap = 784, workers, 16
				c.CallerRate, c.CallerBurst = 1e6, 1e6
				c.RequestTimeout = 10 * time.Minute // a loaded 2-core machine takes tens of seconds per proof
				c.Prover = &zkProver{p: zp, m: m, miner: testMiner}
			})
			c := &api.Client{BaseURL: ts.url, Miner: testMiner, Signer: &api.Signer{ChainID: testChain, Key: high}}
			if load(b, c, conc, 784) {
				b.ReportMetric(heapMiB, "heap-MiB")
			}
		})
	}
}

// load sends b.N /v1/infer requests from conc goroutines and reports
// requests/s and p50/p99 latency; false when nothing completed.
func load(b *testing.B, c *api.Client, conc, inputLen int) bool {
	var mu sync.Mutex
	var lat []time.Duration
	var next int
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= b.N {
					return
				}
				in := zk.ChallengeInput([32]byte{byte(i), byte(i >> 8)}, 1, inputLen)
				t0 := time.Now()
				if _, err := c.Infer(context.Background(), api.InferRequest{ID: fmt.Sprint("b", i), Epoch: 1, Input: in}); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return false
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(len(lat))/el.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
	return true
}

// BenchmarkInferOverhead is the server's own cost per /v1/infer (HTTP,
// signing and verification, replay cache, queue) with a prover that only
// takes an argmax: what the miner adds on top of proving.
func BenchmarkInferOverhead(b *testing.B) {
	for _, conc := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			ts := start(b, func(c *Config) {
				c.InputLen, c.Workers, c.QueueCap = 784, runtime.GOMAXPROCS(0), 64
				c.CallerRate, c.CallerBurst, c.IPRate, c.IPBurst = 1e9, 1<<30, 1e9, 1<<30
				c.ReplayCap = 1 << 22
			})
			c := &api.Client{BaseURL: ts.url, Miner: testMiner, Signer: &api.Signer{ChainID: testChain, Key: high}}
			b.ReportAllocs()
			load(b, c, conc, 784)
		})
	}
}
