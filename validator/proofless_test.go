package validator

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// nativeProver answers its model's class with no proof (miner.NativeProver).
type nativeProver struct{ m *zk.Model }

func (n nativeProver) Prove(_ context.Context, in []int8, _ uint64) (uint32, []byte, []byte, error) {
	c, _, err := n.m.Infer(in)
	return c, nil, nil, err
}

// TestCheckAnswerProofRule: with a verifier (a proof-required subnet) an
// answer without a proof is invalid; without one (a proof-less subnet) it
// is checked without a proof, and a proof sent anyway is ignored.
func TestCheckAnswerProofRule(t *testing.T) {
	f := getFixture(t)
	n := Neuron{UID: 1, Hotkey: pub(key(1)), ModelCommitment: f.good.Commitment()}
	ch := Challenge{ID: "c1", Input: f.data.Inputs[0], Label: f.data.Labels[0], Graded: true}
	resp := api.InferResponse{ID: "c1", Epoch: 3, Class: 4}
	if err := CheckAnswer(f.verifier, n, ch, 3, 10, resp); !errors.Is(err, ErrNoProof) {
		t.Fatalf("proof-required subnet, answer without a proof: %v, want ErrNoProof", err)
	}
	if err := CheckAnswer(nil, n, ch, 3, 10, resp); err != nil {
		t.Fatalf("proof-less subnet, answer without a proof: %v", err)
	}
	resp.Proof, resp.Public = make([]byte, 196), make([]byte, zk.PublicSize)
	if err := CheckAnswer(nil, n, ch, 3, 10, resp); err != nil {
		t.Fatalf("proof-less subnet, answer with a junk proof: %v", err)
	}
	resp.Class = 10
	if err := CheckAnswer(nil, n, ch, 3, 10, resp); !errors.Is(err, ErrBadAnswer) {
		t.Fatalf("proof-less subnet, class out of range: %v", err)
	}
}

// TestProoflessSubnetScoresOutputs: on a proof-less subnet (no verifying
// key) the validator grades answers against its labels: an honest miner
// without proofs and one that proves anyway both score; miners answering
// random classes, with or without junk proofs, score about nothing.
func TestProoflessSubnetScoresOutputs(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	good := f.good.Commitment()
	type spec struct {
		name string
		n    byte
		p    interface {
			Prove(context.Context, []int8, uint64) (uint32, []byte, []byte, error)
		}
		honest bool
	}
	specs := []spec{
		{"honest-no-proof", 1, nativeProver{f.good}, true},
		{"honest-proves-anyway", 2, &zkProver{p: f.prover, m: f.good, hotkey: pub(key(2))}, true},
		{"random-no-proof", 3, &garbageProver{rng: rand.New(rand.NewPCG(3, 3)), nil: true}, false},
		{"random-junk-proof", 4, &garbageProver{rng: rand.New(rand.NewPCG(4, 4))}, false},
	}
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000}}
	for i, s := range specs {
		neurons = append(neurons, Neuron{UID: uint16(i + 1), Hotkey: pub(key(s.n)), ModelCommitment: good,
			Endpoint: startMiner(t, key(s.n), s.p, vk)})
	}
	c := newFakeChain(f, neurons, true)
	c.snap.Subnet.VerifyingKey, c.snap.Subnet.Proofless = nil, true
	// The miner that proves anyway makes 30 real proofs: on a loaded
	// machine that outlasts the default tempo budget, so give it room.
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) {
		cfg.Graded, cfg.Decoys = 30, 0
		cfg.BlockTime, cfg.MinerTimeout = time.Minute, 10*time.Minute
	})
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range specs {
		m := rep.Miners[i]
		if m.Invalid != 0 || m.Valid != 30 {
			t.Fatalf("%s: %+v, want 30 valid answers", s.name, m)
		}
		q := m.Quality.Fixed()
		if s.honest && (q < scoring.One*7/10 || m.Weight == 0) {
			t.Fatalf("%s: quality %s weight %d, want >= 0.7 and a weight", s.name, m.Quality, m.Weight)
		}
		if !s.honest && (q > scoring.One/4 || m.Weight > rep.Miners[0].Weight/4) {
			t.Fatalf("%s: quality %s weight %d (honest %d): random answers must score about nothing", s.name, m.Quality, m.Weight, rep.Miners[0].Weight)
		}
		t.Logf("%s: %d/%d correct, quality %s, weight %d", s.name, m.Correct, m.Graded, m.Quality, m.Weight)
	}
}
