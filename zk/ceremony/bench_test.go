package ceremony

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/veritensor/veritensor/zk"
)

// Benchmarks of the ceremony, for docs/benchmarks.md. Each sub-benchmark
// times one step once (-benchtime 1x); the files it builds on are made
// outside the timer and shared: the three phase-1 contributions (and, at
// 2^18, the phase-2 init) come from known secrets (fixture_test.go), the
// same bytes as real ones made in seconds; the phase-2 contributions are
// real. cpu-s/op is the process's user+system CPU
// time per step (wall time on a shared machine depends on the load; on an
// idle machine with k cores a step takes about cpu-s/op / k when it runs
// on every core). peak-MB is the process's peak resident
// memory (VmHWM) after the step: run one arch per process to read it per
// circuit.
//
//	nice go test -run '^$' -bench 'BenchmarkCeremony/784-64-10' -benchtime 1x -timeout 90m ./zk/ceremony/

type benchFixture struct {
	once    sync.Once
	c       *Circuit
	p1      [][]byte // init + 3 contributions
	sealed1 []byte
	p2      [][]byte
	beacon  []byte
}

var fixtures sync.Map // arch -> *benchFixture

func peakMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func BenchmarkCeremony(b *testing.B) {
	for _, arch := range []string{"49-16-10", "784-64-10"} {
		b.Run(arch, func(b *testing.B) {
			a, err := zk.ParseArch(arch)
			if err != nil {
				b.Fatal(err)
			}
			v, _ := fixtures.LoadOrStore(arch, &benchFixture{})
			f := v.(*benchFixture)
			var tau, alpha, beta fr.Element
			f.once.Do(func() {
				if f.c, err = CompileCircuit(a); err != nil {
					b.Fatal(err)
				}
				f.beacon = Beacon("bench", 1, Phase1, []byte("block"))
				// Three phase-1 contributions made from known secrets: the
				// same files as real ones, made in seconds.
				f.p1, f.sealed1, tau, alpha, beta = knownPhase1(f.c.Log2, 3, f.beacon)
			})
			b.Logf("%s: %d constraints, 2^%d, %d cores", arch, f.c.NbConstraints, f.c.Log2, runtime.GOMAXPROCS(0))
			step := func(name string, fn func(b *testing.B)) {
				b.Run(name, func(b *testing.B) {
					cpu := cpuTime()
					for range b.N {
						fn(b)
					}
					b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
					b.ReportMetric(peakMB(), "peak-MB")
				})
			}
			contrib := func(files *[][]byte) func(b *testing.B) {
				return func(b *testing.B) {
					var buf bytes.Buffer
					if _, err := Contribute(&buf, bytes.NewReader((*files)[len(*files)-1]), nil); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					*files = append(*files, buf.Bytes())
					b.ReportMetric(float64(buf.Len())/1e6, "file-MB")
					b.StartTimer()
				}
			}
			step(fmt.Sprintf("phase1-contribute-2^%d", f.c.Log2), func(b *testing.B) {
				one := [][]byte{f.p1[0]}
				contrib(&one)(b)
			})
			step("phase1-verify-3", func(b *testing.B) {
				res, err := VerifyPhase1(openers(f.p1[:4]), f.beacon, nil)
				if err != nil {
					b.Fatal(err)
				}
				if res.SealedHash != FileHash(f.sealed1) {
					b.Fatal("seal differs from the fixture's")
				}
			})
			if f.c.Log2 <= 16 || os.Getenv("VT_BENCH_REAL_INIT") != "" {
				step("phase2-init", func(b *testing.B) {
					var buf bytes.Buffer
					if _, err := InitPhase2(&buf, f.c, bytes.NewReader(f.sealed1), nil); err != nil {
						b.Fatal(err)
					}
					f.p2 = [][]byte{buf.Bytes()}
					b.ReportMetric(float64(buf.Len())/1e6, "file-MB")
				})
			} else {
				// The real init (fastInitialize) at 2^18 takes ~16 CPU
				// minutes (set VT_BENCH_REAL_INIT=1 to time it); the same
				// file from the known secrets takes seconds.
				f.p2 = [][]byte{knownInit2(f.c, tau, alpha, beta, FileHash(f.sealed1))}
				b.Logf("phase-2 init from known secrets (fixture): %.1f MB", float64(len(f.p2[0]))/1e6)
			}
			step("phase2-contribute", contrib(&f.p2))
			for len(f.p2) < 4 {
				contrib(&f.p2)(b)
			}
			step("phase2-verify-3", func(b *testing.B) {
				if _, err := VerifyPhase2(f.c, BytesOpener(f.sealed1), openers(f.p2[:4]), f.beacon, nil); err != nil {
					b.Fatal(err)
				}
			})
			step("phase2-seal", func(b *testing.B) {
				if _, _, err := SealPhase2(io.Discard, f.c, BytesOpener(f.sealed1), openers(f.p2[:4]), f.beacon, nil); err != nil {
					b.Fatal(err)
				}
			})
			if f.c.Log2 > 16 {
				return // the sum of phase1-verify-3 and phase2-verify-3
			}
			step("verify-3+3", func(b *testing.B) {
				tr := Transcript{Phase1: openers(f.p1[:4]), Phase2: openers(f.p2[:4]), Beacon1: f.beacon, Beacon2: f.beacon}
				if _, err := Verify(f.c, tr, nil); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
