package validator

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/internal/keycache/keycachetest"
	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// Subnets whose single proofs use the commit circuit (zk.SchemeCommit): a
// miner registers its model point (zk.SingleProver.ModelCommitment), and
// the validator verifies with zk.NewSingleVerifier(zk.SchemeCommit, vk)
// against that point.

var (
	commitOnce sync.Once
	commitKeys struct {
		p  zk.SingleProver
		vk []byte
	}
	commitErr error
)

// commitProver is the fixture architecture's commit-scheme prover and
// verifying key (single-party keys from the machine-wide cache).
func commitProver(t *testing.T) (zk.SingleProver, []byte) {
	t.Helper()
	f := getFixture(t)
	k := keycachetest.GetScheme(t, zk.SchemeCommit, f.arch)
	commitOnce.Do(func() {
		commitKeys.vk = k.VK
		commitKeys.p, commitErr = zk.NewSingleProver(zk.SchemeCommit, f.arch, k.PK)
	})
	if commitErr != nil {
		t.Fatal(commitErr)
	}
	return commitKeys.p, commitKeys.vk
}

// singleProver is a miner's prover under any scheme: it proves m bound to
// its hotkey and the epoch asked for.
type singleProver struct {
	p      zk.SingleProver
	m      *zk.Model
	hotkey [32]byte
}

func (z *singleProver) Prove(_ context.Context, in []int8, epoch uint64) (uint32, []byte, []byte, error) {
	proof, pubIn, err := z.p.Prove(z.m, in, zk.Binding{HotkeyHash: zk.HotkeyHash(z.hotkey[:]), Epoch: epoch})
	if err != nil {
		return 0, nil, nil, err
	}
	b, _ := pubIn.MarshalBinary()
	return pubIn.Output, proof, b, nil
}

func point(t *testing.T, p zk.SingleProver, m *zk.Model) [32]byte {
	t.Helper()
	c, err := p.ModelCommitment(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCommitSubnetScoresMiners runs a tempo of a commit-scheme subnet
// against real miner servers on loopback with real commit-circuit proofs: the
// honest miner (registered the point of the model it serves) is Valid on
// every challenge; a miner that registered model A's point but serves model
// B, one that registered B's point and serves A, and one that answers with
// hash-circuit proofs of A (registered A's point) are Invalid. A batch
// verifier configured for the tempo's size is not used: a commit subnet's
// challenges go one by one to /v1/infer (these miners serve no /v2/infer).
func TestCommitSubnetScoresMiners(t *testing.T) {
	f := getFixture(t)
	cp, cvk := commitProver(t)
	vk := pub(key(100))
	a, b := point(t, cp, f.good), point(t, cp, f.other)
	if a == b || a == f.good.Commitment() {
		t.Fatal("model points do not tell the models apart")
	}
	specs := []struct {
		name   string
		n      byte
		commit [32]byte
		p      *singleProver
		valid  bool
	}{
		{"honest", 1, a, &singleProver{p: cp, m: f.good, hotkey: pub(key(1))}, true},
		{"registered-A-serves-B", 2, a, &singleProver{p: cp, m: f.other, hotkey: pub(key(2))}, false},
		{"registered-B-serves-A", 3, b, &singleProver{p: cp, m: f.good, hotkey: pub(key(3))}, false},
		{"hash-circuit-proof", 4, a, &singleProver{p: f.prover, m: f.good, hotkey: pub(key(4))}, false},
	}
	neurons := []Neuron{{UID: 0, Hotkey: vk, ValidatorPermit: true, Stake: 1000}}
	for i, s := range specs {
		neurons = append(neurons, Neuron{UID: uint16(i + 1), Hotkey: pub(key(s.n)), ModelCommitment: s.commit,
			Endpoint: startMiner(t, key(s.n), s.p, vk)})
	}
	c := newFakeChain(f, neurons, false)
	c.snap.Subnet.Scheme, c.snap.Subnet.VerifyingKey = zk.SchemeCommit, cvk
	kc, err := keycache.New("")
	if err != nil {
		t.Fatal(err)
	}
	bk, err := kc.GetBatch(f.arch, 4, nil) // the tempo's 3 graded + 1 decoy
	if err != nil {
		t.Fatal(err)
	}
	bv, err := zk.NewBatchVerifier(bk.VK, 4)
	if err != nil {
		t.Fatal(err)
	}
	v := newValidator(t, t.TempDir(), c, vk, func(cfg *Config) { cfg.BatchVerifiers = map[int]*zk.BatchVerifier{4: bv} })
	rep, err := v.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range specs {
		m := rep.Miners[i]
		switch {
		case m.UID != uint16(i+1):
			t.Fatalf("%s: report of uid %d", s.name, m.UID)
		case s.valid && (m.Valid != m.Requests || m.Invalid != 0):
			t.Errorf("%s: %d valid, %d invalid of %d: %v", s.name, m.Valid, m.Invalid, m.Requests, m.Errors)
		case !s.valid && (m.Invalid != 1 || m.Valid != 0):
			t.Errorf("%s: %d valid, %d invalid: %v", s.name, m.Valid, m.Invalid, m.Errors)
		case !s.valid && m.Score != 0:
			t.Errorf("%s: scored %v", s.name, m.Score)
		}
		t.Logf("%s: valid %d invalid %d score %v %v", s.name, m.Valid, m.Invalid, m.Score, m.Errors)
	}
}

// TestCheckAnswerCommitPoint checks CheckAnswer under the commit scheme on
// one real proof: it verifies against the registered point; the same proof
// checked against another model's point (a miner whose registered point is
// not its proof's) is refused with ErrPublicMismatch naming the model
// commitment; a hash-scheme verifier refuses it; and registered
// commitments that are no curve point, or the model's Poseidon2 hash, are
// refused without a panic.
func TestCheckAnswerCommitPoint(t *testing.T) {
	f := getFixture(t)
	cp, cvk := commitProver(t)
	ver, err := zk.NewSingleVerifier(zk.SchemeCommit, cvk)
	if err != nil {
		t.Fatal(err)
	}
	hk := pub(key(1))
	ch := Challenge{ID: "c1", Input: f.data.Inputs[0]}
	class, proof, public, err := (&singleProver{p: cp, m: f.good, hotkey: hk}).Prove(context.Background(), ch.Input, 9)
	if err != nil {
		t.Fatal(err)
	}
	resp := api.InferResponse{ID: "c1", Epoch: 9, Class: class, Proof: proof, Public: public}
	n := Neuron{UID: 1, Hotkey: hk, ModelCommitment: point(t, cp, f.good)}
	if err := CheckAnswer(ver, n, ch, 9, 10, resp); err != nil {
		t.Fatalf("honest answer: %v", err)
	}
	other := n
	other.ModelCommitment = point(t, cp, f.other)
	if err := CheckAnswer(ver, other, ch, 9, 10, resp); !errors.Is(err, ErrPublicMismatch) {
		t.Fatalf("another point: %v, want ErrPublicMismatch", err)
	}
	if err := CheckAnswer(f.verifier, n, ch, 9, 10, resp); err == nil {
		t.Fatal("a hash-scheme verifier accepted a commit proof")
	}
	for name, c := range map[string][32]byte{"poseidon2 hash": f.good.Commitment(), "all ones": {0: 0xff, 31: 0xff}, "zero": {}} {
		bad := n
		bad.ModelCommitment = c
		if err := CheckAnswer(ver, bad, ch, 9, 10, resp); err == nil {
			t.Errorf("registered %s: accepted", name)
		}
	}
}
