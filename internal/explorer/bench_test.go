package explorer

import (
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// The metagraph page and API for a full subnet (4096 UIDs, 64 validators
// with weights on every miner), rendered from a synthetic source through
// the same handlers as a real chain (target: <= 200 ms each).
func benchPath(b *testing.B, path string) {
	s, err := New(Options{Source: newFake(4096, 64)})
	if err != nil {
		b.Fatal(err)
	}
	var size int
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body.String()[:200])
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
	// CPU time of the process per request: what the page costs, whatever
	// else the machine runs (wall time is ns/op).
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkMetagraphPage4096(b *testing.B) { benchPath(b, "/subnet/1?sort=emission&dir=desc") }
func BenchmarkMetagraphAPI4096(b *testing.B) {
	benchPath(b, "/api/subnet/1/metagraph?sort=stake&dir=desc")
}
func BenchmarkUIDPage4096(b *testing.B) { benchPath(b, "/subnet/1/uid/100") }
