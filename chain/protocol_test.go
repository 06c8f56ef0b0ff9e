package chain

import (
	"crypto/ed25519"
	"testing"

	"github.com/veritensor/veritensor/scoring"
)

func TestSubnetCreateAndUpdateRules(t *testing.T) {
	e := newEnv(t, 3)
	owner, other := testKey(0), testKey(1)
	p := e.s.Params()
	e.keys = smallSetup(t)
	e.cer, e.hasCer = e.ceremonies().sealedCeremony(owner, other, smallArch, e.keys.vk, e.keys.pkHash), true
	before := e.s.Account(addrOf(owner)).Balance
	id := e.createSubnet(owner, testHyper())
	if got := before - e.s.Account(addrOf(owner)).Balance; got != p.SubnetBurn+100 {
		t.Fatalf("first subnet cost %d, want burn %d + fee", got, p.SubnetBurn)
	}
	if b, _ := e.s.SubnetCreateBurn(); b != 2*p.SubnetBurn {
		t.Fatalf("second subnet burn %d, want %d", b, 2*p.SubnetBurn)
	}
	sn, err := e.s.Subnet(id)
	if err != nil || sn.Owner != addrOf(owner) || sn.Task.InputSize != 16 || sn.Task.OutputSize != 4 || sn.Seed.IsZero() {
		t.Fatalf("subnet %+v %v", sn, err)
	}

	bad := testHyper()
	bad.MaxValidators = bad.MaxUIDs + 1
	tooBig := testHyper()
	tooBig.Tempo = 0
	share := testHyper()
	share.EmissionShare = 7
	cases := []struct {
		name string
		key  ed25519.PrivateKey
		msg  Msg
		want *CodedError
	}{
		{"update by non-owner", other, &MsgSubnetUpdate{Subnet: id, Hyper: testHyper()}, ErrUnauthorized},
		{"update unknown subnet", owner, &MsgSubnetUpdate{Subnet: 9, Hyper: testHyper()}, ErrSubnetNotFound},
		{"update out of bounds", owner, &MsgSubnetUpdate{Subnet: id, Hyper: bad}, ErrHyperparams},
		{"zero tempo", owner, &MsgSubnetUpdate{Subnet: id, Hyper: tooBig}, ErrHyperparams},
		{"emission share change", owner, &MsgSubnetUpdate{Subnet: id, Hyper: share}, ErrHyperparams},
		{"bad arch", owner, &MsgSubnetCreate{Name: "x", Arch: "7", Ceremony: e.cer, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrInvalidMsg},
		{"unknown ceremony", owner, &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: 99, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrCeremonyNotFound},
		{"phase-1 ceremony", owner, &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: 0, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrCeremonyState},
		{"ceremony of another arch", owner, &MsgSubnetCreate{Name: "x", Arch: "16-8-5", Ceremony: e.cer, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrCeremonyMismatch},
		{"bad scoring rule", owner, &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: e.cer, ScoringRule: "elo", Hyper: testHyper()}, ErrInvalidMsg},
		{"burn unaffordable", testKey(9), &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: e.cer, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrInsufficientFunds},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.t = t; e.reject(tc.key, tc.msg, tc.want) })
	}
	e.t = t
	up := testHyper()
	up.Tempo = 20
	e.ok(owner, &MsgSubnetUpdate{Subnet: id, Hyper: up})
	if sn, _ := e.s.Subnet(id); sn.Hyper.Tempo != 20 {
		t.Fatalf("tempo %d after update", sn.Hyper.Tempo)
	}
	// Too many subnets.
	pp := e.s.Params()
	pp.MaxSubnets = 1
	if err := e.s.SetParams(pp); err != nil {
		t.Fatal(err)
	}
	e.reject(owner, &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: e.cer, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrTooManySubnets)
}

func TestRegisterServeAndPruning(t *testing.T) {
	e := newEnv(t, 3)
	owner, alice := testKey(0), testKey(1)
	h := testHyper()
	h.MaxUIDs, h.MaxValidators = 2, 1
	id := e.createSubnet(owner, h)
	hk1, hk2, hk3 := testKey(11), testKey(12), testKey(13)

	// A hotkey signature for another owner or chain does not register.
	forged := NewMsgRegister(testChainID, id, addrOf(owner), hk1)
	e.reject(alice, forged, ErrBadSignature)
	e.reject(alice, NewMsgRegister("other-chain", id, addrOf(alice), hk1), ErrBadSignature)
	e.reject(alice, NewMsgRegister(testChainID, 5, addrOf(alice), hk1), ErrSubnetNotFound)

	if uid := e.register(id, alice, hk1); uid != 0 {
		t.Fatalf("first uid %d", uid)
	}
	e.reject(alice, NewMsgRegister(testChainID, id, addrOf(alice), hk1), ErrHotkeyRegistered)
	e.reject(owner, NewMsgRegister(testChainID, id, addrOf(owner), hk1), ErrUnauthorized) // hotkey owned by alice
	if uid := e.register(id, owner, hk2); uid != 1 {
		t.Fatalf("second uid %d", uid)
	}
	// Full, and both UIDs are immune.
	e.reject(owner, NewMsgRegister(testChainID, id, addrOf(owner), hk3), ErrSubnetFull)

	// serve: signed by the hotkey; unknown hotkeys and bad commitments refused.
	e.fund(owner, addrOf(hk1))
	e.ok(hk1, &MsgServe{Subnet: id, Endpoint: "http://127.0.0.1:9000", ModelCommitment: Hash32{1}, Hardware: "cpu"})
	e.reject(alice, &MsgServe{Subnet: id, Endpoint: "http://10.0.0.1:9000"}, ErrNeuronNotFound) // owner key is not the hotkey
	for _, bad := range []string{"x", "127.0.0.1:9000", "ftp://h:1", "http://h", "http://h:0", "http://h:99999", "http://u@h:1",
		"http://h:1/path", "http://h:1?q", "http://h:1#f", "http://:1", "javascript:alert(1)"} {
		e.reject(hk1, &MsgServe{Subnet: id, Endpoint: bad}, ErrInvalidMsg)
	}
	e.reject(hk1, &MsgServe{Subnet: id, ModelCommitment: Hash32{0xff, 0xff}}, ErrInvalidMsg)
	e.reject(hk1, &MsgServe{Subnet: id, Endpoint: "bad\n"}, ErrInvalidMsg)
	if n, _ := e.s.Neuron(id, 0); n.Endpoint != "http://127.0.0.1:9000" || n.ModelCommitment != (Hash32{1}) {
		t.Fatalf("served neuron %+v", n)
	}

	// Stake on uid 1 so it earns dividends; uid 0 earns nothing, so after
	// immunity it is the one replaced, and its delegation is returned.
	e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(hk2), Amount: 5000})
	e.ok(alice, &MsgStake{Subnet: id, Hotkey: addrOf(hk1), Amount: 300})
	aliceBal := e.s.Account(addrOf(alice)).Balance
	sn, _ := e.s.Subnet(id)
	e.advanceTo(sn.CreatedAt + h.ImmunityPeriod + 2*h.Tempo)
	n1, _ := e.s.Neuron(id, 1)
	if e.s.PruningScore(id, n1) == 0 {
		t.Fatal("staked validator has pruning score 0")
	}
	if uid := e.register(id, owner, hk3); uid != 0 {
		t.Fatalf("replacement took uid %d, want 0 (lowest pruning score)", uid)
	}
	if _, err := e.s.NeuronByHotkey(id, addrOf(hk1)); err == nil {
		t.Fatal("replaced hotkey still registered")
	}
	if got := e.s.Account(addrOf(alice)).Balance; got != aliceBal+300 {
		t.Fatalf("alice balance %d, want %d (delegation returned)", got, aliceBal+300)
	}
	e.checkSupply(3 * 1_000_000_000_000_000)
}

func TestStakeRules(t *testing.T) {
	e := newEnv(t, 3)
	owner, alice := testKey(0), testKey(1)
	id := e.createSubnet(owner, testHyper())
	hk := testKey(11)
	e.register(id, alice, hk)
	bal := e.s.Account(addrOf(alice)).Balance
	e.ok(alice, &MsgStake{Subnet: id, Hotkey: addrOf(hk), Amount: 700})
	e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(hk), Amount: 50})
	n, _ := e.s.Neuron(id, 0)
	if n.Stake != 750 || e.s.StakeOf(id, addrOf(hk), addrOf(alice)) != 700 || e.s.Account(addrOf(alice)).Balance != bal-700-100 {
		t.Fatalf("stake %d, alice balance %d", n.Stake, e.s.Account(addrOf(alice)).Balance)
	}
	e.reject(alice, &MsgUnstake{Subnet: id, Hotkey: addrOf(hk), Amount: 701}, ErrStakeUnderflow)
	e.reject(testKey(2), &MsgUnstake{Subnet: id, Hotkey: addrOf(hk), Amount: 1}, ErrStakeUnderflow)
	e.reject(alice, &MsgStake{Subnet: id, Hotkey: addrOf(testKey(40)), Amount: 1}, ErrNeuronNotFound)
	e.reject(alice, &MsgStake{Subnet: 3, Hotkey: addrOf(hk), Amount: 1}, ErrSubnetNotFound)
	e.reject(alice, &MsgStake{Subnet: id, Hotkey: addrOf(hk), Amount: 0}, ErrInvalidMsg)
	e.reject(testKey(9), &MsgStake{Subnet: id, Hotkey: addrOf(hk), Amount: 1}, ErrInsufficientFunds)
	e.ok(alice, &MsgUnstake{Subnet: id, Hotkey: addrOf(hk), Amount: 700})
	if n, _ := e.s.Neuron(id, 0); n.Stake != 50 || len(e.s.Delegations(id, addrOf(hk))) != 1 {
		t.Fatalf("after unstake: stake %d, delegations %v", n.Stake, e.s.Delegations(id, addrOf(hk)))
	}
	e.checkSupply(3 * 1_000_000_000_000_000)
}

func w(pairs ...uint16) []scoring.Weight {
	out := make([]scoring.Weight, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, scoring.Weight{UID: pairs[i], Value: pairs[i+1]})
	}
	return out
}

func TestSetWeightsRules(t *testing.T) {
	e := newEnv(t, 3)
	owner := testKey(0)
	h := testHyper()
	h.CommitReveal = false
	h.WeightsRateLimit = 3
	id := e.createSubnet(owner, h)
	v, m1 := testKey(11), testKey(12)
	e.register(id, owner, v)
	e.register(id, owner, m1)
	e.fund(owner, addrOf(v))
	e.ok(v, &MsgSetWeights{Subnet: id, Weights: w(1, 100)})
	rows := e.s.WeightsRows(id)
	if len(rows) != 1 || rows[0].Weights[0].Value != 65535 {
		t.Fatalf("rows %+v (max must scale to 65535)", rows)
	}
	e.reject(v, &MsgSetWeights{Subnet: id, Weights: w(1, 100)}, ErrRateLimited)
	e.endBlock()
	e.endBlock()
	e.endBlock()
	cases := []struct {
		name string
		key  ed25519.PrivateKey
		msg  Msg
		want *CodedError
	}{
		{"to a non-existent uid", v, &MsgSetWeights{Subnet: id, Weights: w(0, 1, 7, 5)}, ErrInvalidWeights},
		{"unsorted", v, &MsgSetWeights{Subnet: id, Weights: w(1, 1, 0, 5)}, ErrInvalidWeights},
		{"duplicate uid", v, &MsgSetWeights{Subnet: id, Weights: w(1, 1, 1, 5)}, ErrInvalidWeights},
		{"zero weight", v, &MsgSetWeights{Subnet: id, Weights: w(1, 0)}, ErrInvalidWeights},
		{"fewer than min allowed", v, &MsgSetWeights{Subnet: id, Weights: nil}, ErrInvalidWeights},
		{"unregistered signer", owner, &MsgSetWeights{Subnet: id, Weights: w(1, 1)}, ErrNeuronNotFound},
		{"unknown subnet", v, &MsgSetWeights{Subnet: 4, Weights: w(1, 1)}, ErrSubnetNotFound},
		{"commit on a set-weights subnet", v, &MsgCommitWeights{Subnet: id, Hash: Hash32{1}}, ErrCommitReveal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.t = t; e.reject(tc.key, tc.msg, tc.want) })
	}
	e.t = t
	e.ok(v, &MsgSetWeights{Subnet: id, Weights: w(0, 10, 1, 40)})
	if n, _ := e.s.Neuron(id, 0); n.LastUpdate != uint64(e.height) {
		t.Fatalf("last update %d, want %d", n.LastUpdate, e.height)
	}
}

func TestCommitRevealRules(t *testing.T) {
	e := newEnv(t, 3)
	owner := testKey(0)
	id := e.createSubnet(owner, testHyper())
	v, m1 := testKey(11), testKey(12)
	e.register(id, owner, v)
	e.register(id, owner, m1)
	e.fund(owner, addrOf(v))
	e.fund(owner, addrOf(m1))
	e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(v), Amount: 1000}) // a permit from the next epoch
	e.endBlock()
	sn, _ := e.s.Subnet(id)
	row, salt := w(1, 500), []byte("salt-1")
	commit := WeightsCommitHash(testChainID, id, addrOf(v), sn.Epoch, row, salt)
	e.reject(v, &MsgSetWeights{Subnet: id, Weights: row}, ErrCommitReveal)
	e.reject(v, &MsgRevealWeights{Subnet: id, Weights: row, Salt: salt}, ErrNoCommit)
	e.ok(v, &MsgCommitWeights{Subnet: id, Hash: commit})
	e.reject(v, &MsgRevealWeights{Subnet: id, Weights: row, Salt: salt}, ErrRevealWindow) // same epoch
	e.nextEpoch(id)
	e.reject(v, &MsgRevealWeights{Subnet: id, Weights: row, Salt: []byte("other")}, ErrRevealMismatch)
	e.reject(v, &MsgRevealWeights{Subnet: id, Weights: w(1, 501), Salt: salt}, ErrRevealMismatch)
	e.reject(m1, &MsgRevealWeights{Subnet: id, Weights: row, Salt: salt}, ErrNoCommit) // someone else's commit
	e.ok(v, &MsgRevealWeights{Subnet: id, Weights: row, Salt: salt})
	sn, _ = e.s.Subnet(id)
	in, _ := e.s.EpochInput(sn, uint64(e.height))
	if len(in.Weights) != 1 || in.Weights[0].UID != 0 {
		t.Fatalf("revealed weights not in this epoch's input: %+v", in.Weights)
	}
	// A commit not revealed in the next epoch expires; revealed weights of a
	// past epoch no longer count.
	commit2 := WeightsCommitHash(testChainID, id, addrOf(v), sn.Epoch, row, salt)
	e.ok(v, &MsgCommitWeights{Subnet: id, Hash: commit2})
	e.nextEpoch(id)
	e.nextEpoch(id)
	e.reject(v, &MsgRevealWeights{Subnet: id, Weights: row, Salt: salt}, ErrRevealWindow)
	sn, _ = e.s.Subnet(id)
	if in, _ := e.s.EpochInput(sn, uint64(e.height)); len(in.Weights) != 0 {
		t.Fatalf("stale weights counted: %+v", in.Weights)
	}
}

func TestSubmitProofRules(t *testing.T) {
	e := newEnv(t, 3)
	owner := testKey(0)
	id := e.createSubnet(owner, testHyper())
	m1, m2 := testKey(11), testKey(12)
	e.register(id, owner, m1)
	e.register(id, owner, m2)
	e.fund(owner, addrOf(m1))
	e.fund(owner, addrOf(m2))
	model, other := testModel(t, e.keys.arch, 1), testModel(t, e.keys.arch, 2)
	c1, c2 := model.Commitment(), other.Commitment()

	good := e.prove(id, m1, model)
	e.reject(m1, good, ErrNotServed)
	e.ok(m1, &MsgServe{Subnet: id, ModelCommitment: c1})
	e.ok(m2, &MsgServe{Subnet: id, ModelCommitment: c2})

	flipped := *good
	flipped.Proof = append([]byte(nil), good.Proof...)
	flipped.Proof[len(flipped.Proof)-1] ^= 1
	wrongOut := *good
	wrongOut.Output = (good.Output + 1) % 4
	wrongEpoch := *good
	wrongEpoch.Epoch++
	outOfRange := *good
	outOfRange.Output = 4
	cases := []struct {
		name string
		key  ed25519.PrivateKey
		msg  Msg
		want *CodedError
	}{
		{"corrupted proof", m1, &flipped, ErrProofInvalid},
		{"wrong output", m1, &wrongOut, ErrProofInvalid},
		{"output out of range", m1, &outOfRange, ErrProofInvalid},
		{"wrong epoch", m1, &wrongEpoch, ErrProofEpoch},
		{"copied by another miner", m2, good, ErrProofInvalid},
		{"other model than committed", m2, e.prove(id, m2, model), ErrProofInvalid},
		{"unregistered signer", owner, good, ErrNeuronNotFound},
		{"unknown subnet", m1, &MsgSubmitProof{Subnet: 9, Epoch: 0, Proof: good.Proof}, ErrSubnetNotFound},
		{"oversized proof", m1, &MsgSubmitProof{Subnet: id, Proof: make([]byte, 257)}, ErrMalformed},
		{"empty proof", m1, &MsgSubmitProof{Subnet: id}, ErrInvalidMsg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.t = t; e.reject(tc.key, tc.msg, tc.want) })
	}
	e.t = t
	e.ok(m1, good)
	e.reject(m1, good, ErrProofDuplicate)
	if p, ok := e.s.Proof(id, 0); !ok || p.Epoch != 0 || p.Output != good.Output {
		t.Fatalf("proof record %+v %v", p, ok)
	}
	// Next epoch: the old proof is for the wrong epoch; a fresh one lands.
	e.nextEpoch(id)
	e.reject(m1, good, ErrProofEpoch)
	e.ok(m1, e.prove(id, m1, model))
	// Serving a new model voids this epoch's proof.
	e.ok(m1, &MsgServe{Subnet: id, ModelCommitment: c2})
	if _, ok := e.s.Proof(id, 0); ok {
		t.Fatal("proof survived a model change")
	}
}

// TestEpochPaysAndConserves: 2 validators, 3 miners (one without a proof)
// over several epochs with commit-reveal: the owner gets its cut, miners
// with proofs split the miners' half, the unproven miner gets nothing,
// delegators' stake grows by the dividends, and supply = genesis + minted -
// burned with balances + fee pool + stake = supply, and minted + unminted
// equals the emission accrued.
func TestEpochPaysAndConserves(t *testing.T) {
	e := newEnv(t, 3)
	owner, val := testKey(0), testKey(1)
	h := testHyper()
	h.MaxUIDs = 8
	id := e.createSubnet(owner, h)
	vals := []ed25519.PrivateKey{testKey(21), testKey(22)}
	miners := []ed25519.PrivateKey{testKey(31), testKey(32), testKey(33)}
	models := []Hash32{}
	for _, k := range vals {
		e.register(id, val, k)
		e.fund(owner, addrOf(k))
	}
	for _, k := range miners {
		e.register(id, owner, k)
		e.fund(owner, addrOf(k))
	}
	e.endBlock() // weights chosen from the next block on see the miners
	e.ok(val, &MsgStake{Subnet: id, Hotkey: addrOf(vals[0]), Amount: 6_000_000})
	e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(vals[0]), Amount: 2_000_000})
	e.ok(val, &MsgStake{Subnet: id, Hotkey: addrOf(vals[1]), Amount: 4_000_000})
	for i, k := range miners {
		m := testModel(t, e.keys.arch, uint64(10+i))
		models = append(models, m.Commitment())
		e.ok(k, &MsgServe{Subnet: id, ModelCommitment: m.Commitment(), Endpoint: "http://m:8091"})
	}
	row := w(2, 100, 3, 200, 4, 300)
	salt := []byte("s")
	var accrued, paid, unminted uint64
	genesis := uint64(3 * 1_000_000_000_000_000)
	for ep := 0; ep < 4; ep++ {
		sn, _ := e.s.Subnet(id)
		// Miners 0 and 1 prove; miner 2 never does.
		for i := 0; i < 2; i++ {
			m := testModel(t, e.keys.arch, uint64(10+i))
			e.ok(miners[i], e.prove(id, miners[i], m))
		}
		for _, k := range vals {
			if ep > 0 {
				e.ok(k, &MsgRevealWeights{Subnet: id, Weights: row, Salt: salt})
			}
			e.ok(k, &MsgCommitWeights{Subnet: id, Hash: WeightsCommitHash(testChainID, id, addrOf(k), sn.Epoch, row, salt)})
		}
		ownerBal := e.s.Account(addrOf(owner)).Balance
		minedBefore := e.s.Tokenomics().Minted
		e.nextEpoch(id)
		rec := e.s.EpochRecord(id)
		if rec == nil || rec.Epoch != sn.Epoch || rec.ErrorCode != 0 {
			t.Fatalf("epoch %d record %+v", sn.Epoch, rec)
		}
		accrued += rec.Emission
		unminted += rec.Unminted
		paid += e.s.Tokenomics().Minted - minedBefore
		if rec.Emission == 0 || rec.OwnerEmission != rec.Emission*uint64(h.OwnerCutBps)/10000 {
			t.Fatalf("epoch %d: emission %d owner %d", rec.Epoch, rec.Emission, rec.OwnerEmission)
		}
		if e.s.Account(addrOf(owner)).Balance < ownerBal+rec.OwnerEmission {
			t.Fatal("owner cut not paid")
		}
		if rec.Proofs != 2 || rec.Neurons[4].ProofOK || rec.Neurons[4].MinerEmission != 0 {
			t.Fatalf("epoch %d: proofs %d, unproven miner %+v", rec.Epoch, rec.Proofs, rec.Neurons[4])
		}
		if ep > 0 {
			// Weights revealed: the proven miners earn, validators earn dividends.
			if rec.Neurons[2].MinerEmission == 0 || rec.Neurons[3].MinerEmission == 0 {
				t.Fatalf("epoch %d: proven miners unpaid %+v", rec.Epoch, rec.Neurons)
			}
			if rec.Neurons[3].MinerEmission <= rec.Neurons[2].MinerEmission {
				t.Fatalf("miner weighted 200 earned no more than miner weighted 100")
			}
			if rec.Neurons[0].ValidatorEmission == 0 || rec.Neurons[1].ValidatorEmission == 0 {
				t.Fatalf("epoch %d: validators unpaid %+v", rec.Epoch, rec.Neurons)
			}
		}
		var sum uint64
		for _, n := range rec.Neurons {
			sum += n.Emission
		}
		if sum+rec.OwnerEmission+rec.Unminted != rec.Emission {
			t.Fatalf("epoch split %d + %d + %d != %d", sum, rec.OwnerEmission, rec.Unminted, rec.Emission)
		}
		e.checkSupply(genesis)
	}
	if paid+unminted != accrued {
		t.Fatalf("minted %d + unminted %d != accrued %d", paid, unminted, accrued)
	}
	// Dividends compound into delegations pro rata: val and owner on vals[0].
	a, b := e.s.StakeOf(id, addrOf(vals[0]), addrOf(val)), e.s.StakeOf(id, addrOf(vals[0]), addrOf(owner))
	if a <= 6_000_000 || b <= 2_000_000 || (a-6_000_000) < 2*(b-2_000_000) {
		t.Fatalf("delegations after dividends: %d, %d", a, b)
	}
}

func TestEndBlockSeedsAndAccrual(t *testing.T) {
	e := newEnv(t, 2)
	owner := testKey(0)
	h1 := testHyper()
	h1.EmissionShare = 1
	h2 := testHyper()
	h2.EmissionShare = 3
	a := e.createSubnet(owner, h1)
	b := e.createSubnet(owner, h2)
	sa, _ := e.s.Subnet(a)
	sb, _ := e.s.Subnet(b)
	if sa.Seed == sb.Seed || sa.Seed.IsZero() {
		t.Fatal("seeds equal or unset")
	}
	pa, pb := e.s.PendingEmission(a), e.s.PendingEmission(b)
	e.endBlock()
	da, db := e.s.PendingEmission(a)-pa, e.s.PendingEmission(b)-pb
	if da+db != e.s.Params().BlockEmission || db != 3*da {
		t.Fatalf("accrual %d and %d of %d (shares 1:3)", da, db, e.s.Params().BlockEmission)
	}
	seed := sa.Seed
	e.nextEpoch(a)
	sa, _ = e.s.Subnet(a)
	if sa.Epoch != 1 || sa.Seed == seed || sa.EpochStart != uint64(e.height) {
		t.Fatalf("after epoch: %+v at height %d", sa, e.height)
	}
	if e.s.PendingEmission(a) != 0 && e.s.EpochRecord(a) == nil {
		t.Fatal("no epoch record")
	}
}

// TestPermitNeedsMinStake is issue 12's one-unit permit: while fewer than
// max_validators UIDs were staked, one base unit of stake bought a
// validator permit (and with it every miner's proving queue). A permit now
// needs min_validator_stake, in the metagraph the miners read and in the
// epoch's consensus alike.
func TestPermitNeedsMinStake(t *testing.T) {
	e := newEnv(t, 3)
	owner, alice := testKey(0), testKey(1)
	h := testHyper()
	h.MinValidatorStake = 1_000_000
	id := e.createSubnet(owner, h)
	honest, cheap := testKey(11), testKey(12)
	e.register(id, owner, honest)
	e.register(id, alice, cheap)
	e.ok(owner, &MsgStake{Subnet: id, Hotkey: addrOf(honest), Amount: 1_000_000})
	e.ok(alice, &MsgStake{Subnet: id, Hotkey: addrOf(cheap), Amount: 1})
	e.endBlock()
	sn, _ := e.s.Subnet(id)
	mg := e.s.Metagraph(sn)
	if !mg.Neurons[0].ValidatorPermit || mg.Neurons[1].ValidatorPermit {
		t.Fatalf("permits %v %v, want the 1,000,000 stake only", mg.Neurons[0].ValidatorPermit, mg.Neurons[1].ValidatorPermit)
	}
	// Stake counts for an epoch held whole: the next epoch's consensus.
	e.nextEpoch(id)
	sn, _ = e.s.Subnet(id)
	in, _ := e.s.EpochInput(sn, uint64(e.height))
	res, err := scoring.Epoch(in)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Neurons[0].ValidatorPermit || res.Neurons[1].ValidatorPermit {
		t.Fatalf("epoch permits %v %v", res.Neurons[0].ValidatorPermit, res.Neurons[1].ValidatorPermit)
	}
	// The default is DefaultMinValidatorStake, and the field round-trips
	// through the subnet-update encoding.
	d := DefaultHyperparams()
	if d.MinValidatorStake != DefaultMinValidatorStake {
		t.Fatalf("default min_validator_stake %d", d.MinValidatorStake)
	}
	b := (&MsgSubnetUpdate{Subnet: id, Hyper: h}).MarshalBody()
	got, err := DecodeMsg(TxSubnetUpdate, b)
	if err != nil || got.(*MsgSubnetUpdate).Hyper.MinValidatorStake != 1_000_000 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
}
