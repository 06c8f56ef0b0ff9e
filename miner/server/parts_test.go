package server

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/veritensor/veritensor/miner/api"
)

func TestReplayCacheExpiryAndBound(t *testing.T) {
	c := newReplayCache(2)                                               // two live nonces per caller
	k := func(b byte) replayKey { var r replayKey; r[40] = b; return r } // one caller, nonce b
	if err := c.add(k(1), 100, 50); err != nil {
		t.Fatal(err)
	}
	if err := c.add(k(1), 100, 60); !errors.Is(err, errReplay) {
		t.Fatalf("replay within window: %v", err)
	}
	if err := c.add(k(2), 200, 60); err != nil {
		t.Fatal(err)
	}
	// The caller's quota is full of live entries: refuse rather than forget one.
	if err := c.add(k(3), 200, 60); !errors.Is(err, errReplayFull) {
		t.Fatalf("full quota: %v", err)
	}
	if err := c.add(k(2), 200, 60); !errors.Is(err, errReplay) {
		t.Fatalf("live entry forgotten: %v", err)
	}
	// Another caller has its own quota.
	other := k(3)
	other[0] = 9
	if err := c.add(other, 200, 60); err != nil {
		t.Fatalf("another caller refused because of the first: %v", err)
	}
	// After k(1)'s expiry it is dropped and there is room again.
	if err := c.add(k(3), 300, 101); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if c.len() != 3 {
		t.Fatalf("len %d, want 3", c.len())
	}
}

func TestLimiterRefillsAndBoundsKeys(t *testing.T) {
	l := newLimiter(2, 2, 2) // 2/s, burst 2, 2 keys at most
	t0 := time.Unix(1000, 0)
	for i := 0; i < 2; i++ {
		if ok, _ := l.allow("a", t0); !ok {
			t.Fatalf("burst token %d refused", i)
		}
	}
	ok, wait := l.allow("a", t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("empty bucket: ok %v wait %v, want false 500ms", ok, wait)
	}
	if ok, _ := l.allow("a", t0.Add(500*time.Millisecond)); !ok {
		t.Fatal("no refill after 0.5 s at 2/s")
	}
	for i := 0; i < 2; i++ {
		if ok, _ := l.allow("b", t0.Add(500*time.Millisecond)); !ok {
			t.Fatal("b refused")
		}
	}
	// Two live keys: a third is refused until one is idle (full) again.
	if ok, _ := l.allow("c", t0.Add(500*time.Millisecond)); ok {
		t.Fatal("third key admitted past the bound")
	}
	if ok, _ := l.allow("c", t0.Add(5*time.Second)); !ok {
		t.Fatal("third key refused after the others went idle")
	}
}

// FuzzInferHandler drives the whole /v1/infer handler with arbitrary bodies
// and authentication headers: it must never panic, never answer 5xx other
// than 503 (replay cache), and always answer a JSON error body on failure.
func FuzzInferHandler(f *testing.F) {
	s, err := New(Config{ChainID: testChain, Miner: testMiner, InputLen: 8, Prover: argmaxProver{}, Permits: testPermits(),
		Workers: 1, QueueCap: 2, Hardware: fakeHW, CallerRate: 1e9, CallerBurst: 1 << 30, IPRate: 1e9, IPBurst: 1 << 30})
	if err != nil {
		f.Fatal(err)
	}
	// A genuinely signed request as seed, and its parts mutated.
	body := inferBody("f", 1)
	req := httptest.NewRequest(http.MethodPost, api.PathInfer, bytes.NewReader(body))
	if err := (&api.Signer{ChainID: testChain, Key: low}).Sign(req, body, testMiner); err != nil {
		f.Fatal(err)
	}
	h := req.Header
	f.Add(body, h.Get(api.HeaderHotkey), h.Get(api.HeaderMiner), h.Get(api.HeaderTimestamp), h.Get(api.HeaderNonce), h.Get(api.HeaderSignature))
	f.Add([]byte(`{"id":"x","input":[1,2,3]}`), h.Get(api.HeaderHotkey), "", "1", "", "")
	f.Add([]byte(`garbage`), "", "", "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, hot, miner, ts, nonce, sig string) {
		r := httptest.NewRequest(http.MethodPost, api.PathInfer, bytes.NewReader(body))
		for k, v := range map[string]string{api.HeaderHotkey: hot, api.HeaderMiner: miner, api.HeaderTimestamp: ts, api.HeaderNonce: nonce, api.HeaderSignature: sig} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		code := w.Code
		if code >= 500 && code != 503 || code == 0 {
			t.Fatalf("status %d: %s", code, w.Body.String())
		}
		if code != 200 && !bytes.Contains(w.Body.Bytes(), []byte(`"code":`)) {
			t.Fatalf("status %d without an error body: %q", code, w.Body.String())
		}
	})
}
