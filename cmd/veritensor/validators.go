package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// Proof-of-authority validator set (docs/chain.md, "Validator set").

func init() {
	attach("tx", &cli.Command{
		Name:  "validator-update",
		Usage: "(validator authority only) add, re-weight or remove (--power 0) a chain validator",
		Flags: txFlags(
			&cli.StringFlag{Name: "pubkey", Required: true, Usage: "the validator's ed25519 public key: base64 (priv_validator_key.json pub_key.value) or 64 hex digits"},
			&cli.Uint64Flag{Name: "power", Required: true, Usage: "voting power; 0 removes the validator"},
		),
		Action: func(c *cli.Context) error {
			pk, err := parseValidatorKey(c.String("pubkey"))
			if err != nil {
				return err
			}
			return sendMsg(c, &chain.MsgValidatorUpdate{PubKey: pk, Power: c.Uint64("power")})
		},
	})
	attach("query", &cli.Command{
		Name:  "validators",
		Usage: "the chain's validator set as the app records it, the validator authority and pending updates",
		Flags: []cli.Flag{nodeFlag, timeoutFlag, outputFlag},
		Action: func(c *cli.Context) error {
			return runQuery(c, func(cl *client.Client, ctx context.Context) (chain.ValidatorsInfo, error) {
				var v chain.ValidatorsInfo
				err := cl.Query(ctx, "/validators", nil, &v)
				return v, err
			}, func(w io.Writer, v chain.ValidatorsInfo) error {
				fmt.Fprintf(w, "authority %s\n", orNone(v.Authority))
				for _, x := range v.Validators {
					fmt.Fprintf(w, "  %s power %d\n", x.PubKey, x.Power)
				}
				for _, x := range v.Pending {
					fmt.Fprintf(w, "  pending %s power %d\n", x.PubKey, x.Power)
				}
				return nil
			})
		},
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none: the genesis validator set is fixed)"
	}
	return s
}

func parseValidatorKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(strings.TrimPrefix(s, "0x")); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, fmt.Errorf("--pubkey %q is not a 32-byte ed25519 key in base64 or hex", s)
}
