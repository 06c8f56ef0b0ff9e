package miner

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/validator"
	"github.com/veritensor/veritensor/zk"
)

// Subnets whose single proofs use the commit circuit (zk.SchemeCommit), on
// the small architecture 16-8-4 with single-party keys.

const schemeArch = "16-8-4"

// schemeKeys sets up s's keys of schemeArch in a fresh key directory and
// returns it with a subnet whose task names them.
func schemeKeys(t *testing.T, s zk.Scheme) (string, chain.SubnetInfo, *keycache.Keys) {
	t.Helper()
	a, _ := zk.ParseArch(schemeArch)
	dir := t.TempDir()
	kc, _ := keycache.New(dir)
	k, err := kc.GetScheme(s, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	si := chain.SubnetInfo{Subnet: chain.Subnet{ID: 3, Task: chain.TaskSpec{Arch: schemeArch, CircuitID: s.CircuitID(a),
		PKHash: k.PKHash, VKHash: k.VKHash, InputSize: uint32(a.Inputs()), OutputSize: uint32(a.Outputs())}}}
	return dir, si, k
}

// TestLoadProverScheme checks that LoadProver finds the subnet's keys by
// its circuit, under either scheme, and returns the scheme's prover; that a
// commit subnet's keys are not the hash circuit's (a directory holding only
// those misses); that the commit scheme refuses the GPU with an ErrConfig;
// and that a circuit this binary does not build is an ErrProvingKey naming
// both schemes' circuits.
func TestLoadProverScheme(t *testing.T) {
	for _, s := range zk.Schemes {
		dir, si, _ := schemeKeys(t, s)
		p, err := LoadProver(dir, si)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if p.Scheme() != s || p.Arch().String() != schemeArch {
			t.Fatalf("%s: prover of scheme %s, arch %s", s, p.Scheme(), p.Arch())
		}
		other := si
		other.Task.CircuitID = zk.Schemes[1-int(s)].CircuitID(p.Arch())
		if _, err := LoadProver(dir, other); !errors.Is(err, ErrProvingKey) || !errors.Is(err, keycache.ErrMiss) {
			t.Fatalf("%s keys, subnet of the other scheme: %v, want a miss", s, err)
		}
	}
	dir, si, _ := schemeKeys(t, zk.SchemeCommit)
	if _, err := LoadProver(dir, si, zk.WithGPU()); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "CPU only") {
		t.Fatalf("commit scheme on the GPU: %v, want ErrConfig (CPU only)", err)
	}
	unknown := si
	unknown.Task.CircuitID = chain.Hash32{1, 2, 3}
	if _, err := LoadProver(dir, unknown); !errors.Is(err, ErrProvingKey) || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("unknown circuit: %v", err)
	}
}

// TestCheckSchemeRefusesBatchAndGPU: a miner configured with batch (or gpu)
// on a commit subnet stops at start-up with an ErrConfig that says why;
// the same settings pass the check on a hash subnet.
func TestCheckSchemeRefusesBatchAndGPU(t *testing.T) {
	a, _ := zk.ParseArch(schemeArch)
	subnet := func(s zk.Scheme) chain.SubnetInfo {
		return chain.SubnetInfo{Subnet: chain.Subnet{ID: 3, Task: chain.TaskSpec{Arch: schemeArch, CircuitID: s.CircuitID(a)}}}
	}
	commit, hash := subnet(zk.SchemeCommit), subnet(zk.SchemeHash)
	cfg := DefaultConfig()
	cfg.Batch = 4
	err := checkScheme(cfg, commit)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "batch") || !strings.Contains(err.Error(), "hash-scheme subnets only") {
		t.Fatalf("batch on a commit subnet: %v", err)
	}
	t.Log(err)
	if err := checkScheme(cfg, hash); err != nil {
		t.Fatalf("batch on a hash subnet: %v", err)
	}
	cfg.Batch, cfg.GPU = 0, true
	if err := checkScheme(cfg, commit); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "CPU only") {
		t.Fatalf("gpu on a commit subnet: %v", err)
	}
	if err := checkScheme(cfg, hash); err != nil {
		t.Fatalf("gpu on a hash subnet: %v", err)
	}
}

// TestCommitMinerAnswersValidator runs the daemon's prover (LoadProver,
// ZKProver) for a commit subnet behind the real miner server on loopback
// and sends it a signed /v1/infer: the answer passes the validator's
// CheckAnswer with the subnet's verifier against the point the miner
// registers (the prover's ModelCommitment, which /v1/info reports with the
// scheme). A miner that registered model A's point but serves model B is
// invalid, and so is the answer checked by a hash-scheme verifier.
func TestCommitMinerAnswersValidator(t *testing.T) {
	dir, si, keys := schemeKeys(t, zk.SchemeCommit)
	p, err := LoadProver(dir, si)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Arch()
	mA, mB := randomModel(t, a, 1), randomModel(t, a, 2)
	pointA, err := p.ModelCommitment(mA)
	if err != nil {
		t.Fatal(err)
	}
	if pointA == mA.Commitment() {
		t.Fatal("the commit scheme registers the Poseidon2 hash")
	}
	mk := ed25519.NewKeyFromSeed(make([]byte, 32))
	vk := ed25519.NewKeyFromSeed(append(make([]byte, 31), 1))
	minerPub, valPub := pubOf(mk), pubOf(vk)
	serve := func(m *zk.Model) *api.Client {
		srv, err := server.New(server.Config{ChainID: "scheme", Miner: minerPub, Subnet: si.ID, InputLen: a.Inputs(),
			ModelCommitment: fmt.Sprintf("%x", pointA), CircuitID: fmt.Sprintf("%x", si.Task.CircuitID[:]), Scheme: p.Scheme().String(),
			Prover: &ZKProver{Prover: p, Model: m, Hotkey: minerPub}, Permits: server.NewPermitSet(map[[32]byte]uint64{valPub: 1}),
			Workers: 1, QueueCap: 4, CallerRate: 1e6, CallerBurst: 1e6, IPRate: 1e6, IPBurst: 1e6, RequestTimeout: time.Minute,
			Hardware: cpuOnly})
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(l)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
		})
		return &api.Client{BaseURL: "http://" + l.Addr().String(), Miner: minerPub, Signer: &api.Signer{ChainID: "scheme", Key: vk}}
	}
	ver, err := zk.NewSingleVerifier(zk.SchemeCommit, keys.VK)
	if err != nil {
		t.Fatal(err)
	}
	n := validator.Neuron{UID: 1, Hotkey: minerPub, ModelCommitment: pointA}
	ch := validator.Challenge{ID: "c-1", Input: zk.ChallengeInput([32]byte{9}, 1, a.Inputs())}
	ctx := context.Background()

	honest := serve(mA)
	info, err := honest.Info(ctx)
	if err != nil || info.Scheme != "commit" || info.ModelCommitment != fmt.Sprintf("%x", pointA) {
		t.Fatalf("/v1/info: %+v %v", info, err)
	}
	resp, err := honest.Infer(ctx, api.InferRequest{ID: ch.ID, Epoch: 5, Input: ch.Input})
	if err != nil {
		t.Fatal(err)
	}
	if err := validator.CheckAnswer(ver, n, ch, 5, a.Outputs(), resp); err != nil {
		t.Fatalf("honest commit-scheme answer: %v", err)
	}
	hashVer, err := zk.NewSingleVerifier(zk.SchemeHash, keys.VK)
	if err == nil {
		if err := validator.CheckAnswer(hashVer, n, ch, 5, a.Outputs(), resp); err == nil {
			t.Fatal("a hash-scheme verifier accepted a commit-scheme answer")
		}
	}

	swapped := serve(mB) // registered A's point, serves B
	resp, err = swapped.Infer(ctx, api.InferRequest{ID: ch.ID, Epoch: 5, Input: ch.Input})
	if err != nil {
		t.Fatal(err)
	}
	if err := validator.CheckAnswer(ver, n, ch, 5, a.Outputs(), resp); !errors.Is(err, validator.ErrPublicMismatch) {
		t.Fatalf("registered A, served B: %v, want ErrPublicMismatch", err)
	}
}
