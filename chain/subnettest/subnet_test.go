package subnettest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/ceremonytest"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/keycache/keycachetest"
	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

const (
	fee     = 100
	chainID = "subnet-it"
	balance = 1_000_000_000_000_000
)

func loadModel(t *testing.T, name string) *zk.Model {
	t.Helper()
	b, err := os.ReadFile("../../zk/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := zk.UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// actor is a registered hotkey with its owner.
type actor struct {
	owner, hotkey ed25519.PrivateKey
	uid           uint16
}

func addr(k ed25519.PrivateKey) chain.Address {
	return chain.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// TestSubnetOnLoopbackNetwork runs one subnet (2 validators, 3 miners) on a
// 3-node CometBFT network over several epochs with the production
// 784-64-10 MNIST circuit:
//   - validators commit weights each epoch and reveal them the next;
//   - two miners prove the shipped model on the chain's challenge input every
//     epoch; every node verifies the proofs (CheckTx and block execution);
//   - the third miner serves the weak model's commitment but submits proofs
//     of the strong model: each is rejected (proof_invalid) and it earns
//     nothing, since the subnet requires proofs;
//   - emissions are paid: owner cut, miners, validators' delegators;
//   - a registration into the full subnet fails during immunity and, after
//     the immunity period, replaces the UID with the lowest pruning score;
//   - supply = genesis + minted - burned, and minted = accrued - unminted,
//     on every node; every node reports the same app hash at every height.
func TestSubnetOnLoopbackNetwork(t *testing.T) {
	arch, err := zk.ParseArch("784-64-10")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	keys := keycachetest.Get(t, arch) // machine-wide cache, set up once
	t.Logf("784-64-10 keys in %v", time.Since(start))
	prover, err := zk.NewProver(arch, keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	strong, weak := loadModel(t, "mnist-784-64-10.vtm"), loadModel(t, "mnist-784-64-10-weak.vtm")

	// Accounts: 0-1 validator owners, 2-4 miner owners, 5 a late registrant,
	// 10-15 hotkeys (funded for fees).
	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey(chainID, i) }
	var accts []chain.GenesisAccount
	for _, i := range []int{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15} {
		accts = append(accts, chain.GenesisAccount{Address: addr(key(i)), Balance: balance})
	}
	net, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 3, ChainID: chainID, Accounts: accts, Params: ceremonytest.Params(),
		Config: node.Config{TimeoutCommit: node.Duration(400 * time.Millisecond), CreateEmptyBlocks: true, LogLevel: os.Getenv("SUBNETTEST_LOG")}})
	if err != nil {
		t.Fatal(err)
	}
	var genesis uint64
	for _, a := range net.Genesis.Accounts {
		genesis += a.Balance
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 230*time.Second) // + the stand-in ceremony
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

	h := chain.DefaultHyperparams()
	h.MinValidatorStake = 0 // this test stakes a few units
	h.Tempo, h.ImmunityPeriod, h.MaxUIDs, h.MaxValidators = 24, 40, 5, 2
	h.ActivityCutoff, h.RegistrationBurn = 10_000, 1_000_000
	cer, err := ceremonytest.Seal(ctx, c, subnetOwner.Private, key(0), arch.String(), keys.VK, keys.PKHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSubnet(ctx, subnetOwner.Private, &chain.MsgSubnetCreate{Name: "mnist", Arch: arch.String(),
		Ceremony: cer, ScoringRule: chain.ScoringYuma, Hyper: h}, fee); err != nil {
		t.Fatal(err)
	}
	const id = 0
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
	// Full and everyone immune: refused.
	late := &actor{owner: key(5), hotkey: key(15)}
	if _, err := c.Register(ctx, late.owner, late.hotkey, id, fee); !errors.Is(err, chain.ErrSubnetFull) {
		t.Fatalf("register into a full immune subnet: %v", err)
	}
	for i, v := range vals {
		if _, err := c.AddStake(ctx, v.owner, id, addr(v.hotkey), uint64(1_000_000_000*(i+1)), fee); err != nil {
			t.Fatal(err)
		}
	}
	models := []*zk.Model{strong, strong, weak}
	for i, m := range miners {
		if _, err := c.Serve(ctx, m.hotkey, id, "http://127.0.0.1:1", m2h(models[i].Commitment()), "cpu", fee); err != nil {
			t.Fatal(err)
		}
	}

	weights := []scoring.Weight{{UID: miners[0].uid, Value: 30000}, {UID: miners[1].uid, Value: 65535}, {UID: miners[2].uid, Value: 65535}}
	first, err := c.Tokenomics(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The actors run like the daemons will: each miner proves once per
	// epoch (re-proving if the epoch turned while it proved), each
	// validator reveals last epoch's commit and commits again.
	actx, stop := context.WithCancel(ctx)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for i, m := range miners {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- runMiner(actx, c, prover, strong, m, id, arch.Inputs(), i == 2) }()
	}
	for _, v := range vals {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- runValidator(actx, c, v, id, weights) }()
	}
	defer func() { stop(); wg.Wait() }()

	// Watch every epoch's record until two epochs paid the proven miners
	// and both validators.
	var lastRec chain.EpochRecord
	var observed, accruedLessUnminted uint64
	good := 0
	prev := int64(-1)
	for good < 2 {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(200 * time.Millisecond):
		}
		if ctx.Err() != nil {
			t.Fatalf("timed out after %d good epochs (last record %+v)", good, lastRec)
		}
		rec, err := c.Emissions(ctx, id)
		if err != nil || int64(rec.Epoch) == prev {
			continue
		}
		if prev >= 0 && int64(rec.Epoch) != prev+1 {
			t.Fatalf("missed the record of epoch %d", prev+1)
		}
		if prev < 0 {
			// Count minting from the first record seen on.
			tk, _ := c.Tokenomics(ctx)
			first.Minted = tk.Minted
		} else {
			accruedLessUnminted += rec.Emission - rec.Unminted
			observed++
		}
		prev = int64(rec.Epoch)
		lastRec = rec
		var sum uint64
		for _, n := range rec.Neurons {
			sum += n.Emission
		}
		if sum+rec.OwnerEmission+rec.Unminted != rec.Emission || rec.Emission == 0 {
			t.Fatalf("epoch %d: paid %d + owner %d + unminted %d != %d", rec.Epoch, sum, rec.OwnerEmission, rec.Unminted, rec.Emission)
		}
		cheat := rec.Neurons[miners[2].uid]
		if cheat.ProofOK || cheat.MinerEmission != 0 || rec.Proofs > 2 {
			t.Fatalf("epoch %d: %d proofs, cheating miner %+v", rec.Epoch, rec.Proofs, cheat)
		}
		m0, m1 := rec.Neurons[miners[0].uid], rec.Neurons[miners[1].uid]
		for _, m := range []chain.UIDResult{m0, m1} {
			if !m.ProofOK && m.MinerEmission != 0 {
				t.Fatalf("epoch %d: miner without proof paid %+v", rec.Epoch, m)
			}
		}
		if m0.ProofOK && m1.ProofOK && m0.MinerEmission > 0 && m1.MinerEmission > m0.MinerEmission &&
			rec.Neurons[vals[0].uid].ValidatorEmission > 0 && rec.Neurons[vals[1].uid].ValidatorEmission > 0 {
			good++
		}
		t.Logf("epoch %d: emission %d, owner %d, proofs %d, miners %d/%d/%d, validators %d/%d", rec.Epoch, rec.Emission,
			rec.OwnerEmission, rec.Proofs, m0.MinerEmission, m1.MinerEmission, cheat.MinerEmission,
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
	// The checks get their own deadline: the run's may be spent on a busy
	// machine by the time the epochs are done.
	ctx, cancelChecks := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelChecks()
	// Every node verified and recorded the same proofs.
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
	if st, err := c.Stake(ctx, id, addr(vals[1].hotkey)); err != nil || st.Total <= 2_000_000_000 {
		t.Fatalf("validator 1 stake did not grow with dividends: %+v %v", st, err)
	}
	// Exact minting over the observed epochs (read before more epochs pass).
	if tk, err := c.Tokenomics(ctx); err == nil {
		if rec, _ := c.Emissions(ctx, id); int64(rec.Epoch) == prev && tk.Minted-first.Minted != accruedLessUnminted {
			t.Fatalf("minted %d over %d epochs, their records say %d", tk.Minted-first.Minted, observed, accruedLessUnminted)
		}
	}

	// Deregistration: once the immunity period is over, the late registrant
	// replaces the UID with the lowest pruning score (the cheating miner).
	nb, _ := c.Neuron(ctx, id, miners[2].uid)
	if err := net.WaitHeight(ctx, int64(nb.RegisteredAt+h.ImmunityPeriod)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, late.owner, late.hotkey, id, fee); err != nil {
		t.Fatal(err)
	}
	n, err := c.NeuronByHotkey(ctx, id, addr(late.hotkey))
	if err != nil || n.UID != miners[2].uid {
		t.Fatalf("late registrant: %+v %v, want uid %d", n, err, miners[2].uid)
	}
	if _, err := c.NeuronByHotkey(ctx, id, addr(miners[2].hotkey)); !errors.Is(err, chain.ErrNeuronNotFound) {
		t.Fatalf("deregistered hotkey: %v", err)
	}

	// Conservation and agreement on every node.
	top, _ := c.Height(ctx)
	if err := net.WaitHeight(ctx, top+1); err != nil {
		t.Fatal(err)
	}
	var tks []chain.Tokenomics
	for _, cl := range cls {
		tk, err := cl.Tokenomics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tks = append(tks, tk)
	}
	tk := tks[0]
	if tk.Supply != genesis+tk.Minted-tk.Burned {
		t.Fatalf("supply %d != genesis %d + minted %d - burned %d", tk.Supply, genesis, tk.Minted, tk.Burned)
	}
	// A node stores a block before its execution results: stop one short of
	// the lowest block height so every node has the results.
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
	t.Logf("%d heights, %d nodes agree; tokenomics %+v", top, net.Len(), tk)
}

func m2h(b [32]byte) chain.Hash32 { return chain.Hash32(b) }

// runMiner proves model on the chain's challenge once per epoch until ctx
// ends. A cheater serves another commitment, so its proofs must be refused.
//
// To spare the 2-core machine, the cheater proves only once and then replays
// that proof, claiming each new epoch (refused just the same).
func runMiner(ctx context.Context, c *client.Client, p zk.SingleProver, model *zk.Model, m *actor, id uint16, inputs int, cheater bool) error {
	done := int64(-1)
	var proof []byte
	var pub zk.Public
	for ctx.Err() == nil {
		ep, err := c.Epoch(ctx, id)
		if err != nil || int64(ep.Epoch) == done {
			sleep(ctx, 300*time.Millisecond)
			continue
		}
		if !cheater || proof == nil {
			x := zk.ChallengeInput(ep.Seed, uint32(m.uid), inputs)
			proof, pub, err = p.Prove(model, x, zk.Binding{HotkeyHash: zk.HotkeyHash(m.hotkey.Public().(ed25519.PublicKey)), Epoch: ep.Epoch})
			if err != nil {
				return err
			}
		}
		dbg("miner uid %d epoch %d: proved, submitting", m.uid, ep.Epoch)
		_, err = c.SubmitProof(ctx, m.hotkey, id, ep.Epoch, pub.Output, proof, fee)
		dbg("miner uid %d epoch %d: submit: %v", m.uid, ep.Epoch, err)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, chain.ErrProofEpoch):
			continue // the epoch turned while proving: prove the new one
		case cheater && !errors.Is(err, chain.ErrProofInvalid):
			return fmt.Errorf("cheating miner's proof for epoch %d: %v, want proof_invalid", ep.Epoch, err)
		case !cheater && err != nil:
			return fmt.Errorf("miner %d proof for epoch %d: %w", m.uid, ep.Epoch, err)
		}
		done = int64(ep.Epoch)
	}
	return nil
}

// runValidator reveals last epoch's commit and commits w once per epoch.
func runValidator(ctx context.Context, c *client.Client, v *actor, id uint16, w []scoring.Weight) error {
	var pending *client.PendingReveal
	done := int64(-1)
	for ctx.Err() == nil {
		ep, err := c.Epoch(ctx, id)
		if err != nil || int64(ep.Epoch) == done {
			sleep(ctx, 300*time.Millisecond)
			continue
		}
		if pending != nil && pending.Epoch+1 == ep.Epoch {
			if _, err := c.RevealWeights(ctx, v.hotkey, pending, fee); err != nil && !errors.Is(err, chain.ErrRevealWindow) && ctx.Err() == nil {
				return fmt.Errorf("validator %d reveal in epoch %d: %w", v.uid, ep.Epoch, err)
			}
		}
		pr, _, err := c.CommitWeights(ctx, v.hotkey, id, w, fee)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, chain.ErrRevealWindow) {
			continue // commit crossed an epoch boundary: commit again
		}
		if err != nil {
			return fmt.Errorf("validator %d commit in epoch %d: %w", v.uid, ep.Epoch, err)
		}
		pending, done = pr, int64(pr.Epoch)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

var dbg = func(f string, a ...any) {
	if os.Getenv("SUBNETTEST_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+f+"\n", a...)
	}
}
