package explorer

import (
	"net/http/httptest"
	"testing"
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
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body.String()[:200])
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

func BenchmarkMetagraphPage4096(b *testing.B) { benchPath(b, "/subnet/1?sort=emission&dir=desc") }
func BenchmarkMetagraphAPI4096(b *testing.B) {
	benchPath(b, "/api/subnet/1/metagraph?sort=stake&dir=desc")
}
func BenchmarkUIDPage4096(b *testing.B) { benchPath(b, "/subnet/1/uid/100") }
