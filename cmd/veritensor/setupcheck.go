package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/internal/ceremonyverify"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/validator"
)

// The "verify the ceremony before work" hooks of the miner and validator
// daemons: internal/ceremonyverify against the daemon's node, with the
// machine-wide verdict cache (--ceremony-dir).

var ceremonyCacheFlag = &cli.StringFlag{Name: "ceremony-dir", EnvVars: []string{ceremonyverify.EnvDir},
	Usage: "machine-wide cache of ceremony verdicts, transcript files and verified keys (default ~/.cache/veritensor/ceremony)"}

func setupVerifier(node, dir string, log *slog.Logger) func(ctx context.Context, si chain.SubnetInfo) (*ceremonyverify.Verified, error) {
	return func(ctx context.Context, si chain.SubnetInfo) (*ceremonyverify.Verified, error) {
		cl, err := client.New(node)
		if err != nil {
			return nil, err
		}
		v, err := ceremonyverify.Subnet(ctx, cl, si, ceremonyverify.Options{Dir: dir,
			Log: func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }})
		if err != nil {
			return nil, err
		}
		log.Info("setup ceremony verified", "subnet", si.ID, "ceremony", si.Task.Ceremony, "transcript", v.ID, "cached", v.Cached)
		return v, nil
	}
}

func minerSetupCheck(node, dir string, log *slog.Logger) miner.SetupCheck {
	verify := setupVerifier(node, dir, log)
	return func(ctx context.Context, si chain.SubnetInfo) (string, error) {
		v, err := verify(ctx, si)
		if err != nil {
			return "", err
		}
		return v.KeysDir, nil
	}
}

func validatorSetupCheck(node, dir string, log *slog.Logger) validator.SetupCheck {
	verify := setupVerifier(node, dir, log)
	return func(ctx context.Context, si chain.SubnetInfo) error {
		_, err := verify(ctx, si)
		return err
	}
}
