package validator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/zk"
)

// ErrNotReady reports a permanent condition found at start-up that the
// operator must fix (the message says how): the subnet does not exist, the
// hotkey holds no UID or no validator permit once the wait is over, or the
// dataset does not fit the subnet's task.
var ErrNotReady = errors.New("validator: cannot validate")

// subnetWait bounds the wait for a missing subnet: a subnet created through
// another node reaches this one within a block or two.
const subnetWait = 10 * time.Second

// WaitReady checks, before the engine starts, that it can do its job: the
// subnet exists, the dataset's samples fit the task's input, and hotkey
// holds a UID with a validator permit. A registration or stake sent through
// another node may not have been executed by this one yet, so it waits (up
// to wait, logging once what it waits for and polling every poll) for the
// registration and the permit to appear. Chain errors other than "not
// found" are transient and retried until ctx ends. It returns the snapshot
// it saw ready, or an error wrapping ErrNotReady with the fix.
func WaitReady(ctx context.Context, c Chain, subnet uint16, hotkey [32]byte, ds Dataset, wait, poll time.Duration, log *slog.Logger) (Snapshot, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	logged := ""
	say := func(what string, args ...any) {
		if what != logged {
			log.Info(what, append(args, "up to", wait)...)
			logged = what
		}
	}
	for {
		snap, err := c.Snapshot(ctx)
		switch {
		case ctx.Err() != nil:
			return Snapshot{}, ctx.Err()
		case errors.Is(err, chain.ErrSubnetNotFound):
			if time.Since(start) >= min(wait, subnetWait) {
				return Snapshot{}, fmt.Errorf("%w: subnet %d does not exist on this chain: check --subnet "+
					"(`veritensor query subnets` lists them) or create it (docs/create-a-subnet.md)", ErrNotReady, subnet)
			}
			say("waiting for the subnet to appear on the node", "subnet", subnet)
		case errors.Is(err, ErrConfig):
			return Snapshot{}, err
		case err != nil:
			log.Warn("reading the metagraph; retrying", "err", err, "in", poll)
		default:
			if err := checkDataset(snap, ds); err != nil {
				return Snapshot{}, err
			}
			var me *Neuron
			for i := range snap.Neurons {
				if snap.Neurons[i].Hotkey == hotkey {
					me = &snap.Neurons[i]
				}
			}
			switch {
			case me != nil && me.ValidatorPermit:
				if logged != "" {
					log.Info("registration found; starting", "uid", me.UID, "waited", time.Since(start).Round(time.Millisecond))
				}
				return snap, nil
			case time.Since(start) >= wait && me == nil:
				return Snapshot{}, fmt.Errorf("%w: hotkey %x holds no UID on subnet %d after waiting %s: register it "+
					"(`veritensor tx register --subnet %d ...`, docs/run-a-validator.md) or check --hotkey and --node",
					ErrNotReady, hotkey[:8], subnet, wait, subnet)
			case time.Since(start) >= wait:
				return Snapshot{}, fmt.Errorf("%w: uid %d (hotkey %x) has no validator permit on subnet %d after waiting %s: "+
					"its stake %d is below the subnet's min_validator_stake or outside the top max_validators; "+
					"stake more (`veritensor tx stake`, docs/run-a-validator.md)", ErrNotReady, me.UID, hotkey[:8], subnet, wait, me.Stake)
			case me == nil:
				say("waiting for the hotkey's registration to reach the node", "subnet", subnet, "hotkey", fmt.Sprintf("%x", hotkey[:8]))
			default:
				say("waiting for a validator permit (stake) to reach the node", "subnet", subnet, "uid", me.UID, "stake", me.Stake)
			}
		}
		if sleep(ctx, poll) != nil {
			return Snapshot{}, ctx.Err()
		}
	}
}

// checkDataset: the held-out samples must fit the subnet's task input.
func checkDataset(snap Snapshot, ds Dataset) error {
	arch, err := zk.ParseArch(snap.Subnet.Arch)
	if err != nil {
		return fmt.Errorf("%w: subnet %d task %q: %v", ErrNotReady, snap.Subnet.ID, snap.Subnet.Arch, err)
	}
	if ds == nil || ds.Len() == 0 {
		return nil
	}
	if x, _ := ds.Sample(0); len(x) != arch.Inputs() {
		hint := ""
		if fit, err := task.ForArch(arch.String()); err == nil {
			hint = fmt.Sprintf(" (use --dataset %s)", fit.Name)
		}
		return fmt.Errorf("%w: the dataset's samples have %d inputs but subnet %d's task %s takes %d%s",
			ErrNotReady, len(x), snap.Subnet.ID, snap.Subnet.Arch, arch.Inputs(), hint)
	}
	return nil
}
