package validator

import (
	"context"
	"fmt"

	"github.com/veritensor/veritensor/chain"
)

// SetupCheck verifies the setup ceremony of the subnet's keys before the
// validator scores it (cmd wires internal/ceremonyverify). An error stops
// the daemon: it names the failing contribution.
type SetupCheck func(ctx context.Context, si chain.SubnetInfo) error

// checkSetup reads the subnet and runs check (if any).
func checkSetup(ctx context.Context, check SetupCheck, cc *ChainClient, subnet uint16) error {
	if check == nil {
		return nil
	}
	var si chain.SubnetInfo
	if err := cc.Retry(ctx, func() (err error) { si, err = cc.Client().Subnet(ctx, subnet); return err }); err != nil {
		return fmt.Errorf("validator: subnet %d: %w", subnet, err)
	}
	if err := check(ctx, si); err != nil {
		return fmt.Errorf("validator: refusing to score subnet %d: %w", subnet, err)
	}
	return nil
}
