package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/veritensor/veritensor/chain/client"
)

// defaultRPCPort is CometBFT's RPC port unless a node's config says otherwise.
const defaultRPCPort = "26657"

// ErrNoNode reports that nothing answering as a CometBFT RPC was found at --node.
var ErrNoNode = errors.New("no CometBFT RPC")

// checkNodeAddr rejects a --node address the RPC client could not use,
// saying what a good one looks like: [tcp|http|https]://HOST:PORT or
// unix://PATH.
func checkNodeAddr(addr string) error {
	hint := "want tcp://HOST:PORT (the RPC port is " + defaultRPCPort + " by default)"
	if addr == "" {
		return fmt.Errorf("--node is empty: %s", hint)
	}
	full := addr
	if !strings.Contains(full, "://") {
		full = "tcp://" + full
	}
	u, err := url.Parse(full)
	if err != nil {
		return fmt.Errorf("--node %q is not an address: %s", addr, hint)
	}
	switch u.Scheme {
	case "unix":
		return nil
	case "tcp", "http", "https":
	default:
		return fmt.Errorf("--node %q: unknown scheme %q: %s", addr, u.Scheme, hint)
	}
	if u.Port() == "" {
		return fmt.Errorf("--node %q has no port: %s", addr, hint)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("--node %q has no host: %s", addr, hint)
	}
	return nil
}

// nodeError explains why nothing at addr answered as a CometBFT RPC: the
// transport's own errors (connection refused, malformed HTTP response, a
// JSON decoding error) mean little to an operator.
func nodeError(addr string, timeout time.Duration, err error) error {
	why := "what answers there is not a CometBFT RPC"
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		why = fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &dns):
		why = "host " + dns.Name + " not found"
	case errors.As(err, &op) && op.Op == "dial":
		why = "nothing listens there (" + op.Err.Error() + ")"
	}
	return fmt.Errorf("%w at %s: %s; is the node running, and is this its RPC address? The RPC port is %s by default (--node tcp://127.0.0.1:%s)",
		ErrNoNode, addr, why, defaultRPCPort, defaultRPCPort)
}

// dial connects to --node, checks that a CometBFT RPC answers there (its
// status, which also caches the chain ID) and returns the command's context
// bounded by --timeout; the caller defers cancel.
func dial(c *cli.Context) (*client.Client, context.Context, context.CancelFunc, error) {
	addr := c.String("node")
	if err := checkNodeAddr(addr); err != nil {
		return nil, nil, nil, err
	}
	cl, err := client.New(addr)
	if err != nil {
		return nil, nil, nil, nodeError(addr, c.Duration("timeout"), err)
	}
	ctx, cancel := cmdContext(c)
	if _, err := cl.ChainID(ctx); err != nil {
		cancel()
		return nil, nil, nil, nodeError(addr, c.Duration("timeout"), err)
	}
	return cl, ctx, cancel, nil
}

// checkDaemonNode is the daemons' start-up check of their node address: a
// malformed address, or something that answers but is not a CometBFT RPC
// (a wrong port), is an error at once; nothing listening (the node may be
// starting) is left to the daemon, which waits and retries. A malformed
// address wraps configErr, the daemon's config error.
func checkDaemonNode(ctx context.Context, addr string, configErr error) error {
	if addr == "" {
		return nil // the daemon's config check names it
	}
	if err := checkNodeAddr(addr); err != nil {
		return fmt.Errorf("%w: %w", configErr, err)
	}
	cl, err := client.New(addr)
	if err != nil {
		return nodeError(addr, 0, err)
	}
	const probe = 5 * time.Second
	ctx, cancel := context.WithTimeout(ctx, probe)
	defer cancel()
	_, err = cl.ChainID(ctx)
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case err == nil, errors.As(err, &op) && op.Op == "dial", errors.As(err, &dns),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return nil
	}
	return nodeError(addr, probe, err)
}
