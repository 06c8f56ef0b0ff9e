package ceremonyrun

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/ceremonytest"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/internal/keycache/keycachetest"
	"github.com/veritensor/veritensor/zk"
	"github.com/veritensor/veritensor/zk/ceremony"
)

const (
	fee     = 100
	chainID = "ceremony-e2e"
)

func addrOf(k ed25519.PrivateKey) chain.Address { return addr(k) }

// TestThreePartyCeremonyOnFourNodes: the subnet creator and two other
// contributors run a 49-16-10 ceremony (3 contributions per phase plus the
// chain's beacons) on a 4-node network; a daemon's check verifies the whole
// transcript against the chain (once: the second check is a cached
// verdict); a subnet created from the ceremony accepts a proof made with the
// ceremony's proving key, verified by every node, and refuses a proof made
// with keys of a single-party setup of the same circuit (whose maker knows
// the toxic waste). An owner who seals a key the transcript does not
// produce gets a ceremony the chain records but every daemon refuses, with
// an error naming the bad file.
func TestThreePartyCeremonyOnFourNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 4-node network and a real ceremony")
	}
	arch, err := zk.ParseArch("49-16-10")
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) ed25519.PrivateKey { return testnet.DeterministicKey(chainID, i) }
	var accts []chain.GenesisAccount
	for i := range 6 {
		accts = append(accts, chain.GenesisAccount{Address: addrOf(key(i)), Balance: 1_000_000_000_000_000})
	}
	net, err := testnet.Generate(t.TempDir(), testnet.Options{Validators: 4, ChainID: chainID, Accounts: accts,
		Params: ceremonytest.Params(), Config: node.Config{TimeoutCommit: node.Duration(150 * time.Millisecond), CreateEmptyBlocks: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.StartAll(); err != nil {
		t.Fatal(err)
	}
	defer net.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
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
	owner := key(0)
	dir := t.TempDir()
	// Phase-1 contributions are reused machine-wide between runs (their
	// manifest names the contributors), as the devnet does.
	cdir, err := ceremonyverify.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	p1dir, err := filepath.Abs(filepath.Join(cdir, "test-phase1"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := Run(ctx, c, Spec{Arch: arch, Owner: owner, Contributors: []ed25519.PrivateKey{owner, key(1), key(2)},
		Phase1Dir: p1dir, Phase2Dir: filepath.Join(dir, "p2"), Fee: fee, Say: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ceremony in %v", time.Since(start).Round(time.Millisecond))
	if err := net.Settle(ctx); err != nil { // the other nodes have the seal too
		t.Fatal(err)
	}
	if res.Phase2.DistinctContributors != 3 || len(res.Phase1.Contributions) != 3 || !res.Phase2.Sealed {
		t.Fatalf("ceremony %+v", res.Phase2)
	}
	// The chain's beacon is the engine's.
	if want := ceremony.Beacon(chainID, uint64(res.Phase2.ID), ceremony.Phase2, res.Phase2.BeaconBlockHash[:]); string(want) != string(res.Phase2.Beacon[:]) {
		t.Fatalf("chain beacon %s, zk/ceremony.Beacon %x", res.Phase2.Beacon, want)
	}

	// A daemon's check, twice: verified, then cached.
	vdir := filepath.Join(dir, "verdicts")
	v, err := ceremonyverify.Ceremony(ctx, cls[1], res.Phase2.ID, ceremonyverify.Options{Dir: vdir, Log: t.Logf})
	if err != nil || v.Cached {
		t.Fatalf("verify: %+v %v", v, err)
	}
	v2, err := ceremonyverify.Ceremony(ctx, cls[2], res.Phase2.ID, ceremonyverify.Options{Dir: vdir})
	if err != nil || !v2.Cached || v2.KeysDir != v.KeysDir {
		t.Fatalf("second verify: %+v %v", v2, err)
	}
	kc, _ := keycache.New(v.KeysDir)
	vk, err := kc.Load(arch)
	if err != nil || vk.PKHash != res.Keys.PKHash {
		t.Fatalf("verified keys: %v", err)
	}

	// A subnet from the ceremony; a miner proves with the ceremony's key.
	h := chain.DefaultHyperparams()
	h.Tempo, h.MaxUIDs, h.MaxValidators, h.RegistrationBurn, h.CommitReveal = 1000, 4, 1, 1000, false
	if _, err := c.CreateSubnet(ctx, owner, &chain.MsgSubnetCreate{Name: "ceremony", Arch: arch.String(), Ceremony: res.Phase2.ID,
		ScoringRule: chain.ScoringYuma, Hyper: h}, fee); err != nil {
		t.Fatal(err)
	}
	sns, err := c.Subnets(ctx)
	if err != nil || len(sns.Subnets) != 1 {
		t.Fatalf("subnets %+v %v", sns, err)
	}
	si, err := c.Subnet(ctx, sns.Subnets[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ceremonyverify.Subnet(ctx, c, si, ceremonyverify.Options{Dir: vdir}); err != nil {
		t.Fatalf("subnet check: %v", err)
	}
	minerOwner, hot := key(3), key(4)
	if _, err := c.Transfer(ctx, minerOwner, addrOf(hot), 1_000_000, fee); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, minerOwner, hot, si.ID, fee); err != nil {
		t.Fatal(err)
	}
	model, err := zk.RandomModel(arch, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Serve(ctx, hot, si.ID, "http://127.0.0.1:1", model.Commitment(), "cpu", fee); err != nil {
		t.Fatal(err)
	}
	prove := func(pk []byte) (chain.EpochInfo, zk.Public, []byte) {
		t.Helper()
		p, err := zk.NewProver(arch, pk)
		if err != nil {
			t.Fatal(err)
		}
		info, _, x, err := c.Challenge(ctx, si.ID, addrOf(hot))
		if err != nil {
			t.Fatal(err)
		}
		proof, pub, err := p.Prove(model, x, zk.Binding{HotkeyHash: zk.HotkeyHash(hot.Public().(ed25519.PublicKey)), Epoch: info.Epoch})
		if err != nil {
			t.Fatal(err)
		}
		return info, pub, proof
	}
	// The attacker's keys: a single-party setup of the same circuit.
	attacker := keycachetest.Get(t, arch)
	info, pub, forged := prove(attacker.PK)
	if _, err := c.SubmitProof(ctx, hot, si.ID, info.Epoch, pub.Output, forged, fee); !errors.Is(err, chain.ErrProofInvalid) {
		t.Fatalf("proof from a single-party setup: %v", err)
	}
	info, pub, proof := prove(res.Keys.PK)
	if _, err := c.SubmitProof(ctx, hot, si.ID, info.Epoch, pub.Output, proof, fee); err != nil {
		t.Fatalf("proof from the ceremony's key: %v", err)
	}
	if err := net.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for i, cl := range cls {
		n, err := cl.NeuronByHotkey(ctx, si.ID, addrOf(hot))
		if err != nil || !n.ProofOK {
			t.Fatalf("node %d: %+v %v", i, n, err)
		}
	}

	// The owner records the honest transcript again but seals the
	// attacker's verifying key: the chain cannot tell, every daemon can.
	p2 := res.Phase2
	id, _, err := c.OpenCeremony(ctx, owner, &chain.MsgCeremonyOpen{Phase: chain.CeremonyPhase2, Arch: arch.String(), Phase1: p2.Phase1,
		Init: p2.Init, Source: p2.Source}, fee)
	if err != nil {
		t.Fatal(err)
	}
	prev := p2.Init
	for i, k := range []ed25519.PrivateKey{owner, key(1)} {
		if _, err := c.Contribute(ctx, k, id, prev, p2.Contributions[i].Hash, fee); err != nil {
			t.Fatal(err)
		}
		prev = p2.Contributions[i].Hash
	}
	if _, err := c.WaitBeacon(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SealCeremony(ctx, owner, &chain.MsgCeremonySeal{Ceremony: id, Head: prev, Output: p2.Output,
		PKHash: attacker.PKHash, VK: attacker.VK}, fee); err != nil {
		t.Fatal(err)
	}
	_, err = ceremonyverify.Ceremony(ctx, c, id, ceremonyverify.Options{Dir: vdir})
	var fe *ceremony.Error
	if !errors.Is(err, ceremonyverify.ErrUnverified) || !errors.As(err, &fe) && !errors.Is(err, ceremony.ErrSealMismatch) {
		t.Fatalf("a ceremony sealed with a key its transcript does not give: %v", err)
	}
	t.Logf("refused: %v", err)
	if _, err2 := ceremonyverify.Ceremony(ctx, c, id, ceremonyverify.Options{Dir: vdir}); !errors.Is(err2, ceremonyverify.ErrUnverified) {
		t.Fatalf("cached refusal: %v", err2)
	}
}
