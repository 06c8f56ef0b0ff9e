package miner

import (
	"context"

	"github.com/veritensor/veritensor/chain"
)

// SetupCheck verifies the setup ceremony of the subnet's keys before the
// miner serves it (cmd wires internal/ceremonyverify) and returns the key
// cache directory holding the verified keys ("" keeps Config.KeysDir). An
// error stops the daemon: it names the failing contribution.
type SetupCheck func(ctx context.Context, si chain.SubnetInfo) (keysDir string, err error)

// checkSetup runs check (if any) and returns the key directory to prove from.
func checkSetup(ctx context.Context, check SetupCheck, si chain.SubnetInfo, keysDir string) (string, error) {
	if check == nil {
		return keysDir, nil
	}
	dir, err := check(ctx, si)
	if err != nil {
		return "", err
	}
	if dir == "" {
		dir = keysDir
	}
	return dir, nil
}
