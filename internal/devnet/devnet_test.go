package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/validator"
	"github.com/veritensor/veritensor/zk"
)

// testArch is the e2e test's circuit: real Groth16 proofs of a quantized
// MLP on real (4x4-pooled) MNIST images, small enough that seven miners and
// two validators prove and verify several tempos within the test budget on
// 2 cores. `make demo` runs the same code with 784-64-10.
const testArch = "49-16-10"

// TestDevnetEndToEnd runs the whole devnet: 3 CometBFT nodes, a subnet
// with proofs required and commit-reveal, 2 validator daemons and the
// default 7 miner daemons (2 honest, 1 weak, lazy, forger, copycat,
// offline), until 2 epochs paid miners from revealed weights. It checks
// the outcome the demo promises:
//   - every honest miner earns, and each earns more than the weak one,
//     which earns something; validators measured them that way (accuracy);
//   - every cheater earns 0, and was caught as it should be: lazy, forger
//     and copycat answered with invalid proofs and landed no proof on
//     chain, offline did not answer;
//   - both validators earned dividends (paid as stake);
//   - every node has the same app hash at every height of the run, and
//     supply = genesis + minted - burned on every node;
//   - the proof-less subnet run next to it (no ceremony, answers without
//     proofs, graded on outputs) pays its honest and weak miners and not
//     its lazy one, which answers random classes.
//
// The proven subnet runs `make demo`'s default: the commit scheme (the
// model point registered, single proofs of the commit circuit), 14 graded
// and 2 decoy single challenges per validator per tempo. The hash scheme
// with batch proofs (`make demo DEMO_SCHEME=hash`) is TestDevnetBatches,
// outside `make test` (its batch ceremony alone takes minutes).
//
// A second run on the same home resumes: same subnet and UIDs, no new
// registration, batches again (the home's setting), and it pays again.
func TestDevnetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: real nodes and proofs")
	}
	arch, err := zk.ParseArch(testArch)
	if err != nil {
		t.Fatal(err)
	}
	_ = arch // the keys come from the devnet's own ceremony
	home := t.TempDir()
	opts := Options{Home: home, Nodes: 3, Epochs: 2, Arch: testArch, Tempo: 30, BlockTime: 300 * time.Millisecond,
		Scheme: zk.SchemeCommit, Timeout: 8 * time.Minute, Verbose: os.Getenv("DEVNET_VERBOSE") != "", ProoflessSubnet: true}
	var log strings.Builder
	w := &syncWriter{w: &log}
	start := time.Now()
	res, err := Run(context.Background(), opts, w)
	t.Logf("progress:\n%s", log.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var table strings.Builder
	_ = res.WriteText(&table)
	t.Logf("first run in %v:\n%s", time.Since(start), table.String())
	checkOutcome(t, res, 2, true)
	checkProofless(t, res, 2)
	checkSingles(t, res)
	if res.Resumed {
		t.Fatal("a fresh home reported resumed")
	}

	// Resume: restart the same devnet for one more paying epoch.
	log.Reset()
	opts.Epochs = 1
	res2, err := Run(context.Background(), opts, w)
	t.Logf("second run progress:\n%s", log.String())
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	table.Reset()
	_ = res2.WriteText(&table)
	t.Logf("resumed run:\n%s", table.String())
	if !res2.Resumed || res2.Subnet != res.Subnet || res2.StartHeight <= res.Height {
		t.Fatalf("resumed run: resumed %v subnet %d (was %d), start height %d after %d", res2.Resumed, res2.Subnet, res.Subnet,
			res2.StartHeight, res.Height)
	}
	if strings.Contains(log.String(), "registered ") || strings.Contains(log.String(), "subnet 0 created") {
		t.Fatalf("the resumed run registered or created again:\n%s", log.String())
	}
	for i, m := range res2.Miners {
		if m.UID != res.Miners[i].UID || m.Behavior != res.Miners[i].Behavior {
			t.Fatalf("miner %d is %+v after resuming, was %+v", i, m, res.Miners[i])
		}
	}
	// The resumed run's paying epoch may use weights scored before the
	// restart (the validators keep their commits' salts on disk), so only
	// who is paid is checked, not the validators' fresh measurements.
	checkOutcome(t, res2, 1, false)
	checkProofless(t, res2, 1)
	if res2.Scheme != "commit" || res2.Batch != 0 {
		t.Fatalf("the resumed run is not the home's commit scheme: %s, batch %d", res2.Scheme, res2.Batch)
	}
}

// checkSingles: the commit scheme's single challenges, 14 graded + 2
// decoys a tempo, every answer of an honest miner one valid proof.
func checkSingles(t *testing.T, res *Result) {
	t.Helper()
	if res.Scheme != "commit" || res.Batch != 0 || res.Graded != 14 || res.Decoys != 2 {
		t.Fatalf("scheme %s, batch %d, %d graded + %d decoys; want commit, single proofs, 14 + 2", res.Scheme, res.Batch, res.Graded, res.Decoys)
	}
	for _, m := range res.Miners {
		if m.Behavior == Honest && (m.Graded == 0 || m.ProofsValid < m.Graded) {
			t.Fatalf("honest miner %+v: %d graded, %d valid proofs", m, m.Graded, m.ProofsValid)
		}
	}
}

// TestDevnetBatches runs the devnet under the hash scheme with batch
// proofs (`make demo DEMO_SCHEME=hash`) for one paying epoch: each miner
// gets one /v2/infer batch of 14 graded and 2 decoy challenges per
// validator per tempo, checked by one batch proof of the batch circuit from
// the devnet's own batch ceremony; the cheaters answer batches with their
// cheat (a forger's batch proof is of other weights, a copycat's is bound
// to the victim's hotkey, a lazy miner's has no proof), so each is caught
// by an invalid proof, not a 404. Every challenge went out in a batch. It
// is outside `make test` (the batch ceremony takes 2-3 minutes on 2 cores
// on a fresh machine): `make test-devnet-batch` runs it.
func TestDevnetBatches(t *testing.T) {
	if testing.Short() || os.Getenv("VERITENSOR_DEVNET_BATCH") == "" {
		t.Skip("set VERITENSOR_DEVNET_BATCH=1 (make test-devnet-batch)")
	}
	opts := Options{Home: t.TempDir(), Nodes: 3, Epochs: 1, Arch: testArch, Tempo: 30, BlockTime: 300 * time.Millisecond,
		Scheme: zk.SchemeHash, Batch: 16, Timeout: 10 * time.Minute, Verbose: os.Getenv("DEVNET_VERBOSE") != ""}
	var log strings.Builder
	res, err := Run(context.Background(), opts, &syncWriter{w: &log})
	t.Logf("progress:\n%s", log.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var table strings.Builder
	_ = res.WriteText(&table)
	t.Logf("result:\n%s", table.String())
	checkOutcome(t, res, 1, true)
	checkBatches(t, res)
	if res.Scheme != "hash" || !strings.Contains(log.String(), "in one /v2/infer batch of 16") {
		t.Fatalf("scheme %s; batches not sent", res.Scheme)
	}
}

// checkBatches: every miner's challenges came in whole batches of 16 (14
// graded), and an honest miner got more graded answers per validator per
// tempo than the single-proof demo's 6.
func checkBatches(t *testing.T, res *Result) {
	t.Helper()
	if res.Batch != 16 || res.Graded != 14 || res.Decoys != 2 {
		t.Fatalf("batch %d, %d graded + %d decoys, want 16 = 14 + 2", res.Batch, res.Graded, res.Decoys)
	}
	for _, m := range res.Miners {
		n := m.ProofsValid + m.ProofsInvalid + m.Failed
		if m.Behavior != Offline && (n == 0 || n%16 != 0) {
			t.Fatalf("miner %+v: %d answers, not whole batches of 16", m, n)
		}
		if m.Behavior == Honest && m.Graded != n*14/16 {
			t.Fatalf("honest miner %+v: %d graded of %d answers, want 14 in 16", m, m.Graded, n)
		}
	}
}

// checkProofless: the proof-less subnet paid its honest and weak miners,
// whose answers all checked out without proofs, and not the lazy one.
func checkProofless(t *testing.T, res *Result, paid int) {
	t.Helper()
	p := res.Proofless
	if p == nil || p.PaidEpochs < paid || p.Subnet == res.Subnet || len(p.Miners) != len(DefaultProoflessBehaviors) {
		t.Fatalf("proof-less subnet: %+v", p)
	}
	var lowest uint64 = 1 << 63 // the lowest honest miner's pay
	for _, m := range p.Miners {
		if m.Behavior != Lazy {
			if m.Behavior == Honest {
				lowest = min(lowest, m.Emission)
			}
			if m.Emission == 0 || m.ProofsInvalid != 0 {
				t.Fatalf("proof-less subnet: %s miner %+v: want paid, every answer valid", m.Behavior, m)
			}
		}
	}
	for _, m := range p.Miners {
		// Random answers: chance-corrected quality about 0, so at most a
		// sliver of what an honest miner earns (100 graded challenges a
		// tempo: a lucky tempo is rare and worth little).
		if m.Behavior == Lazy && m.Emission*20 > lowest {
			t.Fatalf("proof-less subnet: lazy miner %+v earned more than 5%% of an honest one's %d", m, lowest)
		}
	}
}

// checkOutcome checks who earned what; with scored, also that the
// validators' measurements of this run rank and catch the miners.
func checkOutcome(t *testing.T, res *Result, paid int, scored bool) {
	t.Helper()
	if res.PaidEpochs < paid {
		t.Fatalf("%d paid epochs, want %d", res.PaidEpochs, paid)
	}
	if !res.AppHashesAgree || len(res.AppHashes) != res.Nodes {
		t.Fatalf("app hashes disagree at height %d: %v", res.Height, res.AppHashes)
	}
	if !res.SupplyConserved {
		t.Fatalf("supply not conserved: %+v, genesis %d", res.Tokenomics, res.GenesisSupply)
	}
	var weak *MinerResult
	var honest []MinerResult
	for i, m := range res.Miners {
		switch m.Behavior {
		case Weak:
			weak = &res.Miners[i]
		case Honest:
			honest = append(honest, m)
		}
	}
	if weak == nil || len(honest) != 2 {
		t.Fatalf("miners %+v", res.Miners)
	}
	if weak.Emission == 0 || weak.ProofsInvalid != 0 || weak.ChainProofs == 0 || scored && weak.ProofsValid == 0 {
		t.Fatalf("weak miner (honest, weaker model) %+v: want paid, valid proofs only", *weak)
	}
	for _, m := range honest {
		if m.Emission == 0 || m.ProofsInvalid != 0 || m.ChainProofs == 0 {
			t.Fatalf("honest miner %+v: want paid, valid proofs only", m)
		}
		if !scored {
			continue
		}
		if m.Emission <= weak.Emission || m.ProofsValid == 0 {
			t.Fatalf("honest miner %+v earned no more than the weak one (%d)", m, weak.Emission)
		}
		if m.Accuracy == nil || weak.Accuracy == nil || *m.Accuracy <= *weak.Accuracy {
			t.Fatalf("validators measured honest uid %d at %v, weak at %v", m.UID, m.Accuracy, weak.Accuracy)
		}
	}
	for _, m := range res.Miners {
		if !m.Behavior.Cheater() {
			continue
		}
		if m.Emission != 0 || m.Incentive != 0 || m.ProofsValid != 0 || m.ChainProofs != 0 {
			t.Fatalf("cheater %+v was paid or had a proof accepted", m)
		}
		caught := m.ProofsInvalid > 0
		if m.Behavior == Offline {
			caught = m.Failed > 0 && m.ProofsInvalid == 0
		}
		if scored && !caught {
			t.Fatalf("cheater %+v: not caught the way its behaviour should be", m)
		}
	}
	for _, v := range res.Validators {
		// Validators register first: UIDs 0 and 1 are validators 0 and 1.
		if v.Emission == 0 || v.Dividends == 0 || v.Stake <= validatorStake(int(v.UID)) || scored && v.Tempos == 0 {
			t.Fatalf("validator %+v: want dividends paid as stake", v)
		}
	}
}

func TestParseBehaviors(t *testing.T) {
	bs, err := ParseBehaviors("honest, weak,lazy,forger,copycat,offline")
	if err != nil || len(bs) != 6 || bs[1] != Weak || !bs[5].Cheater() || bs[1].Cheater() {
		t.Fatalf("%v %v", bs, err)
	}
	if _, err := ParseBehaviors("honest,sneaky"); !errors.Is(err, ErrOptions) {
		t.Fatalf("unknown behaviour: %v", err)
	}
}

func TestOptionsRejected(t *testing.T) {
	for name, o := range map[string]Options{
		"no home":           {},
		"copycat alone":     {Home: "x", Behaviors: []Behavior{Copycat, Weak}},
		"short tempo":       {Home: "x", Tempo: 5},
		"not mnist":         {Home: "x", Arch: "16-8-4"},
		"too many nodes":    {Home: "x", Nodes: 17},
		"negative graded":   {Home: "x", Graded: -1},
		"unknown task":      {Home: "x", Task: "cifar"},
		"task vs arch":      {Home: "x", Task: "mnist-cnn", Arch: "784-64-10"},
		"proof-less forger": {Home: "x", ProoflessSubnet: true, ProoflessBehaviors: []Behavior{Honest, Forger}},
		"batch size":        {Home: "x", Batch: 5},
		"batch vs graded":   {Home: "x", Batch: 16, Graded: 6, Decoys: 1},
		"batch of a CNN":    {Home: "x", Task: "mnist-cnn", Batch: 4},
		"batch, commit":     {Home: "x", Arch: testArch, Batch: 16, Scheme: zk.SchemeCommit},
		"unknown scheme":    {Home: "x", Scheme: 2},
	} {
		if err := o.defaults(); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: %v, want ErrOptions", name, err)
		}
	}
	o := Options{Home: "x"}
	if err := o.defaults(); err != nil || o.Nodes != 4 || len(o.Behaviors) != 7 || o.Tempo != DefaultTempo("784-64-10") {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	// --scheme commit: single proofs, as many challenges as a batch of 16
	// at a small arch, the heavy arch's at 784-64-10.
	o = Options{Home: "x", Arch: testArch, Scheme: zk.SchemeCommit}
	if err := o.defaults(); err != nil || o.Batch != 0 || o.Graded != 14 || o.Decoys != 2 || o.Tempo != 30 {
		t.Fatalf("scheme commit: %+v %v", o, err)
	}
	o = Options{Home: "x", Scheme: zk.SchemeCommit}
	if err := o.defaults(); err != nil || o.Graded != 2 || o.Decoys != 0 || o.Tempo != DefaultTempo("784-64-10") {
		t.Fatalf("scheme commit: %+v %v", o, err)
	}
	// --batch K: one batch of K challenges, graded and decoys mixed.
	for k, want := range map[int][2]int{4: {3, 1}, 16: {14, 2}} {
		o = Options{Home: "x", Arch: testArch, Batch: k}
		if err := o.defaults(); err != nil || o.Graded != want[0] || o.Decoys != want[1] {
			t.Fatalf("batch %d: %d graded + %d decoys, %v; want %v", k, o.Graded, o.Decoys, err, want)
		}
	}
	// --task mnist-cnn runs the CNN with the heavy circuit's defaults.
	o = Options{Home: "x", Task: "mnist-cnn", ProoflessSubnet: true}
	if err := o.defaults(); err != nil || o.Arch != "28x28-c8k5-mp2-c16k5-mp2-10" || o.Tempo != 300 ||
		o.Graded != 2 || len(o.ProoflessBehaviors) != len(DefaultProoflessBehaviors) {
		t.Fatalf("task mnist-cnn: %+v %v", o, err)
	}
}

// TestResultJSON pins the field names of `veritensor devnet -o json` that
// the README and the issue promise.
func TestResultJSON(t *testing.T) {
	acc := 0.75
	r := &Result{Height: 42, AppHashesAgree: true,
		Miners:     []MinerResult{{UID: 2, Behavior: Weak, Accuracy: &acc, ProofsValid: 3, ProofsInvalid: 1, Incentive: validator.Frac(scoring.One / 2), Emission: 7}},
		Validators: []ValidatorResult{{UID: 0, Stake: 9, Dividends: validator.Frac(scoring.One), Emission: 8}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Miners     []map[string]any `json:"miners"`
		Validators []map[string]any `json:"validators"`
		Height     *int64           `json:"height"`
		Agree      *bool            `json:"app_hashes_agree"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Height == nil || *doc.Height != 42 || doc.Agree == nil || !*doc.Agree || len(doc.Miners) != 1 || len(doc.Validators) != 1 {
		t.Fatalf("document %s", b)
	}
	for _, k := range []string{"uid", "behavior", "accuracy", "proofs_valid", "proofs_invalid", "incentive", "emission"} {
		if _, ok := doc.Miners[0][k]; !ok {
			t.Errorf("miners[] lacks %q: %s", k, b)
		}
	}
	if doc.Miners[0]["behavior"] != "weak" || doc.Miners[0]["accuracy"] != 0.75 {
		t.Errorf("miner %v", doc.Miners[0])
	}
	for _, k := range []string{"uid", "stake", "dividends", "emission"} {
		if _, ok := doc.Validators[0][k]; !ok {
			t.Errorf("validators[] lacks %q: %s", k, b)
		}
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil || !strings.Contains(text.String(), "weak") || !strings.Contains(text.String(), ": agree") {
		t.Fatalf("text: %v\n%s", err, text.String())
	}
}
