package miner

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
)

// lagging is a node that executes the registration only after a few reads.
type lagging struct {
	reads    atomic.Int32
	after    int32 // reads before the UID appears (never when < 0)
	noSubnet bool
}

func (l *lagging) Subnet(context.Context) (chain.SubnetInfo, error) {
	if l.noSubnet {
		return chain.SubnetInfo{}, &chain.TxError{Code: chain.ErrSubnetNotFound.Code, Log: "subnet_not_found: 1"}
	}
	return chain.SubnetInfo{}, nil
}

func (l *lagging) Neuron(context.Context) (chain.NeuronInfo, error) {
	if n := l.reads.Add(1); l.after < 0 || n <= l.after {
		return chain.NeuronInfo{}, ErrNotRegistered
	}
	var ni chain.NeuronInfo
	ni.UID = 8
	return ni, nil
}

// TestWaitRegisteredRace is issue 12's start-up race (make demo's "miner 6:
// hotkey not registered" right after "registered miner 6 as uid 8"): the
// node has not executed the registration yet. The daemon waits, bounded,
// and proceeds once it lands; it gives up with ErrNotRegistered when it
// never does.
func TestWaitRegisteredRace(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	l := &lagging{after: 3}
	_, me, err := waitRegistered(context.Background(), l, 10*time.Second, 10*time.Millisecond, log)
	if err != nil || me.UID != 8 {
		t.Fatalf("after the registration landed: uid %d, %v", me.UID, err)
	}
	_, _, err = waitRegistered(context.Background(), &lagging{after: -1}, 100*time.Millisecond, 10*time.Millisecond, log)
	if !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("never registered: %v", err)
	}
	_, _, err = waitRegistered(context.Background(), &lagging{noSubnet: true}, 100*time.Millisecond, 10*time.Millisecond, log)
	if !errors.Is(err, chain.ErrSubnetNotFound) {
		t.Fatalf("no subnet: %v", err)
	}
}
