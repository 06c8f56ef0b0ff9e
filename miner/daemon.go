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

	"github.com/veritensor/veritensor/chain/keys"
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
// returns nil. On start it reads the hotkey from <home>/keys, asks the node
// for its chain ID (retrying while the node is unreachable), reads the
// subnet, checks the hotkey holds a UID (ErrNotRegistered names the command
// that registers it), loads the model and the subnet's proving key (checked
// against the chain's pk_hash: ErrProvingKey), listens on cfg.Listen,
// serves its endpoint, model commitment and hardware on chain, and calls
// hooks.OnReady. Then it answers /v1/infer for the subnet's permitted
// validators (read from the metagraph every cfg.Refresh, re-serving when
// the chain's endpoint or commitment differ) and proves and submits one
// proof per epoch. cfg.Behavior injects faults (see Behavior).
func RunDaemon(ctx context.Context, cfg Config, hooks DaemonHooks) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := hooks.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hwSample := hooks.Hardware
	if hwSample == nil {
		hwSample = func() hw.Summary { return hw.Inventory(hw.NewNVML()) }
	}
	k, err := keys.Open(cfg.Home).Get(cfg.Hotkey)
	if err != nil {
		return fmt.Errorf("miner: hotkey %q: %w", cfg.Hotkey, err)
	}
	subnet := uint16(cfg.Subnet)
	cc, err := NewChainClient(cfg.Node, subnet, k.Private, ChainOptions{Fee: cfg.Fee, TxTimeout: time.Duration(cfg.TxTimeout)})
	if err != nil {
		return err
	}

	// The chain, the subnet, the registration.
	var chainID string
	for back := time.Second; ; back = min(2*back, 30*time.Second) {
		if chainID, err = cc.ChainID(ctx); err == nil {
			break
		}
		log.Warn("node unreachable; retrying", "node", cfg.Node, "err", err, "in", back)
		if sleep(ctx, back) != nil {
			return nil
		}
	}
	if cfg.ChainID != "" && cfg.ChainID != chainID {
		return fmt.Errorf("%w: chain-id %q, but node %s is on %q", ErrConfig, cfg.ChainID, cfg.Node, chainID)
	}
	si, me, err := waitRegistered(ctx, cc, time.Duration(cfg.RegistrationWait), time.Duration(cfg.Poll), log)
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, ErrNotRegistered) {
		return fmt.Errorf("%w: hotkey %s (%q in %s/keys) holds no UID on subnet %d after waiting %s: run "+
			"'veritensor tx register --subnet %d --hotkey %s --from OWNER --home %s --node %s' "+
			"(OWNER: the key in %s/keys that pays the registration burn of %d base units)",
			ErrNotRegistered, k.Address(), cfg.Hotkey, cfg.Home, subnet, time.Duration(cfg.RegistrationWait), subnet, cfg.Hotkey, cfg.Home, cfg.Node,
			cfg.Home, si.Hyper.RegistrationBurn)
	}
	if err != nil {
		return fmt.Errorf("miner: %w", err)
	}
	if me.ValidatorPermit && me.Stake > 0 {
		return fmt.Errorf("%w: hotkey %s (%q in %s/keys) is UID %d with a validator permit (stake %d) on subnet %d: "+
			"it is a validator's hotkey; give the miner its own (veritensor keys add miner --home <miner home>) and register that",
			ErrConfig, k.Address(), cfg.Hotkey, cfg.Home, me.UID, me.Stake, subnet)
	}
	if err := checkTask(ctx, cc, si, log); err != nil {
		return err
	}
	// A proof-less subnet has no ceremony, keys or epoch proofs.
	proofless := si.Task.Proofless
	keysDir := cfg.KeysDir
	if !proofless {
		if keysDir, err = checkSetup(ctx, hooks.CheckSetup, si, cfg.KeysDir); err != nil {
			return fmt.Errorf("miner: refusing to serve subnet %d: %w", si.ID, err)
		}
	}

	// What it serves and what it proves with.
	model, err := LoadModel(cfg.Model, si)
	if err != nil {
		return err
	}
	pub := [32]byte(k.Public())
	bind := pub
	proveModel := model
	switch cfg.Behavior {
	case Forger:
		if proveModel, err = LoadModel(cfg.ForgeModel, si); err != nil {
			return err
		}
	case Copycat:
		bind, _ = parseHotkey(cfg.CopyHotkey) // checked by Validate
	}
	var prover server.Prover = lazyProver{classes: int(si.Task.OutputSize)}
	if cfg.Behavior.proves() && proofless {
		prover = NativeProver{Model: proveModel}
	} else if cfg.Behavior.proves() {
		start := time.Now()
		zp, err := LoadProver(keysDir, si)
		if err != nil {
			return err
		}
		log.Info("proving key loaded", "arch", si.Task.Arch, "constraints", zp.NbConstraints(), "took", time.Since(start).Round(time.Millisecond))
		prover = &ZKProver{Prover: zp, Model: proveModel, Hotkey: bind}
	}
	if cfg.Behavior != Honest {
		log.Warn("fault injection: this miner misbehaves on purpose (tests and demos only)", "behavior", cfg.Behavior)
	}

	// The HTTP server.
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("miner: listen: %w", err)
	}
	bound := l.Addr().String()
	endpoint := cfg.Advertise
	if endpoint == "" {
		endpoint = advertiseURL(bound)
		if host, _, _ := net.SplitHostPort(bound); net.ParseIP(host) == nil || net.ParseIP(host).IsUnspecified() {
			log.Warn("advertising a loopback endpoint: set advertise to the URL validators reach you at", "endpoint", endpoint)
		}
	}
	permits := server.NewPermitSet(nil)
	commit := model.Commitment()
	scfg := cfg.ServerConfig()
	scfg.ChainID, scfg.Miner, scfg.InputLen = chainID, pub, int(si.Task.InputSize)
	scfg.ModelCommitment, scfg.CircuitID, scfg.Version = hex.EncodeToString(commit[:]), hex.EncodeToString(si.Task.CircuitID[:]), Version
	scfg.Prover, scfg.Permits, scfg.Hardware, scfg.Logger = prover, permits, hwSample, log
	srv, err := server.New(scfg)
	if err != nil {
		l.Close()
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.ShutdownTimeout))
		defer cancel()
		return srv.Shutdown(sctx)
	}

	// Serve on chain before the first proof (submit-proof needs it).
	f := NewFollower(cc, permits, ServeSpec{Endpoint: endpoint, Commitment: commit, Hardware: hwSample().Canonical()},
		time.Duration(cfg.Refresh), log)
	for back := time.Second; ; back = min(2*back, 30*time.Second) {
		err := f.Sync(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return shutdown()
		}
		if errors.Is(err, ErrNotRegistered) {
			shutdown()
			return fmt.Errorf("miner: %w", err)
		}
		log.Warn("serving on chain; retrying", "err", err, "in", back)
		if sleep(ctx, back) != nil {
			return shutdown()
		}
	}
	log.Info("miner serving", "chain", chainID, "subnet", subnet, "uid", me.UID, "hotkey", k.Address(),
		"listen", bound, "endpoint", endpoint, "commitment", hex.EncodeToString(commit[:]), "behavior", cfg.Behavior)
	if cfg.Behavior == Offline {
		// Registered and served; from now on nobody answers.
		if err := shutdown(); err != nil {
			log.Warn("closing the HTTP server", "err", err)
		}
		if hooks.OnReady != nil {
			hooks.OnReady(bound)
		}
		<-ctx.Done()
		return nil
	}
	if hooks.OnReady != nil {
		hooks.OnReady(bound)
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); f.Run(rctx) }()
	if cfg.Behavior.submits() && !proofless {
		loop := &EpochLoop{Source: cc, Prover: prover, Submitter: cc, Poll: time.Duration(cfg.Poll), Logger: log,
			OnResult: hooks.OnEpoch, Challenge: challengeFunc(f, int(si.Task.InputSize))}
		wg.Add(1)
		go func() { defer wg.Done(); _ = loop.Run(rctx) }()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-serveErr:
		runErr = fmt.Errorf("miner: http server: %w", runErr)
	}
	cancel()
	if err := shutdown(); err != nil && runErr == nil {
		log.Warn("shutdown", "err", err)
	}
	wg.Wait()
	log.Info("miner stopped", "err", runErr)
	return runErr
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
