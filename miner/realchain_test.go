package miner

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/ceremonytest"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/internal/keycache/keycachetest"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/miner/fault"
	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/zk"
)

const (
	rcChainID = "vt-miner-chain"
	rcFee     = 100
	// rcArch is the validator tests' small circuit (49 inputs, 7x7-pooled
	// MNIST): a real Groth16 circuit with the same gadgets as 784-64-10,
	// whose proofs take well under a second, so that five daemons and two
	// nodes fit the test budget on 2 busy cores.
	rcArch = "49-16-10"
)

// randomModel draws a valid model of a (distinct seeds, distinct
// commitments).
func randomModel(t testing.TB, a zk.Arch, seed uint64) *zk.Model {
	t.Helper()
	m, err := zk.RandomModel(a, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func writeModel(t *testing.T, dir, name string, m *zk.Model) string {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pubOf(k ed25519.PrivateKey) [32]byte { return [32]byte(k.Public().(ed25519.PublicKey)) }

func addrOf(k ed25519.PrivateKey) chain.Address {
	return chain.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// daemon is one RunDaemon in the background.
type daemon struct {
	name   string
	ready  chan string
	epochs chan EpochResult
	done   chan error
	stop   context.CancelFunc
}

// homeWith makes a miner home whose keyring holds k as "hotkey".
func homeWith(t *testing.T, k ed25519.PrivateKey) string {
	t.Helper()
	home := t.TempDir()
	if _, err := keys.Open(home).Import("hotkey", k); err != nil {
		t.Fatal(err)
	}
	return home
}

func testLogger(name string) *slog.Logger {
	if os.Getenv("MINER_CHAIN_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil)).With("miner", name)
}

func cpuOnly() hw.Summary { return hw.Summary{CPUCores: 2, CPUOnly: true} }

func startDaemon(ctx context.Context, name string, cfg Config) *daemon {
	dctx, stop := context.WithCancel(ctx)
	d := &daemon{name: name, ready: make(chan string, 1), epochs: make(chan EpochResult, 64), done: make(chan error, 1), stop: stop}
	go func() {
		d.done <- RunDaemon(dctx, cfg, DaemonHooks{Logger: testLogger(name), Hardware: cpuOnly,
			OnReady: func(a string) { d.ready <- a }, OnEpoch: func(r EpochResult) { d.epochs <- r }})
	}()
	return d
}

// TestDaemonOnRealChain runs miner daemons (RunDaemon) against a real
// 2-node CometBFT network on loopback, on a subnet created with the real
// 49-16-10 keys from the machine-wide key cache (proofs required every
// epoch, one validator permit). It checks that:
//   - an unregistered hotkey is refused with ErrNotRegistered naming the
//     `veritensor tx register` command;
//   - a subnet whose pk_hash is not the cached proving key's is refused
//     with ErrProvingKey;
//   - an honest daemon on ":0" serves its bound endpoint and model
//     commitment on chain, and its epoch proof lands: every node records
//     an accepted proof of its UID for that epoch;
//   - a forger's and a copycat's epoch proofs are rejected by the chain
//     (proof_invalid) and neither UID holds a proof on any node;
//   - the permitted validator (from the metagraph) gets a 200 from the
//     honest miner's /v1/infer whose proof verifies against the subnet's
//     verifying key, the on-chain commitment, the miner's hotkey and the
//     epoch; a registered neuron without a permit gets 403; the copycat's
//     answer is bound to its victim's hotkey and fails a validator's check;
//     the lazy miner's answer carries no proof; the offline miner, served on
//     chain, does not answer, and neither submits proofs;
//   - an endpoint changed on chain behind the honest daemon's back is
//     served again; a stake change that moves the permit is picked up:
//     the old validator gets 403 and the new one 200;
//   - every daemon returns nil when its context is cancelled.
func TestDaemonOnRealChain(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	began := time.Now()
	arch, err := zk.ParseArch(rcArch)
	if err != nil {
		t.Fatal(err)
	}
	kset := keycachetest.Get(t, arch)
	good, forged := randomModel(t, arch, 1), randomModel(t, arch, 2)
	mdir := t.TempDir()
	goodPath, forgedPath := writeModel(t, mdir, "good.vtm", good), writeModel(t, mdir, "forged.vtm", forged)

	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey(rcChainID, i) }
	const bal = 1_000_000_000_000_000
	var accts []chain.GenesisAccount
	for i := range 7 {
		accts = append(accts, chain.GenesisAccount{Address: addrOf(key(i)), Balance: bal},
			chain.GenesisAccount{Address: addrOf(key(10 + i)), Balance: bal})
	}
	net, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 2, ChainID: rcChainID, Accounts: accts, Params: ceremonytest.Params(),
		Config: node.Config{TimeoutCommit: node.Duration(200 * time.Millisecond), CreateEmptyBlocks: true,
			LogLevel: os.Getenv("MINER_CHAIN_NODE_LOG")}})
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
	cls := make([]*client.Client, net.Len())
	for i := range cls {
		if cls[i], err = net.Client(i); err != nil {
			t.Fatal(err)
		}
	}
	c := cls[0]

	// Subnet A: the real keys; subnet B: a pk_hash of other keys.
	h := chain.DefaultHyperparams()
	h.MinValidatorStake = 0 // this test stakes a few units
	h.Tempo, h.ImmunityPeriod, h.MaxUIDs, h.MaxValidators = 16, 1000, 8, 1
	h.RegistrationBurn, h.RequireProof, h.CommitReveal, h.ActivityCutoff = 1_000_000, true, false, 10_000
	for _, pkh := range []chain.Hash32{kset.PKHash, sha256.Sum256([]byte("another setup's proving key"))} {
		cer, err := ceremonytest.Seal(ctx, c, net.Keys[0].Private, key(0), rcArch, kset.VK, pkh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateSubnet(ctx, net.Keys[0].Private, &chain.MsgSubnetCreate{Name: "mnist-7x7", Arch: rcArch,
			Ceremony: cer, ScoringRule: chain.ScoringYuma, Hyper: h}, rcFee); err != nil {
			t.Fatal(err)
		}
	}
	sns, err := c.Subnets(ctx)
	if err != nil || len(sns.Subnets) < 2 {
		t.Fatalf("subnets: %+v %v", sns, err)
	}
	idA, idB := sns.Subnets[len(sns.Subnets)-2].ID, sns.Subnets[len(sns.Subnets)-1].ID

	// Owners 0-5 register hotkeys 10-15: 0 the validator, 1 honest, 2
	// forger, 3 copycat, 4 lazy, 5 offline. Hotkey 16 stays unregistered.
	register := func(owner, hot ed25519.PrivateKey, id uint16) uint16 {
		t.Helper()
		if _, err := c.Register(ctx, owner, hot, id, rcFee); err != nil {
			t.Fatal(err)
		}
		n, err := c.NeuronByHotkey(ctx, id, addrOf(hot))
		if err != nil {
			t.Fatal(err)
		}
		return n.UID
	}
	vHot := key(10)
	uids := make([]uint16, 6)
	for i := range uids {
		uids[i] = register(key(i), key(10+i), idA)
	}
	register(key(1), key(11), idB)
	if _, err := c.AddStake(ctx, key(0), idA, addrOf(vHot), 1_000_000_000, rcFee); err != nil {
		t.Fatal(err)
	}
	t.Logf("network, 2 subnets, 7 registrations in %v", time.Since(began))

	base := func(hot ed25519.PrivateKey, id uint16, nodeIdx int) Config {
		cfg := DefaultConfig()
		cfg.Home, cfg.Subnet, cfg.Model, cfg.Listen, cfg.Node = homeWith(t, hot), id, goodPath, "127.0.0.1:0", net.RPCAddress(nodeIdx)
		cfg.Workers, cfg.Queue, cfg.Fee = 1, 8, rcFee
		cfg.TxTimeout, cfg.ShutdownTimeout = Duration(20*time.Second), Duration(20*time.Second)
		cfg.Refresh, cfg.Poll = Duration(300*time.Millisecond), Duration(300*time.Millisecond)
		cfg.RegistrationWait = Duration(time.Second)
		return cfg
	}

	// Refusals at start.
	err = RunDaemon(ctx, base(key(16), idA, 0), DaemonHooks{Hardware: cpuOnly})
	want := fmt.Sprintf("veritensor tx register --subnet %d --hotkey hotkey --from OWNER", idA)
	if !errors.Is(err, ErrNotRegistered) || !strings.Contains(err.Error(), want) {
		t.Fatalf("unregistered hotkey: %v; want ErrNotRegistered naming %q", err, want)
	}
	if err = RunDaemon(ctx, base(key(11), idB, 0), DaemonHooks{Hardware: cpuOnly}); !errors.Is(err, ErrProvingKey) ||
		!strings.Contains(err.Error(), "pk_hash") {
		t.Fatalf("pk_hash mismatch: %v; want ErrProvingKey", err)
	}

	// The setup check (internal/ceremonyverify, as cmd wires it) refuses a
	// subnet whose ceremony has no verifiable transcript (these subnets'
	// ceremonies are stand-ins), before anything is served.
	setupCheck := func(ctx context.Context, si chain.SubnetInfo) (string, error) {
		v, err := ceremonyverify.Subnet(ctx, c, si, ceremonyverify.Options{Dir: t.TempDir()})
		if err != nil {
			return "", err
		}
		return v.KeysDir, nil
	}
	if err = RunDaemon(ctx, base(key(11), idA, 0), DaemonHooks{Hardware: cpuOnly, CheckSetup: setupCheck}); !errors.Is(err, ceremonyverify.ErrFetch) ||
		!strings.Contains(err.Error(), "refusing to serve") {
		t.Fatalf("setup check of an unverifiable ceremony: %v", err)
	}

	// Five daemons on subnet A.
	honestCfg := base(key(11), idA, 1)
	forgerCfg := base(key(12), idA, 0)
	forgerCfg.Behavior, forgerCfg.ForgeModel = fault.Forger, forgedPath
	copyCfg := base(key(13), idA, 0)
	copyCfg.Behavior, copyCfg.CopyHotkey = fault.Copycat, fmt.Sprintf("%x", pubOf(key(11)))
	lazyCfg := base(key(14), idA, 1)
	lazyCfg.Behavior = fault.Lazy
	offCfg := base(key(15), idA, 1)
	offCfg.Behavior = fault.Offline
	ds := []*daemon{
		startDaemon(ctx, "honest", honestCfg), startDaemon(ctx, "forger", forgerCfg), startDaemon(ctx, "copycat", copyCfg),
		startDaemon(ctx, "lazy", lazyCfg), startDaemon(ctx, "offline", offCfg),
	}
	honest, forger, copycat := ds[0], ds[1], ds[2]
	stopped := false
	stopAll := func() {
		if stopped {
			return
		}
		stopped = true
		for _, d := range ds {
			d.stop()
		}
		for _, d := range ds {
			select {
			case err := <-d.done:
				if err != nil {
					t.Errorf("%s daemon returned %v after cancel", d.name, err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("%s daemon did not stop", d.name)
			}
		}
	}
	defer stopAll()
	addrs := make([]string, len(ds))
	for i, d := range ds {
		select {
		case addrs[i] = <-d.ready:
		case err := <-d.done:
			t.Fatalf("%s daemon: %v", d.name, err)
		case <-ctx.Done():
			t.Fatalf("%s daemon never ready", d.name)
		}
	}
	t.Logf("5 daemons ready at %v", time.Since(began))
	if err := net.Settle(ctx); err != nil { // each daemon served through its own node
		t.Fatal(err)
	}

	// Served on chain: the bound endpoint and the model's commitment.
	for i, d := range ds {
		n, err := c.Neuron(ctx, idA, uids[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if n.Endpoint != "http://"+addrs[i] || [32]byte(n.ModelCommitment) != good.Commitment() || n.Hardware != cpuOnly().Canonical() {
			t.Fatalf("%s serves %q %x %q, want http://%s %x", d.name, n.Endpoint, n.ModelCommitment[:8], n.Hardware, addrs[i], good.Commitment())
		}
	}

	// Epoch proofs: the honest one lands, the forger's and copycat's are
	// refused as invalid.
	nextResult := func(d *daemon) EpochResult {
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
	for range 4 { // an epoch may turn while proving: that one fails, the next lands
		if landed = nextResult(honest); landed.Outcome == Landed {
			break
		}
	}
	if landed.Outcome != Landed || landed.Submits < 1 {
		t.Fatalf("honest epoch proof: %+v", landed)
	}
	for _, d := range []*daemon{forger, copycat} {
		r := nextResult(d)
		for r.Outcome == Failed && errors.Is(r.Err, ErrEpochOver) {
			r = nextResult(d)
		}
		if r.Outcome != Failed || !errors.Is(r.Err, ErrPermanent) || !errors.Is(r.Err, chain.ErrProofInvalid) {
			t.Fatalf("%s epoch proof: %+v, want rejected as proof_invalid", d.name, r)
		}
	}
	if err := net.Settle(ctx); err != nil { // the proof landed through the honest daemon's node
		t.Fatal(err)
	}
	for ni, cl := range cls {
		n, err := cl.Neuron(ctx, idA, uids[1])
		if err != nil || !n.HasProof || n.ProofEpoch < landed.Epoch {
			t.Fatalf("node %d: honest uid %d proof %v epoch %d (landed %d): %v", ni, uids[1], n.HasProof, n.ProofEpoch, landed.Epoch, err)
		}
		for _, i := range []int{2, 3} {
			if n, err := cl.Neuron(ctx, idA, uids[i]); err != nil || n.HasProof {
				t.Fatalf("node %d: cheating uid %d has a proof: %+v %v", ni, uids[i], n, err)
			}
		}
	}

	// /v1/infer as a validator would call it.
	ep, err := c.Epoch(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := zk.NewVerifier(kset.VK)
	if err != nil {
		t.Fatal(err)
	}
	input := zk.ChallengeInput([32]byte{7}, 3, arch.Inputs())
	infer := func(caller ed25519.PrivateKey, miner int) (api.InferResponse, error) {
		cl := &api.Client{BaseURL: "http://" + addrs[miner], Miner: pubOf(key(11 + miner)),
			Signer: &api.Signer{ChainID: rcChainID, Key: caller}}
		return cl.Infer(ctx, api.InferRequest{ID: fmt.Sprint("t", rand.Uint64()), Epoch: ep.Epoch, Input: input})
	}
	// What a validator checks: the proof against the public inputs it
	// expects for this miner.
	check := func(resp api.InferResponse, miner int) error {
		n, err := c.Neuron(ctx, idA, uids[miner+1])
		if err != nil {
			return err
		}
		hot := pubOf(key(11 + miner))
		pub := zk.Public{ModelCommitment: [32]byte(n.ModelCommitment), InputHash: zk.InputHash(input), Output: resp.Class,
			HotkeyHash: zk.HotkeyHash(hot[:]), Epoch: ep.Epoch}
		return ver.Verify(resp.Proof, pub)
	}
	status := func(err error) int {
		var se *api.StatusError
		if errors.As(err, &se) {
			return se.Status
		}
		return 0
	}
	resp, err := infer(vHot, 0)
	if err != nil {
		t.Fatalf("permitted validator -> honest miner: %v", err)
	}
	if want, _, _ := good.Infer(input); resp.Class != want {
		t.Fatalf("honest miner answered class %d, the model says %d", resp.Class, want)
	}
	if err := check(resp, 0); err != nil {
		t.Fatalf("honest miner's proof does not verify against its on-chain commitment: %v", err)
	}
	if _, err := infer(key(12), 0); status(err) != http.StatusForbidden {
		t.Fatalf("registered neuron without a permit -> honest miner: %v, want 403", err)
	}
	if resp, err := infer(vHot, 2); err != nil {
		t.Fatalf("validator -> copycat: %v", err)
	} else if check(resp, 2) == nil {
		t.Fatal("copycat's answer passes a validator's check")
	} else if pub, err := zk.UnmarshalPublic(resp.Public); err != nil || pub.HotkeyHash != zk.HotkeyHash(key(11).Public().(ed25519.PublicKey)) {
		t.Fatalf("copycat's proof should be bound to its victim's hotkey: %+v %v", pub, err)
	}
	if resp, err := infer(vHot, 3); err != nil {
		t.Fatalf("validator -> lazy: %v", err)
	} else if len(resp.Proof) != 0 || check(resp, 3) == nil {
		t.Fatalf("lazy miner's answer carries a valid proof (%d bytes)", len(resp.Proof))
	}
	if _, err := infer(vHot, 4); err == nil || status(err) != 0 {
		t.Fatalf("offline miner answered: %v", err)
	}
	for _, i := range []int{4, 5} { // lazy, offline: no proofs (several epochs passed)
		if n, err := c.Neuron(ctx, idA, uids[i]); err != nil || n.HasProof || n.Endpoint == "" {
			t.Fatalf("uid %d (%s): has_proof %v endpoint %q: %v", uids[i], ds[i-1].name, n.HasProof, n.Endpoint, err)
		}
	}

	// An endpoint changed behind the daemon's back is served again.
	poll := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for attempt := 0; ; attempt++ { // the daemon signs with the same hotkey: a nonce race is possible
		_, err := c.Serve(ctx, key(11), idA, "http://127.0.0.1:1", chain.Hash32(good.Commitment()), "cpu", rcFee)
		if err == nil {
			break
		}
		if !errors.Is(err, chain.ErrNonce) || attempt == 5 {
			t.Fatal(err)
		}
	}
	poll("the honest daemon to serve its endpoint again", func() bool {
		n, err := c.Neuron(ctx, idA, uids[1])
		return err == nil && n.Endpoint == "http://"+addrs[0]
	})

	// Stake moves the only permit from the validator to the forger's hotkey
	// (the validator's stake grows with its dividends every epoch: outbid
	// it tenfold).
	vs, err := c.Stake(ctx, idA, addrOf(vHot))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checks up to re-serve done at %v; validator stake %d", time.Since(began), vs.Total)
	if _, err := c.AddStake(ctx, key(2), idA, addrOf(key(12)), 10*vs.Total, rcFee); err != nil {
		t.Fatal(err)
	}
	poll("the new permit holder to be let in", func() bool {
		_, err := infer(key(12), 0)
		if err != nil && status(err) != http.StatusForbidden {
			t.Fatalf("new permit holder -> honest miner: %v", err)
		}
		return err == nil
	})
	if _, err := infer(vHot, 0); status(err) != http.StatusForbidden {
		t.Fatalf("validator that lost its permit -> honest miner: %v, want 403", err)
	}

	stopAll()
	t.Logf("done in %v", time.Since(began))
}
