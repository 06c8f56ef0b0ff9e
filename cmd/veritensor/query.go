package main

import (
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
			{Name: "account", Usage: "balance and nonce of an address", ArgsUsage: "ADDRESS", Flags: flags, Action: queryAccount},
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
	cl, err := chainClient(c)
	if err != nil {
		return err
	}
	ctx, cancel := cmdContext(c)
	defer cancel()
	a, err := cl.Account(ctx, addr)
	if err != nil {
		return err
	}
	return render(c, a, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "address %s\nbalance %d\nnonce   %d\n", a.Address, a.Balance, a.Nonce)
		return err
	})
}

func queryBlock(c *cli.Context) error {
	var h int64
	if c.NArg() > 0 {
		var err error
		if h, err = strconv.ParseInt(c.Args().First(), 10, 64); err != nil || h <= 0 {
			return fmt.Errorf("HEIGHT %q is not a positive integer", c.Args().First())
		}
	}
	cl, err := chainClient(c)
	if err != nil {
		return err
	}
	ctx, cancel := cmdContext(c)
	defer cancel()
	b, err := cl.Block(ctx, h)
	if err != nil {
		return err
	}
	return render(c, b, func(w io.Writer) error {
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
	cl, err := chainClient(c)
	if err != nil {
		return err
	}
	ctx, cancel := cmdContext(c)
	defer cancel()
	t, err := cl.Tx(ctx, hash)
	if err != nil {
		return err
	}
	return render(c, t, func(w io.Writer) error { return printTx(w, t) })
}

func querySupply(c *cli.Context) error {
	cl, err := chainClient(c)
	if err != nil {
		return err
	}
	ctx, cancel := cmdContext(c)
	defer cancel()
	s, err := cl.Supply(ctx)
	if err != nil {
		return err
	}
	return render(c, s, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "supply   %d\nfee pool %d\n", s.Supply, s.FeePool)
		return err
	})
}
