package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

func init() {
	flags := []cli.Flag{nodeFlag, timeoutFlag, outputFlag}
	commands = append(commands, &cli.Command{
		Name:  "query",
		Usage: "read chain state, blocks and transactions from a node",
		Subcommands: []*cli.Command{
			{Name: "account", Usage: "balance and nonce of an address (--prove: verified by the light client)", ArgsUsage: "ADDRESS", Flags: append(flags[:len(flags):len(flags)], proveFlags...), Action: queryAccount},
			{Name: "block", Usage: "a block header summary (latest without HEIGHT)", ArgsUsage: "[HEIGHT]", Flags: flags, Action: queryBlock},
			{Name: "tx", Usage: "a committed transaction by hash", ArgsUsage: "HASH", Flags: flags, Action: queryTx},
			{Name: "supply", Usage: "total supply and fee pool", Flags: flags, Action: querySupply},
		},
	})
}

func queryAccount(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("want one ADDRESS")
	}
	addr, err := chain.ParseAddress(c.Args().First())
	if err != nil {
		return err
	}
	if c.Bool("prove") {
		return queryAccountProven(c, addr)
	}
	return runQuery(c, func(cl *client.Client, ctx context.Context) (chain.Account, error) { return cl.Account(ctx, addr) },
		func(w io.Writer, a chain.Account) error {
			_, err := fmt.Fprintf(w, "address %s\nbalance %d\nnonce   %d\n", a.Address, a.Balance, a.Nonce)
			return err
		})
}

func queryBlock(c *cli.Context) error {
	var h int64
	if c.NArg() > 1 {
		return fmt.Errorf("want at most one HEIGHT")
	}
	if c.NArg() > 0 {
		var err error
		if h, err = strconv.ParseInt(c.Args().First(), 10, 64); err != nil || h <= 0 {
			return fmt.Errorf("HEIGHT %q is not a positive integer", c.Args().First())
		}
	}
	return runQuery(c, func(cl *client.Client, ctx context.Context) (*client.BlockInfo, error) { return cl.Block(ctx, h) },
		func(w io.Writer, b *client.BlockInfo) error {
			fmt.Fprintf(w, "height   %d\nhash     %s\ntime     %s\napp hash %s\nproposer %s\ntxs      %d\n",
				b.Height, b.Hash, b.Time.Format("2006-01-02T15:04:05.000Z07:00"), b.AppHash, b.Proposer, b.NumTxs)
			for _, t := range b.TxHashes {
				fmt.Fprintf(w, "  %s\n", t)
			}
			return nil
		})
}

func queryTx(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("want one tx HASH")
	}
	hash, err := client.ParseHash(c.Args().First())
	if err != nil {
		return err
	}
	return runQuery(c, func(cl *client.Client, ctx context.Context) (*client.TxInfo, error) { return cl.Tx(ctx, hash) }, printTx)
}

func querySupply(c *cli.Context) error {
	return runQuery(c, (*client.Client).Supply, func(w io.Writer, s chain.SupplyInfo) error {
		_, err := fmt.Fprintf(w, "supply   %d\nfee pool %d\n", s.Supply, s.FeePool)
		return err
	})
}
