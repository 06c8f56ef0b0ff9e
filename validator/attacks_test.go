package validator

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/netguard"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/scoring"
)

// TestStallingMinerCommitsInTime is issue 12's first attack: miners that
// answer "200 {}" just before the request timeout, and miners that never
// answer. Before, a 200 answer reset the failure streak, so every staller
// was sent every challenge and a tempo of them ran past the epoch. Now each
// staller gets one request, scores 0, and the challenges stop in time for
// the commit.
func TestStallingMinerCommitsInTime(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	var hits atomic.Int64
	emptyLate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-time.After(3500 * time.Millisecond): // just under the 5 s timeout
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(200)
		w.Write([]byte(`{}`))
	})
	var silentHits atomic.Int64
	silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		silentHits.Add(1)
		<-r.Context().Done()
	})
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000},
		{UID: 1, Hotkey: pub(key(1)), ModelCommitment: f.good.Commitment(),
			Endpoint: startMiner(t, key(1), &zkProver{p: f.prover, m: f.good, hotkey: pub(key(1))}, vk)}}
	const stallers = 6
	for i := range stallers {
		h := http.Handler(emptyLate)
		if i%2 == 1 {
			h = silent
		}
		neurons = append(neurons, Neuron{UID: uint16(2 + i), Hotkey: pub(key(byte(2 + i))), ModelCommitment: f.good.Commitment(),
			Endpoint: startRaw(t, h)})
	}
	c := newFakeChain(f, neurons, true)
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) {
		cfg.Graded, cfg.Decoys = 4, 2
		// 5 s: the honest miner's proofs fit on a busy 2-core machine.
		cfg.RequestTimeout, cfg.LatencyTarget = 5*time.Second, 2*time.Second
	})
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != stallers/2 {
		t.Fatalf("the {} stallers got %d requests, want one each (%d)", n, stallers/2)
	}
	if n := silentHits.Load(); n != stallers/2 {
		t.Fatalf("the silent stallers got %d requests, want one each (%d)", n, stallers/2)
	}
	for _, m := range rep.Miners[1:] {
		if m.Score != 0 || m.EMA != 0 || m.Weight != 0 || m.Valid != 0 || m.Invalid+m.Failed != 1 || m.NotSent != 5 {
			t.Fatalf("staller uid %d: %+v", m.UID, m)
		}
	}
	if rep.Submit.Status != StatusCommitted || rep.Miners[0].Weight != 65535 {
		t.Fatalf("submit %+v, honest %+v", rep.Submit, rep.Miners[0])
	}
}

// TestTempoDeadlineLeavesTimeToCommit: with miners that hold every request
// open and a request timeout far longer than the epoch, the challenges stop
// CommitReserve blocks before the epoch ends and the commit still goes
// out. A miner that stalls until the window closes is failed, not skipped
// (the short-window stall: before, it was skipped and kept its EMA without
// answering): availability 0, the rest of its challenges not sent, its EMA
// decays as a non-answering miner's does. An honest miner in the same
// short window answers what fits and is never failed; and challenges the
// validator never sends because the window closed are skipped (EMA kept).
func TestTempoDeadlineLeavesTimeToCommit(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000},
		// A raw server that accepts the request and never answers.
		{UID: 1, Hotkey: pub(key(1)), ModelCommitment: f.good.Commitment(), Endpoint: startRaw(t, silent)},
		// A real miner whose prover never finishes.
		{UID: 2, Hotkey: pub(key(2)), ModelCommitment: f.good.Commitment(), Endpoint: startMiner(t, key(2), stallProver{}, vk)},
		{UID: 3, Hotkey: pub(key(3)), ModelCommitment: f.good.Commitment(),
			Endpoint: startMiner(t, key(3), &zkProver{p: f.prover, m: f.good, hotkey: pub(key(3))}, vk)},
		// Honest but slow: 2 s and more an answer, so the 7 s window closes
		// on its later challenges.
		{UID: 4, Hotkey: pub(key(4)), ModelCommitment: f.good.Commitment(),
			Endpoint: startMiner(t, key(4), slowProver{&zkProver{p: f.prover, m: f.good, hotkey: pub(key(4))}, 2 * time.Second}, vk)},
		// Answers its first request, then stalls until the window closes.
		{UID: 5, Hotkey: pub(key(5)), ModelCommitment: f.good.Commitment(),
			Endpoint: startMiner(t, key(5), &firstThenStall{p: &zkProver{p: f.prover, m: f.good, hotkey: pub(key(5))}}, vk)},
	}
	c := newFakeChain(f, neurons, true) // 10 blocks left in the epoch
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) {
		// A 7 s window (7 blocks of 1 s), far under the 1 min request
		// timeout: a short tempo on a devnet.
		cfg.RequestTimeout, cfg.BlockTime, cfg.CommitReserve = time.Minute, time.Second, 3
	})
	// Previous tempos' EMAs.
	const half = scoring.Fixed(1 << 31)
	for uid := range uint16(5) {
		v.st.Miners = append(v.st.Miners, minerState{UID: uid + 1, Hotkey: hexHash(pub(key(byte(uid + 1)))), EMA: uint64(half)})
	}
	decayed, _ := scoring.EMA(half, 0, v.cfg.EMAAlphaPPM)
	start := time.Now()
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	rep.WriteText(&sb)
	t.Logf("\n%s", sb.String())
	if took := time.Since(start); took > 30*time.Second || rep.DeadlineMs != 7000 {
		t.Fatalf("tempo took %s, deadline %d ms", took, rep.DeadlineMs)
	}
	for _, m := range rep.Miners[:2] {
		if m.Unscored || m.Failed != 1 || m.NotSent != m.Requests-1 || m.Skipped != 0 || m.Availability != 0 ||
			m.Score != 0 || m.EMA.Fixed() != decayed || len(m.Errors) != 1 || !strings.Contains(m.Errors[0], "window closed") {
			t.Fatalf("staller uid %d: %+v, want failed at the window's close, EMA %s", m.UID, m, decayed)
		}
	}
	if h := rep.Miners[2]; h.Failed != 0 || h.Invalid != 0 || h.NotSent != 0 || h.Valid == 0 || h.Valid+h.Skipped != h.Requests {
		t.Fatalf("honest miner in a short window: %+v, want valid answers, the rest skipped, none failed", h)
	}
	// The slow one answers what fits: the request the window's close cuts
	// and the rest are skipped, nothing failed.
	if h := rep.Miners[3]; h.Failed != 0 || h.Invalid != 0 || h.NotSent != 0 || h.Valid == 0 || h.Skipped == 0 || h.Valid+h.Skipped != h.Requests {
		t.Fatalf("slow honest miner in a short window: %+v, want valid answers, the rest skipped, none failed", h)
	}
	// One answer, then a stall: scored on that answer against the whole
	// plan's luck margin (3 graded: M = 10 > D = 9 of one answer), so
	// quality 0 and the EMA decays; before, one right answer of one was
	// quality 1.
	if m := rep.Miners[4]; m.Valid != 1 || m.Failed != 0 || m.Skipped != m.Requests-1 || m.Quality != 0 || m.Score != 0 || m.EMA.Fixed() != decayed {
		t.Fatalf("answer-once-then-stall miner: %+v, want quality 0, EMA %s", m, decayed)
	}
	if rep.Submit.Status != StatusCommitted {
		t.Fatalf("submit %+v", rep.Submit)
	}
	// No window left at all (the tempo starts inside the commit reserve):
	// nothing is sent, every challenge is skipped, every EMA is kept.
	c.advance()
	c.mu.Lock()
	c.snap.Height = c.snap.NextEpochHeight - 2
	c.mu.Unlock()
	before := map[uint16]Frac{}
	for _, m := range rep.Miners {
		before[m.UID] = m.EMA
	}
	rep, err = v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.Miners {
		if !m.Unscored || m.Skipped != m.Requests || m.Failed != 0 || m.EMA != before[m.UID] {
			t.Fatalf("uid %d with no window: %+v, want every challenge skipped, EMA %s kept", m.UID, m, before[m.UID])
		}
	}
}

// TestShutdownMidTempoDiscards is issue 20's Ctrl-C: the daemon's context
// ends while challenges are in flight. Nothing of the tempo is scored or
// saved (the miners' EMAs are untouched, no commit is sent) and the next
// Step, after a restart, redoes the tempo.
func TestShutdownMidTempoDiscards(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	var block atomic.Bool
	block.Store(true)
	arrived := make(chan struct{}, 16)
	honest := &zkProver{p: f.prover, m: f.good, hotkey: pub(key(1))}
	inner := startMiner(t, key(1), honest, vk)
	proxy := startRaw(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if block.Load() {
			arrived <- struct{}{}
			<-r.Context().Done()
			return
		}
		// Pass through to the real miner.
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, inner+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			w.WriteHeader(502)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		b := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(b)
			w.Write(b[:n])
			if err != nil {
				return
			}
		}
	}))
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000},
		{UID: 1, Hotkey: pub(key(1)), ModelCommitment: f.good.Commitment(), Endpoint: proxy}}
	c := newFakeChain(f, neurons, true)
	home := t.TempDir()
	v := newValidator(t, home, c, vk, nil)
	before := minerState{UID: 1, Hotkey: hexHash(pub(key(1))), EMA: 3 << 30}
	v.st.Miners = []minerState{before}
	if err := v.st.save(home); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	rep, err := v.Step(ctx)
	if err == nil || rep != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted step: %+v %v", rep, err)
	}
	st, err := loadState(home, state{Version: stateVersion, ChainID: testChain, Subnet: testNet, Hotkey: vk})
	if err != nil || st.Scored || len(st.Records) != 0 || len(st.Miners) != 1 || st.Miners[0] != before {
		t.Fatalf("state after the interrupted tempo: %+v %v", st, err)
	}
	if v.st.Scored || c.nCommit != 0 {
		t.Fatalf("scored %v, %d commits", v.st.Scored, c.nCommit)
	}
	// Restart in the same epoch: the tempo is redone and scored.
	block.Store(false)
	v = newValidator(t, home, c, vk, nil)
	rep, err = v.Step(context.Background())
	if err != nil || rep == nil || rep.Miners[0].Valid != 4 || rep.Submit.Status != StatusCommitted {
		t.Fatalf("redone tempo: %+v %v", rep, err)
	}
}

// TestJunkFastModelScoresZero is issue 12's junk-model attack: a model that
// proves instantly but answers no better than chance used to keep the 30%
// of the score that latency and availability give (about 0.37 against 0.98
// for an honest model). Quality now gates the score, and its luck margin
// (QualityMargin) takes a lucky junk tempo to 0 too: at 15 of 100 right,
// K*correct - graded = 50 is under the margin floor(2*sqrt(900)) = 60 (the
// margin-less formula gave it 50/900 and a score of about 0.02). The
// honest model at 97 of 100 keeps quality (970-100-60)/(900-60) = 0.964.
func TestJunkFastModelScoresZero(t *testing.T) {
	f := getFixture(t)
	c := newFakeChain(f, nil, true)
	v := newValidator(t, t.TempDir(), c, pub(key(100)), nil)
	answers := func(correct, graded int, lat time.Duration) []Answer {
		var out []Answer
		for i := range graded {
			out = append(out, Answer{Outcome: Valid, Graded: true, Correct: i < correct, Latency: lat})
		}
		return out
	}
	n := Neuron{UID: 1}
	junk := v.scoreMiner(n, answers(10, 100, time.Millisecond), 10) // chance: 1 in 10
	lucky := v.scoreMiner(n, answers(15, 100, time.Millisecond), 10)
	honest := v.scoreMiner(n, answers(97, 100, 3*time.Second), 10)
	t.Logf("junk %s, lucky junk %s, honest %s", junk.Score.Format(4), lucky.Score.Format(4), honest.Score.Format(4))
	if junk.Score != 0 {
		t.Fatalf("a chance-level model scores %s", junk.Score.Format(4))
	}
	if lucky.Score != 0 || float64(honest.Score)/(1<<32) < 0.9 {
		t.Fatalf("lucky junk %s against honest %s", lucky.Score.Format(4), honest.Score.Format(4))
	}
}

// TestEndpointPolicy is issue 12's SSRF: miner endpoints on loopback, a
// private range or a cloud metadata address are refused without being
// dialed under the default policy, also when a name resolves to loopback
// (checked at connect time); a devnet opts in to loopback.
func TestEndpointPolicy(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	var hits atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.WriteHeader(500) })
	local := startRaw(t, h)
	named := strings.Replace(local, "127.0.0.1", "localhost", 1)
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000}}
	for i, ep := range []string{local, named, "http://169.254.169.254:80", "http://[fd00:ec2::254]:80", "http://10.1.2.3:8091",
		"ftp://example.com:21", "http://example.com"} {
		neurons = append(neurons, Neuron{UID: uint16(1 + i), Hotkey: pub(key(byte(1 + i))), ModelCommitment: f.good.Commitment(), Endpoint: ep})
	}
	c := newFakeChain(f, neurons, true)
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) { cfg.Endpoints = EndpointPolicy{} })
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the validator dialed a loopback miner %d times", hits.Load())
	}
	for _, m := range rep.Miners {
		if m.Failed != 1 || m.Valid != 0 || len(m.Errors) == 0 ||
			!(strings.Contains(m.Errors[0], "refused") || strings.Contains(m.Errors[0], "want http(s)://host:port")) {
			t.Fatalf("uid %d: %+v", m.UID, m)
		}
	}
	// Loopback allowed (a devnet): the miner is dialed.
	c.advance()
	v = newValidator(t, t.TempDir(), c, vk, func(cfg *Config) { cfg.Endpoints = EndpointPolicy{AllowLoopback: true} })
	if _, err := v.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 2 {
		t.Fatalf("with loopback allowed: %d requests, want one to each of the two loopback endpoints", hits.Load())
	}
	if !errors.Is(netguard.Policy{AllowLoopback: true, AllowPrivate: true}.CheckURL("http://169.254.169.254:80"), netguard.ErrRefused) {
		t.Fatal("metadata allowed")
	}
}

// TestWaitReadyRegistrationRace is issue 12's start-up race: the daemon's
// node has not executed the registration yet. WaitReady waits (bounded)
// and proceeds once it lands; it gives up with the fix when it never does,
// and fails at once on a dataset that does not fit the task.
func TestWaitReadyRegistrationRace(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	c := newFakeChain(f, nil, true)
	go func() {
		time.Sleep(300 * time.Millisecond)
		c.mu.Lock()
		c.snap.Neurons = append(c.snap.Neurons, Neuron{UID: 3, Hotkey: vk, ValidatorPermit: true, Stake: 10})
		c.mu.Unlock()
	}()
	snap, err := WaitReady(context.Background(), c, testNet, vk, f.data, 20*time.Second, 50*time.Millisecond, nil)
	if err != nil || len(snap.Neurons) != 1 {
		t.Fatalf("after the registration landed: %v", err)
	}
	_, err = WaitReady(context.Background(), c, testNet, pub(key(99)), f.data, 200*time.Millisecond, 50*time.Millisecond, nil)
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "register") {
		t.Fatalf("never registered: %v", err)
	}
	c.snap.Neurons[0].ValidatorPermit = false
	_, err = WaitReady(context.Background(), c, testNet, vk, f.data, 200*time.Millisecond, 50*time.Millisecond, nil)
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "permit") {
		t.Fatalf("no permit: %v", err)
	}
	wrong := &task.Samples{Inputs: [][]int8{make([]int8, 784)}, Labels: []uint32{0}}
	_, err = WaitReady(context.Background(), c, testNet, vk, wrong, time.Hour, 50*time.Millisecond, nil)
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "mnist-7x7") {
		t.Fatalf("dataset mismatch: %v", err)
	}
	_, err = WaitReady(context.Background(), missingSubnet{c}, testNet, vk, f.data, 300*time.Millisecond, 50*time.Millisecond, nil)
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing subnet: %v", err)
	}
}

type missingSubnet struct{ *fakeChain }

func (missingSubnet) Snapshot(context.Context) (Snapshot, error) {
	return Snapshot{}, &chain.TxError{Code: chain.ErrSubnetNotFound.Code, Log: "subnet_not_found: 1"}
}

// TestChallengeSetAudit: after the reveal anyone rebuilds the tempo's
// challenges from the salt's tempo secret and checks them against the
// committed challenge-set hash; graded inputs are not byte-exact held-out
// samples, and decoys come from the same transform.
func TestChallengeSetAudit(t *testing.T) {
	f := getFixture(t)
	vk := pub(key(100))
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000},
		{UID: 1, Hotkey: pub(key(1)), ModelCommitment: f.good.Commitment(),
			Endpoint: startMiner(t, key(1), &zkProver{p: f.prover, m: f.good, hotkey: pub(key(1))}, vk)}}
	c := newFakeChain(f, neurons, true)
	// 8 graded, so the honest miner's quality clears the luck margin (from
	// 3 correct: 10*3 - 8 = 22 > floor(2*sqrt(72)) = 16; the model is 84%
	// accurate) and the tempo has a row to commit.
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) { cfg.Graded, cfg.Decoys = 8, 1 })
	snap, _ := c.Snapshot(context.Background())
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rec := v.st.record(snap.Epoch)
	if rec == nil || len(rec.Salt) != 64 || rec.Hash != CommitHash(testChain, testNet, vk, snap.Epoch, rec.Weights, rec.Salt) {
		t.Fatalf("record %+v", rec)
	}
	// The auditor's side: the revealed salt and public data only.
	var secret, setHash [32]byte
	copy(secret[:], rec.Salt[:32])
	copy(setHash[:], rec.Salt[32:])
	plan, err := PlanChallenges(secret, snap.Seed, snap.Epoch, 1, f.data, 49, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ChallengeSetHash(snap.Epoch, []uint16{1}, [][]Challenge{plan}) != setHash || rep.ChallengeSet == "" {
		t.Fatal("the revealed secret does not rebuild the committed challenge set")
	}
	exact := map[string]bool{}
	for _, x := range f.data.Inputs {
		exact[string(int8Bytes(x))] = true
	}
	for _, ch := range plan {
		if exact[string(int8Bytes(ch.Input))] {
			t.Fatalf("challenge %s is a held-out sample byte for byte", ch.ID)
		}
	}
}
