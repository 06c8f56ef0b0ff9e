package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/veritensor/veritensor/zk"
)

// testBeaconDelay is CeremonyBeaconDelay in the test genesis states.
const testBeaconDelay = 2

// ceremonyDriver runs ceremony transactions against one of the test
// harnesses (a bare State or a real App).
type ceremonyDriver struct {
	t testing.TB
	// deliver lands msg signed by key (failing the test on error).
	deliver func(key ed25519.PrivateKey, msg Msg)
	// advancePast ends blocks until the next transaction lands above h.
	advancePast func(h uint64)
	// state is the state to read ceremonies from.
	state func() *State
}

// fakeHash is a stand-in transcript file hash: the chain records hashes
// only (daemons verify the files), so state tests need no real files.
func fakeHash(s string) Hash32 { return sha256.Sum256([]byte(s)) }

// open opens a ceremony and returns it.
func (d ceremonyDriver) open(key ed25519.PrivateKey, m *MsgCeremonyOpen) *Ceremony {
	d.t.Helper()
	id := uint32(d.state().getU64(keyCeremonyNext))
	d.deliver(key, m)
	c, err := d.state().Ceremony(id)
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// contributeAll records one contribution by each key, in order.
func (d ceremonyDriver) contributeAll(id uint32, keys ...ed25519.PrivateKey) {
	d.t.Helper()
	for i, k := range keys {
		c, err := d.state().Ceremony(id)
		if err != nil {
			d.t.Fatal(err)
		}
		d.deliver(k, &MsgCeremonyContribute{Ceremony: id, Prev: c.Head(), Hash: fakeHash(string(rune('a'+i)) + c.Head().String())})
	}
}

// seal waits for the beacon and seals id with vk (nil for phase 1).
func (d ceremonyDriver) seal(owner ed25519.PrivateKey, id uint32, vk []byte, pkHash Hash32) {
	d.t.Helper()
	c, err := d.state().Ceremony(id)
	if err != nil {
		d.t.Fatal(err)
	}
	d.advancePast(c.BeaconHeight)
	d.deliver(owner, &MsgCeremonySeal{Ceremony: id, Head: c.Head(), Output: fakeHash("sealed" + c.Head().String()),
		PKHash: pkHash, VK: vk})
}

// sealedCeremony runs phase 1 and phase 2 for arch, each with one
// contribution from owner and one from other, and returns the phase-2 ID.
func (d ceremonyDriver) sealedCeremony(owner, other ed25519.PrivateKey, arch string, vk []byte, pkHash Hash32) uint32 {
	d.t.Helper()
	return d.sealedSchemeCeremony(owner, other, arch, zk.SchemeHash, vk, pkHash)
}

// sealedSchemeCeremony is sealedCeremony with the phase 2 opened for arch's
// single-inference circuit under scheme (vk is a key of that circuit).
func (d ceremonyDriver) sealedSchemeCeremony(owner, other ed25519.PrivateKey, arch string, scheme zk.Scheme, vk []byte, pkHash Hash32) uint32 {
	d.t.Helper()
	p1 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase1, Power: 12, Init: fakeHash("p1 init"), Source: "/srv/ceremony"})
	d.contributeAll(p1.ID, owner, other)
	d.seal(owner, p1.ID, nil, Hash32{})
	p2Init := "p2 init " + arch
	if scheme != zk.SchemeHash {
		p2Init = "p2 init " + scheme.String() + " " + arch
	}
	p2 := d.open(owner, &MsgCeremonyOpen{Phase: CeremonyPhase2, Arch: arch, Scheme: scheme, Phase1: p1.ID, Init: fakeHash(p2Init),
		Source: "http://127.0.0.1:1/ceremony"})
	d.contributeAll(p2.ID, owner, other)
	d.seal(owner, p2.ID, vk, pkHash)
	return p2.ID
}

func (e *env) ceremonies() ceremonyDriver {
	return ceremonyDriver{t: e.t, deliver: e.ok, advancePast: func(h uint64) { e.advanceTo(h + 1) },
		state: func() *State { return e.s }}
}

func (p *proofApp) ceremonies() ceremonyDriver {
	return ceremonyDriver{t: p.t, deliver: func(k ed25519.PrivateKey, m Msg) { p.okBlock(p.signed(k, m)) },
		advancePast: func(h uint64) {
			for uint64(p.height) < h {
				p.okBlock()
			}
		},
		state: func() *State { return p.app.Committed() }}
}

func errorsIs(err error, target error) bool { return errors.Is(err, target) }
