// Package chaos is the fault-injection suite: it starts N real node processes
// (`veritensor start`), routes every p2p link through an in-process toxiproxy
// proxy, drives a steady signed-transfer load, applies a seeded schedule of
// faults (SIGKILL and restart, SIGSTOP/SIGCONT, 1|3 and 2|2 partitions,
// latency, bandwidth limits, more than 1/3 of the voting power down, a kill
// while a restarted node replays and catches up, a full disk), and after every
// fault checks that every node has the same block and app hash at every common
// height, that heights progress again within a bound, that every acknowledged
// transfer is on every node with the same result, that the supply equals
// genesis + minted - burned, and that no node panicked or exited by itself.
// `veritensor chaos` and `make chaos` run it; docs/reliability.md records it.
package chaos

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/chain/testnet"
)

// Fault kinds, in the order the docs list them.
const (
	Kill         = "kill"          // SIGKILL one node, restart it
	Pause        = "pause"         // SIGSTOP one node, SIGCONT it
	Partition13  = "partition-1|3" // cut one node off the others, heal
	Partition22  = "partition-2|2" // split the nodes in two halves (no quorum), heal
	Latency      = "latency"       // 300±100 ms on every link, both ways
	Bandwidth    = "bandwidth"     // 16 KB/s on every link, both ways
	MajorityDown = "majority-down" // SIGKILL half the nodes (> 1/3 of the power), restart them
	KillReplay   = "kill-replay"   // SIGKILL a node again 0.2-1.5 s after its restart, while it replays/catches up
	DiskFull     = "disk-full"     // fill the tmpfs under one node's home, free it
)

// AllFaults is the default schedule's set.
var AllFaults = []string{Kill, Pause, Partition13, Partition22, Latency, Bandwidth, MajorityDown, KillReplay, DiskFull}

// minorityFaults leave a quorum running: their throughput counts against the
// fault-free baseline.
var minorityFaults = map[string]bool{Kill: true, Pause: true, Partition13: true, KillReplay: true, DiskFull: true}

// Options configure a run.
type Options struct {
	// Nodes is the number of validators (default 4, at least 2).
	Nodes int
	// Seed fixes the schedule: which fault, which nodes, how long.
	Seed int64
	// Duration is how long faults are applied (after the baseline); the fault
	// in progress finishes.
	Duration time.Duration
	// Faults to draw from (default AllFaults).
	Faults []string
	// Hold is the mean time a fault is held before healing (default 6 s;
	// each draw is Hold/2 .. 3*Hold/2).
	Hold time.Duration
	// Baseline is the fault-free load period measured first (default 15 s).
	Baseline time.Duration
	// BlockTime is the nodes' timeout_commit (default 500 ms).
	BlockTime time.Duration
	// TimeoutPropose is the nodes' timeout_propose (default node.json's,
	// 3 s): how long a height waits for a proposer that is down.
	TimeoutPropose time.Duration
	// RecoveryBound is how long heights may stall after a heal before the
	// check fails (default 60 s).
	RecoveryBound time.Duration
	// Senders is the number of load accounts (default 128).
	Senders int
	// Rate is the offered load in transfers per second (default 1000): the
	// load is open-loop, so a slow chain does not slow the offer down.
	Rate float64
	// Depth is how many transfers each sender keeps in flight (default 32).
	Depth int
	// DiskSize is the size in bytes of the tmpfs that holds the disk-full
	// node's home (default DefaultDiskSize(Duration, Rate)). It must hold
	// everything the node writes over the whole run (blocks, WAL, tx index,
	// state): the disk-full fault fills what is left and frees it again, so
	// a tmpfs the load itself fills halts that node for good.
	DiskSize int64
	// Dir holds the homes and logs (default a temporary directory, removed
	// after a passing run).
	Dir string
	// NodeCommand builds the command that runs the node of home (default:
	// this executable's `start --home <home>`).
	NodeCommand func(home string) *exec.Cmd
	// Log receives progress lines (default io.Discard).
	Log io.Writer
}

// DefaultDiskSize is the disk-full node's tmpfs for a run of d at rate
// transfers/s offered: 512 MiB plus 96 MiB per minute at 1,000/s (a node
// under that load writes about 35-60 MB a minute, most of it the tx index
// and the consensus WAL), proportionally more for a higher rate. The tmpfs
// takes memory only as it fills; the disk-full fault fills it briefly.
func DefaultDiskSize(d time.Duration, rate float64) int64 {
	scale := rate / 1000
	if scale < 1 {
		scale = 1
	}
	perMin := int64(96<<20) * int64(scale*1000) / 1000
	return 512<<20 + perMin*int64(d/time.Minute+1)
}

func (o *Options) defaults() error {
	if o.Nodes == 0 {
		o.Nodes = 4
	}
	if o.Nodes < 2 {
		return fmt.Errorf("chaos needs at least 2 nodes, got %d", o.Nodes)
	}
	if len(o.Faults) == 0 {
		o.Faults = AllFaults
	}
	known := map[string]bool{}
	for _, f := range AllFaults {
		known[f] = true
	}
	for _, f := range o.Faults {
		if !known[f] {
			return fmt.Errorf("unknown fault %q (known: %s)", f, strings.Join(AllFaults, ", "))
		}
	}
	if o.Hold <= 0 {
		o.Hold = 6 * time.Second
	}
	if o.Baseline <= 0 {
		o.Baseline = 15 * time.Second
	}
	if o.BlockTime <= 0 {
		o.BlockTime = 500 * time.Millisecond
	}
	if o.RecoveryBound <= 0 {
		o.RecoveryBound = 60 * time.Second
	}
	if o.Senders <= 0 {
		o.Senders = 128
	}
	if o.Rate <= 0 {
		o.Rate = 1000
	}
	if o.Depth <= 0 {
		o.Depth = 32
	}
	if o.DiskSize <= 0 {
		o.DiskSize = DefaultDiskSize(o.Duration, o.Rate)
	}
	if o.NodeCommand == nil {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.NodeCommand = func(home string) *exec.Cmd { return exec.Command(exe, "start", "--home", home) }
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// Failure is one failed check: which fault it followed, at which height, on
// which node.
type Failure struct {
	Fault  string `json:"fault"`
	Height int64  `json:"height"`
	Node   int    `json:"node"`
	Check  string `json:"check"`
	Msg    string `json:"message"`
}

func (f Failure) String() string {
	return fmt.Sprintf("after %s: node %d, height %d: %s: %s", f.Fault, f.Node, f.Height, f.Check, f.Msg)
}

// FaultStats is one row of the table.
type FaultStats struct {
	Fault      string  `json:"fault"`
	Count      int     `json:"count"`
	RecoverP50 float64 `json:"recover_p50_s"`
	RecoverMax float64 `json:"recover_max_s"`
	Acked      int     `json:"txs_acked"`
	Lost       int     `json:"txs_lost"`
	Splits     int     `json:"app_hash_splits"`
	// TPS is the transactions per second the chain committed while the
	// fault was held: the transactions of the blocks whose header time falls
	// in the hold windows, over their total length.
	TPS float64 `json:"tps_held"`

	recov   []time.Duration
	windows [][2]time.Time
}

// Report is the result of a run.
type Report struct {
	Seed           int64        `json:"seed"`
	Nodes          int          `json:"nodes"`
	BlockTime      string       `json:"block_time"`
	TimeoutPropose string       `json:"timeout_propose"`
	FaultTime      string       `json:"fault_time"`
	Schedule       []string     `json:"schedule"`
	Faults         []FaultStats `json:"faults"`
	TxsSent        int          `json:"txs_sent"`
	TxsAcked       int          `json:"txs_acked"`
	TxsLost        int          `json:"txs_lost"`
	AppHashSplits  int          `json:"app_hash_splits"`
	HeightsChecked int64        `json:"heights_checked"`
	// IndexGaps counts acknowledged transfers a node has in its blocks but
	// not in its tx index.
	IndexGaps   int   `json:"tx_index_gaps"`
	FinalHeight int64 `json:"final_height"`
	// OfferedRate, Senders and Depth describe the open-loop load.
	OfferedRate float64 `json:"offered_rate"`
	Senders     int     `json:"senders"`
	Depth       int     `json:"depth"`
	// TxsShed is the offered transfers no sender could take (every
	// pipeline full).
	TxsShed int `json:"txs_shed"`
	// BaselineTPS and MinorityTPS are committed transactions per second by
	// block times: during the fault-free baseline, and pooled over the hold
	// windows of the faults that leave a quorum running.
	BaselineTPS float64 `json:"baseline_tps"`
	MinorityTPS float64 `json:"minority_down_tps"`
	// ThroughputRatio is MinorityTPS / BaselineTPS.
	ThroughputRatio float64   `json:"throughput_ratio"`
	Failures        []Failure `json:"failures"`
	Notes           []string  `json:"notes"`
	Dir             string    `json:"dir,omitempty"`
	Pass            bool      `json:"pass"`
}

// Runner is one run in progress.
type Runner struct {
	o       Options
	rng     *rand.Rand
	dir     string
	net     *testnet.Network
	procs   []*proc
	clients []*client.Client
	mesh    *mesh
	load    *load

	mu      sync.Mutex
	fault   string
	avoid   map[int]bool // nodes the load generator should not use now
	diskDir string       // tmpfs-backed home, "" when none
	diskN   int

	genesisSupply uint64
	checked       int64 // every height <= checked was compared
	txChecked     int   // acked[:txChecked] were found on every node
	report        Report
	stats         map[string]*FaultStats
	gaps          map[[2]int64]int // (node, height) -> acknowledged transfers missing from the tx index
	blocks        map[int64]blockMeta
	baseline      [2]time.Time
}

// blockMeta is what every node agreed on at one height.
type blockMeta struct {
	id   string
	time time.Time
	txs  int
}

// Run executes a whole run and returns its report; err is for set-up
// failures (a failed check is in the report, with Pass false).
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	r := &Runner{o: o, rng: rand.New(rand.NewSource(o.Seed)), avoid: map[int]bool{}, stats: map[string]*FaultStats{},
		blocks: map[int64]blockMeta{}}
	tp := o.TimeoutPropose
	if tp <= 0 {
		tp = time.Duration(node.DefaultConfig().TimeoutPropose)
	}
	r.report = Report{Seed: o.Seed, Nodes: o.Nodes, BlockTime: o.BlockTime.String(), TimeoutPropose: tp.String(),
		OfferedRate: o.Rate, Senders: o.Senders, Depth: o.Depth, Failures: []Failure{}, Notes: []string{}, Schedule: []string{}}
	keep := o.Dir != ""
	r.dir = o.Dir
	if r.dir == "" {
		d, err := os.MkdirTemp("", "veritensor-chaos-")
		if err != nil {
			return nil, err
		}
		r.dir = d
	}
	if err := r.setup(ctx); err != nil {
		r.teardown()
		return nil, fmt.Errorf("%w (homes and logs in %s)", err, r.dir)
	}
	r.execute(ctx)
	r.teardown() // nodes stopped and the tmpfs unmounted before anything is removed
	rep := r.report
	rep.Pass = len(rep.Failures) == 0
	if !rep.Pass || keep {
		rep.Dir = r.dir
	} else {
		_ = os.RemoveAll(r.dir)
	}
	return &rep, nil
}

func (r *Runner) logf(format string, args ...any) {
	fmt.Fprintf(r.o.Log, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

func (r *Runner) setup(ctx context.Context) error {
	o := r.o
	if err := os.MkdirAll(filepath.Join(r.dir, "logs"), 0o755); err != nil {
		return err
	}
	// The disk-full node's home lives on a small tmpfs.
	r.diskN = -1
	if contains(o.Faults, DiskFull) {
		n := r.rng.Intn(o.Nodes)
		home := filepath.Join(r.dir, fmt.Sprintf("node%d", n))
		if err := os.MkdirAll(home, 0o700); err != nil {
			return err
		}
		if err := mountTmpfs(home, o.DiskSize); err != nil {
			r.report.Notes = append(r.report.Notes, fmt.Sprintf("disk-full skipped: cannot mount a tmpfs at %s (needs root on Linux): %v", home, err))
			r.o.Faults = without(o.Faults, DiskFull)
		} else {
			r.diskDir, r.diskN = home, n
		}
	}
	senders := make([]chain.GenesisAccount, 0, o.Senders)
	for i := 0; i < o.Senders; i++ {
		k := testnet.DeterministicKey("veritensor-chaos", i)
		senders = append(senders, chain.GenesisAccount{Address: chain.AddressFromPubKey(k.Public().(ed25519.PublicKey)), Balance: 1_000_000_000_000})
	}
	cfg := node.DefaultConfig()
	cfg.TimeoutCommit = node.Duration(o.BlockTime)
	if o.TimeoutPropose > 0 {
		cfg.TimeoutPropose = node.Duration(o.TimeoutPropose)
	}
	cfg.LogLevel = "error"
	net, err := testnet.Generate(r.dir, testnet.Options{Validators: o.Nodes, ChainID: "veritensor-chaos", Accounts: senders, Config: cfg})
	if err != nil {
		return err
	}
	r.net = net
	for _, a := range net.Genesis.Accounts {
		r.genesisSupply += a.Balance
	}
	// Route node i -> node j through proxy (i, j): node i's persistent peer j
	// is the proxy's address; peer exchange is off so no other path exists.
	ports, err := testnet.FreePorts(o.Nodes * (o.Nodes - 1))
	if err != nil {
		return err
	}
	upstream := make([]string, o.Nodes)
	ids := make([]string, o.Nodes)
	for i, h := range net.Homes {
		c, err := node.LoadConfig(h)
		if err != nil {
			return err
		}
		upstream[i] = strings.TrimPrefix(c.P2PListen, "tcp://")
		id, err := node.GenerateKeys(h, c.Moniker, 10) // loads the existing keys
		if err != nil {
			return err
		}
		ids[i] = id.NodeID
	}
	listen := map[[2]int]string{}
	k := 0
	for i := range net.Homes {
		var peers []string
		for j := range net.Homes {
			if i == j {
				continue
			}
			addr := fmt.Sprintf("127.0.0.1:%d", ports[k])
			k++
			listen[[2]int{i, j}] = addr
			peers = append(peers, ids[j]+"@"+addr)
		}
		c, _ := node.LoadConfig(net.Homes[i])
		c.PersistentPeers = strings.Join(peers, ",")
		c.DisablePEX = true
		if err := node.WriteConfig(net.Homes[i], c); err != nil {
			return err
		}
	}
	r.mesh = newMesh(upstream, listen)
	if err := r.mesh.start(); err != nil {
		return err
	}
	for i, h := range net.Homes {
		p := &proc{i: i, home: h, logs: filepath.Join(r.dir, "logs")}
		r.procs = append(r.procs, p)
		if err := p.start(o.NodeCommand); err != nil {
			return err
		}
		c, err := net.Client(i)
		if err != nil {
			return err
		}
		c.PollInterval = 100 * time.Millisecond
		r.clients = append(r.clients, c)
	}
	r.logf("%d nodes under %s (logs in %s), waiting for height 2", o.Nodes, r.dir, filepath.Join(r.dir, "logs"))
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for i, c := range r.clients {
		if err := c.WaitHeight(wctx, 2); err != nil {
			return fmt.Errorf("node %d did not reach height 2: %w (log %s)", i, err, r.procs[i].logFiles[0])
		}
	}
	keys := make([]ed25519.PrivateKey, o.Senders)
	for i := range keys {
		keys[i] = testnet.DeterministicKey("veritensor-chaos", i)
	}
	r.load = newLoad(r, keys, net.Genesis.Params.MinFee, o.Rate, o.Depth, net.ChainID)
	return nil
}

func (r *Runner) teardown() {
	var wg sync.WaitGroup
	for _, p := range r.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
	if r.mesh != nil {
		r.mesh.close()
	}
	if r.diskDir != "" {
		if err := unmount(r.diskDir); err != nil {
			r.logf("unmount %s: %v", r.diskDir, err)
		}
	}
}

func (r *Runner) currentFault() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fault
}

func (r *Runner) setFault(f string, avoid ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = f
	r.avoid = map[int]bool{}
	for _, i := range avoid {
		r.avoid[i] = true
	}
}

// nextHealthy returns the first node from n on (cyclically) that runs, is
// not paused and is not isolated by the current fault; -1 when none.
func (r *Runner) nextHealthy(n int) int {
	r.mu.Lock()
	avoid := r.avoid
	r.mu.Unlock()
	for k := 0; k < len(r.procs); k++ {
		i := (n + k) % len(r.procs)
		if !avoid[i] && r.procs[i].healthy() {
			return i
		}
	}
	return -1
}

func (r *Runner) execute(ctx context.Context) {
	lctx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	r.load.run(lctx, &wg)
	defer func() {
		stopLoad()
		wg.Wait()
	}()

	// Fault-free baseline.
	// The first seconds fill the pipelines; the baseline is measured after.
	sleep(ctx, 3*time.Second)
	t0 := time.Now()
	sleep(ctx, r.o.Baseline)
	r.baseline = [2]time.Time{t0, time.Now()}
	base := r.load.ackedBetween(t0, time.Now())
	r.logf("baseline: %d transfers acknowledged in %s (%.1f/s)", base, time.Since(t0).Round(time.Millisecond), float64(base)/time.Since(t0).Seconds())
	r.check(ctx, "baseline")

	start := time.Now()
	var order []string
	for ctx.Err() == nil && time.Since(start) < r.o.Duration {
		if len(order) == 0 {
			order = append([]string(nil), r.o.Faults...)
			r.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		f := order[0]
		order = order[1:]
		r.apply(ctx, f)
	}
	r.report.FaultTime = time.Since(start).Round(time.Second).String()
	r.setFault("final")
	// Stop the load, let the watcher see the blocks committed so far, check all.
	stopLoad()
	wg.Wait()
	if ctx.Err() == nil {
		sleep(ctx, 2*time.Second)
		if w := r.nextHealthy(0); w >= 0 {
			r.load.scan(ctx, w, 0)
		}
	}
	// An interrupted run still checks what ran.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	if ctx.Err() != nil {
		r.report.Notes = append(r.report.Notes, "interrupted: the schedule stopped early")
		r.mesh.removeToxics()
		_ = r.mesh.heal()
		for i, p := range r.procs {
			if !p.running() {
				r.restart("final", i)
			} else {
				_ = p.signal(syscall.SIGCONT)
			}
		}
		r.recover(fctx, "final", time.Now())
	}
	r.check(fctx, "final")
	r.finish(fctx)
}

// hold draws a fault's duration.
func (r *Runner) hold() time.Duration {
	h := r.o.Hold
	return h/2 + time.Duration(r.rng.Int63n(int64(h)+1))
}

// apply runs one fault: inject, hold, heal, wait for recovery, check.
func (r *Runner) apply(ctx context.Context, f string) {
	st := r.stats[f]
	if st == nil {
		st = &FaultStats{Fault: f}
		r.stats[f] = st
	}
	st.Count++
	n := r.o.Nodes
	victim := r.rng.Intn(n)
	hold := r.hold()
	label := fmt.Sprintf("%s#%d", f, st.Count)
	var healed time.Time
	var heldFrom, heldTo time.Time
	desc := ""
	switch f {
	case Kill:
		desc = fmt.Sprintf("SIGKILL node %d for %s", victim, hold)
		r.setFault(label, victim)
		heldFrom = time.Now()
		r.procs[victim].kill()
		sleep(ctx, hold)
		heldTo = time.Now()
		r.restart(label, victim)
		healed = time.Now()
	case Pause:
		desc = fmt.Sprintf("SIGSTOP node %d for %s", victim, hold)
		r.setFault(label, victim)
		heldFrom = time.Now()
		_ = r.procs[victim].signal(syscall.SIGSTOP)
		sleep(ctx, hold)
		heldTo = time.Now()
		_ = r.procs[victim].signal(syscall.SIGCONT)
		healed = time.Now()
	case Partition13:
		desc = fmt.Sprintf("isolate node %d for %s", victim, hold)
		r.setFault(label, victim)
		heldFrom = time.Now()
		r.mesh.cut([]int{victim}, others(n, victim))
		sleep(ctx, hold)
		heldTo = time.Now()
		r.heal(label)
		healed = time.Now()
	case Partition22:
		perm := r.rng.Perm(n)
		a, b := perm[:n/2], perm[n/2:]
		sort.Ints(a)
		sort.Ints(b)
		desc = fmt.Sprintf("split %v | %v for %s", a, b, hold)
		r.setFault(label)
		heldFrom = time.Now()
		r.mesh.cut(a, b)
		sleep(ctx, hold)
		heldTo = time.Now()
		r.heal(label)
		healed = time.Now()
	case Latency, Bandwidth:
		typ, attrs := "latency", `{"latency":300,"jitter":100}`
		desc = fmt.Sprintf("300±100 ms latency on every link for %s", hold)
		if f == Bandwidth {
			typ, attrs = "bandwidth", `{"rate":16}`
			desc = fmt.Sprintf("16 KB/s on every link for %s", hold)
		}
		r.setFault(label)
		heldFrom = time.Now()
		if err := r.mesh.addToxic(f, typ, attrs); err != nil {
			r.failf(label, 0, -1, "inject", "%v", err)
		}
		sleep(ctx, hold)
		heldTo = time.Now()
		r.mesh.removeToxics()
		healed = time.Now()
	case MajorityDown:
		down := r.rng.Perm(n)[:n/2]
		sort.Ints(down)
		desc = fmt.Sprintf("SIGKILL nodes %v (%d of %d votes) for %s", down, len(down), n, hold)
		r.setFault(label, down...)
		heldFrom = time.Now()
		for _, i := range down {
			r.procs[i].kill()
		}
		sleep(ctx, hold)
		heldTo = time.Now()
		for _, i := range down {
			r.restart(label, i)
		}
		healed = time.Now()
	case KillReplay:
		again := 200*time.Millisecond + time.Duration(r.rng.Int63n(int64(1300*time.Millisecond)))
		desc = fmt.Sprintf("SIGKILL node %d for %s, restart, SIGKILL again after %s, restart", victim, hold, again.Round(time.Millisecond))
		r.setFault(label, victim)
		heldFrom = time.Now()
		r.procs[victim].kill()
		sleep(ctx, hold)
		heldTo = time.Now()
		r.restart(label, victim)
		sleep(ctx, again)
		r.procs[victim].kill()
		r.restart(label, victim)
		healed = time.Now()
	case DiskFull:
		victim = r.diskN
		desc = fmt.Sprintf("fill node %d's disk for %s", victim, hold)
		r.setFault(label, victim)
		heldFrom = time.Now()
		filler := filepath.Join(r.diskDir, "filler")
		written := fill(filler)
		if written < 1<<20 {
			// The load filled the tmpfs before the fault did: the node halted
			// on its own full disk, which is the harness's sizing, not a fault
			// it applied (and no restart can help it).
			r.failf(label, 0, victim, "disk-full", "node %d's tmpfs (%d MiB) was already full before the fault: the load's own writes filled it; run with a larger --disk-mib", victim, r.o.DiskSize>>20)
		}
		sleep(ctx, hold)
		heldTo = time.Now()
		os.Remove(filler)
		// CometBFT stops consensus on a failed write (CONSENSUS FAILURE)
		// but keeps the process up: an operator restarts it, as here.
		if r.procs[victim].running() && r.procs[victim].consensusFailed() {
			r.report.Notes = append(r.report.Notes, fmt.Sprintf("%s: node %d halted consensus on the full disk and kept running; restarted after freeing (no repair)", label, victim))
			r.procs[victim].kill()
		}
		exited := !r.procs[victim].running()
		for _, e := range r.procs[victim].takeExits() {
			r.report.Notes = append(r.report.Notes, fmt.Sprintf("%s: expected: %s", label, e))
		}
		if exited {
			desc += fmt.Sprintf(" (%d MiB filler; the node stopped, restarted after freeing)", written>>20)
			r.restart(label, victim)
		} else {
			desc += fmt.Sprintf(" (%d MiB filler; the node kept running)", written>>20)
		}
		healed = time.Now()
	}
	r.logf("%s: %s", label, desc)
	r.report.Schedule = append(r.report.Schedule, label+": "+desc)
	if ctx.Err() != nil { // interrupted: the final check covers it
		return
	}
	d, ok := r.recover(ctx, label, healed)
	if ok {
		st.recov = append(st.recov, d)
		r.logf("%s: recovered in %s", label, d.Round(time.Millisecond))
	}
	r.setFault(label + " (recovered)")
	st.windows = append(st.windows, [2]time.Time{heldFrom, heldTo})
	r.check(ctx, label)
}

func (r *Runner) restart(label string, i int) {
	if err := r.procs[i].start(r.o.NodeCommand); err != nil {
		r.failf(label, 0, i, "restart", "%v", err)
	}
}

func (r *Runner) heal(label string) {
	if err := r.mesh.heal(); err != nil {
		r.failf(label, 0, -1, "heal", "%v", err)
	}
}

func (r *Runner) failf(fault string, height int64, nodeIdx int, check, format string, args ...any) {
	f := Failure{Fault: fault, Height: height, Node: nodeIdx, Check: check, Msg: fmt.Sprintf(format, args...)}
	r.report.Failures = append(r.report.Failures, f)
	r.logf("FAIL %s", f)
}

func (r *Runner) height(ctx context.Context, i int) (int64, error) {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return r.clients[i].Height(c)
}

// recover waits until every node committed a block above the highest height
// any node had when the fault was healed; it returns how long that took.
func (r *Runner) recover(ctx context.Context, label string, healed time.Time) (time.Duration, bool) {
	var top int64
	for i := range r.procs {
		if h, err := r.height(ctx, i); err == nil && h > top {
			top = h
		}
	}
	deadline := healed.Add(r.o.RecoveryBound)
	heights := make([]int64, len(r.procs))
	for ctx.Err() == nil {
		done := true
		for i := range r.procs {
			h, err := r.height(ctx, i)
			if err != nil || h <= top {
				done = false
			}
			if err == nil {
				heights[i] = h
			}
		}
		if done {
			return time.Since(healed), true
		}
		if time.Now().After(deadline) {
			for i, h := range heights {
				if h <= top {
					r.failf(label, h, i, "progress", "height stayed at %d (network top %d at heal) for %s after healing", h, top, r.o.RecoveryBound)
				}
			}
			return 0, false
		}
		sleep(ctx, 100*time.Millisecond)
	}
	return 0, false
}

// check compares every node at every height up to the lowest node's height,
// the acknowledged transfers, the supply and the node processes.
func (r *Runner) check(ctx context.Context, label string) {
	st := r.stats[strings.SplitN(label, "#", 2)[0]]
	common := int64(-1)
	var live []int
	for i := range r.procs {
		h, err := r.height(ctx, i)
		if err != nil {
			r.failf(label, 0, i, "rpc", "no height: %v", err)
			continue
		}
		live = append(live, i)
		if common < 0 || h < common {
			common = h
		}
	}
	if len(live) == 0 {
		return
	}
	// Blocks: the block ID (covering the header, so the app hash of the
	// previous height and the results hash) at every common height.
	for from := r.checked + 1; from <= common; from += 20 {
		to := min(from+19, common)
		ref := map[int64][2]string{}
		for _, i := range live {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			res, err := r.clients[i].RPC().BlockchainInfo(c, from, to)
			cancel()
			if err != nil {
				r.failf(label, from, i, "blocks", "%v", err)
				continue
			}
			for _, m := range res.BlockMetas {
				h := m.Header.Height
				got := [2]string{m.BlockID.Hash.String(), m.Header.AppHash.String()}
				want, ok := ref[h]
				if !ok {
					ref[h] = got
					r.blocks[h] = blockMeta{id: got[0], time: m.Header.Time, txs: m.NumTxs}
					continue
				}
				if got != want {
					r.failf(label, h, i, "app-hash", "block %s app hash %s, node %d has block %s app hash %s", got[0], got[1], live[0], want[0], want[1])
					r.report.AppHashSplits++
					if st != nil {
						st.Splits++
					}
				}
			}
		}
	}
	// The app hash after the top common height (the next header is not there
	// yet on every node).
	var ref []byte
	for k, i := range live {
		// A node's reported height is its block store's, which may run one
		// block ahead of its executed results while it catches up: retry.
		var h []byte
		var err error
		for try := 0; try < 25; try++ {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			h, err = r.clients[i].AppHashAt(c, common)
			cancel()
			if err == nil {
				break
			}
			sleep(ctx, 200*time.Millisecond)
		}
		if err != nil {
			r.failf(label, common, i, "app-hash", "%v", err)
			continue
		}
		if k == 0 || ref == nil {
			ref = h
		} else if !bytes.Equal(h, ref) {
			r.failf(label, common, i, "app-hash", "app hash %X, node %d has %X", h, live[0], ref)
			r.report.AppHashSplits++
			if st != nil {
				st.Splits++
			}
		}
	}
	if common > r.checked {
		r.checked = common
	}
	r.report.HeightsChecked = r.checked
	// Acknowledged transfers. Each was seen in a block whose ID the watcher
	// recorded; every node has the same block ID at every height up to
	// common (compared above), and the block ID at height h+1 covers the
	// results of height h, so a transfer acknowledged below common is on
	// every node with the same result exactly when its block is the agreed
	// one. A few of them are also looked up in every node's tx index.
	r.load.mu.Lock()
	acked := append([]ackedTx(nil), r.load.acked...)
	r.load.mu.Unlock()
	k := r.txChecked
	var sample []ackedTx
	for ; k < len(acked); k++ {
		a := acked[k]
		if a.Height >= common {
			break
		}
		if b, ok := r.blocks[a.Height]; !ok || b.id != a.Block {
			r.failf(label, a.Height, a.Node, "lost-tx", "transfer %X acknowledged in block %s at height %d (code %d, by node %d during %q): every node has block %s there", a.Hash, a.Block, a.Height, a.Code, a.Node, a.Fault, b.id)
			r.report.TxsLost++
			if s := r.stats[strings.SplitN(a.Fault, "#", 2)[0]]; s != nil {
				s.Lost++
			}
			continue
		}
		if (k-r.txChecked)%max(1, (len(acked)-r.txChecked)/8) == 0 {
			sample = append(sample, a)
		}
	}
	r.txChecked = k
	for _, a := range sample {
		for _, i := range live {
			info, err := r.findTx(ctx, i, a)
			switch {
			case errors.Is(err, chain.ErrNotFound):
				r.failf(label, a.Height, i, "lost-tx", "transfer %X acknowledged at height %d (code %d, by node %d during %q) is missing", a.Hash, a.Height, a.Code, a.Node, a.Fault)
				r.report.TxsLost++
			case err != nil:
				r.failf(label, a.Height, i, "tx", "transfer %X: %v", a.Hash, err)
			case info.Height != a.Height || info.Code != a.Code:
				r.failf(label, a.Height, i, "tx-result", "transfer %X at height %d code %d, acknowledged at height %d code %d", a.Hash, info.Height, info.Code, a.Height, a.Code)
			}
		}
	}
	// Supply: genesis + minted - burned on every node.
	for _, i := range live {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		t, err := r.clients[i].Tokenomics(c)
		cancel()
		if err != nil {
			r.failf(label, common, i, "supply", "%v", err)
			continue
		}
		if want := r.genesisSupply + t.Minted - t.Burned; t.Supply != want {
			r.failf(label, common, i, "supply", "supply %d, want genesis %d + minted %d - burned %d = %d", t.Supply, r.genesisSupply, t.Minted, t.Burned, want)
		}
	}
	// Processes: no exit the runner did not cause.
	for i, p := range r.procs {
		for _, e := range p.takeExits() {
			r.failf(label, common, i, "exit", "%s", e)
		}
	}
}

// findTx looks a transfer up on node i: in its tx index (retried for 3 s: the
// index is written asynchronously after the block), and when the index does
// not have it, in the block at the acknowledged height and that block's
// results (a gap in the index is noted, not a lost transfer).
func (r *Runner) findTx(ctx context.Context, i int, a ackedTx) (*client.TxInfo, error) {
	var err error
	for try := 0; try < 15; try++ {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		var info *client.TxInfo
		info, err = r.clients[i].Tx(c, a.Hash)
		cancel()
		if !errors.Is(err, chain.ErrNotFound) {
			return info, err
		}
		sleep(ctx, 200*time.Millisecond)
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, berr := r.clients[i].Block(c, a.Height)
	if berr != nil {
		return nil, err
	}
	want := strings.ToUpper(hex.EncodeToString(a.Hash[:]))
	for k, h := range b.TxHashes {
		if h != want {
			continue
		}
		h := a.Height
		res, rerr := r.clients[i].RPC().BlockResults(c, &h)
		if rerr != nil || k >= len(res.TxsResults) {
			return nil, fmt.Errorf("block results %d: %v", a.Height, rerr)
		}
		if r.gaps == nil {
			r.gaps = map[[2]int64]int{}
		}
		r.gaps[[2]int64{int64(i), a.Height}]++
		r.report.IndexGaps++
		return &client.TxInfo{Height: a.Height, Index: uint32(k), Code: res.TxsResults[k].Code}, nil
	}
	return nil, err
}

// finish scans the logs and fills in the report's totals.
func (r *Runner) finish(ctx context.Context) {
	for i, p := range r.procs {
		for _, lf := range p.logFiles {
			line, noSpace, err := scanLog(lf)
			if err != nil {
				r.failf("final", 0, i, "log", "%v", err)
				continue
			}
			if line == "" {
				continue
			}
			if noSpace && i == r.diskN {
				r.report.Notes = append(r.report.Notes, fmt.Sprintf("node %d stopped on a full disk (expected): %s: %s", i, filepath.Base(lf), clip(line, 240)))
				continue
			}
			r.failf("final", 0, i, "panic", "%s: %s", filepath.Base(lf), clip(line, 600))
		}
	}
	if h, err := r.height(ctx, 0); err == nil {
		r.report.FinalHeight = h
	}
	var gaps [][2]int64
	for k := range r.gaps {
		gaps = append(gaps, k)
	}
	sort.Slice(gaps, func(a, b int) bool {
		return gaps[a][0] < gaps[b][0] || gaps[a][0] == gaps[b][0] && gaps[a][1] < gaps[b][1]
	})
	for _, k := range gaps {
		r.report.Notes = append(r.report.Notes, fmt.Sprintf("node %d: %d acknowledged transfers of block %d are in the block (same results) but not in the node's tx index (`query tx` on that node does not find them)", k[0], r.gaps[k], k[1]))
	}
	r.load.mu.Lock()
	r.report.TxsSent, r.report.TxsAcked, r.report.TxsShed = r.load.sent, len(r.load.acked), r.load.shed
	pending, late, open := len(r.load.pending), r.load.late, len(r.load.inflight)
	r.load.mu.Unlock()
	r.report.Notes = append(r.report.Notes, fmt.Sprintf("%d transfers were broadcast but not seen committed within %s by their sender (not acknowledged, so not counted as lost); %d of them committed later, in blocks every node agrees on; %d were still in flight at the end", pending+late, r.load.expire, late, open))
	r.report.BaselineTPS = r.committedRate([][2]time.Time{r.baseline})
	var minority [][2]time.Time
	for _, f := range AllFaults {
		st := r.stats[f]
		if st == nil {
			continue
		}
		st.RecoverP50, st.RecoverMax = percentile(st.recov, 50), percentile(st.recov, 100)
		st.TPS = r.committedRate(st.windows)
		st.Acked = r.ackedIn(f)
		if minorityFaults[f] {
			minority = append(minority, st.windows...)
		}
		r.report.Faults = append(r.report.Faults, *st)
	}
	r.report.MinorityTPS = r.committedRate(minority)
	if r.report.BaselineTPS > 0 {
		r.report.ThroughputRatio = r.report.MinorityTPS / r.report.BaselineTPS
	}
}

// committedRate is the transactions per second the chain committed in the
// windows: those of the blocks committed in one, over the windows' total
// length. A block's commit time is the header time of the next block (the
// BFT time of the precommits that committed it); its own header time is
// that of the previous commit, before any round it waited for a proposer.
func (r *Runner) committedRate(windows [][2]time.Time) float64 {
	var total time.Duration
	txs := 0
	for _, w := range windows {
		total += w[1].Sub(w[0])
		for h, b := range r.blocks {
			next, ok := r.blocks[h+1]
			if ok && !next.time.Before(w[0]) && next.time.Before(w[1]) {
				txs += b.txs
			}
		}
	}
	if total <= 0 {
		return 0
	}
	return float64(txs) / total.Seconds()
}

// ackedIn counts the transfers acknowledged during (or while recovering from)
// faults of kind f.
func (r *Runner) ackedIn(f string) int {
	r.load.mu.Lock()
	defer r.load.mu.Unlock()
	n := 0
	for _, a := range r.load.acked {
		if strings.SplitN(a.Fault, "#", 2)[0] == f {
			n++
		}
	}
	return n
}

func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := (len(s) - 1) * p / 100
	return s[k].Seconds()
}

// fill writes zeros to path until the file system is full; it returns the
// bytes written.
func fill(path string) int64 {
	f, err := os.Create(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if err != nil {
			return n
		}
	}
}

func others(n, i int) []int {
	var o []int
	for j := 0; j < n; j++ {
		if j != i {
			o = append(o, j)
		}
	}
	return o
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func without(s []string, x string) []string {
	var o []string
	for _, v := range s {
		if v != x {
			o = append(o, v)
		}
	}
	return o
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
