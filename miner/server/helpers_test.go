package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/miner/hw"
)

const testChain = "vt-test"

var testMiner = [32]byte{0x4d, 0x49, 0x4e, 0x45, 0x52}

// key is a deterministic test hotkey.
func key(n byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, 32))
}

func pub(k ed25519.PrivateKey) [32]byte {
	var p [32]byte
	copy(p[:], k.Public().(ed25519.PublicKey))
	return p
}

// Validators of the test subnet's metagraph: low and high have permits,
// noPermit is registered without one; stranger is unknown.
var (
	low      = key(1)
	high     = key(2)
	noPermit = key(3)
	stranger = key(4)
)

// metagraph is the Permits the tests run against: registered hotkeys, of
// which those with a permit carry stake.
type metagraph struct {
	registered map[[32]byte]bool
	permits    *PermitSet
}

func (m *metagraph) Permit(h [32]byte) (uint64, bool) {
	if !m.registered[h] {
		return 0, false
	}
	return m.permits.Permit(h)
}

func testPermits() Permits {
	return &metagraph{
		registered: map[[32]byte]bool{pub(low): true, pub(high): true, pub(noPermit): true},
		permits:    NewPermitSet(map[[32]byte]uint64{pub(low): 100, pub(high): 10_000}),
	}
}

// argmaxProver computes the argmax of the input and "proves" it with a hash
// binding input and epoch. It stands in for the zk prover, which the daemon
// wires; the server treats proofs as opaque bytes.
type argmaxProver struct{}

func (argmaxProver) Prove(ctx context.Context, in []int8, epoch uint64) (uint32, []byte, []byte, error) {
	best := 0
	for i, v := range in {
		if v > in[best] {
			best = i
		}
	}
	h := sha256.New()
	for _, v := range in {
		h.Write([]byte{byte(v)})
	}
	binary.Write(h, binary.BigEndian, epoch)
	pubIn := binary.BigEndian.AppendUint64(nil, epoch)
	return uint32(best), h.Sum(nil), pubIn, nil
}

// gatedProver is an injected slow prover: each Prove records its input's
// first value, reports that it started, and waits for a release (or ctx).
type gatedProver struct {
	started chan int8
	release chan struct{}
	mu      sync.Mutex
	order   []int8
}

func newGated() *gatedProver {
	return &gatedProver{started: make(chan int8, 64), release: make(chan struct{}, 64)}
}

func (g *gatedProver) Prove(ctx context.Context, in []int8, epoch uint64) (uint32, []byte, []byte, error) {
	g.mu.Lock()
	g.order = append(g.order, in[0])
	g.mu.Unlock()
	g.started <- in[0]
	select {
	case <-g.release:
		return argmaxProver{}.Prove(ctx, in, epoch)
	case <-ctx.Done():
		return 0, nil, nil, ctx.Err()
	}
}

func (g *gatedProver) seen() []int8 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int8(nil), g.order...)
}

// fakeHW is an injected hardware sample with one GPU, to check the gauges.
func fakeHW() hw.Summary {
	return hw.Summary{CPUCores: 2, MemoryBytes: 8 << 30, GPUs: []hw.GPU{{Index: 0, Name: "NVIDIA H100", UUID: "GPU-1", MemoryTotal: 80 << 30, MemoryUsed: 1 << 30, UtilGPU: 50}}}
}

// testServer runs a Server on a real loopback listener.
type testServer struct {
	*Server
	url string
}

func start(t testing.TB, mod func(*Config)) *testServer {
	t.Helper()
	cfg := Config{
		ChainID: testChain, Miner: testMiner, Subnet: 1, InputLen: 8,
		ModelCommitment: "ab12", CircuitID: "mnist-mlp-v1", Version: "test",
		Prover: argmaxProver{}, Permits: testPermits(), Workers: 2, QueueCap: 4,
		Hardware: fakeHW,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{Server: s, url: "http://" + l.Addr().String()}
}

func inferBody(id string, first int8) []byte {
	in := []int8{first, 0, 0, 0, 0, 0, 0, 0}
	in[5] = 100
	b, _ := json.Marshal(api.InferRequest{ID: id, Epoch: 9, Input: in})
	return b
}

// reply is a decoded answer.
type reply struct {
	status     int
	retryAfter string
	err        api.Error
	ok         api.InferResponse
	raw        []byte
}

// send posts body to path signed by k (unsigned when k is nil); mutate may
// change the request after signing.
func send(t *testing.T, url string, k ed25519.PrivateKey, path string, body []byte, signer func(*api.Signer), mutate func(*http.Request)) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if k != nil {
		s := &api.Signer{ChainID: testChain, Key: k}
		if signer != nil {
			signer(s)
		}
		if err := s.Sign(req, body, testMiner); err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), raw: raw}
	if resp.StatusCode == 200 && req.URL.Path == api.PathInfer {
		if err := json.Unmarshal(raw, &r.ok); err != nil {
			t.Fatalf("200 with bad body %q: %v", raw, err)
		}
	} else if resp.StatusCode != 200 {
		if err := json.Unmarshal(raw, &r.err); err != nil || r.err.Code == "" || r.err.Message == "" {
			t.Fatalf("%d without a JSON error body: %q", resp.StatusCode, raw)
		}
	}
	return r
}

// waitFor polls cond (no timing assertion: it fails only if the condition
// never holds within a generous bound).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustStatus(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.err.Code != code) {
		t.Fatalf("got %d %s (%s), want %d %s", r.status, r.err.Code, r.raw, status, code)
	}
}
