package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/miner/api"
)

func TestAuthMatrix(t *testing.T) {
	ts := start(t, nil)
	body := inferBody("m-1", 1)
	cases := []struct {
		name   string
		key    []byte
		signer func(*api.Signer)
		mutate func(*http.Request)
		status int
		code   string
	}{
		{"permitted validator", low, nil, nil, 200, ""},
		{"registered without permit", noPermit, nil, nil, 403, api.CodeForbidden},
		{"unknown key", stranger, nil, nil, 403, api.CodeForbidden},
		{"unsigned", nil, nil, nil, 401, api.CodeUnauthorized},
		{"bad signature", low, nil, func(r *http.Request) {
			sig := []byte(r.Header.Get(api.HeaderSignature))
			sig[0] ^= 1
			r.Header.Set(api.HeaderSignature, string(sig))
		}, 401, api.CodeUnauthorized},
		{"signed by another key", low, nil, func(r *http.Request) {
			r.Header.Set(api.HeaderHotkey, strings.Repeat("02", 32)) // claims high's...
		}, 403, api.CodeForbidden},
		{"claims a permitted key", stranger, nil, func(r *http.Request) {
			p := pub(high)
			r.Header.Set(api.HeaderHotkey, hexs(p[:]))
		}, 401, api.CodeUnauthorized},
		{"stale timestamp", low, func(s *api.Signer) { s.Now = func() time.Time { return time.Now().Add(-2 * time.Minute) } }, nil, 401, api.CodeUnauthorized},
		{"future timestamp", low, func(s *api.Signer) { s.Now = func() time.Time { return time.Now().Add(2 * time.Minute) } }, nil, 401, api.CodeUnauthorized},
		{"wrong chain", low, func(s *api.Signer) { s.ChainID = "vt-other" }, nil, 401, api.CodeUnauthorized},
		{"addressed to another miner", low, nil, func(r *http.Request) { r.Header.Set(api.HeaderMiner, strings.Repeat("00", 32)) }, 401, api.CodeUnauthorized},
		{"garbage headers", low, nil, func(r *http.Request) { r.Header.Set(api.HeaderNonce, "not-hex") }, 401, api.CodeUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, tc.key, api.PathInfer, body, tc.signer, tc.mutate)
			mustStatus(t, r, tc.status, tc.code)
			if tc.status == 200 {
				if r.ok.ID != "m-1" || r.ok.Class != 5 || r.ok.Epoch != 9 || len(r.ok.Proof) != 32 || len(r.ok.Public) != 8 {
					t.Fatalf("answer %+v", r.ok)
				}
			}
		})
	}
}

func hexs(b []byte) string {
	const d = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, d[c>>4], d[c&15])
	}
	return string(out)
}

func TestReplayedRequestRejected(t *testing.T) {
	ts := start(t, nil)
	body := inferBody("r-1", 1)
	req, _ := http.NewRequest(http.MethodPost, ts.url+api.PathInfer, bytes.NewReader(body))
	if err := (&api.Signer{ChainID: testChain, Key: low}).Sign(req, body, testMiner); err != nil {
		t.Fatal(err)
	}
	again := func() *http.Request {
		r2, _ := http.NewRequest(http.MethodPost, ts.url+api.PathInfer, bytes.NewReader(body))
		r2.Header = req.Header.Clone()
		return r2
	}
	mustStatus(t, do(t, again()), 200, "")
	mustStatus(t, do(t, again()), 409, api.CodeReplay)
	// The replay cost the victim nothing: a fresh request still passes.
	mustStatus(t, send(t, ts.url, low, api.PathInfer, body, nil, nil), 200, "")
}

func TestBadBodies(t *testing.T) {
	ts := start(t, func(c *Config) { c.MaxBody = 1024 })
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
		msg    string
	}{
		{"garbage JSON", []byte("{{{"), 400, api.CodeBadRequest, "bad JSON"},
		{"empty", nil, 400, api.CodeBadRequest, "empty body"},
		{"short input", []byte(`{"id":"x","epoch":1,"input":[1,2,3]}`), 400, api.CodeBadRequest, "3 values, the task takes 8"},
		{"int8 overflow", []byte(`{"id":"x","epoch":1,"input":[1,2,3,4,5,6,7,300]}`), 400, api.CodeBadRequest, "input"},
		{"unknown field", []byte(`{"id":"x","epoch":1,"input":[1,2,3,4,5,6,7,8],"model":"y"}`), 400, api.CodeBadRequest, "unknown field"},
		{"oversized", bytes.Repeat([]byte(" "), 2000), 413, api.CodeTooLarge, "1024"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, low, api.PathInfer, tc.body, nil, nil)
			mustStatus(t, r, tc.status, tc.code)
			if !strings.Contains(r.err.Message, tc.msg) {
				t.Fatalf("message %q lacks %q", r.err.Message, tc.msg)
			}
		})
	}
	t.Run("oversized chunked", func(t *testing.T) {
		big := bytes.Repeat([]byte(" "), 5000)
		r := send(t, ts.url, low, api.PathInfer, big, nil, func(r *http.Request) {
			r.ContentLength = -1 // chunked: the limit applies while reading
			r.Body = io.NopCloser(struct{ io.Reader }{bytes.NewReader(big)})
		})
		mustStatus(t, r, 413, api.CodeTooLarge)
	})
	t.Run("wrong method and path", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.url+api.PathInfer, nil)
		mustStatus(t, do(t, req), 405, api.CodeMethod)
		req, _ = http.NewRequest(http.MethodGet, ts.url+"/v2/nothing", nil)
		mustStatus(t, do(t, req), 404, api.CodeNotFound)
	})
	// After all that the miner still serves.
	mustStatus(t, send(t, ts.url, high, api.PathInfer, inferBody("ok", 1), nil, nil), 200, "")
}

func TestCallerRateLimit(t *testing.T) {
	ts := start(t, func(c *Config) { c.CallerRate, c.CallerBurst = 0.001, 2 })
	for i := 0; i < 2; i++ {
		mustStatus(t, send(t, ts.url, low, api.PathInfer, inferBody("a", 1), nil, nil), 200, "")
	}
	r := send(t, ts.url, low, api.PathInfer, inferBody("a", 1), nil, nil)
	mustStatus(t, r, 429, api.CodeRateLimited)
	if r.retryAfter == "" || r.retryAfter == "0" {
		t.Fatalf("429 without Retry-After: %q", r.retryAfter)
	}
	// Other callers are not affected, and forged requests in low's name did
	// not spend its tokens (checked by the order of checks: signature first).
	mustStatus(t, send(t, ts.url, high, api.PathInfer, inferBody("b", 1), nil, nil), 200, "")
}

func TestIPRateLimitOnOpenEndpoints(t *testing.T) {
	ts := start(t, func(c *Config) { c.IPRate, c.IPBurst = 0.001, 3 })
	codes := []int{}
	for i := 0; i < 4; i++ {
		req, _ := http.NewRequest(http.MethodGet, ts.url+api.PathHealth, nil)
		codes = append(codes, do(t, req).status)
	}
	if codes[0] != 200 || codes[2] != 200 || codes[3] != 429 {
		t.Fatalf("codes %v, want 200 200 200 429", codes)
	}
}

func TestOverloadReturns503ThenRecovers(t *testing.T) {
	g := newGated()
	ts := start(t, func(c *Config) { c.Prover, c.Workers, c.QueueCap = g, 1, 1 })
	var wg sync.WaitGroup
	results := make([]reply, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = send(t, ts.url, low, api.PathInfer, inferBody("o", int8(i)), nil, nil)
		}(i)
		if i == 0 {
			<-g.started // the worker holds request 0
		}
	}
	waitFor(t, "request 1 queued", func() bool { q, p := ts.QueueDepth(); return q == 1 && p == 1 })
	r := send(t, ts.url, low, api.PathInfer, inferBody("o", 2), nil, nil)
	mustStatus(t, r, 503, api.CodeBusy)
	if r.retryAfter == "" {
		t.Fatal("503 without Retry-After")
	}
	g.release <- struct{}{}
	g.release <- struct{}{}
	wg.Wait()
	for i, r := range results {
		mustStatus(t, r, 200, "")
		_ = i
	}
	// Recovered: the next request is served.
	g.release <- struct{}{}
	mustStatus(t, send(t, ts.url, low, api.PathInfer, inferBody("o", 3), nil, nil), 200, "")
}

func TestHigherStakeServedFirst(t *testing.T) {
	g := newGated()
	ts := start(t, func(c *Config) { c.Prover, c.Workers, c.QueueCap = g, 1, 8 })
	var wg sync.WaitGroup
	fire := func(k []byte, first int8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustStatus(t, send(t, ts.url, k, api.PathInfer, inferBody("p", first), nil, nil), 200, "")
		}()
	}
	fire(low, 0)
	<-g.started
	fire(low, 1)
	waitFor(t, "low queued", func() bool { q, _ := ts.QueueDepth(); return q == 1 })
	fire(low, 2)
	waitFor(t, "second low queued", func() bool { q, _ := ts.QueueDepth(); return q == 2 })
	fire(high, 3)
	waitFor(t, "high queued", func() bool { q, _ := ts.QueueDepth(); return q == 3 })
	for i := 0; i < 4; i++ {
		g.release <- struct{}{}
	}
	wg.Wait()
	got := g.seen()
	want := []int8{0, 3, 1, 2} // high first, then the lows in arrival order
	if len(got) != 4 || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("proving order %v, want %v", got, want)
	}
}

func TestHigherStakeDisplacesWhenFull(t *testing.T) {
	g := newGated()
	ts := start(t, func(c *Config) { c.Prover, c.Workers, c.QueueCap = g, 1, 1 })
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); send(t, ts.url, low, api.PathInfer, inferBody("d", 0), nil, nil) }()
	<-g.started
	lowDone := make(chan reply, 1)
	go func() { lowDone <- send(t, ts.url, low, api.PathInfer, inferBody("d", 1), nil, nil) }()
	waitFor(t, "low queued", func() bool { q, _ := ts.QueueDepth(); return q == 1 })
	var highReply reply
	wg.Add(1)
	go func() { defer wg.Done(); highReply = send(t, ts.url, high, api.PathInfer, inferBody("d", 2), nil, nil) }()
	// The worker is still busy: the high-stake request takes low's place.
	mustStatus(t, <-lowDone, 503, api.CodeBusy)
	g.release <- struct{}{}
	g.release <- struct{}{}
	wg.Wait()
	mustStatus(t, highReply, 200, "")
	if s := g.seen(); len(s) != 2 || s[1] != 2 {
		t.Fatalf("proved %v, want [0 2]", s)
	}
	// A low-stake request never displaces an equal or higher one.
	pl := newPool(argmaxProver{}, 0, 1, func(int, int) {}, func(time.Duration, error) {})
	ctx := context.Background()
	if err := pl.submit(&job{stake: 5, ctx: ctx, done: make(chan result, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := pl.submit(&job{stake: 5, ctx: ctx, done: make(chan result, 1)}); !errors.Is(err, errBusy) {
		t.Fatalf("equal stake displaced: %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	g := newGated()
	ts := start(t, func(c *Config) { c.Prover, c.Workers, c.RequestTimeout = g, 1, 300*time.Millisecond })
	r := send(t, ts.url, low, api.PathInfer, inferBody("t", 0), nil, nil)
	mustStatus(t, r, 504, api.CodeTimeout)
	// A request that timed out while queued leaves the queue.
	waitFor(t, "queue drained", func() bool { q, p := ts.QueueDepth(); return q == 0 && p == 0 })
	metrics := get(t, ts.url+api.PathMetrics)
	if !strings.Contains(metrics, `veritensor_miner_proofs_total{result="timeout"} 1`) {
		t.Fatalf("timeout not counted:\n%s", grep(metrics, "proofs_total"))
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	g := newGated()
	cfg := Config{ChainID: testChain, Miner: testMiner, InputLen: 8, Prover: g, Permits: testPermits(), Workers: 1, QueueCap: 4, Hardware: fakeHW}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	url := "http://" + l.Addr().String()
	var wg sync.WaitGroup
	replies := make([]reply, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			replies[i] = send(t, url, low, api.PathInfer, inferBody("s", int8(i)), nil, nil)
		}(i)
		if i == 0 {
			<-g.started
		}
	}
	waitFor(t, "second queued", func() bool { q, _ := s.QueueDepth(); return q == 1 })
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	waitFor(t, "draining", func() bool { return s.draining.Load() })
	select {
	case err := <-shut:
		t.Fatalf("shutdown returned before in-flight proofs finished: %v", err)
	default:
	}
	g.release <- struct{}{}
	g.release <- struct{}{}
	wg.Wait()
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	for _, r := range replies {
		mustStatus(t, r, 200, "")
	}
	// The pool takes no more work.
	if err := s.pool.submit(&job{ctx: context.Background(), done: make(chan result, 1)}); !errors.Is(err, errClosed) {
		t.Fatalf("submit after shutdown: %v", err)
	}
}

func TestInfoHealthMetrics(t *testing.T) {
	ts := start(t, nil)
	mustStatus(t, send(t, ts.url, low, api.PathInfer, inferBody("x", 1), nil, nil), 200, "")
	mustStatus(t, send(t, ts.url, stranger, api.PathInfer, inferBody("x", 1), nil, nil), 403, "")

	c := &api.Client{BaseURL: ts.url, Miner: testMiner, Signer: &api.Signer{ChainID: testChain, Key: high}}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.CircuitID != "mnist-mlp-v1" || info.ModelCommitment != "ab12" || info.InputLen != 8 || info.Workers != 2 ||
		info.Subnet != 1 || len(info.Hardware.GPUs) != 1 || !strings.Contains(info.HardwareSummary, "1xNVIDIA H100/80GiB") ||
		info.Hotkey != hexs(testMiner[:]) || info.ChainID != testChain {
		t.Fatalf("info %+v", info)
	}
	if err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The validator client end to end, and its typed errors.
	resp, err := c.Infer(context.Background(), api.InferRequest{ID: "c-1", Epoch: 4, Input: []int8{0, 0, 9, 0, 0, 0, 0, 0}})
	if err != nil || resp.Class != 2 || resp.Epoch != 4 {
		t.Fatalf("client infer: %+v %v", resp, err)
	}
	c.Signer.Key = noPermit
	var se *api.StatusError
	if _, err := c.Infer(context.Background(), api.InferRequest{ID: "c-2", Input: make([]int8, 8)}); !errors.As(err, &se) || se.Status != 403 {
		t.Fatalf("client as non-permitted: %v", err)
	}

	m := get(t, ts.url+api.PathMetrics)
	for _, want := range []string{
		`veritensor_miner_requests_total{code="200",path="/v1/infer"} 2`,
		`veritensor_miner_requests_total{code="403",path="/v1/infer"} 2`,
		`veritensor_miner_proofs_total{result="ok"} 2`,
		`veritensor_miner_prove_seconds_count 2`,
		`veritensor_miner_queue_depth 0`,
		`veritensor_miner_gpus 1`,
		`veritensor_miner_gpu_memory_total_bytes{gpu="0",name="NVIDIA H100",uuid="GPU-1"} 8.589934592e+10`,
		`veritensor_miner_gpu_utilization_ratio{gpu="0",name="NVIDIA H100",uuid="GPU-1"} 0.5`,
		`veritensor_miner_cpu_cores 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s\n%s", want, grep(m, "veritensor_"))
		}
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no prover: %v", err)
	}
	if _, err := New(Config{Prover: argmaxProver{}, Permits: testPermits(), Workers: -1}); !errors.Is(err, ErrConfig) {
		t.Fatalf("negative workers: %v", err)
	}
}

// TestReplayFloodDoesNotLockOutHonest is issue 12's second attack: a
// low-stake permit holder sends 50 requests with fresh nonces, most of them
// over its rate limit. Before, each took a place in the shared replay
// cache before the rate limit was checked, so the full cache answered 503
// to the honest high-stake validator. Now the rate limit comes first and
// each caller has its own replay quota: the honest validator is served.
func TestReplayFloodDoesNotLockOutHonest(t *testing.T) {
	ts := start(t, func(c *Config) { c.CallerRate, c.CallerBurst, c.ReplayCap = 0.01, 5, 40 })
	codes := map[int]int{}
	for i := range 50 {
		codes[send(t, ts.url, low, api.PathInfer, inferBody("flood", int8(i)), nil, nil).status]++
	}
	if codes[200] != 5 || codes[429] != 45 {
		t.Fatalf("flood answers %v, want 5 served and 45 rate-limited", codes)
	}
	if n := ts.replay.len(); n != 5 {
		t.Fatalf("the flood holds %d replay entries, want only its 5 served requests", n)
	}
	for i := range 5 {
		mustStatus(t, send(t, ts.url, high, api.PathInfer, inferBody("honest", int8(i)), nil, nil), 200, "")
	}
}
