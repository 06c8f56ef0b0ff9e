package miner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeChain is an injected-fault chain for the epoch loop: it scripts how
// each submit-proof and proof-landed query goes.
type fakeChain struct {
	mu          sync.Mutex
	epoch       uint64
	landed      map[uint64]bool
	submits     []EpochProof
	lateSubmits int // submits for an epoch whose proof had already landed
	// submit decides each attempt (1-based): whether the tx lands and
	// what error the submitter reports.
	submit     func(attempt int) (land bool, err error)
	landedErrs int // the next landedErrs ProofLanded calls fail
	// afterSubmitLandedErrs makes that many ProofLanded calls fail after
	// each submit (the node goes down right after broadcasting).
	afterSubmitLandedErrs int
	sourceErrs            int // the next sourceErrs CurrentEpoch calls fail
}

func seedOf(e uint64) [32]byte { return sha256.Sum256(binary.BigEndian.AppendUint64(nil, e)) }

func (c *fakeChain) CurrentEpoch(ctx context.Context) (uint64, [32]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sourceErrs > 0 {
		c.sourceErrs--
		return 0, [32]byte{}, errors.New("node unreachable")
	}
	return c.epoch, seedOf(c.epoch), nil
}

func (c *fakeChain) SubmitProof(ctx context.Context, p EpochProof) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.landed[p.Epoch] {
		c.lateSubmits++
	}
	c.submits = append(c.submits, p)
	land, err := true, error(nil)
	if c.submit != nil {
		land, err = c.submit(len(c.submits))
	}
	if land && p.Epoch == c.epoch {
		c.landed[p.Epoch] = true
	}
	c.landedErrs = c.afterSubmitLandedErrs
	return err
}

func (c *fakeChain) ProofLanded(ctx context.Context, epoch uint64) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.landedErrs > 0 {
		c.landedErrs--
		return false, errors.New("query timed out")
	}
	return c.landed[epoch], nil
}

// challenge derives 8 int8 values from the seed (stand-in for the subnet's
// dataset-index rule).
func challenge(epoch uint64, seed [32]byte) ([]int8, error) {
	in := make([]int8, 8)
	for i := range in {
		in[i] = int8(seed[i])
	}
	return in, nil
}

type hashProver struct{ fails int }

func (p *hashProver) Prove(ctx context.Context, in []int8, epoch uint64) (uint32, []byte, []byte, error) {
	if p.fails > 0 {
		p.fails--
		return 0, nil, nil, errors.New("out of memory")
	}
	h := sha256.New()
	for _, v := range in {
		h.Write([]byte{byte(v)})
	}
	return 3, h.Sum(nil), binary.BigEndian.AppendUint64(nil, epoch), nil
}

// loop builds an EpochLoop whose Sleep records the waits and runs tick
// (which may advance the fake chain's epoch).
func loop(c *fakeChain, p Prover, sleeps *[]time.Duration, tick func()) *EpochLoop {
	return &EpochLoop{
		Source: c, Challenge: challenge, Prover: p, Submitter: c,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error {
			*sleeps = append(*sleeps, d)
			if tick != nil {
				tick()
			}
			return ctx.Err()
		},
	}
}

func TestRunEpoch(t *testing.T) {
	transient := errors.New("broadcast: connection refused")
	cases := []struct {
		name       string
		chain      *fakeChain
		proverFail int
		tick       func(c *fakeChain, n int) // after the n-th sleep
		outcome    Outcome
		submits    int
		wantErr    error
		sleeps     []time.Duration
	}{
		{name: "lands first time", chain: &fakeChain{}, outcome: Landed, submits: 1},
		{name: "transient failures then lands", chain: &fakeChain{submit: func(n int) (bool, error) {
			if n < 4 {
				return false, transient
			}
			return true, nil
		}}, outcome: Landed, submits: 4, sleeps: []time.Duration{100e6, 200e6, 400e6}},
		{name: "error reported but tx landed: no second submit", chain: &fakeChain{submit: func(int) (bool, error) {
			return true, errors.New("broadcast: timed out waiting for commit")
		}}, outcome: AlreadyLanded, submits: 1, sleeps: []time.Duration{100e6}},
		{name: "chain rejects proof", chain: &fakeChain{submit: func(int) (bool, error) {
			return false, fmt.Errorf("submit-proof: proof invalid: %w", ErrPermanent)
		}}, outcome: Failed, submits: 1, wantErr: ErrPermanent},
		{name: "epoch ends while retrying", chain: &fakeChain{submit: func(int) (bool, error) { return false, transient }},
			tick: func(c *fakeChain, n int) {
				if n == 3 {
					c.epoch++
				}
			}, outcome: Failed, submits: 3, wantErr: ErrEpochOver, sleeps: []time.Duration{100e6, 200e6, 400e6}},
		{name: "already on chain", chain: &fakeChain{landed: map[uint64]bool{7: true}}, outcome: AlreadyLanded, submits: 0},
		{name: "landed query fails: wait, never guess", chain: &fakeChain{landedErrs: 2}, outcome: Landed, submits: 1,
			sleeps: []time.Duration{100e6, 200e6}},
		{name: "ambiguous failure and landed query down", chain: &fakeChain{afterSubmitLandedErrs: 2, submit: func(n int) (bool, error) {
			return n == 1, transient
		}}, outcome: AlreadyLanded, submits: 1, sleeps: []time.Duration{100e6, 200e6, 400e6}},
		{name: "prover fails then succeeds", chain: &fakeChain{}, proverFail: 2, outcome: Landed, submits: 1,
			sleeps: []time.Duration{100e6, 200e6}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.chain
			c.epoch = 7
			if c.landed == nil {
				c.landed = map[uint64]bool{}
			}
			var sleeps []time.Duration
			l := loop(c, &hashProver{fails: tc.proverFail}, &sleeps, func() {
				if tc.tick != nil {
					tc.tick(c, len(sleeps))
				}
			})
			res := l.RunEpoch(context.Background(), 7, seedOf(7))
			if res.Outcome != tc.outcome || res.Submits != tc.submits || len(c.submits) != tc.submits {
				t.Fatalf("outcome %v submits %d (chain saw %d), want %v %d; err %v", res.Outcome, res.Submits, len(c.submits), tc.outcome, tc.submits, res.Err)
			}
			if tc.wantErr != nil && !errors.Is(res.Err, tc.wantErr) {
				t.Fatalf("err %v, want %v", res.Err, tc.wantErr)
			}
			if tc.wantErr == nil && res.Err != nil {
				t.Fatalf("unexpected err %v", res.Err)
			}
			if c.lateSubmits != 0 {
				t.Fatalf("%d submissions after the proof had landed", c.lateSubmits)
			}
			if fmt.Sprint(sleeps) != fmt.Sprint(tc.sleeps) {
				t.Fatalf("backoff %v, want %v", sleeps, tc.sleeps)
			}
			// Every submission carries the same proof, bound to the epoch
			// and derived from its seed.
			want, _ := challenge(7, seedOf(7))
			for _, p := range c.submits {
				if p.Epoch != 7 || p.Seed != seedOf(7) || fmt.Sprint(p.Input) != fmt.Sprint(want) || len(p.Proof) != 32 ||
					binary.BigEndian.Uint64(p.Public) != 7 || string(p.Proof) != string(c.submits[0].Proof) {
					t.Fatalf("submitted %+v", p)
				}
			}
		})
	}
}

func TestRunHandlesEachEpochOnce(t *testing.T) {
	c := &fakeChain{epoch: 1, landed: map[uint64]bool{}, sourceErrs: 1, submit: func(n int) (bool, error) {
		if n == 2 { // epoch 2's first attempt fails
			return false, errors.New("mempool full")
		}
		return true, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var results []EpochResult
	polls := 0
	l := &EpochLoop{
		Source: c, Challenge: challenge, Prover: &hashProver{}, Submitter: c, Poll: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if d == time.Second { // a poll: the chain moves every 3 polls
				polls++
				if polls%3 == 0 {
					c.mu.Lock()
					c.epoch++
					c.mu.Unlock()
				}
			}
			return ctx.Err()
		},
		OnResult: func(r EpochResult) {
			results = append(results, r)
			if r.Epoch == 4 {
				cancel()
			}
		},
	}
	if err := l.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("results %+v, want epochs 1..4 once each", results)
	}
	for i, r := range results {
		if r.Epoch != uint64(i+1) || r.Outcome != Landed {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if results[1].Submits != 2 || len(c.submits) != 5 || c.lateSubmits != 0 {
		t.Fatalf("submits %d total %d late %d", results[1].Submits, len(c.submits), c.lateSubmits)
	}
}
