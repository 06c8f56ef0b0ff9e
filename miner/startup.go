package miner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/veritensor/veritensor/chain"
)

// registration is what waitRegistered reads (ChainClient implements it).
type registration interface {
	Subnet(ctx context.Context) (chain.SubnetInfo, error)
	Neuron(ctx context.Context) (chain.NeuronInfo, error)
}

// subnetWait bounds the wait for a missing subnet: one created through
// another node reaches this one within a block or two.
const subnetWait = 10 * time.Second

// waitRegistered reads the subnet and the hotkey's UID. A register (or a
// subnet-create) sent through another node may not have been executed by
// the node the miner uses yet, so "not found" is waited out, up to wait
// (10 s for the subnet), with one log line saying what it waits for and a
// read every poll; other errors are transient and retried until ctx ends.
// After the wait it returns ErrNotRegistered, or an error matching
// chain.ErrSubnetNotFound for a subnet that does not exist.
func waitRegistered(ctx context.Context, c registration, wait, poll time.Duration, log *slog.Logger) (chain.SubnetInfo, chain.NeuronInfo, error) {
	if poll <= 0 {
		poll = time.Second
	}
	start := time.Now()
	logged := ""
	say := func(what string) {
		if what != logged {
			log.Info(what, "up to", wait)
			logged = what
		}
	}
	for {
		si, err := c.Subnet(ctx)
		if err == nil {
			var me chain.NeuronInfo
			me, err = c.Neuron(ctx)
			switch {
			case err == nil:
				if logged != "" {
					log.Info("registration found; starting", "uid", me.UID, "waited", time.Since(start).Round(time.Millisecond))
				}
				return si, me, nil
			case errors.Is(err, ErrNotRegistered):
				if time.Since(start) >= wait {
					return si, me, err
				}
				say("waiting for the hotkey's registration to reach the node")
			default:
				log.Warn("reading the registration; retrying", "err", err, "in", poll)
			}
		} else if errors.Is(err, chain.ErrSubnetNotFound) {
			if time.Since(start) >= min(wait, subnetWait) {
				return si, chain.NeuronInfo{}, fmt.Errorf("%w: check --subnet (`veritensor query subnets` lists them)", err)
			}
			say("waiting for the subnet to appear on the node")
		} else {
			log.Warn("reading the subnet; retrying", "err", err, "in", poll)
		}
		select {
		case <-ctx.Done():
			return si, chain.NeuronInfo{}, ctx.Err()
		case <-time.After(poll):
		}
	}
}
