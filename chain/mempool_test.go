package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/veritensor/veritensor/zk"
)

// proofApp drives a real App (badger store in a temp dir) through blocks of a
// one-subnet chain with two served miners, for the proof admission tests.
type proofApp struct {
	t      testing.TB
	app    *App
	height int64      // last committed height
	blocks [][][]byte // every block finalized so far, by height-1
	keys   zkKeys
}

const proofFee = 3_100 // MinFee + FeePerProof of DefaultParams

func newProofApp(t testing.TB, nKeys int) *proofApp {
	t.Helper()
	app, st := openApp(t, t.TempDir())
	t.Cleanup(func() { st.Close() })
	initChain(t, app, proofGenesis(t, nKeys))
	return &proofApp{t: t, app: app, keys: smallSetup(t)}
}

func proofGenesis(t testing.TB, nKeys int) []byte {
	g := DefaultGenesis()
	g.Params.CeremonyBeaconDelay = 2 * testBeaconDelay // one transaction per block here
	for i := 0; i < nKeys; i++ {
		g.Accounts = append(g.Accounts, GenesisAccount{Address: addrOf(testKey(byte(i))), Balance: 1_000_000_000_000_000})
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signed encodes msg from key with the next nonce of the check state (the
// committed nonce plus the key's transactions waiting in the mempool).
func (p *proofApp) signed(key ed25519.PrivateKey, msg Msg) []byte {
	return NewTx(testChainID, msg, key, p.app.check.Account(addrOf(key)).Nonce, proofFee).Marshal()
}

// checkTx runs CheckTx and returns its error as a coded error (nil for OK).
func (p *proofApp) checkTx(raw []byte) error {
	p.t.Helper()
	r, err := p.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw})
	if err != nil {
		p.t.Fatal(err)
	}
	if r.Code == 0 {
		return nil
	}
	if r.Log == "" || r.Codespace != Codespace {
		p.t.Fatalf("code %d without log or codespace", r.Code)
	}
	return &TxError{Code: r.Code, Log: r.Log}
}

// block finalizes and commits txs as the next height and returns the results.
func (p *proofApp) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	p.t.Helper()
	p.height++
	p.blocks = append(p.blocks, txs)
	res := finalize(p.t, p.app, p.height, txs)
	if _, err := p.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		p.t.Fatal(err)
	}
	return res
}

// okBlock is block with every transaction required to succeed.
func (p *proofApp) okBlock(txs ...[]byte) {
	p.t.Helper()
	for i, r := range p.block(txs...).TxResults {
		if r.Code != 0 {
			p.t.Fatalf("height %d tx %d: %s", p.height, i, r.Log)
		}
	}
}

// prove builds hotkey's real proof of m for the subnet's current epoch.
func (p *proofApp) prove(id uint16, hotkey ed25519.PrivateKey, m *zk.Model) *MsgSubmitProof {
	p.t.Helper()
	s := p.app.Committed()
	sn, err := s.Subnet(id)
	if err != nil {
		p.t.Fatal(err)
	}
	n, err := s.NeuronByHotkey(id, addrOf(hotkey))
	if err != nil {
		p.t.Fatal(err)
	}
	proof, pub, err := p.keys.prover.Prove(m, sn.ChallengeInput(n.UID),
		zk.Binding{HotkeyHash: zk.HotkeyHash(hotkey.Public().(ed25519.PublicKey)), Epoch: sn.Epoch})
	if err != nil {
		p.t.Fatal(err)
	}
	return &MsgSubmitProof{Subnet: id, Epoch: sn.Epoch, Output: pub.Output, Proof: proof}
}

// epoch is the committed current epoch of subnet id.
func (p *proofApp) epoch(id uint16) uint64 {
	p.t.Helper()
	sn, err := p.app.Committed().Subnet(id)
	if err != nil {
		p.t.Fatal(err)
	}
	return sn.Epoch
}

// wrongOutput is a well-formed proof claiming another output: it decodes and
// fails only at the pairing check, the expensive path.
func wrongOutput(m *MsgSubmitProof, by uint32) *MsgSubmitProof {
	c := *m
	c.Output = (m.Output + by) % 4
	return &c
}

// twoMiners creates subnet 0 (smallArch, testHyper) owned by key 0 and
// registers and serves miners A (key 1, UID 0) and B (key 2, UID 1) with
// different models; it returns A's model and both miners' valid proofs of
// epoch 0.
func (p *proofApp) twoMiners() (modelA *zk.Model, goodA, goodB *MsgSubmitProof) {
	owner, minerA, minerB := testKey(0), testKey(1), testKey(2)
	const id = 0
	cer := p.ceremonies().sealedCeremony(owner, minerA, smallArch, p.keys.vk, p.keys.pkHash)
	p.okBlock(p.signed(owner, &MsgSubnetCreate{Name: "mnist", Arch: smallArch, Ceremony: cer,
		ScoringRule: ScoringYuma, Hyper: testHyper()}))
	modelA, modelB := testModel(p.t, p.keys.arch, 1), testModel(p.t, p.keys.arch, 2)
	regA := p.signed(owner, NewMsgRegister(testChainID, id, addrOf(owner), minerA))
	regB := NewTx(testChainID, NewMsgRegister(testChainID, id, addrOf(owner), minerB), owner, p.app.check.Account(addrOf(owner)).Nonce+1, proofFee).Marshal()
	p.okBlock(regA, regB,
		p.signed(minerA, &MsgServe{Subnet: id, ModelCommitment: modelA.Commitment()}),
		p.signed(minerB, &MsgServe{Subnet: id, ModelCommitment: modelB.Commitment()}))
	return modelA, p.prove(id, minerA, modelA), p.prove(id, minerB, modelB)
}

// TestProofAdmissionPolicy: after ProofFailureLimit invalid proofs from one
// hotkey in one epoch, this node's CheckTx refuses that hotkey's proofs with
// proof_rate_limited without running ExecTx (so without a signature or
// Groth16 verification); another hotkey is unaffected and its honest proof is
// admitted; blocks are executed exactly as by a node that never ran CheckTx
// (same results, same app hash), including the refused hotkey's proofs; the
// policy starts afresh in the next epoch.
func TestProofAdmissionPolicy(t *testing.T) {
	p := newProofApp(t, 3)
	owner, minerA, minerB := testKey(0), testKey(1), testKey(2)
	const id = 0
	modelA, goodA, goodB := p.twoMiners()
	copied := *goodB // B's valid proof sent by A: fails A's hotkey binding
	forged := NewTx(testChainID, wrongOutput(goodA, 1), minerA, p.app.check.Account(addrOf(minerA)).Nonce, proofFee)
	forged.Signature[0] ^= 1
	nextEpoch := *goodA
	nextEpoch.Epoch++

	steps := []struct {
		name string
		key  ed25519.PrivateKey
		raw  []byte // when set, sent as is instead of signing msg
		msg  Msg
		want *CodedError // nil: admitted
		// ran: whether CheckTx ran ExecTx (the only path that verifies).
		ran bool
	}{
		{"A bad 1 (wrong output)", minerA, nil, wrongOutput(goodA, 1), ErrProofInvalid, true},
		{"A bad 2 (copied proof)", minerA, nil, &copied, ErrProofInvalid, true},
		{"A wrong epoch: cheap, no strike", minerA, nil, &nextEpoch, ErrProofEpoch, true},
		{"A bad 3 (wrong output)", minerA, nil, wrongOutput(goodA, 2), ErrProofInvalid, true},
		{"A bad 4 refused unverified", minerA, nil, wrongOutput(goodA, 3), ErrProofRateLimited, false},
		{"A bad signature refused before ed25519", minerA, forged.Marshal(), nil, ErrProofRateLimited, false},
		{"A honest proof refused here this epoch", minerA, nil, goodA, ErrProofRateLimited, false},
		{"A transfer unaffected", minerA, nil, &MsgTransfer{To: addrOf(owner), Amount: 1}, nil, false},
		{"B bad 1 unaffected", minerB, nil, wrongOutput(goodB, 1), ErrProofInvalid, true},
		{"B honest proof admitted", minerB, nil, goodB, nil, true},
		{"B duplicate: cheap, no strike", minerB, nil, goodB, ErrProofDuplicate, true},
	}
	for _, st := range steps {
		before := p.app.ProofAdmission()
		raw := st.raw
		if raw == nil {
			raw = p.signed(st.key, st.msg)
		}
		err := p.checkTx(raw)
		if st.want == nil && err != nil || st.want != nil && !errors.Is(err, st.want) {
			t.Fatalf("%s: got %v, want %v", st.name, err, st.want)
		}
		after := p.app.ProofAdmission()
		_, isProof := st.msg.(*MsgSubmitProof)
		if st.raw != nil {
			isProof = true
		}
		if ran := after.Checked - before.Checked; isProof && ran != map[bool]uint64{true: 1, false: 0}[st.ran] {
			t.Fatalf("%s: ExecTx ran %d times in CheckTx, want ran=%v", st.name, ran, st.ran)
		}
		if refused := after.Refused - before.Refused; (refused == 1) != errors.Is(err, ErrProofRateLimited) {
			t.Fatalf("%s: refused counter moved by %d for %v", st.name, refused, err)
		}
	}
	if s := p.app.ProofAdmission(); s.Invalid != 4 || s.Refused != 3 || s.Tracked != 2 {
		t.Fatalf("stats %+v, want 4 invalid (3 A + 1 B), 3 refused, 2 hotkeys tracked", s)
	}

	// Consensus ignores the policy: a block holding A's proofs (one bad, then
	// the honest one CheckTx refused) executes as anywhere else.
	nonceA := p.app.Committed().Account(addrOf(minerA)).Nonce
	nonceB := p.app.Committed().Account(addrOf(minerB)).Nonce
	badA := NewTx(testChainID, wrongOutput(goodA, 1), minerA, nonceA, proofFee).Marshal()
	honestA := NewTx(testChainID, goodA, minerA, nonceA, proofFee).Marshal()
	honestB := NewTx(testChainID, goodB, minerB, nonceB, proofFee).Marshal()
	pp, err := p.app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{
		Height: p.height + 1, Hash: []byte("another proposal"), Txs: [][]byte{honestA, honestB}})
	if err != nil || pp.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("proposal with the refused hotkey's honest proof: %v %v", pp.Status, err)
	}
	res := p.block(badA, honestA, honestB)
	for i, want := range []uint32{ErrProofInvalid.Code, 0, 0} {
		if got := res.TxResults[i].Code; got != want {
			t.Fatalf("block tx %d: code %d (%s), want %d", i, got, res.TxResults[i].Log, want)
		}
	}
	if rec, ok := p.app.Committed().Proof(id, 0); !ok || rec.Epoch != 0 || rec.Output != goodA.Output {
		t.Fatalf("A's proof did not land: %+v %v", rec, ok)
	}
	// The counters outlive commits within the epoch.
	if s := p.app.ProofAdmission(); s.Tracked != 2 || p.epoch(id) != 0 {
		t.Fatalf("after a commit in epoch %d: %d counters, want 2", p.epoch(id), s.Tracked)
	}
	if err := p.checkTx(p.signed(minerA, wrongOutput(goodA, 1))); !errors.Is(err, ErrProofRateLimited) {
		t.Fatalf("after a commit in the same epoch: %v", err)
	}

	// A node that never ran CheckTx executes the same blocks identically.
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
	if !bytes.Equal(last.AppHash, res.AppHash) || !bytes.Equal(fresh.LastCommit().AppHash, p.app.LastCommit().AppHash) {
		t.Fatal("app hash differs from a node without mempool history")
	}
	for i := range res.TxResults {
		if last.TxResults[i].Code != res.TxResults[i].Code || last.TxResults[i].Log != res.TxResults[i].Log {
			t.Fatalf("tx %d result differs: %d %q vs %d %q", i, last.TxResults[i].Code, last.TxResults[i].Log,
				res.TxResults[i].Code, res.TxResults[i].Log)
		}
	}

	// Next epoch: the counters of epoch 0 are dropped at the commit that
	// turns the epoch, and A's proofs are verified again.
	for p.epoch(id) == 0 {
		p.okBlock()
	}
	if s := p.app.ProofAdmission(); s.Tracked != 0 {
		t.Fatalf("%d counters survived the epoch change", s.Tracked)
	}
	goodA = p.prove(id, minerA, modelA)
	before := p.app.ProofAdmission()
	if err := p.checkTx(p.signed(minerA, wrongOutput(goodA, 1))); !errors.Is(err, ErrProofInvalid) {
		t.Fatalf("epoch 1 bad proof: %v", err)
	}
	if err := p.checkTx(p.signed(minerA, goodA)); err != nil {
		t.Fatalf("epoch 1 honest proof: %v", err)
	}
	if s := p.app.ProofAdmission(); s.Checked-before.Checked != 2 || s.Refused != before.Refused {
		t.Fatalf("epoch 1: stats %+v after %+v", s, before)
	}
	p.okBlock(NewTx(testChainID, goodA, minerA, p.app.Committed().Account(addrOf(minerA)).Nonce, proofFee).Marshal())
	if rec, ok := p.app.Committed().Proof(id, 0); !ok || rec.Epoch != 1 {
		t.Fatalf("epoch 1 proof did not land: %+v %v", rec, ok)
	}
}

// TestProofFilterBounds: the failure counters never exceed their cap (a new
// hotkey is then not tracked while the blocked ones stay blocked), and pruning
// drops the counters of subnets that no longer exist or epochs that are over.
func TestProofFilterBounds(t *testing.T) {
	f := newProofFilter()
	f.max = 2
	bad := func(k byte, epoch uint64) []byte {
		return NewTx(testChainID, &MsgSubmitProof{Subnet: 0, Epoch: epoch, Proof: []byte{1}}, testKey(k), 0, proofFee).Marshal()
	}
	for k := byte(1); k <= 3; k++ {
		for range ProofFailureLimit {
			f.record(bad(k, 0), ErrProofInvalid)
		}
	}
	if len(f.fails) != 2 || f.tracked.Load() != 2 {
		t.Fatalf("%d counters, cap 2", len(f.fails))
	}
	for k, want := range map[byte]error{1: ErrProofRateLimited, 2: ErrProofRateLimited, 3: nil} {
		if err := f.admit(bad(k, 0)); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("key %d: %v, want %v", k, err, want)
		}
	}
	// Other failures are not strikes; other epochs are counted apart.
	f.record(bad(1, 1), ErrProofEpoch)
	f.record(bad(1, 1), ErrBadSignature)
	if err := f.admit(bad(1, 1)); err != nil {
		t.Fatalf("epoch 1: %v", err)
	}
	// No subnet 0 in this state: every counter goes.
	f.prune(genesisState(t, 1, 1))
	if len(f.fails) != 0 || f.tracked.Load() != 0 {
		t.Fatalf("%d counters after prune", len(f.fails))
	}
}

// TestPeekTxType: the type read without decoding matches DecodeTx on valid
// transactions and short or garbled input is reported, never a panic.
func TestPeekTxType(t *testing.T) {
	for _, msg := range []Msg{&MsgTransfer{To: addrOf(testKey(1)), Amount: 1},
		&MsgSubmitProof{Subnet: 3, Epoch: 9, Proof: []byte{1, 2}}, &MsgServe{Subnet: 1}} {
		raw := NewTx(testChainID, msg, testKey(0), 0, 1).Marshal()
		if got, ok := peekTxType(raw); !ok || got != msg.Type() {
			t.Errorf("%T: peek %d %v", msg, got, ok)
		}
	}
	for _, raw := range [][]byte{nil, {1}, {1, 0, 0, 0, 5, 'a'}, {1, 0xff, 0xff, 0xff, 0xff, 0, 0}} {
		if _, ok := peekTxType(raw); ok {
			t.Errorf("peek accepted %x", raw)
		}
	}
}

// FuzzPeekTxType: peekTxType never panics and agrees with DecodeTx whenever
// the transaction decodes.
func FuzzPeekTxType(f *testing.F) {
	f.Add(NewTx(testChainID, &MsgSubmitProof{Subnet: 1, Epoch: 2, Proof: []byte{3}}, testKey(0), 0, 1).Marshal())
	f.Add(NewTx(testChainID, &MsgTransfer{To: addrOf(testKey(1)), Amount: 1}, testKey(0), 0, 1).Marshal())
	f.Add([]byte{1, 0, 0, 0, 0, 0, 19})
	f.Fuzz(func(t *testing.T, raw []byte) {
		typ, ok := peekTxType(raw)
		if tx, err := DecodeTx(raw); err == nil && (!ok || typ != tx.Type) {
			t.Fatalf("peek %d %v, decoded type %d", typ, ok, tx.Type)
		}
	})
}

// BenchmarkCheckTxInvalidProof is what one invalid submit-proof transaction
// costs a node's CheckTx: "verified" while the hotkey is under the limit (full
// ExecTx with a Groth16 pairing check that fails), "refused" once it is
// over (the admission policy answers before ExecTx).
func BenchmarkCheckTxInvalidProof(b *testing.B) {
	p := newProofApp(b, 3)
	_, goodA, _ := p.twoMiners()
	bad := p.signed(testKey(1), wrongOutput(goodA, 1))
	run := func(b *testing.B, want *CodedError) {
		for b.Loop() {
			if err := p.checkTx(bad); !errors.Is(err, want) {
				b.Fatalf("got %v, want %s", err, want.Name)
			}
		}
	}
	b.Run("verified", func(b *testing.B) {
		p.app.proofs.limit = ^uint32(0)
		run(b, ErrProofInvalid)
	})
	b.Run("refused", func(b *testing.B) {
		p.app.proofs.limit = ProofFailureLimit
		run(b, ErrProofRateLimited)
	})
}
