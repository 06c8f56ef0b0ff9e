package validator

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/zk"
)

func newValidator(t *testing.T, home string, c *fakeChain, vkey [32]byte, mut func(*Config)) *Validator {
	t.Helper()
	f := getFixture(t)
	cfg := Config{ChainID: testChain, Subnet: testNet, Hotkey: key(100), Home: home, Chain: c,
		Submitter: submitter{c: c, hk: vkey}, Dataset: f.data, Graded: 3, Decoys: 1,
		RequestTimeout: time.Minute, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		BlockTime: 10 * time.Second, Endpoints: EndpointPolicy{AllowLoopback: true}}
	if mut != nil {
		mut(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// expectCorrect is how many graded challenges model m answers right in the
// validator's plan for uid: what an honest miner must score.
func expectCorrect(t *testing.T, v *Validator, snap Snapshot, uid uint16, m *zk.Model) (correct, graded int) {
	t.Helper()
	chs, err := PlanChallenges(TempoSecret(v.secret, snap.Seed, snap.Epoch), snap.Seed, snap.Epoch, uid, v.cfg.Dataset, 49, v.cfg.Graded, v.cfg.Decoys)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chs {
		if !ch.Graded {
			continue
		}
		graded++
		if cls, _, err := m.Infer(ch.Input); err == nil && cls == ch.Label {
			correct++
		}
	}
	return correct, graded
}

// TestHonestMinersOutweighCheaters runs two tempos against real miner
// servers with real proofs: two honest miners (a good and a barely trained
// model) and four cheaters (random answers with garbage proofs, a proof of
// other weights than the committed model, a proof bound to another miner's
// hotkey, a proof for another epoch). Honest miners get all the weight, in
// the order of their accuracy; cheaters get 0; the commit of epoch 1 is
// revealed in epoch 2 and matches what the validator reported.
func TestHonestMinersOutweighCheaters(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	miner := func(n byte) [32]byte { return pub(key(n)) }
	prover := func(n byte, m *zk.Model, bind [32]byte, shift uint64) *zkProver {
		return &zkProver{p: f.prover, m: m, hotkey: bind, epochShift: shift}
	}
	good, weak := f.good.Commitment(), f.weak.Commitment()
	type spec struct {
		name   string
		n      byte
		commit [32]byte
		p      interface {
			Prove(context.Context, []int8, uint64) (uint32, []byte, []byte, error)
		}
		honest bool
	}
	specs := []spec{
		{"honest-good", 1, good, prover(1, f.good, miner(1), 0), true},
		{"honest-weak", 2, weak, prover(2, f.weak, miner(2), 0), true},
		{"garbage-proof", 3, good, &garbageProver{rng: rand.New(rand.NewPCG(3, 3))}, false},
		{"other-weights", 4, good, prover(4, f.other, miner(4), 0), false},
		{"copied-hotkey", 5, good, prover(5, f.good, miner(1), 0), false},
		{"other-epoch", 6, good, prover(6, f.good, miner(6), 1), false},
		{"no-proof", 7, good, &garbageProver{rng: rand.New(rand.NewPCG(7, 7)), nil: true}, false},
	}
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000}}
	for i, s := range specs {
		neurons = append(neurons, Neuron{UID: uint16(i + 1), Hotkey: miner(s.n), ModelCommitment: s.commit,
			Endpoint: startMiner(t, key(s.n), s.p, vk)})
	}
	neurons = append(neurons, Neuron{UID: uint16(len(specs) + 1), Hotkey: miner(50)}) // registered, not serving
	c := newFakeChain(f, neurons, true)
	// 8 graded: the good model's quality is positive from 3 correct
	// (K*correct - graded = 22 > the luck margin floor(2*sqrt(9*8)) = 16);
	// 84% accurate on transformed inputs, it has 2 or fewer right with
	// probability 3e-4, and the seeded plans are the same every run.
	const graded, decoys = 8, 1
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) { cfg.Graded, cfg.Decoys = graded, decoys })

	var reports []*Report
	for tempo := range 2 {
		snap, _ := c.Snapshot(context.Background())
		rep, err := v.Step(context.Background())
		if err != nil {
			t.Fatalf("tempo %d: %v", tempo, err)
		}
		if rep == nil || rep.Epoch != snap.Epoch || len(rep.Miners) != len(neurons)-1 {
			t.Fatalf("tempo %d: report %+v", tempo, rep)
		}
		var sb strings.Builder
		if err := rep.WriteText(&sb); err != nil {
			t.Fatal(err)
		}
		t.Logf("tempo %d:\n%s", tempo, sb.String())
		for i, s := range specs {
			m := rep.Miners[i]
			if m.UID != uint16(i+1) || m.Requests != graded+decoys || m.Graded != graded {
				t.Fatalf("%s: %+v", s.name, m)
			}
			if s.honest {
				mod := map[[32]byte]*zk.Model{good: f.good, weak: f.weak}[s.commit]
				want, _ := expectCorrect(t, v, snap, m.UID, mod)
				// Quality gates the score: a model no better than chance
				// earns nothing however fast it proves.
				if m.Valid != graded+decoys || m.Invalid != 0 || m.Correct != want || (m.Score == 0) != (m.Quality == 0) {
					t.Fatalf("%s: %+v, want all valid, %d correct, a score iff its quality is positive", s.name, m, want)
				}
			} else if m.Invalid != 1 || m.NotSent != graded+decoys-1 || m.Valid != 0 || m.Score != 0 || m.EMA != 0 || m.Weight != 0 || len(m.Errors) != 1 {
				t.Fatalf("%s: %+v, want 1 invalid, the rest not sent", s.name, m)
			}
		}
		idle := rep.Miners[len(specs)]
		if idle.Served || idle.Requests != 0 || idle.Weight != 0 {
			t.Fatalf("idle uid: %+v", idle)
		}
		g, w := rep.Miners[0], rep.Miners[1]
		if g.Correct > w.Correct && g.Weight <= w.Weight || g.Weight != 65535 && w.Weight != 65535 {
			t.Fatalf("good %d correct weight %d, weak %d correct weight %d", g.Correct, g.Weight, w.Correct, w.Weight)
		}
		if rep.Submit.Kind != "commit" || rep.Submit.Status != StatusCommitted || rep.Submit.Entries < 1 {
			t.Fatalf("submit %+v", rep.Submit)
		}
		reports = append(reports, rep)
		c.advance()
	}
	// Epoch 1's commit was revealed in epoch 2, with the reported weights.
	if reports[1].Reveal == nil || reports[1].Reveal.Status != StatusRevealed || reports[1].Reveal.Epoch != 1 {
		t.Fatalf("reveal %+v", reports[1].Reveal)
	}
	row := c.revealed[1]
	if len(row) != reports[0].Submit.Entries || row[0].UID != 1 || row[0].Value != reports[0].Miners[0].Weight {
		t.Fatalf("revealed %+v", row)
	}
	if c.nCommit != 2 || c.nReveal != 1 {
		t.Fatalf("%d commits, %d reveals", c.nCommit, c.nReveal)
	}
	// A step in an epoch already scored sends nothing.
	c.mu.Lock()
	c.snap.Epoch-- // back to epoch 2, scored
	c.mu.Unlock()
	if rep, err := v.Step(context.Background()); rep != nil || err != nil || c.nCommit != 2 {
		t.Fatalf("rescoring: %v %v, commits %d", rep, err, c.nCommit)
	}
	// The metrics saw the tempo.
	rec := httpGet(t, v.MetricsHandler())
	for _, want := range []string{`veritensor_validator_requests_total{outcome="invalid"} 10`, `veritensor_validator_scored_epoch 2`,
		`veritensor_validator_weight_txs_total{kind="reveal",result="ok"} 1`} {
		if !strings.Contains(rec, want) {
			t.Fatalf("metrics lack %q:\n%s", want, rec)
		}
	}
}

func httpGet(t *testing.T, h http.Handler) string {
	t.Helper()
	url := startRaw(t, h)
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestHostileMinersCostOnlyTheirScore puts one honest miner among miners
// that stall, trickle a slow-loris answer, send a huge body, send garbage,
// answer with the wrong shape, or are down: the tempo finishes, the honest
// miner gets the whole weight and every other one scores 0.
func TestHostileMinersCostOnlyTheirScore(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	honest := &zkProver{p: f.prover, m: f.good, hotkey: pub(key(1))}
	slowLoris := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		for i := 0; ; i++ {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	huge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.Write([]byte(`{"id":"`))
		w.Write([]byte(strings.Repeat("A", 4<<20)))
	})
	garbage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.Write([]byte("\x00\xffnot json at all"))
	})
	wrongShape := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		fmt.Fprint(w, `{"id":["x"],"epoch":"one","class":-1,"proof":17}`)
	})
	wrongClass := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A well-formed answer for another request: wrong id, class 4e9.
		w.WriteHeader(200)
		fmt.Fprint(w, `{"id":"e1-u1-0","epoch":1,"class":4000000000,"proof":"AAAA","public":""}`)
	})
	neurons := []Neuron{
		{UID: 0, Hotkey: vk, ValidatorPermit: true},
		{UID: 1, Hotkey: pub(key(1)), ModelCommitment: f.good.Commitment(), Endpoint: startMiner(t, key(1), honest, vk)},
		{UID: 2, Hotkey: pub(key(2)), ModelCommitment: f.good.Commitment(), Endpoint: startMiner(t, key(2), stallProver{}, vk)},
		{UID: 3, Hotkey: pub(key(3)), ModelCommitment: f.good.Commitment(), Endpoint: startRaw(t, slowLoris)},
		{UID: 4, Hotkey: pub(key(4)), ModelCommitment: f.good.Commitment(), Endpoint: startRaw(t, huge)},
		{UID: 5, Hotkey: pub(key(5)), ModelCommitment: f.good.Commitment(), Endpoint: startRaw(t, garbage)},
		{UID: 6, Hotkey: pub(key(6)), ModelCommitment: f.good.Commitment(), Endpoint: startRaw(t, wrongShape)},
		{UID: 7, Hotkey: pub(key(7)), ModelCommitment: f.good.Commitment(), Endpoint: startRaw(t, wrongClass)},
		{UID: 8, Hotkey: pub(key(8)), ModelCommitment: f.good.Commitment(), Endpoint: deadEndpoint(t)},
		{UID: 9, Hotkey: pub(key(9)), ModelCommitment: f.good.Commitment(), Endpoint: "http://[::1"}, // unparsable
	}
	c := newFakeChain(f, neurons, false)
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) {
		// 8 graded: quality is positive from 3 correct (K*correct -
		// graded = 22 > the luck margin floor(2*sqrt(9*8)) = 16); the good
		// model, 84% accurate on transformed inputs, has 2 or fewer right
		// with probability 3e-4, and the seeded plan is the same every run.
		cfg.Graded, cfg.Decoys = 8, 0
		cfg.RequestTimeout = 8 * time.Second
	})
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep.WriteText(&sb)
	t.Logf("\n%s", sb.String())
	// Each bad miner gets one request: the rest are not sent.
	want := map[uint16]struct{ valid, invalid, failed, notSent int }{
		1: {8, 0, 0, 0}, 2: {0, 0, 1, 7}, 3: {0, 0, 1, 7}, 4: {0, 0, 1, 7}, 5: {0, 1, 0, 7}, 6: {0, 1, 0, 7}, 7: {0, 1, 0, 7}, 8: {0, 0, 1, 7}, 9: {0, 0, 1, 7},
	}
	for _, m := range rep.Miners {
		w := want[m.UID]
		if m.Valid != w.valid || m.Invalid != w.invalid || m.Failed != w.failed || m.NotSent != w.notSent {
			t.Fatalf("uid %d: %+v, want %+v", m.UID, m, w)
		}
		if (m.UID == 1) != (m.Weight == 65535) || (m.UID != 1 && (m.Weight != 0 || m.Score != 0 || len(m.Errors) != 1)) {
			t.Fatalf("uid %d: score %s weight %d errors %q", m.UID, m.Score.Format(3), m.Weight, m.Errors)
		}
	}
	// Without commit-reveal the row is set directly, once per rate limit.
	if rep.Submit.Kind != "set" || rep.Submit.Status != StatusCommitted || len(c.set) != 1 || c.set[0][0].UID != 1 {
		t.Fatalf("submit %+v, set %+v", rep.Submit, c.set)
	}
}
