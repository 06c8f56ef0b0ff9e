package validator

import (
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/zk"
)

// batchMiner is a miner's batch prover over the real batch circuit; the
// cheaters tamper with one thing.
type batchMiner struct {
	p *zk.BatchProver
	m *zk.Model
	// hotkey is whose hotkey the proof binds.
	hotkey [32]byte
	// flip changes the class of input 1 after proving; reverse proves the
	// inputs in reverse order and answers the classes back in the order
	// sent.
	flip, reverse bool
}

func (b *batchMiner) Sizes() []int { return []int{b.p.K()} }

func (b *batchMiner) ProveBatch(_ context.Context, in [][]int8, epoch uint64) ([]uint32, []byte, []byte, error) {
	if b.reverse {
		in = slices.Clone(in)
		slices.Reverse(in)
	}
	proof, pub, err := b.p.Prove(b.m, in, zk.Binding{HotkeyHash: zk.HotkeyHash(b.hotkey[:]), Epoch: epoch})
	if err != nil {
		return nil, nil, nil, err
	}
	pb, _ := pub.MarshalBinary()
	classes := slices.Clone(pub.Outputs)
	if b.reverse {
		slices.Reverse(classes)
	}
	if b.flip {
		classes[1] = (classes[1] + 1) % 10
	}
	return classes, proof, pb, nil
}

// startBatchMiner runs a real miner server serving /v2/infer with bp (and
// /v1/infer with a prover that fails, so only batches can score).
func startBatchMiner(t testing.TB, k ed25519.PrivateKey, bp server.BatchProver, validators ...[32]byte) string {
	t.Helper()
	permits := map[[32]byte]uint64{}
	for _, v := range validators {
		permits[v] = 1000
	}
	cfg := server.Config{
		ChainID: testChain, Miner: pub(k), Subnet: testNet, InputLen: 49,
		Prover: stallProver{}, Permits: server.NewPermitSet(permits), QueueCap: 64,
		RequestTimeout: 2 * time.Minute, CallerRate: 1e6, CallerBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, Workers: 2,
		Hardware: func() hw.Summary { return hw.Summary{CPUCores: 1, CPUOnly: true} },
	}
	if bp != nil {
		cfg.Batch = bp
	}
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s.Handler(), func(ctx context.Context) { _ = s.Shutdown(ctx) }, s.Serve)
}

// TestBatchQueries sends each miner its 4 challenges of a tempo (3 graded,
// 1 decoy, shuffled) in one /v2/infer batch and checks one batch proof: an
// honest miner's answers are all Valid and graded against the labels; a
// wrong class for one input, the inputs proved in another order, a proof of
// other weights or bound to another hotkey make the whole batch Invalid; a
// miner without batches (404) is Failed.
func TestBatchQueries(t *testing.T) {
	f := getFixture(t)
	pk, vk, err := zk.SetupBatch(f.arch, 4)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := zk.NewBatchProver(f.arch, 4, pk)
	if err != nil {
		t.Fatal(err)
	}
	bv, err := zk.NewBatchVerifier(vk, 4)
	if err != nil {
		t.Fatal(err)
	}
	c := newFakeChain(f, nil, false)
	v := newValidator(t, t.TempDir(), c, pub(key(100)), nil)
	me := pub(key(100))
	snap := c.snap
	miners := []struct {
		name string
		bm   *batchMiner // nil: no batch endpoint
		want Outcome
	}{
		{"honest", &batchMiner{p: bp, m: f.good}, Valid},
		{"wrong class", &batchMiner{p: bp, m: f.good, flip: true}, Invalid},
		{"reordered", &batchMiner{p: bp, m: f.good, reverse: true}, Invalid},
		{"other weights", &batchMiner{p: bp, m: f.other}, Invalid},
		{"other hotkey", &batchMiner{p: bp, m: f.good, hotkey: pub(key(9))}, Invalid},
		{"no batches", nil, Failed},
	}
	for i, mc := range miners {
		k := key(byte(20 + i))
		var bpv server.BatchProver
		if mc.bm != nil {
			if mc.bm.hotkey == ([32]byte{}) {
				mc.bm.hotkey = pub(k)
			}
			bpv = mc.bm
		}
		n := Neuron{UID: uint16(i + 1), Hotkey: pub(k), Endpoint: startBatchMiner(t, k, bpv, me), ModelCommitment: f.good.Commitment()}
		chs, err := PlanChallenges(TempoSecret(v.secret, snap.Seed, snap.Epoch), snap.Seed, snap.Epoch, n.UID, f.data, 49, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		answers := v.queryMinerBatch(context.Background(), bv, n, chs, snap.Epoch, 10)
		for j, a := range answers {
			if a.Outcome != mc.want {
				t.Fatalf("%s: answer %d is %s (%v), want %s", mc.name, j, a.Outcome, a.Err, mc.want)
			}
			if a.Graded != chs[j].Graded {
				t.Fatalf("%s: graded flag of answer %d", mc.name, j)
			}
		}
		if mc.want == Valid {
			for j, a := range answers {
				cls, _, _ := f.good.Infer(chs[j].Input)
				if a.Class != cls || a.Correct != (chs[j].Graded && cls == chs[j].Label) || a.Latency <= 0 {
					t.Fatalf("answer %d: %+v, native class %d", j, a, cls)
				}
			}
		}
		if mc.want == Failed {
			var se *api.StatusError
			if !errors.As(answers[0].Err, &se) || se.Status != 404 {
				t.Fatalf("%s: %v, want a 404", mc.name, answers[0].Err)
			}
		}
	}
}

// TestBatchTempo runs a tempo with a batch verifier for Graded+Decoys = 4:
// each miner gets one /v2/infer batch (the plan's graded and decoy inputs
// mixed), and the scores come from it: the honest batch miner's 4 answers
// are Valid with its graded ones scored, the one answering a wrong class
// for one input gets 4 Invalid and no weight.
func TestBatchTempo(t *testing.T) {
	f := getFixture(t)
	pk, vk, err := zk.SetupBatch(f.arch, 4)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := zk.NewBatchProver(f.arch, 4, pk)
	if err != nil {
		t.Fatal(err)
	}
	bv, err := zk.NewBatchVerifier(vk, 4)
	if err != nil {
		t.Fatal(err)
	}
	me := pub(key(100))
	neurons := []Neuron{{UID: 0, Hotkey: me, ValidatorPermit: true, Stake: 1000}}
	for i, flip := range []bool{false, true} {
		k := key(byte(30 + i))
		neurons = append(neurons, Neuron{UID: uint16(i + 1), Hotkey: pub(k), ModelCommitment: f.good.Commitment(),
			Endpoint: startBatchMiner(t, k, &batchMiner{p: bp, m: f.good, hotkey: pub(k), flip: flip}, me)})
	}
	c := newFakeChain(f, neurons, false)
	v := newValidator(t, t.TempDir(), c, me, func(cfg *Config) { cfg.BatchVerifiers = map[int]*zk.BatchVerifier{4: bv} })
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	honest, liar := rep.Miners[0], rep.Miners[1]
	wantCorrect, graded := expectCorrect(t, v, c.snap, 1, f.good)
	if honest.Valid != 4 || honest.Graded != graded || honest.Correct != wantCorrect {
		t.Fatalf("honest batch miner: %+v, want 4 valid, %d/%d correct", honest, wantCorrect, graded)
	}
	if liar.Invalid != 4 || liar.Valid != 0 {
		t.Fatalf("lying batch miner: %+v, want 4 invalid", liar)
	}
	if _, err := New(Config{ChainID: testChain, Subnet: testNet, Hotkey: key(100), Home: t.TempDir(), Chain: c,
		Submitter: submitter{c: c, hk: me}, Dataset: f.data, BatchVerifiers: map[int]*zk.BatchVerifier{16: bv}}); err == nil {
		t.Fatal("a k=4 verifier listed for 16 inputs accepted")
	}
}
