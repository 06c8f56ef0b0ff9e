package devnet

import (
	"context"
	"fmt"
	"strings"

	"github.com/veritensor/veritensor/chain/node"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/validator"
)

// Control lets a fault schedule (Options.Chaos, internal/chaos) stop and
// restart the devnet's daemons and nodes while it runs, and follow what
// the daemons report. Stopping a daemon cancels its context (it shuts down
// as on SIGTERM; whatever it keeps on disk is all a restart has); stopping
// a node stops its CometBFT node and app, and the node restarts from its
// home on the same ports.
type Control struct {
	d  *daemons
	cl *cluster
	// Nodes, Validators and Miners are the counts; validator j's daemon
	// follows node j % Nodes first and miner i's node i % Nodes (their
	// --node lists every node, their own first, so they fail over).
	Nodes, Validators, Miners int
	// Behaviors are the miners' behaviours, by index.
	Behaviors []Behavior
	// Events receives every validator report and miner event (buffered;
	// dropped when full).
	Events chan Event
}

// Event is a daemon's report as the schedule sees it.
type Event struct {
	Validator int               // -1 for a miner event
	Report    *validator.Report // a validator's tempo report
	Miner     int               // -1 for a validator event
	Ready     string            // a miner started serving at this address
	Epoch     *miner.EpochResult
}

func (c *Control) send(e Event) {
	if c == nil {
		return
	}
	select {
	case c.Events <- e:
	default:
	}
}

// StopValidator stops validator j's daemon and waits for it to exit.
func (c *Control) StopValidator(j int) error { return c.d.stop(fmt.Sprintf("validator %d", j)) }

// StartValidator starts validator j's daemon again from its home.
func (c *Control) StartValidator(j int) error { return c.d.restart(fmt.Sprintf("validator %d", j)) }

// StopMiner stops miner i's daemon (proofs in progress are abandoned).
func (c *Control) StopMiner(i int) error { return c.d.stop(c.minerName(i)) }

// StartMiner starts miner i's daemon again.
func (c *Control) StartMiner(i int) error { return c.d.restart(c.minerName(i)) }

func (c *Control) minerName(i int) string { return fmt.Sprintf("miner %d (%s)", i, c.Behaviors[i]) }

// StopNode stops node i.
func (c *Control) StopNode(i int) error {
	c.cl.mu.Lock()
	defer c.cl.mu.Unlock()
	nd := c.cl.nodes[i]
	if nd == nil {
		return fmt.Errorf("devnet: node %d is not running", i)
	}
	c.cl.nodes[i] = nil
	return nd.Stop()
}

// StartNode starts node i again from its home.
func (c *Control) StartNode(i int) error {
	c.cl.mu.Lock()
	defer c.cl.mu.Unlock()
	if c.cl.nodes[i] != nil {
		return fmt.Errorf("devnet: node %d is running", i)
	}
	nd, err := node.New(c.cl.homes[i], node.Options{})
	if err == nil {
		if err = nd.Start(); err != nil {
			nd.Stop()
		}
	}
	if err != nil {
		return fmt.Errorf("devnet: restart node %d: %w", i, err)
	}
	c.cl.nodes[i] = nd
	return nil
}

// NodeAddr is node i's RPC address (whether or not it runs).
func (c *Control) NodeAddr(i int) string { return c.cl.rpc(i) }

// allNodes lists every node's RPC address, node first first.
func (c *cluster) allNodes(first int) string {
	var a []string
	for k := range c.homes {
		a = append(a, c.rpc((first+k)%len(c.homes)))
	}
	return strings.Join(a, ",")
}

// daemon is one restartable daemon of a run.
type daemon struct {
	run    func(context.Context) error
	parent context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func (d *daemons) spawn(ctx context.Context, what string, f func(context.Context) error) {
	d.mu.Lock()
	if d.runs == nil {
		d.runs = map[string]*daemon{}
	}
	dm := &daemon{run: f, parent: ctx}
	d.runs[what] = dm
	d.mu.Unlock()
	d.startLocked(what, dm)
}

func (d *daemons) startLocked(what string, dm *daemon) {
	ctx, cancel := context.WithCancel(dm.parent)
	dm.cancel, dm.done = cancel, make(chan struct{})
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer close(dm.done)
		if err := dm.run(ctx); err != nil && ctx.Err() == nil {
			d.errs <- fmt.Errorf("%s: %w", what, err)
		}
	}()
}

func (d *daemons) get(what string) (*daemon, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dm, ok := d.runs[what]
	if !ok {
		return nil, fmt.Errorf("devnet: no daemon %q", what)
	}
	return dm, nil
}

func (d *daemons) stop(what string) error {
	dm, err := d.get(what)
	if err != nil {
		return err
	}
	dm.cancel()
	<-dm.done
	return nil
}

func (d *daemons) restart(what string) error {
	dm, err := d.get(what)
	if err != nil {
		return err
	}
	select {
	case <-dm.done:
	default:
		return fmt.Errorf("devnet: %s is running", what)
	}
	d.startLocked(what, dm)
	return nil
}
