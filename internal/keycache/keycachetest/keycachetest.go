// Package keycachetest gives tests the Groth16 keys of a circuit from the
// machine-wide key cache (keycache), set up once per machine. It imports
// testing, so only test code may import it: the veritensor binary must not
// link it (TestBinaryLinksNoTestCode in cmd/veritensor, make lint).
package keycachetest

import (
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
)

// loaded memoises Get per entry directory (cache directory and circuit
// ID) within one process: a proving key is tens of MB, and re-reading and
// re-hashing it per test is waste.
var loaded sync.Map // Cache.PathScheme -> *keycache.Keys

// Get returns a's keys (its single circuit under zk.SchemeHash) from the
// machine-wide cache (keycache.DefaultDir: set VERITENSOR_KEYS_DIR to choose
// it), running the setup on a miss. Test binaries that `go test ./...` runs
// in parallel share one setup per circuit: the first takes the cache's lock
// and sets up, the others wait and load. It fails tb on any error, and logs
// where the keys came from and how long they took.
func Get(tb testing.TB, a zk.Arch) *keycache.Keys {
	tb.Helper()
	return GetScheme(tb, zk.SchemeHash, a)
}

// GetScheme is Get for a's single circuit under scheme s.
func GetScheme(tb testing.TB, s zk.Scheme, a zk.Arch) *keycache.Keys {
	tb.Helper()
	c, err := keycache.New("")
	if err != nil {
		tb.Fatal(err)
	}
	path := c.PathScheme(s, a)
	if k, ok := loaded.Load(path); ok {
		return k.(*keycache.Keys)
	}
	start := time.Now()
	var stages []string
	k, err := c.GetScheme(s, a, func(s string) { stages = append(stages, s) })
	if err != nil {
		tb.Fatalf("keys for %s (%s scheme): %v", a, s, err)
	}
	tb.Logf("keys for %s (%s scheme) from %s in %v (stages %v)", a, s, path, time.Since(start).Round(time.Millisecond), stages)
	got, _ := loaded.LoadOrStore(path, k)
	return got.(*keycache.Keys)
}
