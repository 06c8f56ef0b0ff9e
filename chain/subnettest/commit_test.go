package subnettest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/ceremonytest"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/ceremonyrun"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// TestCommitSchemeSubnetOnLoopbackNetwork runs a subnet of the commit
// scheme (zk.SchemeCommit: the model point, the proof's own Pedersen
// commitment, instead of a Poseidon2 hash) end to end on a 3-node CometBFT
// network, with the small 16-8-4 circuit so that it fits CI:
//   - a real 2-party setup ceremony of the commit circuit
//     (internal/ceremonyrun, opened with the scheme; phase 1 sized by the
//     commit circuit), checked as a daemon checks it (ceremonyverify), whose
//     keys prove; the subnet's circuit is the ceremony's and its
//     TaskSpec.Scheme is commit;
//   - a miner cannot register a Poseidon2 hash as its model commitment
//     (not a curve point); miners register their model points;
//   - two honest miners prove their models every epoch and earn; a cheater
//     registers one model's point and proves another model (a proof carrying
//     another point): every node refuses it (proof_invalid), it has no
//     proof and earns nothing;
//   - every node reports the same app hash at every height.
func TestCommitSchemeSubnetOnLoopbackNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node network, a setup ceremony and proofs for several epochs")
	}
	arch, err := zk.ParseArch("16-8-4")
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey(chainID, i) }
	var accts []chain.GenesisAccount
	for _, i := range []int{0, 1, 2, 3, 4, 10, 11, 12, 13, 14} {
		accts = append(accts, chain.GenesisAccount{Address: addr(key(i)), Balance: balance})
	}
	net, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 3, ChainID: chainID, Accounts: accts, Params: ceremonytest.Params(),
		Config: node.Config{TimeoutCommit: node.Duration(200 * time.Millisecond), CreateEmptyBlocks: true, LogLevel: os.Getenv("SUBNETTEST_LOG")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := net.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	cls := make([]*client.Client, net.Len())
	for i := range cls {
		if cls[i], err = net.Client(i); err != nil {
			t.Fatal(err)
		}
	}
	c := cls[0]
	subnetOwner := net.Keys[0]

	// The ceremony: the subnet owner and a validator owner (the chain's
	// minimum of 2 distinct contributors); phase-1 files are reused
	// machine-wide (their manifest names the contributors).
	cdir, err := ceremonyverify.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	p1dir, err := filepath.Abs(filepath.Join(cdir, "test-phase1"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	start := time.Now()
	res, err := ceremonyrun.Run(ctx, c, ceremonyrun.Spec{Arch: arch, Scheme: zk.SchemeCommit, Owner: subnetOwner.Private,
		Contributors: []ed25519.PrivateKey{subnetOwner.Private, key(0)},
		Phase1Dir:    p1dir, Phase2Dir: filepath.Join(dir, "p2"), Fee: fee, Say: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	circuit, err := zk.CompileScheme(zk.SchemeCommit, arch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase2.CircuitID != zk.CommitCircuitID(arch) || res.Keys.Scheme != zk.SchemeCommit ||
		1<<res.Phase1.Power < circuit.GetNbConstraints() || 1<<(res.Phase1.Power-1) >= circuit.GetNbConstraints() {
		t.Fatalf("ceremony: circuit %x (want the commit circuit %x), phase 1 2^%d for %d constraints",
			res.Phase2.CircuitID[:8], zk.CommitCircuitID(arch), res.Phase1.Power, circuit.GetNbConstraints())
	}
	t.Logf("commit ceremony (2^%d, %d constraints) in %v", res.Phase1.Power, circuit.GetNbConstraints(), time.Since(start).Round(time.Millisecond))
	if err := net.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := ceremonyverify.Ceremony(ctx, cls[1], res.Phase2.ID, ceremonyverify.Options{Dir: filepath.Join(dir, "verdicts")})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := keycache.New(v.KeysDir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kc.LoadScheme(zk.SchemeCommit, arch)
	if err != nil || keys.PKHash != res.Keys.PKHash {
		t.Fatalf("verified keys: %v", err)
	}
	prover, err := zk.NewSingleProver(zk.SchemeCommit, arch, keys.PK)
	if err != nil {
		t.Fatal(err)
	}

	h := chain.DefaultHyperparams()
	h.MinValidatorStake = 0
	h.Tempo, h.ImmunityPeriod, h.MaxUIDs, h.MaxValidators = 20, 40, 5, 2
	h.ActivityCutoff, h.RegistrationBurn = 10_000, 1_000_000
	if _, err := c.CreateSubnet(ctx, subnetOwner.Private, &chain.MsgSubnetCreate{Name: "commit", Arch: arch.String(),
		Ceremony: res.Phase2.ID, ScoringRule: chain.ScoringYuma, Hyper: h}, fee); err != nil {
		t.Fatal(err)
	}
	const id = 0
	si, err := c.Subnet(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := si.Task.Scheme(); err != nil || s != zk.SchemeCommit {
		t.Fatalf("subnet scheme %v %v, want commit", s, err)
	}
	vals := []*actor{{owner: key(0), hotkey: key(10)}, {owner: key(1), hotkey: key(11)}}
	miners := []*actor{{owner: key(2), hotkey: key(12)}, {owner: key(3), hotkey: key(13)}, {owner: key(4), hotkey: key(14)}}
	for _, a := range append(append([]*actor{}, vals...), miners...) {
		if _, err := c.Register(ctx, a.owner, a.hotkey, id, fee); err != nil {
			t.Fatal(err)
		}
		n, err := c.NeuronByHotkey(ctx, id, addr(a.hotkey))
		if err != nil {
			t.Fatal(err)
		}
		a.uid = n.UID
	}
	for i, v := range vals {
		if _, err := c.AddStake(ctx, v.owner, id, addr(v.hotkey), uint64(1_000_000_000*(i+1)), fee); err != nil {
			t.Fatal(err)
		}
	}
	var models []*zk.Model
	for seed := range 3 {
		m, err := zk.RandomModel(arch, uint64(seed+1))
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	// A Poseidon2 commitment is no model point: refused, nothing lost.
	if _, err := c.Serve(ctx, miners[0].hotkey, id, "http://127.0.0.1:1", m2h(models[0].Commitment()), "cpu", fee); err == nil {
		t.Fatal("a hash-scheme commitment was accepted as a model point")
	}
	// Miner 0 and 1 register their models' points; miner 2 registers
	// model 2's point and proves model 0.
	for i, m := range miners {
		point, err := prover.ModelCommitment(models[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Serve(ctx, m.hotkey, id, "http://127.0.0.1:1", m2h(point), "cpu", fee); err != nil {
			t.Fatal(err)
		}
	}
	proves := []*zk.Model{models[0], models[1], models[0]}

	weights := []scoring.Weight{{UID: miners[0].uid, Value: 30000}, {UID: miners[1].uid, Value: 65535}, {UID: miners[2].uid, Value: 65535}}
	actx, stop := context.WithCancel(ctx)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for i, m := range miners {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- runMiner(actx, c, prover, proves[i], m, id, arch.Inputs(), i == 2) }()
	}
	for _, v := range vals {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- runValidator(actx, c, v, id, weights) }()
	}
	defer func() { stop(); wg.Wait() }()

	good, prev := 0, int64(-1)
	for good < 2 {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(200 * time.Millisecond):
		}
		if ctx.Err() != nil {
			t.Fatalf("timed out after %d good epochs", good)
		}
		rec, err := c.Emissions(ctx, id)
		if err != nil || int64(rec.Epoch) == prev {
			continue
		}
		prev = int64(rec.Epoch)
		cheat := rec.Neurons[miners[2].uid]
		if cheat.ProofOK || cheat.MinerEmission != 0 || rec.Proofs > 2 {
			t.Fatalf("epoch %d: %d proofs, cheating miner %+v", rec.Epoch, rec.Proofs, cheat)
		}
		m0, m1 := rec.Neurons[miners[0].uid], rec.Neurons[miners[1].uid]
		if m0.ProofOK && m1.ProofOK && m0.MinerEmission > 0 && m1.MinerEmission > m0.MinerEmission &&
			rec.Neurons[vals[0].uid].ValidatorEmission > 0 && rec.Neurons[vals[1].uid].ValidatorEmission > 0 {
			good++
		}
		t.Logf("epoch %d: proofs %d, miners %d/%d/%d (proof %v/%v/%v), validators %d/%d", rec.Epoch, rec.Proofs,
			m0.MinerEmission, m1.MinerEmission, cheat.MinerEmission, m0.ProofOK, m1.ProofOK, cheat.ProofOK,
			rec.Neurons[vals[0].uid].ValidatorEmission, rec.Neurons[vals[1].uid].ValidatorEmission)
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancelChecks := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelChecks()
	for ni, cl := range cls {
		for i, m := range miners {
			n, err := cl.Neuron(ctx, id, m.uid)
			if err != nil {
				t.Fatal(err)
			}
			if n.HasProof != (i < 2) {
				t.Fatalf("node %d miner %d has_proof %v", ni, i, n.HasProof)
			}
		}
	}
	top, _ := c.Height(ctx)
	if err := net.WaitHeight(ctx, top+1); err != nil {
		t.Fatal(err)
	}
	top = net.MinHeight() - 1
	for height := int64(1); height <= top; height++ {
		hs, err := net.AppHashes(height)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(hs); i++ {
			if !bytes.Equal(hs[0], hs[i]) {
				t.Fatalf("height %d: node %d app hash %X, node 0 %X", height, i, hs[i], hs[0])
			}
		}
	}
	t.Logf("%d heights, %d nodes agree", top, net.Len())
}
