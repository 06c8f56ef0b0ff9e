package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/keys"
)

// Flags and helpers shared by the chain commands (init, start, testnet, keys,
// tx, query) and by any command that sends transactions.

func defaultHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".veritensor")
	}
	return ".veritensor"
}

// homeFlag is the node or client home (keys live in <home>/keys).
var homeFlag = &cli.StringFlag{
	Name:    "home",
	Value:   defaultHome(),
	EnvVars: []string{"VERITENSOR_HOME"},
	Usage:   "home directory: node config and data, and the keyring in <home>/keys",
}

// nodeFlag is the CometBFT RPC address of the node to talk to.
var nodeFlag = &cli.StringFlag{
	Name:    "node",
	Value:   "tcp://127.0.0.1:26657",
	EnvVars: []string{"VERITENSOR_NODE"},
	Usage:   "CometBFT RPC address of the node",
}

// timeoutFlag bounds a client command.
var timeoutFlag = &cli.DurationFlag{
	Name:  "timeout",
	Value: 30 * time.Second,
	Usage: "give up after this long",
}

// keyring opens <--home>/keys.
func keyring(c *cli.Context) *keys.Keyring { return keys.Open(c.String("home")) }

// cmdContext is the command's context bounded by --timeout.
func cmdContext(c *cli.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Context, c.Duration("timeout"))
}

// runQuery is a query command's body: it dials --node, runs q within
// --timeout, and renders the result (JSON for -o json, else text). q may
// be a method expression such as (*client.Client).Supply.
func runQuery[T any](c *cli.Context, q func(*client.Client, context.Context) (T, error), text func(io.Writer, T) error) error {
	cl, ctx, cancel, err := dial(c)
	if err != nil {
		return err
	}
	defer cancel()
	v, err := q(cl, ctx)
	var te *chain.TxError
	if errors.As(err, &te) {
		return &queryRefused{te}
	}
	if err != nil {
		return err
	}
	return render(c, v, func(w io.Writer) error { return text(w, v) })
}

// queryRefused is a query the node answered with an error code: the
// chain's TxError says "tx rejected", which is wrong for a query.
type queryRefused struct{ err *chain.TxError }

func (e *queryRefused) Error() string {
	return fmt.Sprintf("%s (query answered with code %d)", e.err.Log, e.err.Code)
}

func (e *queryRefused) Unwrap() error { return e.err }

// subnetQuery is runQuery for a command whose nargs arguments start with a
// subnet ID, parsed (and the count checked) before dialing. q may be a
// method expression such as (*client.Client).Epoch.
func subnetQuery[T any](c *cli.Context, nargs int, q func(*client.Client, context.Context, uint16) (T, error), text func(io.Writer, T) error) error {
	if c.NArg() != nargs {
		return fmt.Errorf("want %d argument(s): %s", nargs, c.Command.ArgsUsage)
	}
	id, err := strconv.ParseUint(c.Args().First(), 10, 16)
	if err != nil {
		return fmt.Errorf("subnet ID %q is not a number in 0..65535", c.Args().First())
	}
	return runQuery(c, func(cl *client.Client, ctx context.Context) (T, error) { return q(cl, ctx, uint16(id)) }, text)
}
