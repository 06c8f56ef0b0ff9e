package devnet

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/validator"
)

// startChain starts the nodes (and the explorer), waits for blocks,
// creates the subnet with its ceremony and registrations (ensureSubnet),
// and waits until every node has executed them.
func (r *runner) startChain(ctx context.Context) error {
	s := r.s
	r.cl = &cluster{homes: nodeHomes(filepath.Join(r.o.Home, "chain"), s.Nodes)}
	if err := assignPorts(r.cl.homes); err != nil {
		return err
	}
	if err := r.cl.start(node.Options{}); err != nil {
		return err
	}
	r.onCleanup(r.cl.stop)
	var rpcs []string
	for i := range r.cl.nodes {
		rpcs = append(rpcs, r.cl.rpc(i))
	}
	r.say("%d CometBFT nodes on loopback, RPC %s", s.Nodes, strings.Join(rpcs, " "))
	if r.o.Explorer != "" {
		url, stop, err := startExplorer(ctx, r.o.Explorer, rpcs)
		if err != nil {
			return err
		}
		r.onCleanup(stop)
		r.say("explorer: %s (while the devnet runs)", url)
	}
	if err := r.waitNodes(ctx, func(wctx context.Context) error { return r.cl.waitHeight(wctx, 2) }); err != nil {
		return fmt.Errorf("devnet: the nodes make no blocks: %w", err)
	}
	// Every node, node 0 first: the monitor fails over when a fault
	// schedule (Options.Chaos) stops node 0.
	var err error
	if r.c, err = client.New(r.cl.allNodes(0)); err != nil {
		return err
	}
	// The ceremony's own time is not bounded (minutes for 784-64-10): only
	// Ctrl-C stops it.
	if err := ensureSubnet(ctx, r.c, s, r.o.Home, r.say); err != nil {
		return err
	}
	if r.side, err = ensureProofless(ctx, r.c, s, &r.o, r.say); err != nil {
		return err
	}
	// Every daemon follows its own node: wait until every node has
	// executed the registrations and stakes node 0 has, so no daemon asks
	// a node that has not seen its UID yet.
	err = r.waitNodes(ctx, func(wctx context.Context) error {
		h, err := r.c.Height(wctx)
		if err != nil {
			return err
		}
		return r.cl.waitHeight(wctx, int64(h))
	})
	if err != nil {
		return fmt.Errorf("devnet: waiting for every node to execute the registrations: %w", err)
	}
	return nil
}

// nodeWait bounds each wait on the nodes (blocks, registrations). Each wait
// gets its own: a bound shared with the ceremony in between (an earlier
// version) ran out on a busy machine before the second wait began.
const nodeWait = 2 * time.Minute

// waitNodes runs one wait on the nodes, bounded by nodeWait.
func (r *runner) waitNodes(ctx context.Context, wait func(context.Context) error) error {
	wctx, cancel := context.WithTimeout(ctx, nodeWait)
	defer cancel()
	return wait(wctx)
}

// startDaemons starts the miners, waits until every one serves, then
// starts the validators; the daemons run until rctx ends or stopDaemons.
func (r *runner) startDaemons(rctx context.Context) error {
	s := r.s
	r.t = &tally{miners: map[uint16]*MinerResult{}, tempos: map[int]int{}}
	r.uidOf = map[int]uint16{}
	for i, m := range s.Miners {
		r.t.miners[m.UID] = &MinerResult{UID: m.UID, Behavior: m.Behavior}
		r.uidOf[i] = m.UID
	}
	dctx, cancel := context.WithCancel(rctx)
	r.d = &daemons{errs: make(chan error, 2*(len(s.Miners)+len(s.Validators)+sideDaemons(s)))}
	var once sync.Once
	r.stopDaemons = func() {
		once.Do(func() {
			cancel()
			r.d.wg.Wait()
		})
	}
	r.onCleanup(r.stopDaemons)
	if r.o.Chaos != nil {
		r.ctl = &Control{d: r.d, cl: r.cl, Nodes: len(r.cl.homes), Validators: len(s.Validators), Miners: len(s.Miners),
			Events: make(chan Event, 256)}
		for _, m := range s.Miners {
			r.ctl.Behaviors = append(r.ctl.Behaviors, m.Behavior)
		}
	}
	ready := make(chan int, len(s.Miners))
	onReady := func(i int, addr string) {
		r.say("miner uid %d (%s) serving on %s", r.uidOf[i], s.Miners[i].Behavior, addr)
		r.ctl.send(Event{Validator: -1, Miner: i, Ready: addr})
		select {
		case ready <- i:
		default: // a restarted miner (Options.Chaos)
		}
	}
	if err := startMiners(dctx, r.d, &r.o, s, r.cl, r.ms, r.log, onReady, r.onEpoch); err != nil {
		return err
	}
	// Validators start once every miner serves (and knows the validators'
	// permits): a tempo scored earlier would count miners still loading
	// their proving keys as failures.
	for range s.Miners {
		select {
		case <-ready:
		case err := <-r.d.errs:
			return err
		case <-rctx.Done():
			return fmt.Errorf("%w: waiting for the miners to serve", ErrTimeout)
		}
	}
	if err := waitFreshTempo(rctx, r.c, s.Subnet, r.say); err != nil {
		return err
	}
	if err := startValidators(dctx, r.d, &r.o, s, r.cl, r.log, r.onReport); err != nil {
		return err
	}
	var err error
	if r.startHeight, err = r.c.Height(rctx); err != nil {
		return err
	}
	if r.side != nil {
		if err := r.side.start(dctx, r.d, &r.o, r.cl, r.ms, r.log, r.say); err != nil {
			return err
		}
		go r.side.watch(dctx, r.c, r.startHeight, r.say)
	}
	batch := ""
	if s.Batch != 0 {
		batch = fmt.Sprintf(", in one /v2/infer batch of %d", s.Batch)
	}
	r.say("daemons started at height %d: %d validators (%d graded + %d decoy challenges per miner per tempo%s), %d miners",
		r.startHeight, len(s.Validators), r.o.Graded, r.o.Decoys, batch, len(s.Miners))
	return nil
}

// onReport tallies validator j's tempo report and prints it.
func (r *runner) onReport(j int, rep *validator.Report) {
	r.ctl.send(Event{Validator: j, Miner: -1, Report: rep})
	if !r.t.report(j, rep) {
		return
	}
	line := fmt.Sprintf("epoch %d: validator uid %d challenged %d miners in %.1f s; weights %s %s",
		rep.Epoch, r.s.Validators[j].UID, len(rep.Miners), float64(rep.DurationMs)/1000, rep.Submit.Kind, rep.Submit.Status)
	if rep.Reveal != nil {
		line += fmt.Sprintf(", epoch %d's %s", rep.Reveal.Epoch, rep.Reveal.Status)
	}
	if rep.Submit.Reason != "" {
		line += " (" + rep.Submit.Reason + ")"
	}
	r.say("%s", line)
}

// onEpoch prints an honest miner's epoch proof that did not land.
func (r *runner) onEpoch(i int, res miner.EpochResult) {
	r.ctl.send(Event{Validator: -1, Miner: i, Epoch: &res})
	b := r.s.Miners[i].Behavior
	if res.Outcome == miner.Failed && !b.Cheater() {
		r.say("epoch %d: %s miner uid %d: proof of model did not land: %v", res.Epoch, b, r.uidOf[i], res.Err)
	}
}

// waitFreshTempo returns once the subnet's current epoch has at least half
// its blocks ahead, waiting for the next epoch otherwise. Validators started
// in an epoch's last blocks reach only the miners that answer first (the
// rest are cut off by the validators' own deadline, i.e. skipped), and a
// commit from such a tempo gives those few every weight, since new miners
// have no score yet to keep: the demo once paid the weak miner a whole
// epoch's incentive that way.
func waitFreshTempo(ctx context.Context, c *client.Client, subnet uint16, say func(string, ...any)) error {
	e, err := c.Epoch(ctx, subnet)
	if err != nil {
		return err
	}
	if e.NextEpochHeight > e.Height && 2*(e.NextEpochHeight-e.Height) >= e.Tempo {
		return nil
	}
	say("epoch %d has %d of %d blocks left; the validators start with epoch %d", e.Epoch, e.NextEpochHeight-e.Height, e.Tempo, e.Epoch+1)
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for epoch %d", ErrTimeout, e.Epoch+1)
		case <-time.After(200 * time.Millisecond):
		}
		n, err := c.Epoch(ctx, subnet)
		if err == nil && n.Epoch > e.Epoch {
			return nil
		}
	}
}
