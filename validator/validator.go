package validator

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// Validator is the engine. Create it with New; drive it with Run (follows
// the chain) or Step (one pass, for tests and tools).
type Validator struct {
	cfg     Config
	pub     [32]byte
	secret  [32]byte
	signer  *api.Signer
	http    *http.Client
	metrics *metrics

	mu sync.Mutex // serialises Step
	st state
	// verifier is cached for the verifying key vkHash.
	verifier *zk.Verifier
	vkHash   [32]byte
}

// New checks cfg, loads the state under cfg.Home (a fresh one when absent)
// and returns the engine.
func New(cfg Config) (*Validator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	v := &Validator{cfg: cfg, secret: Secret(cfg.Hotkey), http: cfg.HTTP, metrics: newMetrics()}
	copy(v.pub[:], cfg.Hotkey.Public().(ed25519.PublicKey))
	v.signer = &api.Signer{ChainID: cfg.ChainID, Key: cfg.Hotkey, Now: cfg.Now}
	fresh := state{Version: stateVersion, ChainID: cfg.ChainID, Subnet: cfg.Subnet, Hotkey: v.pub}
	if v.st, err = loadState(cfg.Home, fresh); err != nil {
		return nil, err
	}
	return v, nil
}

// Hotkey is the validator's public hotkey.
func (v *Validator) Hotkey() [32]byte { return v.pub }

// MetricsHandler serves the engine's Prometheus metrics.
func (v *Validator) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(v.metrics.reg, promhttp.HandlerOpts{})
}

// Step does whatever the chain's current epoch still needs: reveal the
// previous epoch's commit, challenge and score the miners once per epoch,
// and commit (or set) the weights. It returns the tempo's report when it
// scored the epoch in this call, and nil when the epoch was already scored
// (then it only finishes outstanding submissions). An error means a chain
// read or a transaction failed transiently; calling Step again later picks
// up where it stopped without resending what landed.
func (v *Validator) Step(ctx context.Context) (*Report, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	snap, err := v.cfg.Chain.Snapshot(ctx)
	if err != nil {
		v.metrics.chainErrs.Inc()
		return nil, fmt.Errorf("validator: read metagraph: %w", err)
	}
	if snap.Subnet.ID != v.cfg.Subnet {
		return nil, fmt.Errorf("%w: chain returned subnet %d, configured %d", ErrConfig, snap.Subnet.ID, v.cfg.Subnet)
	}
	me, registered := v.self(snap)
	// The previous epoch's reveal goes first: the challenges take a while.
	reveal, err := v.settle(ctx, snap, me, registered)
	if v.st.Scored && v.st.ScoredEpoch >= snap.Epoch {
		return nil, err
	}
	rep, err := v.scoreEpoch(ctx, snap, me, registered)
	if err != nil {
		return nil, err
	}
	again, serr := v.settle(ctx, snap, me, registered)
	if again != nil {
		reveal = again
	}
	rep.Reveal = reveal
	if r := v.st.record(snap.Epoch); r != nil {
		rep.Submit = txReport(r.Kind, r)
	}
	v.finish(rep)
	return rep, serr
}

// self finds the validator's own UID.
func (v *Validator) self(snap Snapshot) (Neuron, bool) {
	for _, n := range snap.Neurons {
		if n.Hotkey == v.pub {
			return n, true
		}
	}
	return Neuron{}, false
}

// verifierFor returns the verifier of the subnet's key, parsed once.
func (v *Validator) verifierFor(vk []byte) (*zk.Verifier, error) {
	h := zk.KeyHash(vk)
	if v.verifier != nil && h == v.vkHash {
		return v.verifier, nil
	}
	ver, err := zk.NewVerifier(vk)
	if err != nil {
		return nil, fmt.Errorf("validator: subnet verifying key: %w", err)
	}
	v.verifier, v.vkHash = ver, h
	return ver, nil
}

// scoreEpoch challenges every serving miner, scores them, folds the EMAs,
// computes the row and persists it (with a fresh salt) before anything is
// sent.
func (v *Validator) scoreEpoch(ctx context.Context, snap Snapshot, me Neuron, registered bool) (*Report, error) {
	arch, err := zk.ParseArch(snap.Subnet.Arch)
	if err != nil {
		return nil, fmt.Errorf("validator: subnet task: %w", err)
	}
	ver, err := v.verifierFor(snap.Subnet.VerifyingKey)
	if err != nil {
		return nil, err
	}
	start := v.cfg.Now()
	rep := &Report{ChainID: v.cfg.ChainID, Subnet: v.cfg.Subnet, Epoch: snap.Epoch, Height: snap.Height,
		UID: me.UID, Registered: registered, Permit: me.ValidatorPermit, Started: start}
	miners, err := v.challengeAll(ctx, snap, arch, ver)
	if err != nil {
		return nil, err
	}
	rep.DurationMs = v.cfg.Now().Sub(start).Milliseconds()
	v.foldEMA(miners)
	rep.Miners = miners

	rec := Record{Epoch: snap.Epoch, Kind: "set", Height: snap.Height, Status: StatusPrepared}
	if snap.Subnet.CommitReveal {
		rec.Kind = "commit"
	}
	row, werr := computeWeights(rep.Miners, snap.Subnet)
	switch {
	case werr != nil:
		rec.Status, rec.Reason = StatusAbandoned, "weights: "+werr.Error()
	case len(row) == 0:
		rec.Status, rec.Reason = StatusAbandoned, errNoWeights.Error()
	case !registered:
		rec.Status, rec.Reason = StatusAbandoned, ErrNotRegistered.Error()
	case !me.ValidatorPermit:
		rec.Status, rec.Reason = StatusAbandoned, "no validator permit: the chain would ignore the weights"
	case rec.Kind == "set" && me.LastUpdate > 0 && snap.Height < me.LastUpdate+snap.Subnet.WeightsRateLimit:
		rec.Status, rec.Reason = StatusAbandoned, fmt.Sprintf("weights rate limit: next set-weights at block %d", me.LastUpdate+snap.Subnet.WeightsRateLimit)
	}
	rec.Weights = row
	if rec.Kind == "commit" && rec.Status == StatusPrepared {
		if rec.Salt, err = NewSalt(); err != nil {
			return nil, err
		}
		rec.Hash = CommitHash(v.cfg.ChainID, v.cfg.Subnet, v.pub, snap.Epoch, row, rec.Salt)
	}
	v.st.Scored, v.st.ScoredEpoch = true, snap.Epoch
	v.st.addRecord(rec)
	if err := v.st.save(v.cfg.Home); err != nil {
		return nil, err
	}
	for _, m := range rep.Miners {
		if len(m.Errors) > 0 {
			v.cfg.Logger.Warn("miner misbehaved this tempo", "epoch", snap.Epoch, "uid", m.UID,
				"valid", m.Valid, "invalid", m.Invalid, "failed", m.Failed, "first", m.Errors[0])
		}
	}
	return rep, nil
}

// challengeAll queries every serving miner, at most Concurrency at once,
// and returns one report per UID except the validator's own, by UID.
func (v *Validator) challengeAll(ctx context.Context, snap Snapshot, arch zk.Arch, ver *zk.Verifier) ([]MinerReport, error) {
	out := make([]MinerReport, 0, len(snap.Neurons))
	type job struct {
		idx int
		n   Neuron
		chs []Challenge
	}
	var jobs []job
	for _, n := range snap.Neurons {
		if n.Hotkey == v.pub {
			continue
		}
		mr := MinerReport{UID: n.UID, Hotkey: fmt.Sprintf("%x", n.Hotkey[:])}
		if n.Endpoint != "" && n.ModelCommitment != ([32]byte{}) {
			chs, err := PlanChallenges(v.secret, snap.Seed, snap.Epoch, n.UID, v.cfg.Dataset, arch.Inputs(), v.cfg.Graded, v.cfg.Decoys)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, job{idx: len(out), n: n, chs: chs})
		}
		out = append(out, mr)
	}
	sem := make(chan struct{}, v.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			answers := v.queryMiner(ctx, ver, j.n, j.chs, snap.Epoch, arch.Outputs())
			out[j.idx] = v.scoreMiner(j.n, answers)
		}()
	}
	wg.Wait()
	slicesSortByUID(out)
	return out, nil
}

// finish writes the report file, updates the metrics and calls OnReport.
func (v *Validator) finish(rep *Report) {
	if b, err := json.MarshalIndent(rep, "", "  "); err == nil {
		if err := writeAtomic(filepath.Join(v.cfg.Home, ReportFile), b); err != nil {
			v.cfg.Logger.Warn("writing the report", "err", err)
		}
	}
	v.metrics.observeReport(rep)
	v.cfg.Logger.Info("tempo scored", "epoch", rep.Epoch, "miners", len(rep.Miners), "ms", rep.DurationMs,
		"submit", rep.Submit.Status, "reason", rep.Submit.Reason)
	if v.cfg.OnReport != nil {
		v.cfg.OnReport(rep)
	}
}

// errEpochOver: the epoch moved on before a transaction could be sent.
var errEpochOver = errors.New("the epoch ended before it was sent")
