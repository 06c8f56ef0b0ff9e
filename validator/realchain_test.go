package validator

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/ceremonytest"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

const realChainID = "vt-validator-chain"

// startChainMiner runs a real miner server for hotkey k on subnet id of the
// real chain, answering the validator hotkeys in permits.
func startChainMiner(t *testing.T, k ed25519.PrivateKey, id uint16, p server.Prover, permits map[[32]byte]uint64) string {
	t.Helper()
	s, err := server.New(server.Config{
		ChainID: realChainID, Miner: pub(k), Subnet: id, InputLen: 49,
		Prover: p, Permits: server.NewPermitSet(permits), QueueCap: 64, Workers: 2,
		RequestTimeout: time.Minute, CallerRate: 1e6, CallerBurst: 1e6, IPRate: 1e6, IPBurst: 1e6,
		Hardware: func() hw.Summary { return hw.Summary{CPUCores: 1, CPUOnly: true} },
	})
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s.Handler(), func(ctx context.Context) { _ = s.Shutdown(ctx) }, s.Serve)
}

// rowOf is the weight row a report submitted (entries with a weight, by
// UID), scaled as the chain stores it: the maximum becomes 65535.
func rowOf(r *Report) []scoring.Weight {
	var row []scoring.Weight
	var top uint64
	for _, m := range r.Miners {
		if m.Weight > 0 {
			row = append(row, scoring.Weight{UID: m.UID, Value: m.Weight})
			top = max(top, uint64(m.Weight))
		}
	}
	for i := range row {
		row[i].Value = uint16(max(uint64(row[i].Value)*65535/top, 1))
	}
	return row
}

// TestRealChainCommitRevealRestart runs the engine through ChainClient
// against a real 2-node CometBFT network on loopback: a commit-reveal
// subnet created with the real 49-16-10 verifying key, a staked validator
// and three real miner servers registered and serving on chain (an honest
// good model, an honest weak model, and a cheater that serves the good
// model's commitment but proves other weights). The validator learns every
// endpoint and commitment from the chain. It checks that:
//   - SubscribeBlocks delivers increasing heights over the websocket;
//   - the commit of tempo E lands on chain in epoch E with the reported hash;
//   - in E+1 the engine reveals it, and the row the chain stores for the
//     validator is exactly the row it reported for E: both honest miners
//     hold weight (ordered by their EMAs), the cheater, whose every proof
//     fails against its on-chain commitment, none;
//   - a validator stopped after committing in E+1 and restarted from the
//     same home does not rescore or recommit E+1, and reveals E+1's commit
//     (salt from disk) in E+2, which the chain accepts and stores.
func TestRealChainCommitRevealRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	f := getFixture(t)
	start := time.Now()
	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey(realChainID, i) }
	const bal = 1_000_000_000_000_000
	var accts []chain.GenesisAccount
	for _, i := range []int{0, 1, 2, 3, 10, 11, 12, 13} {
		accts = append(accts, chain.GenesisAccount{Address: addrOf(key(i)), Balance: bal})
	}
	net, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 2, ChainID: realChainID, Accounts: accts, Params: ceremonytest.Params(),
		Config: node.Config{TimeoutCommit: node.Duration(200 * time.Millisecond), CreateEmptyBlocks: true, LogLevel: os.Getenv("VALIDATOR_CHAIN_LOG")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	if err := net.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	c, err := net.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	const fee = 100

	// The subnet: commit-reveal on, no on-chain proof requirement (the
	// validator's off-chain challenges are under test), one permit.
	h := chain.DefaultHyperparams()
	h.MinValidatorStake = 0 // this test stakes a few units
	h.Tempo, h.ImmunityPeriod, h.MaxUIDs, h.MaxValidators = 40, 1000, 8, 1
	h.RegistrationBurn, h.RequireProof, h.CommitReveal = 1_000_000, false, true
	cer, err := ceremonytest.Seal(ctx, c, net.Keys[0].Private, key(0), testArch, f.vk, sha256.Sum256(f.pk))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSubnet(ctx, net.Keys[0].Private, &chain.MsgSubnetCreate{Name: "mnist-7x7", Arch: testArch,
		Ceremony: cer, ScoringRule: chain.ScoringYuma, Hyper: h}, fee); err != nil {
		t.Fatal(err)
	}
	sns, err := c.Subnets(ctx)
	if err != nil || len(sns.Subnets) == 0 {
		t.Fatalf("subnets: %+v %v", sns, err)
	}
	id := sns.Subnets[len(sns.Subnets)-1].ID

	// Validator (owner 0, hotkey 10) and miners (owners 1-3, hotkeys 11-13).
	vOwner, vHot := key(0), key(10)
	register := func(owner, hot ed25519.PrivateKey) uint16 {
		t.Helper()
		if _, err := c.Register(ctx, owner, hot, id, fee); err != nil {
			t.Fatal(err)
		}
		n, err := c.NeuronByHotkey(ctx, id, addrOf(hot))
		if err != nil {
			t.Fatal(err)
		}
		return n.UID
	}
	vUID := register(vOwner, vHot)
	if _, err := c.AddStake(ctx, vOwner, id, addrOf(vHot), 1_000_000_000, fee); err != nil {
		t.Fatal(err)
	}
	permits := map[[32]byte]uint64{pub(vHot): 1_000_000_000}
	type minerSpec struct {
		name   string
		model  *zk.Model // what it proves
		commit [32]byte  // what it serves on chain
	}
	specs := []minerSpec{
		{"honest-good", f.good, f.good.Commitment()},
		{"honest-weak", f.weak, f.weak.Commitment()},
		{"cheater", f.other, f.good.Commitment()},
	}
	uids := make([]uint16, len(specs))
	for i, s := range specs {
		hot := key(11 + i)
		uids[i] = register(key(1+i), hot)
		ep := startChainMiner(t, hot, id, &zkProver{p: f.prover, m: s.model, hotkey: pub(hot)}, permits)
		if _, err := c.Serve(ctx, hot, id, ep, chain.Hash32(s.commit), "cpu", fee); err != nil {
			t.Fatal(err)
		}
	}
	good, weak, cheat := uids[0], uids[1], uids[2]
	t.Logf("network, subnet %d and 4 registrations in %v; validator uid %d, miners %v", id, time.Since(start), vUID, uids)

	cc, err := NewChainClient(net.RPCAddress(1), id, vHot, ChainOptions{TxTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The websocket delivers new blocks.
	sctx, scancel := context.WithCancel(ctx)
	blocks, err := cc.SubscribeBlocks(sctx)
	if err != nil {
		t.Fatal(err)
	}
	h1, h2 := <-blocks, <-blocks
	if h1 == 0 || h2 <= h1 {
		t.Fatalf("subscription heights %d then %d", h1, h2)
	}
	scancel()
	for range blocks { // closed once ctx ends
	}

	// The daemon's setup check (internal/ceremonyverify, as cmd wires it)
	// refuses this subnet: its stand-in ceremony has no transcript to verify.
	check := func(ctx context.Context, si chain.SubnetInfo) error {
		_, err := ceremonyverify.Subnet(ctx, c, si, ceremonyverify.Options{Dir: t.TempDir()})
		return err
	}
	if err := checkSetup(ctx, check, cc, id); !errors.Is(err, ceremonyverify.ErrFetch) || !strings.Contains(err.Error(), "refusing to score") {
		t.Fatalf("setup check of an unverifiable ceremony: %v", err)
	}

	home := t.TempDir()
	run := func(reports chan *Report) (v *Validator, stop func()) {
		v, err := New(Config{ChainID: realChainID, Subnet: id, Hotkey: vHot, Home: home, Chain: cc, Submitter: cc,
			Dataset: f.data, Graded: 3, Decoys: 1, RequestTimeout: 30 * time.Second, Poll: 200 * time.Millisecond,
			MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, OnReport: func(r *Report) { reports <- r },
			Endpoints: EndpointPolicy{AllowLoopback: true}})
		if err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- v.Run(rctx) }()
		return v, func() {
			rcancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	next := func(reports chan *Report) *Report {
		t.Helper()
		select {
		case r := <-reports:
			var sb strings.Builder
			_ = r.WriteText(&sb)
			t.Logf("report:\n%s", sb.String())
			return r
		case <-ctx.Done():
			t.Fatal("timed out waiting for a tempo report")
			return nil
		}
	}
	checkWeights := func(r *Report) {
		t.Helper()
		by := map[uint16]MinerReport{}
		for _, m := range r.Miners {
			by[m.UID] = m
		}
		g, w, x := by[good], by[weak], by[cheat]
		if x.Weight != 0 || x.Valid != 0 || x.Invalid == 0 {
			t.Fatalf("epoch %d: cheater %+v", r.Epoch, x)
		}
		// Under load the tempo's deadline may cut the last challenges
		// (skipped: neither for nor against); every answer is valid.
		if g.Valid == 0 || g.Valid+g.Skipped != g.Requests || w.Valid+w.Skipped != w.Requests || g.Requests != 4 {
			t.Fatalf("epoch %d: honest miners' proofs not all valid: %+v / %+v", r.Epoch, g, w)
		}
		// The good miner earns weight; the barely trained one only while
		// its quality-gated EMA is positive (no better than chance on 3
		// samples scores 0); which of the two earns more follows their
		// EMAs (the fixed-plan test pins the accuracy order).
		if g.Weight == 0 || (w.EMA > 0) != (w.Weight > 0) || (g.EMA > w.EMA) != (g.Weight > w.Weight) && g.Weight != w.Weight {
			t.Fatalf("epoch %d: good weight %d (ema %v), weak %d (ema %v)", r.Epoch, g.Weight, g.EMA, w.Weight, w.EMA)
		}
	}
	// storedRow is the validator's row on chain and the epoch it was set in.
	storedRow := func(cl *client.Client) (chain.WeightsRow, bool) {
		wi, err := cl.Weights(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range wi.Rows {
			if r.UID == vUID {
				return r, true
			}
		}
		return chain.WeightsRow{}, false
	}
	pending := func() (Commit, bool) {
		cm, ok, err := cc.PendingCommit(ctx, pub(vHot))
		if err != nil {
			t.Fatal(err)
		}
		return cm, ok
	}

	// Process A: the first tempo whose commit landed is E.
	repsA := make(chan *Report, 16)
	_, stopA := run(repsA)
	var e *Report
	for e == nil {
		r := next(repsA)
		if r.Submit.Status == StatusCommitted {
			e = r
		}
	}
	checkWeights(e)
	if cm, ok := pending(); !ok || cm.Epoch != e.Epoch || hex.EncodeToString(cm.Hash[:]) != e.Submit.Hash {
		t.Fatalf("commit on chain %+v %v, reported %+v", cm, ok, e.Submit)
	}
	// E+1: E's commit revealed; the chain stores exactly E's row.
	e1 := next(repsA)
	if e1.Epoch != e.Epoch+1 || e1.Reveal == nil || e1.Reveal.Status != StatusRevealed || e1.Reveal.Epoch != e.Epoch {
		t.Fatalf("epoch after %d: %+v (reveal %+v)", e.Epoch, e1, e1.Reveal)
	}
	row, ok := storedRow(c)
	if !ok || row.Epoch != e1.Epoch || !slices.Equal(row.Weights, rowOf(e)) {
		t.Fatalf("stored row %+v, want epoch %d weights %+v", row, e1.Epoch, rowOf(e))
	}
	for _, w := range row.Weights {
		if w.UID == cheat {
			t.Fatalf("cheater in the stored row: %+v", row.Weights)
		}
	}
	checkWeights(e1)
	if e1.Submit.Status != StatusCommitted {
		t.Fatalf("epoch %d commit: %+v", e1.Epoch, e1.Submit)
	}
	// Stop A between E+1's commit and its reveal.
	stopA()
	cmA, ok := pending()
	if !ok || cmA.Epoch != e1.Epoch || hex.EncodeToString(cmA.Hash[:]) != e1.Submit.Hash {
		t.Fatalf("commit of %d on chain: %+v %v", e1.Epoch, cmA, ok)
	}

	// Process B, same home: no report (no rescoring, no recommit) for E+1;
	// in E+2 it reveals E+1's commit from the salt on disk.
	repsB := make(chan *Report, 16)
	vB, stopB := run(repsB)
	defer stopB()
	e2 := next(repsB)
	if e2.Epoch != e1.Epoch+1 || e2.Reveal == nil || e2.Reveal.Status != StatusRevealed || e2.Reveal.Epoch != e1.Epoch {
		t.Fatalf("after restart: %+v (reveal %+v), want epoch %d revealing %d", e2, e2.Reveal, e1.Epoch+1, e1.Epoch)
	}
	// The reveal was checked by every node against A's commit: B did not
	// replace it (its hash binds A's salt).
	for i := range net.Len() {
		cl, err := net.Client(i)
		if err != nil {
			t.Fatal(err)
		}
		row, ok := storedRow(cl)
		if !ok || row.Epoch != e2.Epoch || !slices.Equal(row.Weights, rowOf(e1)) {
			t.Fatalf("node %d stored row %+v, want epoch %d weights %+v", i, row, e2.Epoch, rowOf(e1))
		}
	}
	checkWeights(e2)
	// B sent exactly one reveal (E+1's) and one commit (E+2's).
	rec := httptest.NewRecorder()
	vB.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`veritensor_validator_weight_txs_total{kind="commit",result="ok"} 1`,
		`veritensor_validator_weight_txs_total{kind="reveal",result="ok"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("metrics of the restarted validator lack %q:\n%s", want, rec.Body.String())
		}
	}
	t.Logf("epochs %d-%d scored, committed and revealed across a restart in %v", e.Epoch, e2.Epoch, time.Since(start))
}

func addrOf(k ed25519.PrivateKey) chain.Address {
	return chain.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}
