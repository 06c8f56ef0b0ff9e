package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestCeremonyRules drives a phase-1 and a phase-2 ceremony through every
// refusal: order, beacon height, owner, distinct contributors, phase, and
// the ceremony checks of subnet-create.
func TestCeremonyRules(t *testing.T) {
	e := newEnv(t, 3)
	owner, alice, bob := testKey(0), testKey(1), testKey(2)
	d := e.ceremonies()
	p1 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase1, Power: 10, Init: fakeHash("init"), Source: "/c"})
	if p1.BeaconHeight != uint64(e.height)+testBeaconDelay || p1.Head() != fakeHash("init") {
		t.Fatalf("opened %+v at %d", p1, e.height)
	}
	// A phase 2 cannot build on an unsealed phase 1.
	e.reject(owner, &MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: smallArch, Phase1: p1.ID, Init: fakeHash("x"), Source: "/c"}, ErrCeremonyState)
	e.reject(owner, &MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: smallArch, Phase1: 9, Init: fakeHash("x"), Source: "/c"}, ErrCeremonyNotFound)

	h1, h2 := fakeHash("one"), fakeHash("two")
	e.reject(alice, &MsgCeremonyContribute{Ceremony: p1.ID, Prev: h1, Hash: h2}, ErrCeremonyOrder) // not on the head
	e.reject(alice, &MsgCeremonyContribute{Ceremony: 7, Prev: p1.Init, Hash: h1}, ErrCeremonyNotFound)
	e.ok(alice, &MsgCeremonyContribute{Ceremony: p1.ID, Prev: p1.Init, Hash: h1})
	e.reject(bob, &MsgCeremonyContribute{Ceremony: p1.ID, Prev: p1.Init, Hash: h2}, ErrCeremonyOrder) // racing alice
	e.reject(bob, &MsgCeremonyContribute{Ceremony: p1.ID, Prev: h1, Hash: p1.Init}, ErrCeremonyOrder) // a recorded file again
	e.ok(alice, &MsgCeremonyContribute{Ceremony: p1.ID, Prev: h1, Hash: h2})                          // same contributor twice

	seal := &MsgCeremonySeal{Ceremony: p1.ID, Head: h2, Output: fakeHash("sealed")}
	e.reject(owner, seal, ErrCeremonyBeacon) // before the beacon block
	e.endBlock()
	e.reject(owner, seal, ErrCeremonyBeacon)
	e.endBlock()
	if uint64(e.height) != p1.BeaconHeight {
		t.Fatalf("height %d, beacon height %d", e.height, p1.BeaconHeight)
	}
	e.reject(owner, seal, ErrCeremonyBeacon) // in the beacon block: its hash is not known yet
	e.reject(bob, &MsgCeremonyContribute{Ceremony: p1.ID, Prev: h2, Hash: fakeHash("late")}, ErrCeremonyClosed)
	e.endBlock()
	c, _ := e.s.Ceremony(p1.ID)
	beaconCtx := BlockContext{Height: int64(c.BeaconHeight)}
	saved := e.height
	e.height = beaconCtx.Height
	want := CeremonyBeacon(testChainID, p1.ID, CeremonyPhase1, e.ctx().Hash)
	e.height = saved
	if c.Beacon != want || c.BeaconBlockHash.IsZero() {
		t.Fatalf("beacon %s, want %s", c.Beacon, want)
	}
	e.reject(bob, &MsgCeremonyContribute{Ceremony: p1.ID, Prev: h2, Hash: fakeHash("late")}, ErrCeremonyClosed)
	e.reject(alice, seal, ErrUnauthorized)                                                                // only the owner seals
	e.reject(owner, seal, ErrCeremonyContributors)                                                        // one distinct contributor
	e.reject(owner, &MsgCeremonySeal{Ceremony: p1.ID, Head: h1, Output: fakeHash("s")}, ErrCeremonyOrder) // not the head
	e.reject(owner, &MsgCeremonySeal{Ceremony: p1.ID, Head: h2, Output: fakeHash("s"), VK: []byte{1}, PKHash: Hash32{1}}, ErrCeremonyState)

	// A phase 1 with two distinct contributors seals; its phase 2 needs
	// the same.
	d2 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase1, Power: 10, Init: fakeHash("init2"), Source: "/c"})
	d.contributeAll(d2.ID, alice, bob)
	d.seal(owner, d2.ID, nil, Hash32{})
	e.reject(owner, &MsgCeremonySeal{Ceremony: d2.ID, Head: fakeHash("x"), Output: fakeHash("y")}, ErrCeremonyState) // sealed twice
	e.reject(bob, &MsgCeremonyContribute{Ceremony: d2.ID, Prev: fakeHash("x"), Hash: fakeHash("y")}, ErrCeremonyState)
	e.keys = smallSetup(t)
	p2 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: smallArch, Phase1: d2.ID, Init: fakeHash("p2"),
		Source: "https://example.org/c", Allowed: sortedAddrs(alice, bob)})
	e.reject(owner, &MsgCeremonyContribute{Ceremony: p2.ID, Prev: p2.Init, Hash: h1}, ErrUnauthorized) // not allowed
	d.contributeAll(p2.ID, alice)
	e.advanceTo(p2.BeaconHeight + 1)
	c2, _ := e.s.Ceremony(p2.ID)
	e.reject(owner, &MsgCeremonySeal{Ceremony: p2.ID, Head: c2.Head(), Output: fakeHash("o"), PKHash: e.keys.pkHash, VK: e.keys.vk}, ErrCeremonyContributors)
	// Below the minimum, it cannot be used either.
	e.reject(owner, &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: p2.ID, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrCeremonyState)

	p3 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: smallArch, Phase1: d2.ID, Init: fakeHash("p3"), Source: "/c"})
	d.contributeAll(p3.ID, alice, bob)
	e.advanceTo(p3.BeaconHeight + 1)
	c3, _ := e.s.Ceremony(p3.ID)
	e.reject(owner, &MsgCeremonySeal{Ceremony: p3.ID, Head: c3.Head(), Output: fakeHash("o")}, ErrCeremonyState) // phase 2 without keys
	e.reject(owner, &MsgCeremonySeal{Ceremony: p3.ID, Head: c3.Head(), Output: fakeHash("o"), PKHash: Hash32{1}, VK: []byte{1, 2}}, ErrInvalidMsg)
	e.ok(owner, &MsgCeremonySeal{Ceremony: p3.ID, Head: c3.Head(), Output: fakeHash("o"), PKHash: e.keys.pkHash, VK: e.keys.vk})
	c3, _ = e.s.Ceremony(p3.ID)
	if !c3.Sealed || c3.PKHash != e.keys.pkHash || c3.VKHash != Hash32(sha256Sum(e.keys.vk)) || string(e.s.CeremonyVK(p3.ID)) != string(e.keys.vk) {
		t.Fatalf("sealed %+v", c3)
	}
	e.reject(owner, &MsgSubnetCreate{Name: "x", Arch: "16-8-5", Ceremony: p3.ID, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrCeremonyMismatch)

	// Raise the minimum above what p3 had: no longer usable.
	pp := e.s.Params()
	pp.CeremonyMinContributors = 3
	if err := e.s.SetParams(pp); err != nil {
		t.Fatal(err)
	}
	e.reject(owner, &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: p3.ID, ScoringRule: ScoringYuma, Hyper: testHyper()}, ErrCeremonyContributors)
	pp.CeremonyMinContributors = 2
	if err := e.s.SetParams(pp); err != nil {
		t.Fatal(err)
	}
	id := uint16(e.s.getU64(keySubnetNext))
	e.ok(owner, &MsgSubnetCreate{Name: "x", Arch: smallArch, Ceremony: p3.ID, ScoringRule: ScoringYuma, Hyper: testHyper()})
	sn, _ := e.s.Subnet(id)
	if sn.Task.Ceremony != p3.ID || sn.Task.VKHash != c3.VKHash || sn.Task.PKHash != c3.PKHash || string(e.s.SubnetVK(id)) != string(e.keys.vk) {
		t.Fatalf("subnet task %+v", sn.Task)
	}
}

func sortedAddrs(keys ...ed25519.PrivateKey) []Address {
	out := make([]Address, 0, len(keys))
	for _, k := range keys {
		a := addrOf(k)
		i := len(out)
		for i > 0 && string(out[i-1][:]) > string(a[:]) {
			i--
		}
		out = append(out[:i], append([]Address{a}, out[i:]...)...)
	}
	return out
}

func TestCeremonyValidateBasic(t *testing.T) {
	a, b := Address{1}, Address{2}
	for _, tc := range []struct {
		name string
		msg  Msg
	}{
		{"phase 3", &MsgCeremonyOpen{Phase: 3, Power: 4, Init: Hash32{1}, Source: "/c"}},
		{"phase 1 power 0", &MsgCeremonyOpen{Phase: 1, Init: Hash32{1}, Source: "/c"}},
		{"phase 1 power too big", &MsgCeremonyOpen{Phase: 1, Power: MaxCeremonyPower + 1, Init: Hash32{1}, Source: "/c"}},
		{"phase 1 with arch", &MsgCeremonyOpen{Phase: 1, Power: 4, Arch: smallArch, Init: Hash32{1}, Source: "/c"}},
		{"phase 2 bad arch", &MsgCeremonyOpen{Phase: 2, Arch: "7", Init: Hash32{1}, Source: "/c"}},
		{"phase 2 with power", &MsgCeremonyOpen{Phase: 2, Power: 4, Arch: smallArch, Init: Hash32{1}, Source: "/c"}},
		{"zero init", &MsgCeremonyOpen{Phase: 1, Power: 4, Source: "/c"}},
		{"relative source", &MsgCeremonyOpen{Phase: 1, Power: 4, Init: Hash32{1}, Source: "c/d"}},
		{"ftp source", &MsgCeremonyOpen{Phase: 1, Power: 4, Init: Hash32{1}, Source: "ftp://x"}},
		{"space in source", &MsgCeremonyOpen{Phase: 1, Power: 4, Init: Hash32{1}, Source: "/a b"}},
		{"unsorted allow-list", &MsgCeremonyOpen{Phase: 1, Power: 4, Init: Hash32{1}, Source: "/c", Allowed: []Address{b, a}}},
		{"duplicate allow-list", &MsgCeremonyOpen{Phase: 1, Power: 4, Init: Hash32{1}, Source: "/c", Allowed: []Address{a, a}}},
		{"zero contribution", &MsgCeremonyContribute{Prev: Hash32{1}}},
		{"contribution repeats prev", &MsgCeremonyContribute{Prev: Hash32{1}, Hash: Hash32{1}}},
		{"zero output", &MsgCeremonySeal{Head: Hash32{1}}},
		{"vk without pk hash", &MsgCeremonySeal{Head: Hash32{1}, Output: Hash32{1}, VK: []byte{1}}},
		{"pk hash without vk", &MsgCeremonySeal{Head: Hash32{1}, Output: Hash32{1}, PKHash: Hash32{1}}},
	} {
		if _, err := DecodeMsg(tc.msg.Type(), tc.msg.MarshalBody()); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// TestCeremonyReplayDeterministic runs ceremonies (with refused
// transactions in the blocks and the beacon end blocker) and a subnet
// creation through a real App, then replays the blocks on a fresh App: the
// app hash matches at every height.
func TestCeremonyReplayDeterministic(t *testing.T) {
	p := newProofApp(t, 3)
	owner, alice := testKey(0), testKey(1)
	d := p.ceremonies()
	cer := d.sealedCeremony(owner, alice, smallArch, p.keys.vk, p.keys.pkHash)
	// Refused in blocks: a contribution to the sealed ceremony, a seal again.
	p.block(p.signed(alice, &MsgCeremonyContribute{Ceremony: cer, Prev: fakeHash("x"), Hash: fakeHash("y")}),
		p.signed(owner, &MsgCeremonySeal{Ceremony: cer, Head: fakeHash("x"), Output: fakeHash("y")}))
	p.okBlock(p.signed(owner, &MsgSubnetCreate{Name: "r", Arch: smallArch, Ceremony: cer, ScoringRule: ScoringYuma, Hyper: testHyper()}))
	for i := 0; i < 3; i++ {
		p.okBlock()
	}
	want := p.app.LastCommit().AppHash

	fresh, st := openApp(t, t.TempDir())
	defer st.Close()
	initChain(t, fresh, proofGenesis(t, 3))
	for h, txs := range p.blocks {
		finalize(t, fresh, int64(h+1), txs)
		if _, err := fresh.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fresh.LastCommit().AppHash; !bytes.Equal(got, want) {
		t.Fatalf("replayed app hash %X, want %X", got, want)
	}
	c, err := fresh.Committed().Ceremony(cer)
	if err != nil || !c.Sealed || c.Beacon.IsZero() {
		t.Fatalf("replayed ceremony %+v %v", c, err)
	}
}

// TestNoRawVerifyingKeyPath: the version-1 subnet-create body, which
// carried a verifying key and pk hash chosen by the creator, no longer
// decodes: the only way to a subnet's key is a sealed ceremony.
func TestNoRawVerifyingKeyPath(t *testing.T) {
	k := smallSetup(t)
	e := NewEncoder(512)
	e.String("mnist").String(smallArch).VarBytes(k.vk).Fixed(k.pkHash[:]).Fixed(make([]byte, 32)).String(ScoringYuma)
	testHyper().encode(e)
	if _, err := DecodeMsg(TxSubnetCreate, e.Bytes()); !errorsIs(err, ErrMalformed) {
		t.Fatalf("version-1 subnet-create with a raw vk: %v", err)
	}
}
