package miner

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/ceremonytest"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/keycache/keycachetest"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/miner/fault"
	"github.com/veritensor/veritensor/validator"
	"github.com/veritensor/veritensor/zk"
)

// TestCommitSubnetOnRealChain runs miner daemons on a subnet whose
// ceremony was opened with the commit scheme (its circuit is the commit
// circuit of 49-16-10), on a real one-node CometBFT chain on loopback, with
// single-party commit keys from the machine-wide key cache. It checks that:
//   - a miner configured with batch stops at start-up with ErrConfig
//     (batch proofs are hash-scheme only);
//   - the honest daemon serves its model point (the commit prover's
//     ModelCommitment, not the Poseidon2 hash) on chain, /v1/info reports
//     the commit scheme, and its epoch proof lands;
//   - a forger (registered the honest model's point, proves another model)
//     has its epoch proof rejected as proof_invalid;
//   - the validator's chain client reads the subnet's scheme, and its
//     CheckAnswer with the subnet's commit verifier accepts the honest
//     miner's /v1/infer answer and refuses the forger's.
func TestCommitSubnetOnRealChain(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	began := time.Now()
	arch, _ := zk.ParseArch(rcArch)
	kset := keycachetest.GetScheme(t, zk.SchemeCommit, arch)
	prover, err := zk.NewSingleProver(zk.SchemeCommit, arch, kset.PK)
	if err != nil {
		t.Fatal(err)
	}
	good, forged := randomModel(t, arch, 1), randomModel(t, arch, 2)
	point, err := prover.ModelCommitment(good)
	if err != nil {
		t.Fatal(err)
	}
	mdir := t.TempDir()
	goodPath, forgedPath := writeModel(t, mdir, "good.vtm", good), writeModel(t, mdir, "forged.vtm", forged)

	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey(rcChainID, i) }
	const bal = 1_000_000_000_000_000
	var accts []chain.GenesisAccount
	for i := range 3 {
		accts = append(accts, chain.GenesisAccount{Address: addrOf(key(i)), Balance: bal},
			chain.GenesisAccount{Address: addrOf(key(10 + i)), Balance: bal})
	}
	net, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 1, ChainID: rcChainID, Accounts: accts, Params: ceremonytest.Params(),
		Config: node.Config{TimeoutCommit: node.Duration(200 * time.Millisecond), CreateEmptyBlocks: true,
			LogLevel: os.Getenv("MINER_CHAIN_NODE_LOG")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := net.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	c, err := net.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	h := chain.DefaultHyperparams()
	h.MinValidatorStake = 0
	h.Tempo, h.ImmunityPeriod, h.MaxUIDs, h.MaxValidators = 12, 1000, 8, 1
	h.RegistrationBurn, h.RequireProof, h.CommitReveal, h.ActivityCutoff = 1_000_000, true, false, 10_000
	cer, err := ceremonytest.SealScheme(ctx, c, net.Keys[0].Private, key(0), rcArch, zk.SchemeCommit, kset.VK, kset.PKHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSubnet(ctx, net.Keys[0].Private, &chain.MsgSubnetCreate{Name: "mnist-7x7-commit", Arch: rcArch,
		Ceremony: cer, ScoringRule: chain.ScoringYuma, Hyper: h}, rcFee); err != nil {
		t.Fatal(err)
	}
	sns, err := c.Subnets(ctx)
	if err != nil || len(sns.Subnets) == 0 {
		t.Fatalf("subnets: %+v %v", sns, err)
	}
	id := sns.Subnets[len(sns.Subnets)-1].ID
	uids := make([]uint16, 3) // 0 validator, 1 honest, 2 forger
	for i := range uids {
		if _, err := c.Register(ctx, key(i), key(10+i), id, rcFee); err != nil {
			t.Fatal(err)
		}
		n, err := c.NeuronByHotkey(ctx, id, addrOf(key(10+i)))
		if err != nil {
			t.Fatal(err)
		}
		uids[i] = n.UID
	}
	if _, err := c.AddStake(ctx, key(0), id, addrOf(key(10)), 1_000_000_000, rcFee); err != nil {
		t.Fatal(err)
	}
	t.Logf("network, commit subnet %d, 3 registrations in %v", id, time.Since(began))

	base := func(hot ed25519.PrivateKey) Config {
		cfg := DefaultConfig()
		cfg.Home, cfg.Subnet, cfg.Model, cfg.Listen, cfg.Node = homeWith(t, hot), id, goodPath, "127.0.0.1:0", net.RPCAddress(0)
		cfg.Workers, cfg.Queue, cfg.Fee = 1, 8, rcFee
		cfg.TxTimeout, cfg.ShutdownTimeout = Duration(20*time.Second), Duration(20*time.Second)
		cfg.Refresh, cfg.Poll = Duration(300*time.Millisecond), Duration(300*time.Millisecond)
		cfg.RegistrationWait = Duration(time.Second)
		return cfg
	}
	batchCfg := base(key(11))
	batchCfg.Batch = 4
	if err := RunDaemon(ctx, batchCfg, DaemonHooks{Hardware: cpuOnly}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "hash-scheme subnets only") {
		t.Fatalf("batch on a commit subnet: %v, want ErrConfig", err)
	}

	forgerCfg := base(key(12))
	forgerCfg.Behavior, forgerCfg.ForgeModel = fault.Forger, forgedPath
	honest, forger := startDaemon(ctx, "honest", base(key(11))), startDaemon(ctx, "forger", forgerCfg)
	defer func() {
		for _, d := range []*daemon{honest, forger} {
			d.stop()
			if err := <-d.done; err != nil {
				t.Errorf("%s daemon returned %v after cancel", d.name, err)
			}
		}
	}()
	addrs := map[*daemon]string{}
	for _, d := range []*daemon{honest, forger} {
		select {
		case addrs[d] = <-d.ready:
		case err := <-d.done:
			t.Fatalf("%s daemon: %v", d.name, err)
		case <-ctx.Done():
			t.Fatalf("%s daemon never ready", d.name)
		}
	}
	for i, d := range []*daemon{honest, forger} {
		n, err := c.Neuron(ctx, id, uids[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if [32]byte(n.ModelCommitment) != point || n.Endpoint != "http://"+addrs[d] {
			t.Fatalf("%s serves %x at %q, want the model point %x", d.name, n.ModelCommitment[:8], n.Endpoint, point[:8])
		}
	}

	next := func(d *daemon) EpochResult {
		t.Helper()
		select {
		case r := <-d.epochs:
			t.Logf("%s epoch %d: %v submits %d prove %v err %v", d.name, r.Epoch, r.Outcome, r.Submits, r.ProveDur, r.Err)
			return r
		case err := <-d.done:
			t.Fatalf("%s daemon: %v", d.name, err)
		case <-ctx.Done():
			t.Fatalf("%s: no epoch result", d.name)
		}
		return EpochResult{}
	}
	var landed EpochResult
	for range 4 {
		if landed = next(honest); landed.Outcome == Landed {
			break
		}
	}
	if landed.Outcome != Landed {
		t.Fatalf("honest epoch proof: %+v", landed)
	}
	r := next(forger)
	for r.Outcome == Failed && errors.Is(r.Err, ErrEpochOver) {
		r = next(forger)
	}
	if r.Outcome != Failed || !errors.Is(r.Err, chain.ErrProofInvalid) {
		t.Fatalf("forger epoch proof: %+v, want rejected as proof_invalid", r)
	}

	// The validator side: its chain client's snapshot and CheckAnswer.
	vc, err := validator.NewChainClient(net.RPCAddress(0), id, key(10), validator.ChainOptions{Fee: rcFee})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := vc.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Subnet.Scheme != zk.SchemeCommit {
		t.Fatalf("the validator reads scheme %s", snap.Subnet.Scheme)
	}
	ver, err := zk.NewSingleVerifier(snap.Subnet.Scheme, snap.Subnet.VerifyingKey)
	if err != nil {
		t.Fatal(err)
	}
	neuron := func(uid uint16) validator.Neuron {
		for _, n := range snap.Neurons {
			if n.UID == uid {
				return n
			}
		}
		t.Fatalf("uid %d not in the metagraph", uid)
		return validator.Neuron{}
	}
	ch := validator.Challenge{ID: "rc-1", Input: zk.ChallengeInput([32]byte{7}, 3, arch.Inputs())}
	for i, d := range []*daemon{honest, forger} {
		cl := &api.Client{BaseURL: "http://" + addrs[d], Miner: pubOf(key(11 + i)), Signer: &api.Signer{ChainID: rcChainID, Key: key(10)}}
		if i == 0 {
			info, err := cl.Info(ctx)
			if err != nil || info.Scheme != "commit" || info.ModelCommitment != fmt.Sprintf("%x", point) {
				t.Fatalf("/v1/info: %+v %v", info, err)
			}
		}
		resp, err := cl.Infer(ctx, api.InferRequest{ID: ch.ID, Epoch: snap.Epoch, Input: ch.Input})
		if err != nil {
			t.Fatalf("%s /v1/infer: %v", d.name, err)
		}
		err = validator.CheckAnswer(ver, neuron(uids[i+1]), ch, snap.Epoch, arch.Outputs(), resp)
		if (err == nil) != (d == honest) {
			t.Fatalf("%s: CheckAnswer %v", d.name, err)
		}
	}
	t.Logf("done in %v", time.Since(began))
}
