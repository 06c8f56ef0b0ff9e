package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/veritensor/veritensor/internal/keycache/keycachetest"
	"github.com/veritensor/veritensor/zk"
)

// smallArch is the circuit of the pure protocol tests: small enough that its
// Groth16 setup takes well under a second, with the same gadgets as
// 784-64-10. The network test in chain/subnettest uses the real MNIST model.
const smallArch = "16-8-4"

type zkKeys struct {
	arch   zk.Arch
	scheme zk.Scheme
	vk     []byte
	pkHash [32]byte
	prover zk.SingleProver
}

// commitment is what a miner serving m registers under the keys' scheme.
func (k zkKeys) commitment(t testing.TB, m *zk.Model) Hash32 {
	t.Helper()
	c, err := k.prover.ModelCommitment(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	smallOnce sync.Once
	smallKeys zkKeys
	smallErr  error
)

func smallSetup(t testing.TB) zkKeys {
	t.Helper()
	smallOnce.Do(func() {
		a, err := zk.ParseArch(smallArch)
		if err != nil {
			smallErr = err
			return
		}
		k := keycachetest.Get(t, a) // machine-wide key cache: one real setup per machine
		p, err := zk.NewProver(a, k.PK)
		smallKeys, smallErr = zkKeys{arch: a, scheme: zk.SchemeHash, vk: k.VK, pkHash: k.PKHash, prover: p}, err
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallKeys
}

var (
	commitOnce sync.Once
	commitKeys zkKeys
	commitErr  error
)

// commitSetup returns single-party keys of smallArch's commit circuit
// (zk.SchemeCommit; setup well under a second), made once per test
// process: the chain records only the ceremony's hashes and verifying key,
// so tests of commit subnets seal a stand-in ceremony with them, as
// createSubnet does with smallSetup's keys.
func commitSetup(t testing.TB) zkKeys {
	t.Helper()
	commitOnce.Do(func() {
		a, err := zk.ParseArch(smallArch)
		if err != nil {
			commitErr = err
			return
		}
		pk, vk, err := zk.SetupScheme(zk.SchemeCommit, a)
		if err != nil {
			commitErr = err
			return
		}
		p, err := zk.NewSingleProver(zk.SchemeCommit, a, pk)
		commitKeys, commitErr = zkKeys{arch: a, scheme: zk.SchemeCommit, vk: vk, pkHash: sha256.Sum256(pk), prover: p}, err
	})
	if commitErr != nil {
		t.Fatal(commitErr)
	}
	return commitKeys
}

// testModel draws a valid model of a from seed.
func testModel(t testing.TB, a zk.Arch, seed uint64) *zk.Model {
	t.Helper()
	m, err := zk.RandomModel(a, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// env is a bare State driven block by block, the way the ABCI app drives it.
type env struct {
	t      testing.TB
	s      *State
	height int64
	keys   zkKeys
	// cer is the sealed ceremony of smallArch subnets (once hasCer).
	cer    uint32
	hasCer bool
}

func newEnv(t testing.TB, accounts int) *env {
	t.Helper()
	s := genesisState(t, accounts, 1_000_000_000_000_000)
	return &env{t: t, s: s, height: 1}
}

func (e *env) ctx() BlockContext {
	var h [32]byte
	binary.BigEndian.PutUint64(h[:], uint64(e.height))
	sum := sha256.Sum256(h[:])
	return BlockContext{Height: e.height, Hash: sum[:]}
}

// tx delivers msg signed by key in the current block.
func (e *env) tx(key ed25519.PrivateKey, msg Msg) error {
	e.t.Helper()
	raw := NewTx(testChainID, msg, key, e.s.Account(addrOf(key)).Nonce, RequiredFee(e.s.Params(), msg)).Marshal()
	_, err := e.s.ExecTx(e.ctx(), raw, nil)
	return err
}

// ok delivers and fails the test on error.
func (e *env) ok(key ed25519.PrivateKey, msg Msg) {
	e.t.Helper()
	if err := e.tx(key, msg); err != nil {
		e.t.Fatalf("%T: %v", msg, err)
	}
}

// reject delivers, expects want, and checks nothing changed.
func (e *env) reject(key ed25519.PrivateKey, msg Msg, want *CodedError) {
	e.t.Helper()
	e.s.ChangeSet()
	err := e.tx(key, msg)
	if !errors.Is(err, want) {
		e.t.Fatalf("%T: got %v, want %s", msg, err, want.Name)
	}
	if cs := e.s.ChangeSet(); len(cs) != 0 {
		e.t.Fatalf("%T rejected (%v) but changed %d keys", msg, err, len(cs))
	}
}

// endBlock runs the end blockers and moves to the next height.
func (e *env) endBlock() []Event {
	e.t.Helper()
	evs, err := e.s.EndBlock(e.ctx())
	if err != nil {
		e.t.Fatal(err)
	}
	e.height++
	return evs
}

// advanceTo ends blocks until the current height is h.
func (e *env) advanceTo(h uint64) {
	for uint64(e.height) < h {
		e.endBlock()
	}
}

// nextEpoch ends blocks until subnet id starts a new epoch.
func (e *env) nextEpoch(id uint16) {
	e.t.Helper()
	sn, err := e.s.Subnet(id)
	if err != nil {
		e.t.Fatal(err)
	}
	e.advanceTo(sn.NextEpochAt())
}

func testHyper() Hyperparams {
	h := DefaultHyperparams()
	h.Tempo, h.ImmunityPeriod, h.WeightsRateLimit, h.ActivityCutoff = 10, 30, 2, 1000
	h.MaxUIDs, h.MaxValidators = 8, 2
	h.RegistrationBurn = 1000
	h.MinValidatorStake = 0 // the tests stake a few units; TestPermitNeedsMinStake covers the minimum
	return h
}

// createSubnet creates a subnet of smallArch owned by key and returns its ID.
func (e *env) createSubnet(key ed25519.PrivateKey, h Hyperparams) uint16 {
	e.t.Helper()
	if e.keys.vk == nil {
		e.keys = smallSetup(e.t)
	}
	if !e.hasCer {
		if e.s.Account(addrOf(testKey(1))).Balance < 1000 {
			e.fund(testKey(0), addrOf(testKey(1)))
		}
		e.cer, e.hasCer = e.ceremonies().sealedCeremony(testKey(0), testKey(1), smallArch, e.keys.vk, e.keys.pkHash), true
	}
	id := uint16(e.s.getU64(keySubnetNext))
	e.ok(key, &MsgSubnetCreate{Name: "mnist", Arch: smallArch, Ceremony: e.cer,
		ScoringRule: ScoringYuma, Hyper: h})
	e.endBlock()
	return id
}

// register registers hotkey under owner and returns its UID.
func (e *env) register(id uint16, owner, hotkey ed25519.PrivateKey) uint16 {
	e.t.Helper()
	e.ok(owner, NewMsgRegister(testChainID, id, addrOf(owner), hotkey))
	n, err := e.s.NeuronByHotkey(id, addrOf(hotkey))
	if err != nil {
		e.t.Fatal(err)
	}
	return n.UID
}

// fund gives hotkey a balance for fees.
func (e *env) fund(from ed25519.PrivateKey, to Address) {
	e.t.Helper()
	e.ok(from, &MsgTransfer{To: to, Amount: 1_000_000})
}

// createCommitSubnet creates a subnet of smallArch whose proofs use the
// commit circuit: a stand-in phase-2 ceremony opened with zk.SchemeCommit
// and sealed with commitSetup's keys. It returns the subnet ID and the keys.
func (e *env) createCommitSubnet(key ed25519.PrivateKey, h Hyperparams) (uint16, zkKeys) {
	e.t.Helper()
	k := commitSetup(e.t)
	if e.s.Account(addrOf(testKey(1))).Balance < 1000 {
		e.fund(testKey(0), addrOf(testKey(1)))
	}
	cer := e.ceremonies().sealedSchemeCeremony(testKey(0), testKey(1), smallArch, zk.SchemeCommit, k.vk, k.pkHash)
	id := uint16(e.s.getU64(keySubnetNext))
	e.ok(key, &MsgSubnetCreate{Name: "mnist-commit", Arch: smallArch, Ceremony: cer,
		ScoringRule: ScoringYuma, Hyper: h})
	e.endBlock()
	return id, k
}

// prove builds hotkey's proof of model m for subnet id's current epoch.
func (e *env) prove(id uint16, hotkey ed25519.PrivateKey, m *zk.Model) *MsgSubmitProof {
	e.t.Helper()
	return e.proveWith(e.keys, id, hotkey, m)
}

// proveWith is prove with the prover of k (another scheme or subnet).
func (e *env) proveWith(k zkKeys, id uint16, hotkey ed25519.PrivateKey, m *zk.Model) *MsgSubmitProof {
	e.t.Helper()
	sn, err := e.s.Subnet(id)
	if err != nil {
		e.t.Fatal(err)
	}
	n, err := e.s.NeuronByHotkey(id, addrOf(hotkey))
	if err != nil {
		e.t.Fatal(err)
	}
	proof, pub, err := k.prover.Prove(m, sn.ChallengeInput(n.UID),
		zk.Binding{HotkeyHash: zk.HotkeyHash(hotkey.Public().(ed25519.PublicKey)), Epoch: sn.Epoch})
	if err != nil {
		e.t.Fatal(err)
	}
	return &MsgSubmitProof{Subnet: id, Epoch: sn.Epoch, Output: pub.Output, Proof: proof}
}

func (e *env) checkSupply(genesis uint64) {
	e.t.Helper()
	if err := e.s.CheckProtocolSupply(); err != nil {
		e.t.Fatal(err)
	}
	tk := e.s.Tokenomics()
	if tk.Supply != genesis+tk.Minted-tk.Burned {
		e.t.Fatalf("supply %d != genesis %d + minted %d - burned %d", tk.Supply, genesis, tk.Minted, tk.Burned)
	}
}
