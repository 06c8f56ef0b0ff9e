package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/veritensor/veritensor/internal/devnet"
	"github.com/veritensor/veritensor/validator"
)

// Subnet fault kinds.
const (
	ValidatorCommitReveal = "validator-commit-reveal" // stop a validator daemon after its commit, restart it before its reveal
	MinerMidProof         = "miner-mid-proof"         // stop an honest miner while the validators challenge it, restart it
	NodeUnderValidator    = "node-under-validator"    // stop the node a validator daemon follows; the daemon fails over
)

// SubnetOptions configure a subnet-level run: the devnet (nodes, miner and
// validator daemons, internal/devnet) twice, once fault-free and once under
// the schedule, and their payouts compared.
type SubnetOptions struct {
	Seed int64
	// Arch is the subnet's model (default "49-16-10": fast proofs).
	Arch string
	// Epochs is how many paying epochs each run waits for (default 5; the
	// schedule takes about three).
	Epochs int
	// Behaviors are the miners (default devnet.DefaultBehaviors: honest
	// and weak miners and every kind of cheater).
	Behaviors []devnet.Behavior
	// Timeout bounds each devnet run after its setup (default 15 min).
	Timeout time.Duration
	// Dir holds both devnets' homes (default a temporary directory, removed
	// after a passing run).
	Dir      string
	KeysDir  string
	MNISTDir string
	// Log receives progress lines (default io.Discard).
	Log io.Writer
}

// SubnetFault is one fault of the schedule and what came of it.
type SubnetFault struct {
	Fault  string `json:"fault"`
	Target string `json:"target"`
	// Held is how long the daemon or node was down, s; Recover how long
	// after the restart (or the stop, for a failover) until the check saw
	// it working again, s.
	Held    float64 `json:"held_s"`
	Recover float64 `json:"recover_s"`
	Outcome string  `json:"outcome"`
	OK      bool    `json:"ok"`
}

// PayoutRow compares one neuron's payout in the fault-free and the faulted
// run.
type PayoutRow struct {
	Role      string `json:"role"` // "miner" or "validator"
	UID       uint16 `json:"uid"`
	Behavior  string `json:"behavior,omitempty"`
	FaultFree uint64 `json:"fault_free"`
	Faulted   uint64 `json:"faulted"`
	// Must is what has to hold in both runs: "paid" (honest and weak
	// miners, validators), "zero" (cheaters).
	Must  string `json:"must"`
	Match bool   `json:"match"`
}

// SubnetReport is the result of RunSubnet.
type SubnetReport struct {
	Seed     int64         `json:"seed"`
	Arch     string        `json:"arch"`
	Epochs   int           `json:"epochs"`
	Faults   []SubnetFault `json:"faults"`
	Payouts  []PayoutRow   `json:"payouts"`
	Failures []string      `json:"failures"`
	// AppHashesAgree and SupplyConserved hold for both runs.
	AppHashesAgree  bool    `json:"app_hashes_agree"`
	SupplyConserved bool    `json:"supply_conserved"`
	Seconds         float64 `json:"seconds"`
	Dir             string  `json:"dir,omitempty"`
	Pass            bool    `json:"pass"`
}

// RunSubnet runs the devnet fault-free, then again under a seeded schedule
// of subnet faults (a validator daemon stopped between its commit and its
// reveal, an honest miner stopped while it is challenged, the node under a
// validator daemon stopped), and compares the payouts.
func RunSubnet(ctx context.Context, o SubnetOptions) (*SubnetReport, error) {
	if o.Arch == "" {
		o.Arch = "49-16-10"
	}
	if o.Epochs <= 0 {
		o.Epochs = 5
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	begin := time.Now()
	keep := o.Dir != ""
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "veritensor-chaos-subnet-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	logf := func(f string, a ...any) {
		fmt.Fprintf(o.Log, "%s "+f+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, a...)...)
	}
	base := devnet.Options{Nodes: 4, Behaviors: o.Behaviors, Epochs: o.Epochs, Arch: o.Arch, Tempo: 30,
		BlockTime: 300 * time.Millisecond, Timeout: o.Timeout, KeysDir: o.KeysDir, MNISTDir: o.MNISTDir}
	rep := &SubnetReport{Seed: o.Seed, Arch: o.Arch, Epochs: o.Epochs, Faults: []SubnetFault{}, Payouts: []PayoutRow{}, Failures: []string{}}

	logf("fault-free run")
	free := base
	free.Home = filepath.Join(dir, "fault-free")
	resFree, err := devnet.Run(ctx, free, prefixWriter{o.Log, "  fault-free: "})
	if err != nil {
		return nil, fmt.Errorf("fault-free run: %w (homes in %s)", err, dir)
	}

	logf("faulted run, seed %d", o.Seed)
	sched := &subnetSchedule{rng: rand.New(rand.NewSource(o.Seed)), logf: logf}
	faulted := base
	faulted.Home = filepath.Join(dir, "faulted")
	faulted.Chaos = sched.run
	resFaulted, err := devnet.Run(ctx, faulted, prefixWriter{o.Log, "  faulted: "})
	if err != nil {
		return nil, fmt.Errorf("faulted run: %w (homes in %s)", err, dir)
	}
	rep.Faults = sched.faults
	for _, f := range sched.faults {
		if !f.OK {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s (%s): %s", f.Fault, f.Target, f.Outcome))
		}
	}
	if len(sched.faults) < 3 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("only %d of 3 faults were applied before the run paid its %d epochs", len(sched.faults), o.Epochs))
	}
	rep.AppHashesAgree = resFree.AppHashesAgree && resFaulted.AppHashesAgree
	rep.SupplyConserved = resFree.SupplyConserved && resFaulted.SupplyConserved
	if !rep.AppHashesAgree {
		rep.Failures = append(rep.Failures, "app hashes differ between nodes")
	}
	if !rep.SupplyConserved {
		rep.Failures = append(rep.Failures, "supply != genesis + minted - burned")
	}
	rep.Payouts, rep.Failures = comparePayouts(resFree, resFaulted, rep.Failures)
	rep.Seconds = time.Since(begin).Seconds()
	rep.Pass = len(rep.Failures) == 0
	if !rep.Pass || keep {
		rep.Dir = dir
	} else {
		_ = os.RemoveAll(dir)
	}
	return rep, nil
}

func comparePayouts(free, faulted *devnet.Result, fails []string) ([]PayoutRow, []string) {
	var rows []PayoutRow
	byUID := map[uint16]devnet.MinerResult{}
	for _, m := range faulted.Miners {
		byUID[m.UID] = m
	}
	for _, m := range free.Miners {
		f, ok := byUID[m.UID]
		row := PayoutRow{Role: "miner", UID: m.UID, Behavior: string(m.Behavior), FaultFree: m.Emission, Faulted: f.Emission, Must: "paid"}
		if m.Behavior.Cheater() {
			row.Must = "zero"
			row.Match = ok && m.Emission == 0 && f.Emission == 0
		} else {
			row.Match = ok && m.Emission > 0 && f.Emission > 0
		}
		if !row.Match {
			fails = append(fails, fmt.Sprintf("miner uid %d (%s): paid %d fault-free, %d faulted; must be %s in both", m.UID, m.Behavior, m.Emission, f.Emission, row.Must))
		}
		rows = append(rows, row)
	}
	vs := map[uint16]devnet.ValidatorResult{}
	for _, v := range faulted.Validators {
		vs[v.UID] = v
	}
	for _, v := range free.Validators {
		f, ok := vs[v.UID]
		row := PayoutRow{Role: "validator", UID: v.UID, FaultFree: v.Emission, Faulted: f.Emission, Must: "paid"}
		row.Match = ok && v.Emission > 0 && f.Emission > 0
		if !row.Match {
			fails = append(fails, fmt.Sprintf("validator uid %d: paid %d fault-free, %d faulted; must be paid in both", v.UID, v.Emission, f.Emission))
		}
		rows = append(rows, row)
	}
	return rows, fails
}

// subnetSchedule is the faulted run's Options.Chaos.
type subnetSchedule struct {
	rng    *rand.Rand
	logf   func(string, ...any)
	faults []SubnetFault
}

// next returns the next daemon event, or false when ctx ended or wait passed.
func next(ctx context.Context, ctl *devnet.Control, wait time.Duration, match func(devnet.Event) bool) (devnet.Event, bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return devnet.Event{}, false
		case <-t.C:
			return devnet.Event{}, false
		case e := <-ctl.Events:
			if match(e) {
				return e, true
			}
		}
	}
}

func (s *subnetSchedule) run(ctx context.Context, ctl *devnet.Control) {
	var stoppedValidator, stoppedMiner, stoppedNode = -1, -1, -1
	defer func() { // leave everything running
		if stoppedValidator >= 0 {
			_ = ctl.StartValidator(stoppedValidator)
		}
		if stoppedMiner >= 0 {
			_ = ctl.StartMiner(stoppedMiner)
		}
		if stoppedNode >= 0 {
			_ = ctl.StartNode(stoppedNode)
		}
	}()
	// A tempo is 30 blocks of 300 ms, but blocks slow down on a loaded
	// machine (about 1 s each on 2 shared cores) and a validator reports a
	// tempo after challenging every miner: wait generously.
	epochs := func(n int) time.Duration { return time.Duration(n) * 90 * time.Second }

	// 1. A validator daemon stopped right after its commit, restarted
	// before the next epoch's reveal: the reveal must land after the
	// restart (the salt is only on its disk).
	j := s.rng.Intn(ctl.Validators)
	f := SubnetFault{Fault: ValidatorCommitReveal, Target: fmt.Sprintf("validator %d", j)}
	e, ok := next(ctx, ctl, epochs(3), func(e devnet.Event) bool {
		return e.Validator == j && e.Report.Submit.Kind == "commit" && e.Report.Submit.Status == validator.StatusCommitted
	})
	if !ok {
		f.Outcome = "validator never committed"
		s.faults = append(s.faults, f)
		return
	}
	epoch := e.Report.Submit.Epoch
	down := time.Now()
	if err := ctl.StopValidator(j); err != nil {
		f.Outcome = err.Error()
		s.faults = append(s.faults, f)
		return
	}
	stoppedValidator = j
	hold := 3*time.Second + time.Duration(s.rng.Int63n(int64(3*time.Second)))
	s.logf("%s: validator %d stopped after committing epoch %d, for %s", f.Fault, j, epoch, hold.Round(time.Millisecond))
	sleep(ctx, hold)
	if err := ctl.StartValidator(j); err != nil {
		f.Outcome = err.Error()
		s.faults = append(s.faults, f)
		return
	}
	stoppedValidator = -1
	up := time.Now()
	f.Held = up.Sub(down).Seconds()
	e, ok = next(ctx, ctl, epochs(2), func(e devnet.Event) bool {
		return e.Validator == j && e.Report.Reveal != nil && e.Report.Reveal.Epoch == epoch
	})
	switch {
	case !ok:
		f.Outcome = fmt.Sprintf("no reveal of epoch %d reported after the restart", epoch)
	case e.Report.Reveal.Status != validator.StatusRevealed:
		f.Outcome = fmt.Sprintf("reveal of epoch %d: %s %s", epoch, e.Report.Reveal.Status, e.Report.Reveal.Reason)
	default:
		f.OK, f.Outcome = true, fmt.Sprintf("epoch %d's weights revealed after the restart", epoch)
		f.Recover = time.Since(up).Seconds()
	}
	s.logf("%s: %s", f.Fault, f.Outcome)
	s.faults = append(s.faults, f)

	// 2. An honest miner stopped while the validators challenge it (the
	// first miner epoch event of a new epoch: every daemon is proving),
	// restarted: it must serve again.
	var honest []int
	for i, b := range ctl.Behaviors {
		if b == devnet.Honest {
			honest = append(honest, i)
		}
	}
	if len(honest) > 0 {
		i := honest[s.rng.Intn(len(honest))]
		f := SubnetFault{Fault: MinerMidProof, Target: fmt.Sprintf("miner %d", i)}
		_, ok := next(ctx, ctl, epochs(2), func(e devnet.Event) bool { return e.Miner >= 0 && e.Epoch != nil })
		if ok {
			down := time.Now()
			if err := ctl.StopMiner(i); err != nil {
				f.Outcome = err.Error()
			} else {
				stoppedMiner = i
				hold := 2*time.Second + time.Duration(s.rng.Int63n(int64(3*time.Second)))
				s.logf("%s: miner %d stopped for %s", f.Fault, i, hold.Round(time.Millisecond))
				sleep(ctx, hold)
				if err := ctl.StartMiner(i); err != nil {
					f.Outcome = err.Error()
				} else {
					stoppedMiner = -1
					up := time.Now()
					f.Held = up.Sub(down).Seconds()
					if _, ok := next(ctx, ctl, epochs(1), func(e devnet.Event) bool { return e.Miner == i && e.Ready != "" }); ok {
						f.OK, f.Outcome, f.Recover = true, "serving again after the restart", time.Since(up).Seconds()
					} else {
						f.Outcome = "not serving after the restart"
					}
				}
			}
		} else {
			f.Outcome = "no miner epoch event to time the fault"
		}
		s.logf("%s: %s", f.Fault, f.Outcome)
		s.faults = append(s.faults, f)
	}

	// 3. The node under a validator daemon stopped: the daemon must go on
	// through another node (its --node lists all of them) and report its
	// next tempo with weights submitted.
	j = s.rng.Intn(ctl.Validators)
	k := j % ctl.Nodes
	f = SubnetFault{Fault: NodeUnderValidator, Target: fmt.Sprintf("node %d (validator %d)", k, j)}
	down = time.Now()
	if err := ctl.StopNode(k); err != nil {
		f.Outcome = err.Error()
		s.faults = append(s.faults, f)
		return
	}
	stoppedNode = k
	s.logf("%s: node %d stopped under validator %d", f.Fault, k, j)
	// The first report may be of a tempo mostly done before the stop; the
	// second is a whole tempo (head, challenges, commit, reveal) done
	// through the other nodes.
	if _, ok = next(ctx, ctl, epochs(2), func(e devnet.Event) bool { return e.Validator == j }); ok {
		e, ok = next(ctx, ctl, epochs(2), func(e devnet.Event) bool { return e.Validator == j })
	}
	switch {
	case !ok:
		f.Outcome = fmt.Sprintf("validator %d made no report while node %d was down", j, k)
	case e.Report.Submit.Status != validator.StatusCommitted || (e.Report.Reveal != nil && e.Report.Reveal.Status != validator.StatusRevealed):
		f.Outcome = fmt.Sprintf("validator %d's tempo %d while node %d was down: %s %s %s", j, e.Report.Epoch, k,
			e.Report.Submit.Kind, e.Report.Submit.Status, e.Report.Submit.Reason)
	default:
		f.OK = true
		f.Recover = time.Since(down).Seconds()
		f.Outcome = fmt.Sprintf("validator %d's whole tempo %d went through other nodes: %s %s", j, e.Report.Epoch, e.Report.Submit.Kind, e.Report.Submit.Status)
		if e.Report.Reveal != nil {
			f.Outcome += fmt.Sprintf(", epoch %d's %s", e.Report.Reveal.Epoch, e.Report.Reveal.Status)
		}
	}
	if err := ctl.StartNode(k); err != nil && f.OK {
		f.OK, f.Outcome = false, err.Error()
	}
	stoppedNode = -1
	f.Held = time.Since(down).Seconds()
	s.logf("%s: %s", f.Fault, f.Outcome)
	s.faults = append(s.faults, f)
}

// WriteText prints the subnet report as tables.
func (r *SubnetReport) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "chaos subnet: seed %d, arch %s, %d paying epochs per run, %.0f s\n\n", r.Seed, r.Arch, r.Epochs, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fault\ttarget\theld s\trecover s\tok\toutcome")
	for _, f := range r.Faults {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%v\t%s\n", f.Fault, f.Target, f.Held, f.Recover, f.OK, f.Outcome)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "role\tuid\tbehavior\tpaid fault-free\tpaid faulted\tmust be\tmatch")
	for _, p := range r.Payouts {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%s\t%v\n", p.Role, p.UID, p.Behavior, p.FaultFree, p.Faulted, p.Must, p.Match)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\napp hashes agree: %v; supply conserved: %v\n", r.AppHashesAgree, r.SupplyConserved)
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAIL %s\n", f)
	}
	if r.Dir != "" {
		fmt.Fprintf(w, "homes: %s\n", r.Dir)
	}
	if r.Pass {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintf(w, "FAIL: %d checks failed\n", len(r.Failures))
	}
	return nil
}

// prefixWriter prefixes every write (a devnet progress line) with p.
type prefixWriter struct {
	w io.Writer
	p string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.p), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
