package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// zkBatchProver adapts zk.BatchProver (one per batch size) to BatchProver
// for these tests.
type zkBatchProver struct {
	ps    map[int]*zk.BatchProver
	m     *zk.Model
	miner [32]byte
}

func (z *zkBatchProver) Sizes() []int {
	var out []int
	for k := range z.ps {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (z *zkBatchProver) ProveBatch(ctx context.Context, in [][]int8, epoch uint64) ([]uint32, []byte, []byte, error) {
	p, ok := z.ps[len(in)]
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: no batch of %d", api.ErrBadInput, len(in))
	}
	proof, pub, err := p.Prove(z.m, in, zk.Binding{HotkeyHash: zk.HotkeyHash(z.miner[:]), Epoch: epoch})
	if err != nil {
		return nil, nil, nil, err
	}
	pb, err := pub.MarshalBinary()
	return pub.Outputs, proof, pb, err
}

// TestBatchProofsOverHTTP serves a real batch proof over loopback on
// /v2/infer and verifies it as a validator would, against public inputs it
// rebuilds (the inputs it sent, in order, the classes answered, the miner's
// hotkey, the epoch); a batch size without keys, and a body over the batch
// limit, are refused; a miner without batches answers 404.
func TestBatchProofsOverHTTP(t *testing.T) {
	a, err := zk.ParseArch("16-8-4")
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := zk.SetupBatch(a, 4)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := zk.NewBatchProver(a, 4, pk)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := zk.NewBatchVerifier(vk, 4)
	if err != nil {
		t.Fatal(err)
	}
	m := smallModel(t, a)
	ts := start(t, func(c *Config) {
		c.InputLen = 16
		c.Batch = &zkBatchProver{ps: map[int]*zk.BatchProver{4: bp}, m: m, miner: testMiner}
		c.MaxBatchBody = 1 << 10
	})
	c := &api.Client{BaseURL: ts.url, Miner: testMiner, Signer: &api.Signer{ChainID: testChain, Key: high}}
	inputs := make([][]int8, 4)
	for j := range inputs {
		inputs[j] = zk.ChallengeInput([32]byte{byte(j)}, 1, 16)
	}
	resp, err := c.InferBatch(context.Background(), api.BatchInferRequest{ID: "b1", Epoch: 41, Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	classes, err := m.InferBatch(inputs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.Classes, classes) || resp.ID != "b1" || resp.Epoch != 41 {
		t.Fatalf("answer %+v, native classes %v", resp, classes)
	}
	want := zk.BatchPublic{ModelCommitment: m.Commitment(), InputsHash: zk.BatchInputsHash(inputs), Outputs: resp.Classes,
		HotkeyHash: zk.HotkeyHash(testMiner[:]), Epoch: 41}
	if err := ver.Verify(resp.Proof, want); err != nil {
		t.Fatalf("batch proof does not verify: %v", err)
	}
	if wb, _ := want.MarshalBinary(); !bytes.Equal(wb, resp.Public) {
		t.Fatal("public inputs sent differ from the rebuilt ones")
	}
	if info, err := c.Info(context.Background()); err != nil || !slices.Equal(info.BatchSizes, []int{4}) {
		t.Fatalf("info batch sizes: %+v, %v", info.BatchSizes, err)
	}
	var se *api.StatusError
	_, err = c.InferBatch(context.Background(), api.BatchInferRequest{ID: "b2", Epoch: 41, Inputs: inputs[:1]})
	if !errors.As(err, &se) || se.Status != 400 {
		t.Fatalf("a batch of 1 to a miner with k=4 keys only: %v, want 400", err)
	}
	big := make([][]int8, 16)
	for j := range big {
		big[j] = slices.Repeat([]int8{-100}, 16)
	}
	_, err = c.InferBatch(context.Background(), api.BatchInferRequest{ID: "b3", Epoch: 41, Inputs: big})
	if !errors.As(err, &se) || se.Status != 413 {
		t.Fatalf("a body over MaxBatchBody: %v, want 413", err)
	}

	plain := start(t, nil)
	pc := &api.Client{BaseURL: plain.url, Miner: testMiner, Signer: &api.Signer{ChainID: testChain, Key: high}}
	_, err = pc.InferBatch(context.Background(), api.BatchInferRequest{ID: "b4", Epoch: 1, Inputs: [][]int8{make([]int8, 8)}})
	if !errors.As(err, &se) || se.Status != 404 {
		t.Fatalf("a miner without batches: %v, want 404", err)
	}
}

// fakeBatch answers any batch of its sizes at once, with class 0 for every
// input and a placeholder proof, and counts the inputs it proved.
type fakeBatch struct {
	sizes  []int
	proved atomic.Int64
}

func (f *fakeBatch) Sizes() []int { return f.sizes }

func (f *fakeBatch) ProveBatch(ctx context.Context, in [][]int8, epoch uint64) ([]uint32, []byte, []byte, error) {
	f.proved.Add(int64(len(in)))
	return make([]uint32, len(in)), []byte("proof"), []byte("public"), nil
}

// TestBatchCostsItsInputs is the regression test of a free-proving hole: a
// batch counted as one request against the caller's rate limit, so a
// permit holder (any stake) got 16 proved inferences per token, 16 times
// what the limit lets /v1/infer give it. A batch of k now costs k tokens
// (capped at the burst): with a burst of 20 and no refill, one batch of 16
// passes, a second is 429 with a Retry-After, a batch of 4 then fits, and
// nothing is left for /v1/infer.
func TestBatchCostsItsInputs(t *testing.T) {
	fb := &fakeBatch{sizes: []int{1, 4, 16}}
	ts := start(t, func(c *Config) {
		c.Batch = fb
		c.CallerRate, c.CallerBurst = 0.0001, 20
	})
	batch := func(id string, k int) reply {
		inputs := make([][]int8, k)
		for j := range inputs {
			inputs[j] = make([]int8, 8)
		}
		body, _ := json.Marshal(api.BatchInferRequest{ID: id, Epoch: 9, Inputs: inputs})
		return send(t, ts.url, high, api.PathInferBatch, body, nil, nil)
	}
	mustStatus(t, batch("b1", 16), 200, "")
	r := batch("b2", 16)
	mustStatus(t, r, 429, api.CodeRateLimited)
	if r.retryAfter == "" {
		t.Fatal("429 without Retry-After")
	}
	mustStatus(t, batch("b3", 4), 200, "")
	mustStatus(t, send(t, ts.url, high, api.PathInfer, inferBody("s1", 1), nil, nil), 429, api.CodeRateLimited)
	// Out of tokens, a batch is refused before its body is decoded.
	mustStatus(t, send(t, ts.url, high, api.PathInferBatch, []byte("{{{"), nil, nil), 429, api.CodeRateLimited)
	if got := fb.proved.Load(); got != 20 {
		t.Fatalf("proved %d inputs for a burst of 20", got)
	}

	// A batch larger than the burst needs a full bucket, not more.
	small := &fakeBatch{sizes: []int{16}}
	ts = start(t, func(c *Config) {
		c.Batch = small
		c.CallerRate, c.CallerBurst = 0.0001, 8
	})
	mustStatus(t, batch("c1", 16), 200, "")
	mustStatus(t, batch("c2", 16), 429, api.CodeRateLimited)
}

// TestReplaySpendsNoAllowance is the regression test of a lockout: the
// rate limit was spent before the replay cache was asked, so anyone who
// saw one signed request (on its path) could replay it, each replay a 409
// that spent its signer's allowance, and a batch of 16 now costs 16: the
// validator's own next requests were 429. A nonce already used is now
// refused before the rate limit.
func TestReplaySpendsNoAllowance(t *testing.T) {
	ts := start(t, func(c *Config) {
		c.Batch = &fakeBatch{sizes: []int{1, 4, 16}}
		c.CallerRate, c.CallerBurst = 0.0001, 20
	})
	inputs := make([][]int8, 4)
	for j := range inputs {
		inputs[j] = make([]int8, 8)
	}
	body, _ := json.Marshal(api.BatchInferRequest{ID: "v1", Epoch: 9, Inputs: inputs})
	req, _ := http.NewRequest(http.MethodPost, ts.url+api.PathInferBatch, bytes.NewReader(body))
	if err := (&api.Signer{ChainID: testChain, Key: high}).Sign(req, body, testMiner); err != nil {
		t.Fatal(err)
	}
	again := func() *http.Request {
		r2, _ := http.NewRequest(http.MethodPost, ts.url+api.PathInferBatch, bytes.NewReader(body))
		r2.Header = req.Header.Clone()
		return r2
	}
	mustStatus(t, do(t, again()), 200, "") // 4 of 20 spent
	for range 10 {
		mustStatus(t, do(t, again()), 409, api.CodeReplay)
	}
	inputs = append(inputs, inputs...)
	inputs = append(inputs, inputs...)
	body, _ = json.Marshal(api.BatchInferRequest{ID: "v2", Epoch: 9, Inputs: inputs})
	mustStatus(t, send(t, ts.url, high, api.PathInferBatch, body, nil, nil), 200, "") // the other 16
	mustStatus(t, send(t, ts.url, high, api.PathInfer, inferBody("v3", 1), nil, nil), 429, api.CodeRateLimited)
}
