package node

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abcicli "github.com/cometbft/cometbft/abci/client"
	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	cmtsync "github.com/cometbft/cometbft/libs/sync"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	rpccore "github.com/cometbft/cometbft/rpc/core"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veritensor/veritensor/chain"
)

// AppFactory builds the ABCI application of a node from its home. The closer
// runs after CometBFT stopped. Tests use it to run other apps (e.g. CometBFT's
// kvstore) on the same harness.
type AppFactory func(home string) (abci.Application, io.Closer, error)

// Options tune a node beyond its node.json.
type Options struct {
	// Hooks are passed to chain.App (tests only).
	Hooks chain.Hooks
	// NewApp replaces the Veritensor app; nil means chain.App over badger in
	// data/app.
	NewApp AppFactory
	// LogWriter receives CometBFT logs when the log level is not "none"
	// (default os.Stderr).
	LogWriter io.Writer
	// Override, if set, edits the CometBFT config after node.json is applied.
	Override func(*cfg.Config)
}

// Node is a running (or stopped) CometBFT node with its application.
type Node struct {
	home   string
	config Config
	cmt    *nm.Node
	app    abci.Application
	chain  *chain.App // nil when a custom app runs
	closer io.Closer
	mtx    *cmtsync.Mutex
	stop   sync.Once

	dbs []*guardedDB // every CometBFT database, closed by Stop

	envOnce sync.Once
	env     *rpccore.Environment
	envErr  error
}

// SnapshotDir is where state-sync snapshots live under home.
func SnapshotDir(home string) string { return filepath.Join(home, "data", "snapshots") }

// AppDir is where the badger state lives under home.
func AppDir(home string) string { return filepath.Join(home, "data", "app") }

// NewChainApp opens the badger store under home and builds chain.App.
func NewChainApp(home string, hooks chain.Hooks) (*chain.App, io.Closer, error) {
	st, err := chain.OpenStore(AppDir(home))
	if err != nil {
		return nil, nil, err
	}
	app, err := chain.NewApp(st, hooks)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return app, st, nil
}

// clientCreator is a local ABCI client creator whose mutex Node shares, so
// Stop can close the store while no ABCI call runs.
type clientCreator struct {
	mtx *cmtsync.Mutex
	app abci.Application
}

func (c clientCreator) NewABCIClient() (abcicli.Client, error) {
	return abcicli.NewLocalClient(c.mtx, c.app), nil
}

// New builds the node of home (not started). CometBFT replays any blocks the
// application lacks during construction, so a node killed at any point
// recovers here.
func New(home string, opts Options) (*Node, error) {
	c, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	cc, err := cometConfig(home, &c)
	if err != nil {
		return nil, err
	}
	if opts.Override != nil {
		opts.Override(cc)
	}
	if err := cc.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for _, f := range []string{cc.NodeKeyFile(), cc.PrivValidatorKeyFile(), cc.GenesisFile()} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("home %s is not initialised: %w", home, err)
		}
	}
	nodeKey, err := p2p.LoadNodeKey(cc.NodeKeyFile())
	if err != nil {
		return nil, err
	}
	pv := privval.LoadOrGenFilePV(cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile())

	n := &Node{home: home, config: c, mtx: &cmtsync.Mutex{}}
	if opts.NewApp != nil {
		n.app, n.closer, err = opts.NewApp(home)
	} else {
		n.chain, n.closer, err = NewChainApp(home, opts.Hooks)
		n.app = n.chain
		if err == nil {
			if err = n.chain.EnableSnapshots(chain.SnapshotConfig{Dir: SnapshotDir(home),
				Interval: c.SnapshotInterval, Keep: c.SnapshotKeep}); err != nil {
				n.closer.Close()
			}
			if c.Prometheus {
				n.chain.SetMetrics(chain.NewMetrics(prometheus.DefaultRegisterer))
			}
		}
	}
	if err != nil {
		return nil, err
	}
	n.cmt, err = nm.NewNode(cc, pv, nodeKey, clientCreator{n.mtx, n.app},
		nm.DefaultGenesisDocProviderFunc(cc), n.dbProvider,
		nm.DefaultMetricsProvider(cc.Instrumentation), newLogger(c.LogLevel, opts.LogWriter))
	if err != nil {
		n.closer.Close()
		for _, db := range n.dbs {
			_ = db.closeNow()
		}
		return nil, fmt.Errorf("start cometbft in %s: %w", home, err)
	}
	return n, nil
}

// dbProvider opens CometBFT's databases behind a guard that Stop closes:
// CometBFT v0.38 closes the block store while peer goroutines may still read
// it seconds later (a panic on a closed database), and never closes the tx
// index (whose lock then blocks a restart in the same process).
func (n *Node) dbProvider(ctx *cfg.DBContext) (dbm.DB, error) {
	db, err := cfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	g := &guardedDB{DB: db}
	n.dbs = append(n.dbs, g)
	return g, nil
}

// guardedDB ignores CometBFT's Close; after closeNow, point reads find
// nothing instead of failing.
type guardedDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

func (g *guardedDB) Close() error { return nil }

func (g *guardedDB) closeNow() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.DB.Close()
}

func (g *guardedDB) Get(k []byte) ([]byte, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, nil
	}
	return g.DB.Get(k)
}

func (g *guardedDB) Has(k []byte) (bool, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false, nil
	}
	return g.DB.Has(k)
}

func newLogger(level string, w io.Writer) log.Logger {
	if level == "" || level == "none" {
		return log.NewNopLogger()
	}
	if w == nil {
		w = os.Stderr
	}
	opt, err := log.AllowLevel(level)
	if err != nil {
		opt = log.AllowError()
	}
	return log.NewFilter(log.NewTMLogger(log.NewSyncWriter(w)), opt)
}

// Start starts CometBFT (p2p, consensus, RPC).
func (n *Node) Start() error { return n.cmt.Start() }

// Stop stops CometBFT, then closes the application store. It is safe to call
// more than once.
func (n *Node) Stop() error {
	var err error
	n.stop.Do(func() {
		if n.cmt.IsRunning() {
			err = n.cmt.Stop()
			n.cmt.Wait()
		}
		for _, db := range n.dbs {
			_ = db.closeNow()
		}
		n.mtx.Lock()
		defer n.mtx.Unlock()
		if cerr := n.closer.Close(); err == nil {
			err = cerr
		}
	})
	return err
}

// Home returns the node's home directory.
func (n *Node) Home() string { return n.home }

// Config returns the node's node.json settings.
func (n *Node) Config() Config { return n.config }

// RPCAddress is the CometBFT RPC address, e.g. "tcp://127.0.0.1:26657".
func (n *Node) RPCAddress() string { return n.config.RPCListen }

// CometBFT returns the underlying CometBFT node (block store, mempool, ...).
func (n *Node) CometBFT() *nm.Node { return n.cmt }

// App returns the chain application, or nil when a custom app runs. Read its
// state only while holding no expectations of consistency with a running
// node (use the RPC for that).
func (n *Node) App() *chain.App { return n.chain }

// Height is the last height this node has executed and committed: its block
// is stored and so are its FinalizeBlock results, so AppHashAt(Height())
// always succeeds (the block store alone can run one block ahead).
func (n *Node) Height() int64 {
	n.envOnce.Do(func() { n.env, n.envErr = n.cmt.ConfigureRPC() })
	if n.envErr != nil {
		return 0
	}
	st, err := n.env.StateStore.Load()
	if err != nil {
		return 0
	}
	return st.LastBlockHeight
}

// WaitHeight polls until the node has committed height h or ctx ends.
func (n *Node) WaitHeight(ctx context.Context, h int64) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for n.Height() < h {
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s at height %d, waiting for %d: %w", n.home, n.Height(), h, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Run starts the node of home and stops it when ctx ends.
func Run(ctx context.Context, home string, opts Options) error {
	n, err := New(home, opts)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		n.Stop()
		return err
	}
	<-ctx.Done()
	return n.Stop()
}

// AppHashAt returns the app hash this node's application reported after
// executing height (CometBFT stores every FinalizeBlock response).
func (n *Node) AppHashAt(height int64) ([]byte, error) {
	n.envOnce.Do(func() { n.env, n.envErr = n.cmt.ConfigureRPC() })
	if n.envErr != nil {
		return nil, n.envErr
	}
	res, err := n.env.StateStore.LoadFinalizeBlockResponse(height)
	if err != nil {
		return nil, fmt.Errorf("node %s height %d: %w", n.home, height, err)
	}
	return res.AppHash, nil
}
