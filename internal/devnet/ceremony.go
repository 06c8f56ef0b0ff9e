package devnet

import (
	"context"
	"fmt"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/ceremonytest"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/internal/keycache"
)

// devnetParams are the devnet's chain parameters: the defaults with a
// beacon delay that fits the devnet's ceremony.
func devnetParams() *chain.Params {
	p := chain.DefaultParams()
	p.CeremonyBeaconDelay = 8
	return &p
}

// ensureCeremony records the setup ceremony the subnet is created from and
// returns its phase-2 ID.
//
// Interim: it records stand-in transcript hashes sealed with the key
// cache's keys (chain/ceremonytest), so the subnet's keys are still the
// single-party setup's; the devnet's daemons run without the transcript
// check. The real 3-party ceremony (subnet owner and both validators
// contributing) replaces this once zk/ceremony lands.
func ensureCeremony(ctx context.Context, c *client.Client, s *state, home string, k *keycache.Keys, say func(string, ...any)) (uint32, error) {
	id, err := ceremonytest.Seal(ctx, c, subnetOwnerKey(), validatorOwnerKey(0), s.Arch, k.VK, k.PKHash)
	if err != nil {
		return 0, fmt.Errorf("devnet: ceremony: %w", err)
	}
	ci, err := c.Ceremony(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("devnet: ceremony: %w", err)
	}
	say("ceremony %d sealed: beacon %s, vk %s, pk %s", id, ci.Beacon, ci.VKHash, ci.PKHash)
	return id, nil
}
