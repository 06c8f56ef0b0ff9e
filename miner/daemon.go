package miner

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/miner/fault"
	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/miner/server"
	"github.com/veritensor/veritensor/zk"
)

// Version is the miner software version shown in /v1/info.
var Version = "dev"

// DaemonHooks are optional callbacks of RunDaemon.
type DaemonHooks struct {
	// Logger gets the daemon's log lines (discarded when nil).
	Logger *slog.Logger
	// OnReady is called once the HTTP server listens and the endpoint is
	// served on chain, with the bound address (host:port; useful with
	// listen ":0").
	OnReady func(listenAddr string)
	// OnEpoch is called after each epoch the daemon proved for.
	OnEpoch func(EpochResult)
	// Hardware samples the machine (hw.Inventory(hw.NewNVML()) when nil);
	// its Canonical form is served on chain.
	Hardware func() hw.Summary
	// CheckSetup verifies the subnet's setup ceremony before anything is
	// served or proved (nil: no check; see SetupCheck).
	CheckSetup SetupCheck
}

// RunDaemon runs a miner until ctx ends, then shuts down gracefully and
// returns nil. Its stages, in order:
//
//  1. setup: check cfg, read the hotkey from <home>/keys, make the chain
//     client;
//  2. wait: ask the node for its chain ID (retrying while the node is
//     unreachable), read the subnet, wait for the hotkey's UID
//     (ErrNotRegistered names the command that registers it), verify the
//     setup ceremony (hooks.CheckSetup);
//  3. load: the model and the subnet's proving key (checked against the
//     chain's pk_hash: ErrProvingKey) for the subnet's proof scheme
//     (chain.TaskSpec.Scheme; batch and gpu are hash-scheme only);
//  4. start: listen on cfg.Listen, serve the endpoint, model commitment
//     (the scheme's: zk.SingleProver.ModelCommitment) and hardware on
//     chain, call hooks.OnReady;
//  5. run: answer /v1/infer for the subnet's permitted validators (read
//     from the metagraph every cfg.Refresh, re-serving when the chain's
//     endpoint or commitment differ) and prove and submit one proof per
//     epoch, until ctx ends or the HTTP server fails;
//  6. cleanup: shut the HTTP server down (cfg.ShutdownTimeout) and wait for
//     the loops.
//
// A fault (cfg.Behavior other than honest, see package fault) changes the
// prover, and whether the server stays up and the epoch loop runs; the
// stages ask it, nothing else switches on it.
func RunDaemon(ctx context.Context, cfg Config, hooks DaemonHooks) error {
	d, err := setupDaemon(cfg, hooks)
	if err != nil {
		return err
	}
	if err := d.wait(ctx); err != nil || ctx.Err() != nil {
		return quiet(ctx, err)
	}
	if err := d.load(); err != nil {
		return err
	}
	if err := d.start(ctx); err != nil || ctx.Err() != nil {
		return d.cleanup(quiet(ctx, err))
	}
	return d.cleanup(d.run(ctx))
}

// quiet is nil when ctx ended (a shutdown, not a failure), else err.
func quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// daemonRun is one run of RunDaemon, filled in stage by stage.
type daemonRun struct {
	cfg   Config
	hooks DaemonHooks
	log   *slog.Logger
	fault fault.Fault // nil: honest
	hw    func() hw.Summary

	// setup
	key    keys.Key
	pub    [32]byte // the hotkey's public key
	subnet uint16
	cc     *ChainClient
	// wait
	chainID string
	si      chain.SubnetInfo
	me      chain.NeuronInfo
	keysDir string
	// load
	model *zk.Model
	// single proves the subnet's single-inference circuit under its
	// scheme (nil on a proof-less subnet); commit is what the miner
	// registers for model: single.ModelCommitment(model), or
	// model.Commitment() (the Poseidon2 hash, no key needed) on a
	// proof-less subnet and for a fault on a hash-scheme one.
	single zk.SingleProver
	commit [32]byte
	prover server.Prover
	// backend and device are what the prover runs on, for /v1/info
	// (zk.BackendCPU, or zk.BackendIcicleGPU and the GPU's name).
	backend, device string
	batch           server.BatchProver // nil: no /v2/infer
	// start
	srv      *server.Server
	serveErr chan error
	bound    string
	follower *Follower
	stopped  bool // the HTTP server is shut down
}

// setupDaemon checks the configuration, reads the hotkey and makes the
// chain client: nothing touches the network yet.
func setupDaemon(cfg Config, hooks DaemonHooks) (*daemonRun, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f, err := cfg.Fault()
	if err != nil {
		return nil, err
	}
	d := &daemonRun{cfg: cfg, hooks: hooks, log: hooks.Logger, fault: f, hw: hooks.Hardware, subnet: uint16(cfg.Subnet)}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.hw == nil {
		d.hw = func() hw.Summary { return hw.Inventory(hw.NewNVML()) }
	}
	if d.key, err = keys.Open(cfg.Home).Get(cfg.Hotkey); err != nil {
		return nil, fmt.Errorf("miner: hotkey %q: %w", cfg.Hotkey, err)
	}
	d.pub = [32]byte(d.key.Public())
	d.cc, err = NewChainClient(cfg.Node, d.subnet, d.key.Private, ChainOptions{Fee: cfg.Fee, TxTimeout: time.Duration(cfg.TxTimeout)})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// wait reaches the node, reads the subnet, waits for the hotkey's
// registration and checks the setup ceremony.
func (d *daemonRun) wait(ctx context.Context) error {
	cfg, log := d.cfg, d.log
	var err error
	if d.chainID, err = d.cc.WaitChainID(ctx, func(err error, in time.Duration) {
		log.Warn("node unreachable; retrying", "node", cfg.Node, "err", err, "in", in)
	}); err != nil {
		return nil // ctx ended
	}
	if cfg.ChainID != "" && cfg.ChainID != d.chainID {
		return fmt.Errorf("%w: chain-id %q, but node %s is on %q", ErrConfig, cfg.ChainID, cfg.Node, d.chainID)
	}
	d.si, d.me, err = waitRegistered(ctx, d.cc, time.Duration(cfg.RegistrationWait), time.Duration(cfg.Poll), log)
	if ctx.Err() != nil {
		return nil
	}
	k, subnet := d.key, d.subnet
	if errors.Is(err, ErrNotRegistered) {
		return fmt.Errorf("%w: hotkey %s (%q in %s/keys) holds no UID on subnet %d after waiting %s: run "+
			"'veritensor tx register --subnet %d --hotkey %s --from OWNER --home %s --node %s' "+
			"(OWNER: the key in %s/keys that pays the registration burn of %d base units)",
			ErrNotRegistered, k.Address(), cfg.Hotkey, cfg.Home, subnet, time.Duration(cfg.RegistrationWait), subnet, cfg.Hotkey, cfg.Home, cfg.Node,
			cfg.Home, d.si.Hyper.RegistrationBurn)
	}
	if err != nil {
		return fmt.Errorf("miner: %w", err)
	}
	if d.me.ValidatorPermit && d.me.Stake > 0 {
		return fmt.Errorf("%w: hotkey %s (%q in %s/keys) is UID %d with a validator permit (stake %d) on subnet %d: "+
			"it is a validator's hotkey; give the miner its own (veritensor keys add miner --home <miner home>) and register that",
			ErrConfig, k.Address(), cfg.Hotkey, cfg.Home, d.me.UID, d.me.Stake, subnet)
	}
	if err := checkTask(ctx, d.cc, d.si, d.log); err != nil {
		return err
	}
	d.keysDir = cfg.KeysDir
	if d.si.Task.Proofless {
		return nil // a proof-less subnet has no ceremony, keys or epoch proofs
	}
	if err := checkScheme(cfg, d.si); err != nil {
		return err
	}
	if d.keysDir, err = checkSetup(ctx, d.hooks.CheckSetup, d.si, cfg.KeysDir); err != nil {
		return fmt.Errorf("miner: refusing to serve subnet %d: %w", d.si.ID, err)
	}
	return nil
}

// load reads the model the miner serves and builds what it proves with:
// the production prover, or the fault's.
func (d *daemonRun) load() error {
	var err error
	if d.model, err = LoadModel(d.cfg.Model, d.si); err != nil {
		return err
	}
	scheme, _ := d.si.Task.Scheme() // an unknown circuit: LoadProver says so
	switch {
	case d.si.Task.Proofless || (scheme == zk.SchemeHash && d.fault != nil):
		// The Poseidon2 hash needs no key (a fault loads the prover only if
		// it proves).
		d.commit = d.model.Commitment()
	default:
		// The model point depends on the proving key.
		if err := d.loadProver(); err != nil {
			return err
		}
		if d.commit, err = d.single.ModelCommitment(d.model); err != nil {
			return fmt.Errorf("%w: model %s: %w", ErrConfig, d.cfg.Model, err)
		}
	}
	if d.fault == nil {
		if d.prover, err = d.zkProver(d.model, d.pub); err != nil || d.cfg.Batch == 0 {
			return err
		}
		bp, err := d.zkBatchProver(d.model, d.pub)
		if err != nil {
			return err
		}
		d.batch = bp
		return nil
	}
	d.log.Warn("fault injection: this miner misbehaves on purpose (tests and demos only)", "behavior", d.fault.Behavior())
	env := fault.Env{Classes: int(d.si.Task.OutputSize), Model: d.model, Hotkey: d.pub,
		LoadModel: func(path string) (*zk.Model, error) { return LoadModel(path, d.si) },
		Prover:    func(m *zk.Model, hotkey [32]byte) (server.Prover, error) { return d.zkProver(m, hotkey) }}
	if d.prover, err = d.fault.Prover(env); err != nil || d.cfg.Batch == 0 {
		return err
	}
	bf, ok := d.fault.(fault.BatchFault)
	if !ok {
		return nil // serves no batches: /v2/infer answers 404
	}
	env.BatchProver = func(m *zk.Model, hotkey [32]byte) (server.BatchProver, error) {
		if d.si.Task.Proofless {
			return nil, fmt.Errorf("%w: a proof-less subnet has no batch proofs", ErrConfig)
		}
		bp, err := d.zkBatchProver(m, hotkey)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return bp, nil
	}
	bp, err := bf.BatchProver(env, []int{d.cfg.Batch})
	if err != nil {
		return err
	}
	d.batch = bp
	return nil
}

// zkBatchProver loads the batch circuit's proving key for cfg.Batch inputs
// (batchprover.go) from cfg.KeysDir, where `ceremony verify --batch K
// --store` puts it (not the verified single circuit's directory a
// CheckSetup returns), and returns the batch prover of model for /v2/infer,
// its proofs bound to hotkey.
func (d *daemonRun) zkBatchProver(model *zk.Model, hotkey [32]byte) (*ZKBatchProver, error) {
	arch, err := zk.ParseArch(d.si.Task.Arch)
	if err != nil {
		return nil, fmt.Errorf("%w: subnet %d architecture %q: %w", ErrProvingKey, d.si.ID, d.si.Task.Arch, err)
	}
	start := time.Now()
	ps, err := LoadBatchProvers(d.cfg.KeysDir, arch, []int{d.cfg.Batch})
	if err != nil {
		return nil, err
	}
	d.log.Info("batch proving key loaded", "arch", arch, "batch", d.cfg.Batch, "took", time.Since(start).Round(time.Millisecond))
	return &ZKBatchProver{Provers: ps, Model: model, Hotkey: hotkey}, nil
}

// checkScheme refuses, before any key is read, the settings the subnet's
// proof scheme cannot serve: batch proofs (/v2/infer) bind the Poseidon2
// model commitment, so they exist under the hash scheme only, and the
// commit scheme proves on the CPU only.
func checkScheme(cfg Config, si chain.SubnetInfo) error {
	s, err := si.Task.Scheme()
	if err != nil || s == zk.SchemeHash {
		return nil // an unknown circuit: LoadProver says so
	}
	if cfg.Batch != 0 {
		return fmt.Errorf("%w: batch: subnet %d uses the %s proof scheme, and batch proofs (/v2/infer) bind the Poseidon2 "+
			"model commitment, so they exist for hash-scheme subnets only: drop batch (validators send this subnet's "+
			"challenges one by one to /v1/infer)", ErrConfig, si.ID, s)
	}
	if cfg.GPU {
		return fmt.Errorf("%w: gpu: subnet %d uses the %s proof scheme, which proves on the CPU only: drop gpu",
			ErrConfig, si.ID, s)
	}
	return nil
}

// loadProver loads the subnet's proving key into d.single (once: faults
// that prove another model or for another hotkey share it).
func (d *daemonRun) loadProver() error {
	start := time.Now()
	var opts []zk.ProverOption
	if d.cfg.GPU {
		opts = append(opts, zk.WithGPU())
	}
	zp, err := LoadProver(d.keysDir, d.si, opts...)
	if err != nil {
		return err
	}
	d.single, d.backend, d.device = zp, zp.Backend(), ""
	if d.backend == zk.BackendIcicleGPU {
		d.device = gpuDevice(d.hw())
	}
	d.log.Info("proving key loaded", "arch", d.si.Task.Arch, "scheme", zp.Scheme(), "constraints", zp.NbConstraints(),
		"backend", d.backend, "device", d.device, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// zkProver returns the production prover of model, its proofs bound to
// hotkey, with the subnet's proving key (loadProver).
func (d *daemonRun) zkProver(model *zk.Model, hotkey [32]byte) (server.Prover, error) {
	if d.si.Task.Proofless {
		return NativeProver{Model: model}, nil // answers without proofs
	}
	if d.single == nil {
		if err := d.loadProver(); err != nil {
			return nil, err
		}
	}
	return &ZKProver{Prover: d.single, Model: model, Hotkey: hotkey}, nil
}

// start listens, serves the endpoint, commitment and hardware on chain (a
// submit-proof needs it) and calls OnReady. A fault that does not serve
// closes its HTTP server once it is on chain.
func (d *daemonRun) start(ctx context.Context) error {
	cfg, log := d.cfg, d.log
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("miner: listen: %w", err)
	}
	d.bound = l.Addr().String()
	endpoint := cfg.Advertise
	if endpoint == "" {
		endpoint = advertiseURL(d.bound)
		if host, _, _ := net.SplitHostPort(d.bound); net.ParseIP(host) == nil || net.ParseIP(host).IsUnspecified() {
			log.Warn("advertising a loopback endpoint: set advertise to the URL validators reach you at", "endpoint", endpoint)
		}
	}
	permits := server.NewPermitSet(nil)
	commit := d.commit
	scfg := cfg.ServerConfig()
	scfg.ChainID, scfg.Miner, scfg.InputLen = d.chainID, d.pub, int(d.si.Task.InputSize)
	if s, err := d.si.Task.Scheme(); err == nil && !d.si.Task.Proofless {
		scfg.Scheme = s.String()
	}
	scfg.ModelCommitment, scfg.CircuitID, scfg.Version = hex.EncodeToString(commit[:]), hex.EncodeToString(d.si.Task.CircuitID[:]), Version
	scfg.Prover, scfg.Permits, scfg.Hardware, scfg.Logger = d.prover, permits, d.hw, log
	scfg.Backend, scfg.BackendDevice = d.backend, d.device // "" (no zk prover): server's "cpu"
	if d.batch != nil {
		scfg.Batch = d.batch
	}
	if d.srv, err = server.New(scfg); err != nil {
		l.Close()
		d.stopped = true
		return err
	}
	d.serveErr = make(chan error, 1)
	go func() { d.serveErr <- d.srv.Serve(l) }()

	d.follower = NewFollower(d.cc, permits, ServeSpec{Endpoint: endpoint, Commitment: commit, Hardware: d.hw().Canonical()},
		time.Duration(cfg.Refresh), log)
	back := client.Backoff{Min: time.Second, Max: 30 * time.Second}
	for {
		err := d.follower.Sync(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrNotRegistered) {
			return fmt.Errorf("miner: %w", err)
		}
		wait := back.Next()
		log.Warn("serving on chain; retrying", "err", err, "in", wait)
		if sleep(ctx, wait) != nil {
			return nil
		}
	}
	behavior := fault.Honest
	if d.fault != nil {
		behavior = d.fault.Behavior()
	}
	log.Info("miner serving", "chain", d.chainID, "subnet", d.subnet, "uid", d.me.UID, "hotkey", d.key.Address(),
		"listen", d.bound, "endpoint", endpoint, "commitment", hex.EncodeToString(commit[:]), "behavior", behavior)
	if d.fault != nil && !d.fault.Serves() {
		// Registered and served; from now on nobody answers.
		if err := d.shutdown(); err != nil {
			log.Warn("closing the HTTP server", "err", err)
		}
	}
	if d.hooks.OnReady != nil {
		d.hooks.OnReady(d.bound)
	}
	return nil
}

// run follows the metagraph and, unless a fault says otherwise, proves and
// submits each epoch, until ctx ends (nil) or the HTTP server fails.
func (d *daemonRun) run(ctx context.Context) error {
	if d.stopped {
		<-ctx.Done()
		return nil
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.follower.Run(rctx) }()
	if (d.fault == nil || d.fault.Submits()) && !d.si.Task.Proofless {
		loop := &EpochLoop{Source: d.cc, Prover: d.prover, Submitter: d.cc, Poll: time.Duration(d.cfg.Poll), Logger: d.log,
			OnResult: d.hooks.OnEpoch, Challenge: challengeFunc(d.follower, int(d.si.Task.InputSize))}
		wg.Add(1)
		go func() { defer wg.Done(); _ = loop.Run(rctx) }()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-d.serveErr:
		runErr = fmt.Errorf("miner: http server: %w", runErr)
	}
	cancel()
	if err := d.shutdown(); err != nil && runErr == nil {
		d.log.Warn("shutdown", "err", err)
	}
	wg.Wait()
	d.log.Info("miner stopped", "err", runErr)
	return runErr
}

// cleanup shuts the HTTP server down if it still runs and returns err.
func (d *daemonRun) cleanup(err error) error {
	if serr := d.shutdown(); serr != nil && err == nil {
		return serr
	}
	return err
}

// shutdown stops the HTTP server, waiting up to cfg.ShutdownTimeout for
// the proofs in flight; later calls do nothing.
func (d *daemonRun) shutdown() error {
	if d.stopped || d.srv == nil {
		return nil
	}
	d.stopped = true
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(d.cfg.ShutdownTimeout))
	defer cancel()
	return d.srv.Shutdown(sctx)
}

// challengeFunc derives the epoch's challenge input from its seed and the
// miner's UID, as the chain does (zk.ChallengeInput).
func challengeFunc(f *Follower, inputs int) ChallengeFunc {
	return func(epoch uint64, seed [32]byte) ([]int8, error) {
		uid, ok := f.UID()
		if !ok {
			return nil, fmt.Errorf("%w: no UID for this hotkey", ErrNotRegistered)
		}
		return zk.ChallengeInput(seed, uint32(uid), inputs), nil
	}
}

// advertiseURL is http://<bound>, with 127.0.0.1 for an unspecified host.
func advertiseURL(bound string) string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return "http://" + bound
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
