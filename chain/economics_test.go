package chain

import (
	"context"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/veritensor/veritensor/scoring"
	"github.com/veritensor/veritensor/zk"
)

// TestCheapBeforeExpensive: the one transaction that carries a verifying key
// (ceremony-seal of a phase-2 ceremony; subnet-create names a ceremony and
// carries none) is turned away by the signature, the fee balance and the
// ceremony's rules before the key, whose parse costs a pairing
// precomputation, is parsed.
func TestCheapBeforeExpensive(t *testing.T) {
	e := newEnv(t, 2)
	e.keys = smallSetup(t)
	owner, other := testKey(0), testKey(1)
	d := e.ceremonies()
	p1 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase1, Power: 12, Init: fakeHash("p1 init"), Source: "/srv/ceremony"})
	d.contributeAll(p1.ID, owner, other)
	d.seal(owner, p1.ID, nil, Hash32{})
	p2 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: smallArch, Phase1: p1.ID, Init: fakeHash("p2 init"), Source: "/srv/ceremony"})
	d.contributeAll(p2.ID, owner, other)
	e.advanceTo(p2.BeaconHeight + 1)
	c, err := e.s.Ceremony(p2.ID)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, zk.MaxVerifyingKeySize)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	seal := func(vk []byte) *MsgCeremonySeal {
		return &MsgCeremonySeal{Ceremony: p2.ID, Head: c.Head(), Output: fakeHash("out"), PKHash: e.keys.pkHash, VK: vk}
	}
	deliver := func(tx *Tx) error {
		s := e.s.Clone()
		_, err := s.ExecTx(e.ctx(), tx.Marshal(), nil)
		return err
	}
	// Unsigned: the signature fails before the key would be parsed.
	tx := NewTx(testChainID, seal(junk), owner, e.s.Account(addrOf(owner)).Nonce, 100)
	tx.Signature[0] ^= 1
	if err := deliver(tx); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("unsigned ceremony-seal: %v, want bad_signature", err)
	}
	// Unfunded (no balance for the fee): refused before the key parse.
	if err := deliver(NewTx(testChainID, seal(junk), testKey(9), 0, 100)); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("unfunded ceremony-seal: %v, want insufficient_funds", err)
	}
	// Signed and funded, but not the ceremony's owner: refused before the parse.
	if err := deliver(NewTx(testChainID, seal(junk), other, e.s.Account(addrOf(other)).Nonce, 100)); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("non-owner ceremony-seal: %v, want unauthorized", err)
	}
	// The owner's seal with a bad key is refused as invalid_msg, all rolled back.
	e.reject(owner, seal(junk), ErrInvalidMsg)
	if c, _ := e.s.Ceremony(p2.ID); c.Sealed {
		t.Fatal("a rejected seal sealed the ceremony")
	}
	e.ok(owner, seal(append([]byte(nil), e.keys.vk...)))
}

// TestFlashStakeEarnsNothing: stake added in an epoch's last block and taken
// out in the next block earns nothing from that epoch (before, it took half
// of the validator's dividends), and adds no consensus weight.
func TestFlashStakeEarnsNothing(t *testing.T) {
	e := newEnv(t, 3)
	owner, honest, flash := testKey(0), testKey(1), testKey(2)
	h := testHyper()
	h.CommitReveal, h.RequireProof = false, false
	id := e.createSubnet(owner, h)
	v, m := testKey(11), testKey(12)
	e.register(id, owner, v)
	e.register(id, owner, m)
	e.ok(honest, &MsgStake{Subnet: id, Hotkey: addrOf(v), Amount: 1_000_000})
	e.fund(owner, addrOf(v))
	e.nextEpoch(id)
	e.ok(v, &MsgSetWeights{Subnet: id, Weights: []scoring.Weight{{UID: 1, Value: 1}}})
	sn, _ := e.s.Subnet(id)
	e.advanceTo(sn.NextEpochAt() - 1) // the epoch's last block
	before := e.s.Account(addrOf(flash)).Balance
	honestBefore := e.s.StakeOf(id, addrOf(v), addrOf(honest))
	e.ok(flash, &MsgStake{Subnet: id, Hotkey: addrOf(v), Amount: 1_000_000})
	e.endBlock() // pays the epoch
	rec := e.s.EpochRecord(id)
	if rec == nil || rec.Epoch != sn.Epoch || rec.Neurons[0].ValidatorEmission == 0 {
		t.Fatalf("epoch %d not paid to the validator: %+v", sn.Epoch, rec)
	}
	if rec.Neurons[0].Stake != 1_000_000 {
		t.Fatalf("validator counted stake %d, want the 1000000 held all epoch", rec.Neurons[0].Stake)
	}
	staked := e.s.StakeOf(id, addrOf(v), addrOf(flash))
	e.ok(flash, &MsgUnstake{Subnet: id, Hotkey: addrOf(v), Amount: staked})
	if got := e.s.Account(addrOf(flash)).Balance; got != before-200 {
		t.Fatalf("flash staker ended with %d, started with %d: earned %d beyond the two fees", got, before, int64(got)-int64(before-200))
	}
	if got := e.s.StakeOf(id, addrOf(v), addrOf(honest)); got != honestBefore+rec.Neurons[0].ValidatorEmission {
		t.Fatalf("honest delegator has %d, want %d + all %d dividends", got, honestBefore, rec.Neurons[0].ValidatorEmission)
	}
	// Unstaking mid-epoch forfeits that epoch for the amount taken out.
	e.ok(honest, &MsgUnstake{Subnet: id, Hotkey: addrOf(v), Amount: 1})
	n, _ := e.s.Neuron(id, 0)
	if got, want := e.s.EligibleStake(id, sn.Epoch+1, n), n.Stake; got != want {
		t.Fatalf("eligible stake %d after a partial unstake, want %d", got, want)
	}
	e.checkSupply(3 * 1_000_000_000_000_000)
}

// TestRevealMaskByCommitBlock: weights revealed for a UID registered after
// the commit are dropped (they were chosen before that UID's holder
// existed); the reveal block used to be the mask, so they counted.
func TestRevealMaskByCommitBlock(t *testing.T) {
	e := newEnv(t, 3)
	owner := testKey(0)
	id := e.createSubnet(owner, testHyper())
	v, m1, m2 := testKey(11), testKey(12), testKey(13)
	e.register(id, owner, v)
	e.register(id, owner, m1)
	e.fund(owner, addrOf(v))
	e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(v), Amount: 1000})
	e.endBlock()
	sn, _ := e.s.Subnet(id)
	row, salt := w(1, 500, 2, 500), []byte("salt")
	e.ok(v, &MsgCommitWeights{Subnet: id, Hash: WeightsCommitHash(testChainID, id, addrOf(v), sn.Epoch, row, salt)})
	e.endBlock()
	if uid := e.register(id, owner, m2); uid != 2 {
		t.Fatalf("m2 uid %d", uid)
	}
	e.nextEpoch(id)
	e.endBlock()
	e.ok(v, &MsgRevealWeights{Subnet: id, Weights: row, Salt: salt})
	sn, _ = e.s.Subnet(id)
	in, _ := e.s.EpochInput(sn, uint64(e.height))
	if len(in.Weights) != 1 || len(in.Weights[0].Weights) != 1 || in.Weights[0].Weights[0].UID != 1 {
		t.Fatalf("input rows %+v: want only uid 1 (uid 2 registered after the commit)", in.Weights)
	}
}

// TestRevealDelay: with reveal_delay_epochs 2 a commit is revealed two
// epochs later, and a UID may hold one pending commit per epoch.
func TestRevealDelay(t *testing.T) {
	e := newEnv(t, 3)
	owner := testKey(0)
	h := testHyper()
	h.RevealDelay = 2
	id := e.createSubnet(owner, h)
	v := testKey(11)
	e.register(id, owner, v)
	e.register(id, owner, testKey(12))
	e.fund(owner, addrOf(v))
	sn, _ := e.s.Subnet(id)
	r0, r1, salt := w(1, 100), w(1, 200), []byte("s")
	e.ok(v, &MsgCommitWeights{Subnet: id, Hash: WeightsCommitHash(testChainID, id, addrOf(v), sn.Epoch, r0, salt)})
	e.nextEpoch(id)
	e.reject(v, &MsgRevealWeights{Subnet: id, Weights: r0, Salt: salt}, ErrRevealWindow) // one epoch is too early
	e.ok(v, &MsgCommitWeights{Subnet: id, Hash: WeightsCommitHash(testChainID, id, addrOf(v), sn.Epoch+1, r1, salt)})
	if got := len(e.s.Commits(id)); got != 2 {
		t.Fatalf("%d pending commits, want 2", got)
	}
	e.nextEpoch(id)
	e.reject(v, &MsgRevealWeights{Subnet: id, Weights: r1, Salt: salt}, ErrRevealMismatch) // r1 is due next epoch
	e.ok(v, &MsgRevealWeights{Subnet: id, Weights: r0, Salt: salt})
	e.nextEpoch(id)
	e.ok(v, &MsgRevealWeights{Subnet: id, Weights: r1, Salt: salt})
	if got := len(e.s.Commits(id)); got != 0 {
		t.Fatalf("%d pending commits after both reveals", got)
	}
	// Bounds: tempo and the epoch matrix are capped, the delay is 1..16.
	for _, bad := range []func(*Hyperparams){
		func(h *Hyperparams) { h.Tempo = MinTempo - 1 },
		func(h *Hyperparams) { h.MaxUIDs, h.MaxValidators = MaxUIDsLimit, MaxValidatorCells/MaxUIDsLimit+1 },
		func(h *Hyperparams) { h.RevealDelay = 0 },
		func(h *Hyperparams) { h.RevealDelay = MaxRevealDelay + 1 },
	} {
		h := DefaultHyperparams()
		bad(&h)
		if err := h.Validate(); !errors.Is(err, ErrHyperparams) {
			t.Fatalf("%+v: %v", h, err)
		}
	}
}

// TestFeesBurnedAndPruningForgivesOneMissedEpoch: the fee pool is burned at
// the end of each block (it used to grow forever), conserving supply; and a
// validator that earned for an epoch and then missed one is not pruned
// before a miner that earns little every epoch (its pruning score used to
// be its last epoch's emission: 0).
func TestFeesBurnedAndPruningForgivesOneMissedEpoch(t *testing.T) {
	e := newEnv(t, 3)
	owner := testKey(0)
	h := testHyper()
	h.MaxUIDs, h.MaxValidators, h.CommitReveal, h.RequireProof = 3, 1, false, false
	h.ActivityCutoff, h.ImmunityPeriod = 15, 30
	id := e.createSubnet(owner, h)
	v, m1, m2 := testKey(11), testKey(12), testKey(13)
	e.register(id, owner, v)
	e.register(id, owner, m1)
	e.register(id, owner, m2)
	e.fund(owner, addrOf(v))
	e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(v), Amount: 1_000_000})
	e.endBlock()
	if tk := e.s.Tokenomics(); tk.FeePool != 0 || tk.Burned == 0 {
		t.Fatalf("fee pool %d after the block (burned %d): fees not burned", tk.FeePool, tk.Burned)
	}
	e.checkSupply(3 * 1_000_000_000_000_000)
	e.nextEpoch(id)
	e.ok(v, &MsgSetWeights{Subnet: id, Weights: w(1, 65535, 2, 300)})
	e.nextEpoch(id) // v active: dividends; m2 earns a little
	e.nextEpoch(id) // v's weights older than activity_cutoff: nobody earns
	rec := e.s.EpochRecord(id)
	if rec.Neurons[0].Emission != 0 {
		t.Fatalf("validator earned %d in the epoch it missed", rec.Neurons[0].Emission)
	}
	sn, _ := e.s.Subnet(id)
	e.advanceTo(sn.CreatedAt + h.ImmunityPeriod + 2)
	if uid := e.register(id, owner, testKey(14)); uid != 2 {
		t.Fatalf("replaced uid %d, want 2 (the miner earning least), not the validator that missed one epoch", uid)
	}
	e.checkSupply(3 * 1_000_000_000_000_000)
}

// TestProofVerifiedOncePerNode: a valid submit-proof is verified once on a
// node although CheckTx, PrepareProposal, ProcessProposal and FinalizeBlock
// each run it (it used to be verified four times); an invalid proof is never
// remembered.
func TestProofVerifiedOncePerNode(t *testing.T) {
	p := newProofApp(t, 3)
	_, goodA, goodB := p.twoMiners()
	verifiedProofs.Purge()
	raw := p.signed(testKey(1), goodA)
	bad := p.signed(testKey(2), wrongOutput(goodB, 1))
	before := proofVerifications.Load()
	if err := p.checkTx(raw); err != nil {
		t.Fatal(err)
	}
	if err := p.checkTx(bad); !errors.Is(err, ErrProofInvalid) {
		t.Fatalf("bad proof: %v", err)
	}
	ctx := context.Background()
	h := p.height + 1
	prep, err := p.app.PrepareProposal(ctx, &abci.RequestPrepareProposal{Height: h, MaxTxBytes: 1 << 20, Txs: [][]byte{raw, bad}})
	if err != nil || len(prep.Txs) != 1 {
		t.Fatalf("prepare: %v, %d txs", err, len(prep.Txs))
	}
	if r, _ := p.app.ProcessProposal(ctx, &abci.RequestProcessProposal{Height: h, Hash: blockHash(h), Txs: prep.Txs}); r.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatal("proposal rejected")
	}
	p.okBlock(prep.Txs...)
	// raw: once in CheckTx; bad: in CheckTx and again in PrepareProposal.
	if got := proofVerifications.Load() - before; got != 3 {
		t.Fatalf("%d Groth16 verifications, want 3 (the valid proof once, the invalid one twice)", got)
	}
}

// TestPrepareProposalCountsFramedSize: the proposal's transactions fit
// MaxTxBytes as CometBFT counts them (protobuf-framed, a tag and a length
// prefix per tx), not by their raw lengths.
func TestPrepareProposalCountsFramedSize(t *testing.T) {
	app, st := openApp(t, t.TempDir())
	defer st.Close()
	initChain(t, app, testGenesisJSON(t, 2))
	var txs [][]byte
	var raw int64
	for i := 0; i < 40; i++ {
		tx := transferTx(testKey(0), addrOf(testKey(1)), 1, uint64(i), 100)
		txs = append(txs, tx)
		raw += int64(len(tx))
	}
	prep, err := app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Height: 1, MaxTxBytes: raw, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if got := cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(prep.Txs)); got > raw {
		t.Fatalf("proposal of %d txs is %d bytes framed, limit %d", len(prep.Txs), got, raw)
	}
	if len(prep.Txs) == 0 || len(prep.Txs) == len(txs) {
		t.Fatalf("kept %d of %d txs", len(prep.Txs), len(txs))
	}
}

// TestFeesGrowWithWork: set-weights and reveal-weights pay per weight entry
// and submit-proof per verification on top of the minimum fee (a 4096-entry
// row and a Groth16 check used to cost the same as a transfer); the fee
// check runs before the signature.
func TestFeesGrowWithWork(t *testing.T) {
	e := newEnv(t, 2)
	owner := testKey(0)
	h := testHyper()
	h.CommitReveal = false
	id := e.createSubnet(owner, h)
	v := testKey(11)
	e.register(id, owner, v)
	e.register(id, owner, testKey(12))
	e.fund(owner, addrOf(v))
	p := e.s.Params()
	row := &MsgSetWeights{Subnet: id, Weights: w(1, 7)}
	if got, want := RequiredFee(p, row), p.MinFee+p.FeePerWeight; got != want || want <= p.MinFee {
		t.Fatalf("set-weights fee %d, want %d", got, want)
	}
	proof := &MsgSubmitProof{Subnet: id, Proof: []byte{1}}
	if got := RequiredFee(p, proof); got != p.MinFee+p.FeePerProof || p.FeePerProof == 0 {
		t.Fatalf("submit-proof fee %d", got)
	}
	for _, m := range []Msg{row, proof} {
		tx := NewTx(testChainID, m, v, e.s.Account(addrOf(v)).Nonce, p.MinFee)
		tx.Signature[0] ^= 1 // the fee is checked before the signature
		if _, err := e.s.Clone().ExecTx(e.ctx(), tx.Marshal(), nil); !errors.Is(err, ErrFeeTooLow) {
			t.Fatalf("%T at the minimum fee: %v, want fee_too_low", m, err)
		}
	}
	e.ok(v, row) // env pays RequiredFee
}
