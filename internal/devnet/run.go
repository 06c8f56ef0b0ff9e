package devnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain/client"
)

// ErrTimeout reports a devnet that did not reach its paying epochs within
// Options.Timeout; Run still returns what it measured.
var ErrTimeout = errors.New("devnet: timed out")

// Run runs the devnet in o.Home until o.Epochs epochs have paid miners
// from revealed weights, printing live progress to progress (one line a
// second, plus one per tempo scored and per epoch closed), then stops every
// daemon and node and returns the outcome. When ctx ends (Ctrl-C) it stops
// everything the same way and returns ctx's error; on ErrTimeout it also
// returns the partial result.
//
// Its stages, a file each: setup (options, home, models: setup.go), start
// (nodes, subnet, then the daemons: start.go), wait (for blocks, for every
// node to execute the registrations, for every miner to serve: start.go),
// run (watch the chain until the epochs are paid: monitor.go), report
// (read the outcome from every node: report.go) and cleanup (stop the
// daemons, the explorer and the nodes, in that order: below).
func Run(ctx context.Context, o Options, progress io.Writer) (*Result, error) {
	r, err := setup(o, progress)
	if err != nil {
		return nil, err
	}
	defer r.cleanup()
	if err := r.startChain(ctx); err != nil {
		return nil, stopErr(ctx, err)
	}
	rctx, rcancel := context.WithTimeout(ctx, r.o.Timeout)
	defer rcancel()
	if err := r.startDaemons(rctx); err != nil {
		return nil, stopErr(ctx, err)
	}
	runErr := r.run(rctx)
	r.t.close()
	r.stopDaemons()
	if runErr != nil && ctx.Err() != nil {
		r.say("interrupted: daemons stopped, stopping the nodes")
		return nil, ctx.Err()
	}
	if runErr != nil && !errors.Is(runErr, ErrTimeout) {
		return nil, runErr
	}
	res, err := r.report()
	if err != nil {
		return nil, err
	}
	return res, runErr
}

// runner is one Run, filled in stage by stage.
type runner struct {
	o     Options
	begin time.Time
	pw    *syncWriter
	log   *slog.Logger // the daemons' (discarded unless Options.Verbose)

	// setup
	s       *state
	resumed bool
	ms      *Models
	// start
	cl          *cluster
	c           *client.Client // every node, node 0 first (failover)
	t           *tally
	uidOf       map[int]uint16 // miner index to UID
	d           *daemons
	stopDaemons func() // stops the daemons and waits for them; idempotent
	startHeight int64
	ctl         *Control // Options.Chaos's, nil without
	// run
	acc *accounts
	// side is the proof-less subnet (Options.ProoflessSubnet; proofless.go),
	// nil without one.
	side *side

	cleanups []func() // run last first by cleanup
}

// say prints one progress line.
func (r *runner) say(f string, a ...any) { fmt.Fprintf(r.pw, f+"\n", a...) }

// onCleanup registers f to run at cleanup, before what was registered
// earlier.
func (r *runner) onCleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// cleanup stops what the stages started, last started first: the daemons,
// then the explorer, then the nodes.
func (r *runner) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}

// run watches the chain until o.Epochs epochs have paid miners, a daemon
// fails or rctx ends.
// A fault schedule (Options.Chaos) runs alongside; it is told to finish
// when the epochs are paid and waited for (it restarts what it stopped).
func (r *runner) run(rctx context.Context) error {
	done := make(chan struct{})
	cctx, stopChaos := context.WithCancel(rctx)
	defer stopChaos()
	if r.ctl != nil {
		go func() {
			defer close(done)
			r.o.Chaos(cctx, r.ctl)
		}()
	} else {
		close(done)
	}
	r.acc = &accounts{emission: map[uint16]uint64{}, proofs: map[uint16]int{}}
	mon := &monitor{c: r.c, s: r.s, acc: r.acc, startHeight: r.startHeight, epochs: r.o.Epochs, say: r.say}
	err := mon.run(rctx, r.d.errs)
	if err == nil && r.side != nil {
		err = r.side.wait(rctx, r.o.Epochs, r.d.errs)
	}
	stopChaos()
	<-done
	return err
}

// stopErr prefers the caller's cancellation over the error it caused.
func stopErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// syncWriter serialises the progress lines of concurrent goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
