package devnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/validator"
	"github.com/veritensor/veritensor/zk"
)

// ErrTimeout reports a devnet that did not reach its paying epochs within
// Options.Timeout; Run still returns what it measured.
var ErrTimeout = errors.New("devnet: timed out")

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

// tally accumulates what the validator daemons measured.
type tally struct {
	mu     sync.Mutex
	miners map[uint16]*MinerResult
	tempos map[int]int
	closed bool
}

// report adds a tempo report; it returns false once the tally is closed
// (a tempo cut short by the shutdown is not counted).
func (t *tally) report(j int, r *validator.Report) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.tempos[j]++
	for _, m := range r.Miners {
		mr := t.miners[m.UID]
		if mr == nil {
			continue // the other validator
		}
		mr.Graded += m.Graded
		mr.Correct += m.Correct
		mr.ProofsValid += m.Valid
		mr.ProofsInvalid += m.Invalid
		mr.Failed += m.Failed
	}
	return true
}

func (t *tally) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

// Run runs the devnet in o.Home until o.Epochs epochs have paid miners
// from revealed weights, printing live progress to progress (one line a
// second, plus one per tempo scored and per epoch closed), then stops every
// daemon and node and returns the outcome. When ctx ends (Ctrl-C) it stops
// everything the same way and returns ctx's error; on ErrTimeout it also
// returns the partial result.
func Run(ctx context.Context, o Options, progress io.Writer) (*Result, error) {
	begin := time.Now()
	challengesSet := o.Graded != 0 || o.Decoys != 0
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	pw := &syncWriter{w: progress}
	say := func(f string, a ...any) { fmt.Fprintf(pw, f+"\n", a...) }
	if err := os.MkdirAll(o.Home, 0o755); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	s, err := loadState(o.Home)
	if err != nil {
		return nil, err
	}
	resumed := s != nil
	if resumed {
		say("resuming the devnet in %s: %d nodes, subnet %d (%s, tempo %d), %d miners (the home's settings win over flags)",
			o.Home, s.Nodes, s.Subnet, s.Arch, s.Tempo, len(s.Miners))
	} else {
		if s, err = newDevnet(&o); err != nil {
			return nil, err
		}
		say("new devnet in %s: %d nodes, %d scoring validators, miners %s", o.Home, s.Nodes, ScoringValidators, behaviorList(s.Miners))
	}
	o.Arch = s.Arch
	if !challengesSet { // the defaults of the devnet's architecture, not the flag's
		o.Graded, o.Decoys = DefaultChallenges(s.Arch)
	}

	ms, err := LoadModels(filepath.Join(o.Home, "models"), s.Arch, o.MNISTDir, pw)
	if err != nil {
		return nil, err
	}
	say("models: good %.1f%%, weak %.1f%% on the MNIST test set", 100*ms.GoodAccuracy, 100*ms.WeakAccuracy)
	if _, err := zk.ParseArch(s.Arch); err != nil {
		return nil, err
	}

	cl := &cluster{homes: nodeHomes(filepath.Join(o.Home, "chain"), s.Nodes)}
	if err := assignPorts(cl.homes); err != nil {
		return nil, err
	}
	if err := cl.start(node.Options{}); err != nil {
		return nil, err
	}
	defer cl.stop()
	var rpcs []string
	for i := range cl.nodes {
		rpcs = append(rpcs, cl.rpc(i))
	}
	say("%d CometBFT nodes on loopback, RPC %s", s.Nodes, strings.Join(rpcs, " "))
	if o.Explorer != "" {
		url, stop, err := startExplorer(ctx, o.Explorer, rpcs)
		if err != nil {
			return nil, err
		}
		defer stop()
		say("explorer: %s (while the devnet runs)", url)
	}
	sctx, scancel := context.WithTimeout(ctx, 2*time.Minute)
	defer scancel()
	if err := cl.waitHeight(sctx, 2); err != nil {
		return nil, stopErr(ctx, fmt.Errorf("devnet: the nodes make no blocks: %w", err))
	}
	// Every node, node 0 first: the monitor fails over when a fault
	// schedule stops node 0.
	c, err := client.New(cl.allNodes(0))
	if err != nil {
		return nil, err
	}
	// The ceremony's own time is not bounded by sctx (minutes for
	// 784-64-10): only Ctrl-C stops it.
	if err := ensureSubnet(ctx, c, s, o.Home, say); err != nil {
		return nil, stopErr(ctx, err)
	}
	// A fresh bound after the ceremony (which can outlast the first one).
	sctx, scancel = context.WithTimeout(ctx, 2*time.Minute)
	defer scancel()
	// Every daemon follows its own node: wait until every node has
	// executed the registrations and stakes node 0 has, so no daemon asks
	// a node that has not seen its UID yet.
	if h, err := c.Height(sctx); err != nil {
		return nil, stopErr(ctx, err)
	} else if err := cl.waitHeight(sctx, int64(h)); err != nil {
		return nil, stopErr(ctx, fmt.Errorf("devnet: waiting for every node to execute the registrations: %w", err))
	}

	t := &tally{miners: map[uint16]*MinerResult{}, tempos: map[int]int{}}
	uidOf := map[int]uint16{}
	for i, m := range s.Miners {
		t.miners[m.UID] = &MinerResult{UID: m.UID, Behavior: m.Behavior}
		uidOf[i] = m.UID
	}
	log := slog.New(slog.DiscardHandler)
	if o.Verbose {
		log = slog.New(slog.NewTextHandler(pw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	rctx, rcancel := context.WithTimeout(ctx, o.Timeout)
	defer rcancel()
	dctx, stopDaemons := context.WithCancel(rctx)
	d := &daemons{errs: make(chan error, 2*(len(s.Miners)+len(s.Validators)))}
	var once sync.Once
	stopAll := func() {
		once.Do(func() {
			stopDaemons()
			d.wg.Wait()
		})
	}
	defer stopAll()
	var ctl *Control
	if o.Chaos != nil {
		ctl = &Control{d: d, cl: cl, Nodes: len(cl.homes), Validators: len(s.Validators), Miners: len(s.Miners),
			Events: make(chan Event, 256)}
		for _, m := range s.Miners {
			ctl.Behaviors = append(ctl.Behaviors, m.Behavior)
		}
	}
	onReport := func(j int, r *validator.Report) {
		ctl.send(Event{Validator: j, Miner: -1, Report: r})
		if !t.report(j, r) {
			return
		}
		line := fmt.Sprintf("epoch %d: validator uid %d challenged %d miners in %.1f s; weights %s %s",
			r.Epoch, s.Validators[j].UID, len(r.Miners), float64(r.DurationMs)/1000, r.Submit.Kind, r.Submit.Status)
		if r.Reveal != nil {
			line += fmt.Sprintf(", epoch %d's %s", r.Reveal.Epoch, r.Reveal.Status)
		}
		if r.Submit.Reason != "" {
			line += " (" + r.Submit.Reason + ")"
		}
		say("%s", line)
	}
	onEpoch := func(i int, r miner.EpochResult) {
		ctl.send(Event{Validator: -1, Miner: i, Epoch: &r})
		b := s.Miners[i].Behavior
		if r.Outcome == miner.Failed && !b.Cheater() {
			say("epoch %d: %s miner uid %d: proof of model did not land: %v", r.Epoch, b, uidOf[i], r.Err)
		}
	}
	ready := make(chan int, len(s.Miners))
	onReady := func(i int, addr string) {
		say("miner uid %d (%s) serving on %s", uidOf[i], s.Miners[i].Behavior, addr)
		ctl.send(Event{Validator: -1, Miner: i, Ready: addr})
		select {
		case ready <- i:
		default: // a restarted miner (Options.Chaos)
		}
	}
	if err := startMiners(dctx, d, &o, s, cl, ms, log, onReady, onEpoch); err != nil {
		return nil, err
	}
	// Validators start once every miner serves (and knows the validators'
	// permits): a tempo scored earlier would count miners still loading
	// their proving keys as failures.
	for range s.Miners {
		select {
		case <-ready:
		case err := <-d.errs:
			return nil, stopErr(ctx, err)
		case <-rctx.Done():
			return nil, stopErr(ctx, fmt.Errorf("%w: waiting for the miners to serve", ErrTimeout))
		}
	}
	if err := startValidators(dctx, d, &o, s, cl, log, onReport); err != nil {
		return nil, err
	}
	startHeight, err := c.Height(rctx)
	if err != nil {
		return nil, stopErr(ctx, err)
	}
	say("daemons started at height %d: %d validators (%d graded + %d decoy challenges per miner per tempo), %d miners",
		startHeight, len(s.Validators), o.Graded, o.Decoys, len(s.Miners))

	chaosDone := make(chan struct{})
	cctx, stopChaos := context.WithCancel(rctx)
	defer stopChaos()
	if ctl != nil {
		go func() {
			defer close(chaosDone)
			o.Chaos(cctx, ctl)
		}()
	} else {
		close(chaosDone)
	}
	acc := &accounts{emission: map[uint16]uint64{}, proofs: map[uint16]int{}}
	mon := &monitor{c: c, s: s, acc: acc, startHeight: startHeight, epochs: o.Epochs, say: say}
	runErr := mon.run(rctx, d.errs)
	stopChaos()
	<-chaosDone // the schedule restarts what it stopped before it returns
	t.close()
	stopAll()
	if runErr != nil && ctx.Err() != nil {
		say("interrupted: daemons stopped, stopping the nodes")
		return nil, ctx.Err()
	}
	if runErr != nil && !errors.Is(runErr, ErrTimeout) {
		return nil, runErr
	}
	fctx, fcancel := context.WithTimeout(context.Background(), time.Minute)
	defer fcancel()
	res, err := collect(fctx, cl, s, t, acc, startHeight)
	if err != nil {
		return nil, err
	}
	res.GoodAccuracy, res.WeakAccuracy, res.Resumed = ms.GoodAccuracy, ms.WeakAccuracy, resumed
	if cs, err := ceremonySummary(fctx, c, s.Subnet); err == nil {
		res.Ceremony = cs
	}
	res.Seconds = time.Since(begin).Seconds()
	say("done: %d epochs paid, nodes stopping", res.PaidEpochs)
	return res, runErr
}

// stopErr prefers the caller's cancellation over the error it caused.
func stopErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func behaviorList(ms []member) string {
	var b []string
	for _, m := range ms {
		b = append(b, string(m.Behavior))
	}
	return strings.Join(b, ",")
}

// accounts sums the epoch records closed during the run.
type accounts struct {
	emission   map[uint16]uint64
	proofs     map[uint16]int
	last       *chain.EpochRecord
	epochs     int
	paid       int
	first      uint64
	lastEpoch  uint64
	haveRecord bool
}

func (a *accounts) add(rec chain.EpochRecord, miners []member) bool {
	paid := false
	isMiner := map[uint16]bool{}
	for _, m := range miners {
		isMiner[m.UID] = true
	}
	for _, n := range rec.Neurons {
		a.emission[n.UID] += n.Emission
		if n.ProofOK {
			a.proofs[n.UID]++
		}
		if isMiner[n.UID] && n.MinerEmission > 0 {
			paid = true
		}
	}
	if !a.haveRecord {
		a.first = rec.Epoch
	}
	a.haveRecord, a.lastEpoch, a.last = true, rec.Epoch, &rec
	a.epochs++
	if paid {
		a.paid++
	}
	return paid
}

// monitor polls the chain once a second and prints progress.
type monitor struct {
	c           *client.Client
	s           *state
	acc         *accounts
	startHeight int64
	epochs      int
	say         func(string, ...any)
}

func (m *monitor) run(ctx context.Context, errs <-chan error) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lastHeight uint64
	seen := int64(-1)
	for m.acc.paid < m.epochs {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w: %d of %d epochs paid", ErrTimeout, m.acc.paid, m.epochs)
			}
			return ctx.Err()
		case err := <-errs:
			return err
		case <-tick.C:
		}
		mg, err := m.c.Metagraph(ctx, m.s.Subnet)
		if err != nil {
			continue
		}
		rec, err := m.c.Emissions(ctx, m.s.Subnet)
		if err == nil && int64(rec.Block) > m.startHeight && int64(rec.Epoch) != seen {
			if seen >= 0 && int64(rec.Epoch) != seen+1 {
				m.say("note: epochs %d-%d closed between two polls; their records were not read", seen+1, rec.Epoch-1)
			}
			seen = int64(rec.Epoch)
			paid := m.acc.add(rec, m.s.Miners)
			m.say("%s", m.recordLine(rec, paid))
		}
		if mg.Epoch.Height == lastHeight {
			continue
		}
		lastHeight = mg.Epoch.Height
		proofs := 0
		for _, n := range mg.Neurons {
			if n.ProofOK {
				proofs++
			}
		}
		committed, revealed := 0, 0
		if w, err := m.c.Weights(ctx, m.s.Subnet); err == nil {
			for _, cm := range w.Commits {
				if cm.Epoch == mg.Epoch.Epoch {
					committed++
				}
			}
			for _, r := range w.Rows {
				if r.Epoch == mg.Epoch.Epoch {
					revealed++
				}
			}
		}
		e := mg.Epoch
		m.say("height %d  epoch %d [%d/%d]  proofs verified on chain %d/%d  weights committed %d revealed %d  paid epochs %d/%d",
			e.Height, e.Epoch, e.Height-e.StartHeight+1, e.Tempo, proofs, len(m.s.Miners), committed, revealed, m.acc.paid, m.epochs)
	}
	return nil
}

func (m *monitor) recordLine(rec chain.EpochRecord, paid bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d closed at block %d: emission %d, %d proofs", rec.Epoch, rec.Block, rec.Emission, rec.Proofs)
	if !paid {
		b.WriteString(", no miner paid yet (weights are revealed the epoch after they are committed)")
		return b.String()
	}
	b.WriteString("; paid")
	for _, n := range rec.Neurons {
		if n.Emission > 0 {
			fmt.Fprintf(&b, " uid%d=%d", n.UID, n.Emission)
		}
	}
	return b.String()
}

// fixedFrac is a Q32.32 fraction of a query answer, written in JSON as the
// shortest decimal that reads back as it (validator.Frac).
func fixedFrac(v uint64) validator.Frac { return validator.Frac(v) }

// collect reads the final state from every node.
func collect(ctx context.Context, cl *cluster, s *state, t *tally, acc *accounts, startHeight int64) (*Result, error) {
	res := &Result{ChainID: s.ChainID, Subnet: s.Subnet, Arch: s.Arch, Tempo: s.Tempo, Nodes: s.Nodes,
		StartHeight: startHeight, Epochs: acc.epochs, PaidEpochs: acc.paid, FirstEpoch: acc.first, LastEpoch: acc.lastEpoch,
		GenesisSupply: s.GenesisSupply}
	// Heights are compared one below the lowest node height: a node stores
	// a height's results after executing it.
	top := cl.minHeight()
	if err := cl.waitHeight(ctx, top+1); err != nil {
		return nil, err
	}
	res.Height = top
	res.AppHashesAgree = true
	for h := max(startHeight, 1); h <= top; h++ {
		ok, hashes, err := cl.appHashesAgree(h)
		if err != nil {
			return nil, err
		}
		res.AppHashes = hashes
		if !ok {
			res.AppHashesAgree = false
			res.Height = h
			break
		}
	}
	res.SupplyConserved = true
	for i := range cl.nodes {
		c, err := cl.client(i)
		if err != nil {
			return nil, err
		}
		tk, err := c.Tokenomics(ctx)
		if err != nil {
			return nil, fmt.Errorf("devnet: node %d tokenomics: %w", i, err)
		}
		if i == 0 {
			res.Tokenomics = tk
		}
		if tk.Supply != s.GenesisSupply+tk.Minted-tk.Burned {
			res.SupplyConserved = false
		}
	}
	c, err := cl.client(0)
	if err != nil {
		return nil, err
	}
	mg, err := c.Metagraph(ctx, s.Subnet)
	if err != nil {
		return nil, err
	}
	stake := map[uint16]uint64{}
	for _, n := range mg.Neurons {
		stake[n.UID] = n.Stake
	}
	last := map[uint16]chain.UIDResult{}
	if acc.last != nil {
		for _, n := range acc.last.Neurons {
			last[n.UID] = n
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range s.Miners {
		mr := *t.miners[m.UID]
		if mr.Graded > 0 {
			a := float64(mr.Correct) / float64(mr.Graded)
			mr.Accuracy = &a
		}
		mr.ChainProofs = acc.proofs[m.UID]
		mr.Incentive = fixedFrac(last[m.UID].Incentive)
		mr.Emission = acc.emission[m.UID]
		res.Miners = append(res.Miners, mr)
	}
	for j, v := range s.Validators {
		res.Validators = append(res.Validators, ValidatorResult{UID: v.UID, Stake: stake[v.UID],
			Dividends: fixedFrac(last[v.UID].Dividends), Emission: acc.emission[v.UID], Tempos: t.tempos[j]})
	}
	sort.Slice(res.Miners, func(i, j int) bool { return res.Miners[i].UID < res.Miners[j].UID })
	return res, nil
}
