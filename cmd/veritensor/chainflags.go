package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

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

// chainClient connects to --node.
func chainClient(c *cli.Context) (*client.Client, error) { return client.New(c.String("node")) }

// keyring opens <--home>/keys.
func keyring(c *cli.Context) *keys.Keyring { return keys.Open(c.String("home")) }

// cmdContext is the command's context bounded by --timeout.
func cmdContext(c *cli.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Context, c.Duration("timeout"))
}
