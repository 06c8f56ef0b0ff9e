package miner

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/zk"
)

// BenchmarkInferThroughput measures a miner's throughput with real Groth16
// proofs over loopback HTTP, single /v1/infer under the hash scheme (v1)
// and under the commit scheme (v1-commit: a second server whose ZKProver
// holds the commit circuit's prover) against batched /v2/infer (batches of
// 4 and 16, hash scheme only), at concurrency 1, 2 and 4, side by side in
// one run: the daemon's provers (ZKProver, ZKBatchProver) behind the real
// server (workers = GOMAXPROCS, the default), a signed validator client.
// Each sub-benchmark sends b.N requests (a request is one inference on
// /v1/infer, k on /v2/infer) and reports inferences/s, proofs/s, p50
// latency per request, and the process CPU time (user+sys) per inference,
// which a busy machine distorts far less than wall time.
//
// The arch is $VERITENSOR_BENCH_ARCH (default 49-16-10: minutes; 784-64-10
// takes tens of minutes; `-bench 'InferThroughput/.*/v1'` runs the two
// single-proof schemes only). Single-circuit keys of both schemes come from
// the machine-wide key cache, batch keys (loaded by the first v2
// sub-benchmark) from single-party setups kept under
// $TMPDIR/veritensor-bench-keys (the keys' origin does not change the
// prover's work).
func BenchmarkInferThroughput(b *testing.B) {
	arch := os.Getenv("VERITENSOR_BENCH_ARCH")
	if arch == "" {
		arch = "49-16-10"
	}
	a, err := zk.ParseArch(arch)
	if err != nil {
		b.Fatal(err)
	}
	m, err := zk.RandomModel(a, 7)
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
	ckeys, err := kc.GetScheme(zk.SchemeCommit, a, nil)
	if err != nil {
		b.Fatal(err)
	}
	cp, err := zk.NewSingleProver(zk.SchemeCommit, a, ckeys.PK)
	if err != nil {
		b.Fatal(err)
	}
	bkc, err := keycache.New(filepath.Join(os.TempDir(), "veritensor-bench-keys"))
	if err != nil {
		b.Fatal(err)
	}
	miner := ed25519.NewKeyFromSeed(make([]byte, 32))
	val := ed25519.NewKeyFromSeed(append(make([]byte, 31), 1))
	var minerPub, valPub [32]byte
	copy(minerPub[:], miner.Public().(ed25519.PublicKey))
	copy(valPub[:], val.Public().(ed25519.PublicKey))
	// The batch provers are loaded by the first v2 sub-benchmark that runs
	// (their setups take minutes at 784-64-10 when not cached).
	batch := &ZKBatchProver{Provers: map[int]*zk.BatchProver{}, Model: m, Hotkey: minerPub}
	var batchOnce sync.Once
	var batchErr error
	loadBatch := func() error {
		batchOnce.Do(func() {
			for _, k := range []int{4, 16} {
				bk, err := bkc.GetBatch(a, k, nil)
				if err != nil {
					batchErr = err
					return
				}
				if batch.Provers[k], err = zk.NewBatchProver(a, k, bk.PK); err != nil {
					batchErr = err
					return
				}
			}
		})
		return batchErr
	}
	start := func(p zk.SingleProver, withBatch bool) *api.Client {
		commit, err := p.ModelCommitment(m)
		if err != nil {
			b.Fatal(err)
		}
		id := p.Scheme().CircuitID(a)
		cfg := server.Config{ChainID: "bench", Miner: minerPub, Subnet: 1, InputLen: a.Inputs(),
			ModelCommitment: fmt.Sprintf("%x", commit[:]), CircuitID: fmt.Sprintf("%x", id), Scheme: p.Scheme().String(), Version: "bench",
			Prover:  &ZKProver{Prover: p, Model: m, Hotkey: minerPub},
			Permits: server.NewPermitSet(map[[32]byte]uint64{valPub: 1000}), Workers: runtime.GOMAXPROCS(0), QueueCap: 16,
			CallerRate: 1e6, CallerBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, RequestTimeout: 30 * time.Minute,
			Hardware: func() hw.Summary { return hw.Summary{CPUCores: runtime.NumCPU(), CPUOnly: true} }}
		if withBatch {
			cfg.Batch = batch
		}
		srv, err := server.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go srv.Serve(l)
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
		})
		return &api.Client{BaseURL: "http://" + l.Addr().String(), Miner: minerPub, Signer: &api.Signer{ChainID: "bench", Key: val}}
	}
	c := start(zp, true)   // the hash scheme: /v1/infer and /v2/infer
	cc := start(cp, false) // the commit scheme: /v1/infer only
	var seq int
	var seqMu sync.Mutex
	next := func() int {
		seqMu.Lock()
		defer seqMu.Unlock()
		seq++
		return seq
	}
	for _, conc := range []int{1, 2, 4} {
		for _, k := range []int{0, -1, 4, 16} { // 0: single /v1/infer (hash), -1: single /v1/infer (commit)
			name := "v1"
			switch {
			case k < 0:
				name = "v1-commit"
			case k > 0:
				name = fmt.Sprintf("v2-k=%d", k)
			}
			b.Run(fmt.Sprintf("concurrency=%d/%s", conc, name), func(b *testing.B) {
				if k > 0 {
					if err := loadBatch(); err != nil {
						b.Fatal(err)
					}
				}
				request := func(ctx context.Context) error {
					i := next()
					if k <= 0 {
						cl := c
						if k < 0 {
							cl = cc
						}
						in := zk.ChallengeInput([32]byte{byte(i), byte(i >> 8)}, 1, a.Inputs())
						_, err := cl.Infer(ctx, api.InferRequest{ID: fmt.Sprint("s", i), Epoch: 1, Input: in})
						return err
					}
					req := api.BatchInferRequest{ID: fmt.Sprint("b", i), Epoch: 1, Inputs: make([][]int8, k)}
					for j := range req.Inputs {
						req.Inputs[j] = zk.ChallengeInput([32]byte{byte(i), byte(i >> 8), byte(j)}, 1, a.Inputs())
					}
					_, err := c.InferBatch(ctx, req)
					return err
				}
				throughput(b, conc, max(k, 1), request)
			})
		}
	}
}

// throughput sends b.N requests of per inferences each from conc
// goroutines and reports inferences/s, proofs/s, p50 latency and CPU time
// per inference.
func throughput(b *testing.B, conc, per int, request func(context.Context) error) {
	var mu sync.Mutex
	var lat []time.Duration
	var sent int
	cpu0 := cpuSeconds()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := sent
				sent++
				mu.Unlock()
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := request(context.Background()); err != nil {
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
	cpu := cpuSeconds() - cpu0
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(len(lat)*per)/el.Seconds(), "inferences/s")
	b.ReportMetric(float64(len(lat))/el.Seconds(), "proofs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(cpu/float64(len(lat)*per), "cpu-s/inference")
}

// cpuSeconds is the process's user+sys CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
