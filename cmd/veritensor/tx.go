package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// txFlags are the flags of every transaction command; protocol transactions
// attached under "tx" reuse them and call sendMsg.
func txFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		homeFlag, nodeFlag, timeoutFlag, outputFlag,
		&cli.StringFlag{Name: "from", Required: true, Usage: "the signing key: a key name in <home>/keys or the address of one"},
		&cli.Uint64Flag{Name: "fee", Value: chain.DefaultParams().MinFee, Usage: "fee in base units (at least the chain's min_fee)"},
		&cli.BoolFlag{Name: "async", Usage: "return once the mempool accepted the tx, without waiting for the block"},
	}, extra...)
}

func init() {
	commands = append(commands, &cli.Command{
		Name:  "tx",
		Usage: "sign and broadcast transactions",
		Subcommands: []*cli.Command{{
			Name:  "transfer",
			Usage: "send base units to an address",
			Flags: txFlags(
				&cli.StringFlag{Name: "to", Required: true, Usage: "recipient: an address (40 hex digits) or a key name in <home>/keys"},
				&cli.Uint64Flag{Name: "amount", Required: true, Usage: "amount in base units"},
			),
			Action: txTransfer,
		}},
	})
}

func txTransfer(c *cli.Context) error {
	to, err := keyAddress(c, "--to", c.String("to"))
	if err != nil {
		return err
	}
	return sendMsg(c, &chain.MsgTransfer{To: to, Amount: c.Uint64("amount")})
}

// sendMsg signs msg with --from, broadcasts it to --node and, unless --async,
// waits for the block and prints the result.
func sendMsg(c *cli.Context, msg chain.Msg) error {
	k, err := privateKey(c, "--from", c.String("from"))
	if err != nil {
		return err
	}
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	if c.Bool("async") {
		hash, err := cl.SendAsync(ctx, k.Private, msg, c.Uint64("fee"))
		if err != nil {
			return err
		}
		h := strings.ToUpper(hex.EncodeToString(hash[:]))
		return render(c, map[string]string{"hash": h}, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "accepted into the mempool: %s\n", h)
			return err
		})
	}
	info, err := cl.Send(ctx, k.Private, msg, c.Uint64("fee"))
	if err != nil {
		return err
	}
	return render(c, info, func(w io.Writer) error { return printTx(w, info) })
}

func printTx(w io.Writer, t *client.TxInfo) error {
	status := "ok"
	if t.Code != 0 {
		status = fmt.Sprintf("failed (code %d): %s", t.Code, t.Log)
	}
	fmt.Fprintf(w, "tx %s\n  height %d index %d: %s\n  %s from %s nonce %d fee %d\n", t.Hash, t.Height, t.Index, status, t.Type, t.Sender, t.Nonce, t.Fee)
	for _, e := range t.Events {
		var parts []string
		for _, a := range e.Attrs {
			parts = append(parts, a.Key+"="+a.Value)
		}
		fmt.Fprintf(w, "  event %s: %s\n", e.Type, strings.Join(parts, " "))
	}
	return nil
}
