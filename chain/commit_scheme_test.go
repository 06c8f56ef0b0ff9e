package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"

	"github.com/veritensor/veritensor/zk"
)

// Subnets whose single-inference proofs use the commit circuit
// (zk.SchemeCommit; docs/zk.md, "Proof schemes"): the model commitment a
// miner serves is the model point, a compressed BN254 G1 point, and the
// per-epoch proof is checked by the commit circuit's verifier against it.

// badPoints are 32-byte values that are not canonical compressed G1
// points, each with the reason.
func badPoints(t *testing.T, valid Hash32) []struct {
	name string
	c    Hash32
} {
	t.Helper()
	// The generator (x = 1) with x written as x + p: the same point, not
	// its canonical encoding (x must be below the base field modulus p).
	_, _, g1, _ := bn254.Generators()
	gen := Hash32(g1.Bytes())
	var xp Hash32
	pPlus1 := fp.Modulus()
	pPlus1.Add(pPlus1, big.NewInt(1))
	pPlus1.FillBytes(xp[:])
	xp[0] |= gen[0] & 0xc0 // the generator's flag bits
	// An x with no point: x^3 + 3 is not a square in Fp.
	var off Hash32
	for x := uint64(2); ; x++ {
		var e, y2 fp.Element
		e.SetUint64(x)
		y2.Square(&e).Mul(&y2, &e).Add(&y2, new(fp.Element).SetUint64(3))
		if y2.Legendre() == -1 {
			b := e.Bytes()
			off = b
			off[0] |= 0x80 // compressed, smallest y
			break
		}
	}
	var infTrailing Hash32
	infTrailing[0], infTrailing[31] = 0x40, 1 // infinity's flag, non-zero x
	asInfinity := valid
	asInfinity[0] = asInfinity[0]&0x3f | 0x40 // a point's x under the infinity flag
	uncompressed := valid
	uncompressed[0] &= 0x3f // a point's x under the uncompressed flag (needs 64 bytes)
	return []struct {
		name string
		c    Hash32
	}{
		{"x not reduced mod p", xp},
		{"off the curve", off},
		{"infinity with a non-zero x", infTrailing},
		{"all ones", Hash32{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"a valid point's x flagged as infinity", asInfinity},
		{"a valid point's x flagged uncompressed", uncompressed},
	}
}

// TestCommitSubnetServe: on a commit subnet, serve accepts exactly
// canonical compressed G1 points (and zero: no model): a Poseidon2
// commitment, a non-canonical encoding and an x off the curve are refused
// with invalid_msg and change nothing; the model point is accepted. On a
// hash subnet nothing changed: the Poseidon2 commitment is accepted, a
// point (not a field element) is refused.
func TestCommitSubnetServe(t *testing.T) {
	e := newEnv(t, 3)
	owner, hk := testKey(0), testKey(11)
	hashID := e.createSubnet(owner, testHyper())
	commitID, ck := e.createCommitSubnet(owner, testHyper())
	e.register(hashID, owner, hk)
	e.register(commitID, owner, hk)
	e.fund(owner, addrOf(hk))
	model := testModel(t, ck.arch, 1)
	point, poseidon := ck.commitment(t, model), model.Commitment()
	if err := zk.SchemeCommit.ValidateCommitment(point); err != nil || point == poseidon {
		t.Fatalf("model point %s: %v", point, err)
	}

	e.reject(hk, &MsgServe{Subnet: commitID, ModelCommitment: poseidon}, ErrInvalidMsg)
	for _, bad := range badPoints(t, point) {
		if bad.c == point {
			t.Fatalf("%s: equals the model point", bad.name)
		}
		t.Run(bad.name, func(t *testing.T) {
			e.t = t
			e.reject(hk, &MsgServe{Subnet: commitID, ModelCommitment: bad.c}, ErrInvalidMsg)
		})
		e.t = t
	}
	e.ok(hk, &MsgServe{Subnet: commitID, Endpoint: "http://127.0.0.1:9000", ModelCommitment: point})
	n, err := e.s.NeuronByHotkey(commitID, addrOf(hk))
	if err != nil || n.ModelCommitment != point || n.Endpoint != "http://127.0.0.1:9000" {
		t.Fatalf("served neuron %+v %v", n, err)
	}
	e.ok(hk, &MsgServe{Subnet: commitID}) // zero: stop serving a model
	if n, _ := e.s.NeuronByHotkey(commitID, addrOf(hk)); !n.ModelCommitment.IsZero() {
		t.Fatal("zero commitment not stored")
	}
	e.ok(hk, &MsgServe{Subnet: commitID, ModelCommitment: point})

	// The hash subnet is unchanged.
	e.reject(hk, &MsgServe{Subnet: hashID, ModelCommitment: point}, ErrInvalidMsg)
	e.reject(hk, &MsgServe{Subnet: hashID, ModelCommitment: Hash32{0xff, 0xff}}, ErrInvalidMsg)
	e.ok(hk, &MsgServe{Subnet: hashID, ModelCommitment: poseidon})
	if n, _ := e.s.NeuronByHotkey(hashID, addrOf(hk)); n.ModelCommitment != poseidon {
		t.Fatal("hash subnet: Poseidon2 commitment not stored")
	}
}

// TestCommitSubnetProofs: the per-epoch proof of a commit subnet is checked
// by the commit circuit's verifier against the served model point. A real
// commit proof lands; a real proof of the hash circuit (same model, input,
// hotkey and epoch), a commit proof of another model, a commit proof made
// with gnark's random mask (valid, but of another point), and a copycat
// serving the victim's point and replaying its proof are refused with
// proof_invalid and change nothing.
func TestCommitSubnetProofs(t *testing.T) {
	e := newEnv(t, 3)
	owner, m1, m2 := testKey(0), testKey(11), testKey(12)
	id, ck := e.createCommitSubnet(owner, testHyper())
	hashKeys := smallSetup(t)
	e.register(id, owner, m1)
	e.register(id, owner, m2)
	e.fund(owner, addrOf(m1))
	e.fund(owner, addrOf(m2))
	model, other := testModel(t, ck.arch, 1), testModel(t, ck.arch, 2)
	point := ck.commitment(t, model)

	good := e.proveWith(ck, id, m1, model)
	e.reject(m1, good, ErrNotServed)
	e.ok(m1, &MsgServe{Subnet: id, ModelCommitment: point})
	e.ok(m2, &MsgServe{Subnet: id, ModelCommitment: point}) // a copycat may register the same point

	hashProof := e.proveWith(hashKeys, id, m1, model)
	if hashProof.Output != good.Output {
		t.Fatalf("the circuits disagree on the output: %d vs %d", hashProof.Output, good.Output)
	}
	otherModel := e.proveWith(ck, id, m1, other)

	// A proof with gnark's random mask: a valid proof, of a random point.
	sn, err := e.s.Subnet(id)
	if err != nil {
		t.Fatal(err)
	}
	n1, _ := e.s.NeuronByHotkey(id, addrOf(m1))
	cp := ck.prover.(*zk.CommitProver)
	maskedProof, maskedPub, err := cp.ProveWithRandomMask(model, sn.ChallengeInput(n1.UID),
		zk.Binding{HotkeyHash: zk.HotkeyHash(m1.Public().(ed25519.PublicKey)), Epoch: sn.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	v, err := zk.NewSingleVerifier(zk.SchemeCommit, ck.vk)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(maskedProof, maskedPub); err != nil || maskedPub.ModelCommitment == point {
		t.Fatalf("the masked proof is not a valid proof of another point (%v)", err)
	}
	masked := &MsgSubmitProof{Subnet: id, Epoch: sn.Epoch, Output: maskedPub.Output, Proof: maskedProof}

	cases := []struct {
		name string
		key  ed25519.PrivateKey
		msg  Msg
	}{
		{"hash-circuit proof", m1, hashProof},
		{"proof of another model's point", m1, otherModel},
		{"random mask", m1, masked},
		{"copycat replays the victim's proof", m2, good},
		{"wrong output", m1, wrongOutput(good, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.t = t; e.reject(tc.key, tc.msg, ErrProofInvalid) })
	}
	e.t = t
	e.ok(m1, good)
	if rec, ok := e.s.Proof(id, n1.UID); !ok || rec.Epoch != sn.Epoch || rec.Output != good.Output {
		t.Fatalf("proof record %+v %v", rec, ok)
	}
	e.reject(m1, good, ErrProofDuplicate)
	// The copycat holding the weights proves them under its own hotkey.
	e.ok(m2, e.proveWith(ck, id, m2, model))

	// Next epoch: a fresh proof lands; serving another point voids it.
	e.nextEpoch(id)
	e.ok(m1, e.proveWith(ck, id, m1, model))
	e.ok(m1, &MsgServe{Subnet: id, ModelCommitment: ck.commitment(t, other)})
	if _, ok := e.s.Proof(id, n1.UID); ok {
		t.Fatal("proof survived a model change")
	}
	e.ok(m1, e.proveWith(ck, id, m1, other))
}

// TestCommitCeremony: a phase-2 ceremony opened with the commit scheme
// records the commit circuit's ID, seals only with a verifying key of that
// circuit (a hash-circuit key is refused, and a hash ceremony refuses a
// commit key), serves only subnets of its own arch, and gives a subnet
// whose circuit is the commit circuit; queries show the scheme.
func TestCommitCeremony(t *testing.T) {
	e := newEnv(t, 3)
	owner, alice, bob := testKey(0), testKey(1), testKey(2)
	d := e.ceremonies()
	ck, hk := commitSetup(t), smallSetup(t)
	p1 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase1, Power: 10, Init: fakeHash("p1"), Source: "/c"})
	d.contributeAll(p1.ID, alice, bob)
	d.seal(owner, p1.ID, nil, Hash32{})

	a := ck.arch
	sealWith := func(scheme zk.Scheme, vk []byte, pkHash Hash32, want *CodedError) uint32 {
		t.Helper()
		c := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: smallArch, Scheme: scheme, Phase1: p1.ID,
			Init: fakeHash("p2 " + scheme.String() + strconv.Itoa(int(e.height))), Source: "/c"})
		if c.CircuitID != scheme.CircuitID(a) {
			t.Fatalf("%s ceremony records circuit %s", scheme, c.CircuitID)
		}
		d.contributeAll(c.ID, alice, bob)
		e.advanceTo(c.BeaconHeight + 1)
		c, _ = e.s.Ceremony(c.ID)
		seal := &MsgCeremonySeal{Ceremony: c.ID, Head: c.Head(), Output: fakeHash("o"), PKHash: pkHash, VK: vk}
		if want != nil {
			e.reject(owner, seal, want)
		} else {
			e.ok(owner, seal)
		}
		return c.ID
	}
	sealWith(zk.SchemeCommit, hk.vk, hk.pkHash, ErrInvalidMsg) // a hash-circuit key for the commit circuit
	sealWith(zk.SchemeHash, ck.vk, ck.pkHash, ErrInvalidMsg)   // a commit-circuit key for the hash circuit
	cid := sealWith(zk.SchemeCommit, ck.vk, ck.pkHash, nil)

	// Only a subnet of the ceremony's arch (a commit circuit of another
	// arch is another circuit).
	for _, other := range []string{"16-8-5", "16-4-4", "49-16-10"} {
		e.reject(owner, &MsgSubnetCreate{Name: "x", Arch: other, Ceremony: cid, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrCeremonyMismatch)
	}
	id := uint16(e.s.getU64(keySubnetNext))
	e.ok(owner, &MsgSubnetCreate{Name: "c", Arch: smallArch, Ceremony: cid, ScoringRule: ScoringYuma, Hyper: testHyper()})
	sn, err := e.s.Subnet(id)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := sn.Task.Scheme(); err != nil || s != zk.SchemeCommit || sn.Task.CircuitID != zk.CommitCircuitID(a) ||
		string(e.s.SubnetVK(id)) != string(ck.vk) {
		t.Fatalf("subnet task %+v: scheme %v %v", sn.Task, s, err)
	}

	// Queries show the scheme: subnets and metagraph (SubnetInfo), ceremony.
	query := func(path, arg string) string {
		t.Helper()
		v, err := queries[path](e.s, arg, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if q := query("subnet", strconv.Itoa(int(id))); !strings.Contains(q, `"scheme":"commit"`) {
		t.Fatalf("/subnet: %s", q)
	}
	if q := query("metagraph", strconv.Itoa(int(id))); !strings.Contains(q, `"scheme":"commit"`) {
		t.Fatalf("/metagraph: %s", q)
	}
	if q := query("ceremony", strconv.Itoa(int(cid))); !strings.Contains(q, `"scheme":"commit"`) {
		t.Fatalf("/ceremony: %s", q)
	}
	if q := query("ceremony", strconv.Itoa(int(p1.ID))); strings.Contains(q, `"scheme"`) {
		t.Fatalf("/ceremony of a phase 1 shows a scheme: %s", q)
	}
	hashID := e.createSubnet(owner, testHyper())
	if q := query("subnet", strconv.Itoa(int(hashID))); !strings.Contains(q, `"scheme":"hash"`) {
		t.Fatalf("/subnet of a hash subnet: %s", q)
	}
}

// TestCeremonyOpenScheme: the scheme byte of ceremony-open: phase 2 takes
// 0 (hash) or 1 (commit) and nothing else; phase 1 takes none. Every
// refusal is at decode (invalid_msg), so nothing reaches the state.
func TestCeremonyOpenScheme(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    MsgCeremonyOpen
		ok   bool
	}{
		{"phase 2 hash", MsgCeremonyOpen{Phase: 2, Arch: smallArch, Scheme: zk.SchemeHash, Phase1: 1, Init: Hash32{1}, Source: "/c"}, true},
		{"phase 2 commit", MsgCeremonyOpen{Phase: 2, Arch: smallArch, Scheme: zk.SchemeCommit, Phase1: 1, Init: Hash32{1}, Source: "/c"}, true},
		{"phase 2 scheme 2", MsgCeremonyOpen{Phase: 2, Arch: smallArch, Scheme: 2, Phase1: 1, Init: Hash32{1}, Source: "/c"}, false},
		{"phase 2 scheme 255", MsgCeremonyOpen{Phase: 2, Arch: smallArch, Scheme: 255, Phase1: 1, Init: Hash32{1}, Source: "/c"}, false},
		{"phase 1 commit", MsgCeremonyOpen{Phase: 1, Power: 4, Scheme: zk.SchemeCommit, Init: Hash32{1}, Source: "/c"}, false},
		{"phase 1 scheme 2", MsgCeremonyOpen{Phase: 1, Power: 4, Scheme: 2, Init: Hash32{1}, Source: "/c"}, false},
	} {
		got, err := DecodeMsg(TxCeremonyOpen, tc.m.MarshalBody())
		if tc.ok != (err == nil) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidMsg) {
				t.Fatalf("%s: %v, want invalid_msg", tc.name, err)
			}
			continue
		}
		if got.(*MsgCeremonyOpen).Scheme != tc.m.Scheme {
			t.Fatalf("%s: decoded scheme %d", tc.name, got.(*MsgCeremonyOpen).Scheme)
		}
	}
	// The scheme is the byte after the arch.
	m := MsgCeremonyOpen{Phase: 2, Arch: smallArch, Scheme: zk.SchemeCommit, Phase1: 1, Init: Hash32{1}, Source: "/c"}
	b := m.MarshalBody()
	if i := 2 + 4 + len(smallArch); b[i] != 1 {
		t.Fatalf("scheme byte at %d is %d", i, b[i])
	}
}

// TestCommitSubnetReplayDeterministic: a commit ceremony, a commit subnet,
// served model points (and a refused Poseidon2 serve), real commit proofs
// and refused ones, through a real App; a fresh App fed the same blocks
// reaches the same app hash and the same results.
func TestCommitSubnetReplayDeterministic(t *testing.T) {
	p := newProofApp(t, 3)
	p.keys = commitSetup(t)
	owner, minerA, minerB := testKey(0), testKey(1), testKey(2)
	const id = 0
	cer := p.ceremonies().sealedSchemeCeremony(owner, minerA, smallArch, zk.SchemeCommit, p.keys.vk, p.keys.pkHash)
	p.okBlock(p.signed(owner, &MsgSubnetCreate{Name: "commit", Arch: smallArch, Ceremony: cer,
		ScoringRule: ScoringYuma, Hyper: testHyper()}))
	modelA, modelB := testModel(t, p.keys.arch, 1), testModel(t, p.keys.arch, 2)
	regA := p.signed(owner, NewMsgRegister(testChainID, id, addrOf(owner), minerA))
	regB := NewTx(testChainID, NewMsgRegister(testChainID, id, addrOf(owner), minerB), owner, p.app.check.Account(addrOf(owner)).Nonce+1, proofFee).Marshal()
	p.okBlock(regA, regB)
	res := p.block(p.signed(minerA, &MsgServe{Subnet: id, ModelCommitment: modelA.Commitment()})) // a Poseidon2 hash
	if res.TxResults[0].Code != ErrInvalidMsg.Code {
		t.Fatalf("Poseidon2 serve on a commit subnet: code %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	p.okBlock(p.signed(minerA, &MsgServe{Subnet: id, ModelCommitment: p.keys.commitment(t, modelA)}),
		p.signed(minerB, &MsgServe{Subnet: id, ModelCommitment: p.keys.commitment(t, modelB)}))
	goodA, goodB := p.prove(id, minerA, modelA), p.prove(id, minerB, modelB)
	nonceA := p.app.check.Account(addrOf(minerA)).Nonce
	res = p.block(NewTx(testChainID, wrongOutput(goodA, 1), minerA, nonceA, proofFee).Marshal(),
		NewTx(testChainID, goodA, minerA, nonceA, proofFee).Marshal(), p.signed(minerB, goodB))
	for i, want := range []uint32{ErrProofInvalid.Code, 0, 0} {
		if got := res.TxResults[i].Code; got != want {
			t.Fatalf("proof block tx %d: code %d (%s), want %d", i, got, res.TxResults[i].Log, want)
		}
	}
	for p.epoch(id) == 0 { // through the epoch's end: both proofs counted
		p.okBlock()
	}
	want := p.app.LastCommit().AppHash

	fresh, st := openApp(t, t.TempDir())
	defer st.Close()
	initChain(t, fresh, proofGenesis(t, 3))
	var last *abci.ResponseFinalizeBlock
	for h, txs := range p.blocks {
		last = finalize(t, fresh, int64(h+1), txs)
		if _, err := fresh.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fresh.LastCommit().AppHash; !bytes.Equal(got, want) || !bytes.Equal(last.AppHash, want) {
		t.Fatalf("replayed app hash %X, want %X", got, want)
	}
	for _, uid := range []uint16{0, 1} {
		if rec, ok := fresh.Committed().Proof(id, uid); !ok || rec.Epoch != 0 {
			t.Fatalf("replayed proof of uid %d: %+v %v", uid, rec, ok)
		}
	}
}

// TestHashSubnetUnchanged: a hash-scheme subnet next to a commit one keeps
// its rules: a real commit-circuit proof of the served model is refused
// (the hash circuit's verifier), the hash proof lands, and the subnet's
// verifier cache entry is the hash scheme's even for the same key bytes.
func TestHashSubnetUnchanged(t *testing.T) {
	e := newEnv(t, 3)
	owner, m1 := testKey(0), testKey(11)
	hashID := e.createSubnet(owner, testHyper())
	commitID, ck := e.createCommitSubnet(owner, testHyper())
	e.register(hashID, owner, m1)
	e.register(commitID, owner, m1)
	e.fund(owner, addrOf(m1))
	model := testModel(t, ck.arch, 1)
	e.ok(m1, &MsgServe{Subnet: hashID, ModelCommitment: model.Commitment()})
	e.ok(m1, &MsgServe{Subnet: commitID, ModelCommitment: ck.commitment(t, model)})

	commitProof := e.proveWith(ck, hashID, m1, model)
	e.reject(m1, commitProof, ErrProofInvalid)
	e.ok(m1, e.prove(hashID, m1, model))
	// The same model's hash proof for the commit subnet is refused there.
	e.reject(m1, e.prove(commitID, m1, model), ErrProofInvalid)
	e.ok(m1, e.proveWith(ck, commitID, m1, model))
	// A hash key parsed under the commit scheme fails (and is not cached
	// as a hash verifier, or the reverse).
	if _, err := cachedVerifier(zk.SchemeCommit, e.keys.vk); err == nil {
		t.Fatal("a hash-circuit key parses as a commit-circuit key")
	}
	if _, err := cachedVerifier(zk.SchemeHash, ck.vk); err == nil {
		t.Fatal("a commit-circuit key parses as a hash-circuit key")
	}
}
