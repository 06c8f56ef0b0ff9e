package explorer

import (
	"context"
	"crypto/ed25519"
	"errors"
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

// A real loopback chain for the browser tests: 2 CometBFT validator nodes,
// one 49-16-10 subnet that requires proofs (no commit-reveal, tempo 8),
// two validators (UIDs 0, 1) weighting every miner, two honest miners
// (UIDs 2, 3) proving a random model every epoch, and a cheater (UID 4) that
// serves a model commitment but never proves.

const (
	tcFee     = 100
	tcChainID = "explorer-it"
	tcSubnet  = 0
)

type tcActor struct {
	owner, hotkey ed25519.PrivateKey
	uid           uint16
}

func tcAddr(k ed25519.PrivateKey) chain.Address {
	return chain.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

type testChain struct {
	net     *testnet.Network
	c       *client.Client
	vals    []*tcActor
	miners  []*tcActor
	cheater *tcActor
	stop    func()
}

// startChain builds the chain and runs the actors until an epoch paid both
// honest miners and nothing to the cheater; the actors keep running until
// stop.
func startChain(t *testing.T, ctx context.Context) *testChain {
	t.Helper()
	arch, err := zk.ParseArch("49-16-10")
	if err != nil {
		t.Fatal(err)
	}
	keys := keycachetest.Get(t, arch)
	prover, err := zk.NewProver(arch, keys.PK)
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey(tcChainID, i) }
	var accts []chain.GenesisAccount
	for i := range 10 {
		accts = append(accts, chain.GenesisAccount{Address: tcAddr(key(i)), Balance: 1e15})
	}
	net, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 2, ChainID: tcChainID, Accounts: accts, Params: ceremonytest.Params(),
		Config: node.Config{TimeoutCommit: node.Duration(250 * time.Millisecond), CreateEmptyBlocks: true, LogLevel: os.Getenv("EXPLORER_TEST_LOG")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.StopAll)
	if err := net.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	c, err := net.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	h := chain.DefaultHyperparams()
	h.Tempo, h.ImmunityPeriod, h.MaxUIDs, h.MaxValidators, h.WeightsRateLimit = 10, 100, 8, 2, 1
	h.CommitReveal, h.RequireProof, h.RegistrationBurn = false, true, 1_000_000
	cer, err := ceremonytest.Seal(ctx, c, net.Keys[0].Private, key(0), arch.String(), keys.VK, keys.PKHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSubnet(ctx, net.Keys[0].Private, &chain.MsgSubnetCreate{Name: "mnist-small", Arch: arch.String(),
		Ceremony: cer, ScoringRule: chain.ScoringYuma, Hyper: h}, tcFee); err != nil {
		t.Fatal(err)
	}
	tc := &testChain{net: net, c: c}
	for i := range 5 {
		a := &tcActor{owner: key(i), hotkey: key(5 + i)}
		if _, err := c.Register(ctx, a.owner, a.hotkey, tcSubnet, tcFee); err != nil {
			t.Fatal(err)
		}
		n, err := c.NeuronByHotkey(ctx, tcSubnet, tcAddr(a.hotkey))
		if err != nil {
			t.Fatal(err)
		}
		a.uid = n.UID
		switch {
		case i < 2:
			tc.vals = append(tc.vals, a)
		case i < 4:
			tc.miners = append(tc.miners, a)
		default:
			tc.cheater = a
		}
	}
	for i, v := range tc.vals {
		if _, err := c.AddStake(ctx, v.owner, tcSubnet, tcAddr(v.hotkey), uint64(100_000_000_000*(i+1)), tcFee); err != nil {
			t.Fatal(err)
		}
	}
	models := make([]*zk.Model, 3)
	for i := range models {
		if models[i], err = zk.RandomModel(arch, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range append(append([]*tcActor{}, tc.miners...), tc.cheater) {
		hw := []string{"1x NVIDIA H100 80GB", "cpu (16 cores)", "1x RTX 4090"}[i]
		if _, err := c.Serve(ctx, m.hotkey, tcSubnet, "http://127.0.0.1:809"+string(rune('1'+i)),
			chain.Hash32(models[i].Commitment()), hw, tcFee); err != nil {
			t.Fatal(err)
		}
	}
	weights := []scoring.Weight{{UID: tc.miners[0].uid, Value: 40000}, {UID: tc.miners[1].uid, Value: 65535}, {UID: tc.cheater.uid, Value: 65535}}

	actx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i, m := range tc.miners {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- proveLoop(actx, c, prover, models[i], m, arch.Inputs()) }()
	}
	for _, v := range tc.vals {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- weightsLoop(actx, c, v, weights) }()
	}
	tc.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(tc.stop)
	for {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(200 * time.Millisecond):
		}
		if ctx.Err() != nil {
			t.Fatal("no epoch paid the honest miners in time")
		}
		rec, err := c.Emissions(ctx, tcSubnet)
		if err != nil || len(rec.Neurons) < 5 {
			continue
		}
		m0, m1, ch := rec.Neurons[tc.miners[0].uid], rec.Neurons[tc.miners[1].uid], rec.Neurons[tc.cheater.uid]
		if m0.ProofOK && m1.ProofOK && m0.MinerEmission > 0 && m1.MinerEmission > 0 {
			if ch.ProofOK || ch.Emission != 0 {
				t.Fatalf("epoch %d: the cheater was paid: %+v", rec.Epoch, ch)
			}
			t.Logf("epoch %d paid the honest miners %d and %d, the cheater %d", rec.Epoch, m0.Emission, m1.Emission, ch.Emission)
			return tc
		}
	}
}

func tcSleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// proveLoop proves model on the chain's challenge once per epoch.
func proveLoop(ctx context.Context, c *client.Client, p *zk.Prover, model *zk.Model, m *tcActor, inputs int) error {
	done := int64(-1)
	for ctx.Err() == nil {
		ep, err := c.Epoch(ctx, tcSubnet)
		if err != nil || int64(ep.Epoch) == done || ep.Seed.IsZero() {
			tcSleep(ctx, 200*time.Millisecond)
			continue
		}
		x := zk.ChallengeInput(ep.Seed, uint32(m.uid), inputs)
		proof, pub, err := p.Prove(model, x, zk.Binding{HotkeyHash: zk.HotkeyHash(m.hotkey.Public().(ed25519.PublicKey)), Epoch: ep.Epoch})
		if err != nil {
			return err
		}
		_, err = c.SubmitProof(ctx, m.hotkey, tcSubnet, ep.Epoch, pub.Output, proof, tcFee)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, chain.ErrProofEpoch):
			continue
		case err != nil:
			return err
		}
		done = int64(ep.Epoch)
	}
	return nil
}

// weightsLoop sets w once per epoch.
func weightsLoop(ctx context.Context, c *client.Client, v *tcActor, w []scoring.Weight) error {
	done := int64(-1)
	for ctx.Err() == nil {
		ep, err := c.Epoch(ctx, tcSubnet)
		if err != nil || int64(ep.Epoch) == done {
			tcSleep(ctx, 200*time.Millisecond)
			continue
		}
		if _, err := c.SetWeights(ctx, v.hotkey, tcSubnet, w, tcFee); err != nil && ctx.Err() == nil {
			if errors.Is(err, chain.ErrRateLimited) {
				tcSleep(ctx, 200*time.Millisecond)
				continue
			}
			return err
		}
		done = int64(ep.Epoch)
	}
	return nil
}
