// Package ceremonytest records stand-in setup ceremonies on a real chain for
// tests whose subject is not the ceremony: the chain records transcript
// hashes only, so a ceremony of made-up hashes sealed with a key pair from
// the key cache gives a usable subnet. Daemons that verify transcripts
// (internal/ceremonyverify) refuse such a ceremony, as they must: tests
// using it run daemons without that check.
package ceremonytest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/zk"
)

// Fee is the fee of every transaction sent here.
const Fee = 100

// Seal is SealScheme for the hash scheme (zk.SchemeHash: the single
// circuit).
func Seal(ctx context.Context, c *client.Client, owner, other ed25519.PrivateKey, arch string, vk []byte, pkHash [32]byte) (uint32, error) {
	return SealScheme(ctx, c, owner, other, arch, zk.SchemeHash, vk, pkHash)
}

// SealScheme records and seals a phase-1 ceremony and a phase-2 ceremony
// for arch's single-inference circuit under scheme (each with one
// contribution from owner and one from other, with made-up transcript
// hashes), the phase 2 with vk and pkHash (keys of that circuit, e.g. from
// zk.SetupScheme), and returns the phase-2 ceremony ID for subnet-create.
// It waits for both beacons (2 * CeremonyBeaconDelay blocks and a few
// more).
func SealScheme(ctx context.Context, c *client.Client, owner, other ed25519.PrivateKey, arch string, scheme zk.Scheme, vk []byte, pkHash [32]byte) (uint32, error) {
	h := func(s string) chain.Hash32 { return sha256.Sum256([]byte(s)) }
	run := func(m *chain.MsgCeremonyOpen, vk []byte, pk chain.Hash32) (uint32, error) {
		id, _, err := c.OpenCeremony(ctx, owner, m, Fee)
		if err != nil {
			return 0, fmt.Errorf("ceremonytest: open: %w", err)
		}
		head := m.Init
		for i, k := range []ed25519.PrivateKey{owner, other} {
			next := h(fmt.Sprintf("contribution %d of %x", i, head))
			if _, err := c.Contribute(ctx, k, id, head, next, Fee); err != nil {
				return 0, fmt.Errorf("ceremonytest: contribute: %w", err)
			}
			head = next
		}
		if _, err := c.WaitBeacon(ctx, id); err != nil {
			return 0, err
		}
		if _, err := c.SealCeremony(ctx, owner, &chain.MsgCeremonySeal{Ceremony: id, Head: head,
			Output: h(fmt.Sprintf("sealed %x", head)), PKHash: pk, VK: vk}, Fee); err != nil {
			return 0, fmt.Errorf("ceremonytest: seal: %w", err)
		}
		return id, nil
	}
	p1, err := run(&chain.MsgCeremonyOpen{Phase: chain.CeremonyPhase1, Power: 16, Init: h("phase 1 init " + arch),
		Source: "/nonexistent/ceremonytest"}, nil, chain.Hash32{})
	if err != nil {
		return 0, err
	}
	p2Init := "phase 2 init " + arch
	if scheme != zk.SchemeHash {
		p2Init = "phase 2 init " + scheme.String() + " " + arch
	}
	return run(&chain.MsgCeremonyOpen{Phase: chain.CeremonyPhase2, Arch: arch, Scheme: scheme, Phase1: p1, Init: h(p2Init),
		Source: "/nonexistent/ceremonytest"}, vk, pkHash)
}

// Params are chain.DefaultParams with a short beacon delay (8 blocks: room for four transactions that each wait for their commit), for
// test networks that run ceremonies.
func Params() *chain.Params {
	p := chain.DefaultParams()
	p.CeremonyBeaconDelay = 8
	return &p
}
