package validator

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

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

	clockMu sync.Mutex
	heights []heightAt // recent heights seen, for blockTime
	// verifier is cached for the verifying key vkHash under its scheme.
	verifier zk.SingleVerifier
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
	v.observeHeight(snap.Height)
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

// verifierFor returns the verifier of the subnet's key under its proof
// scheme, parsed once.
func (v *Validator) verifierFor(s zk.Scheme, vk []byte) (zk.SingleVerifier, error) {
	h := zk.KeyHash(vk)
	if v.verifier != nil && h == v.vkHash && v.verifier.Scheme() == s {
		return v.verifier, nil
	}
	ver, err := zk.NewSingleVerifier(s, vk)
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
	var ver zk.SingleVerifier // nil: a proof-less subnet (CheckAnswer)
	if !snap.Subnet.Proofless {
		if ver, err = v.verifierFor(snap.Subnet.Scheme, snap.Subnet.VerifyingKey); err != nil {
			return nil, err
		}
	}
	start := v.cfg.Now()
	rep := &Report{ChainID: v.cfg.ChainID, Subnet: v.cfg.Subnet, Epoch: snap.Epoch, Height: snap.Height,
		UID: me.UID, Registered: registered, Permit: me.ValidatorPermit, Started: start}
	// The challenges stop CommitReserve blocks before the epoch ends, so
	// the commit always lands in its epoch, whatever the miners do.
	budget := v.challengeBudget(ctx, snap)
	rep.DeadlineMs = budget.Milliseconds()
	cctx, cancel := v.challengeWindow(ctx, budget) // window.go
	tempoSecret := TempoSecret(v.secret, snap.Seed, snap.Epoch)
	miners, setHash, err := v.challengeAll(cctx, snap, arch, ver, tempoSecret)
	cancel()
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		// Shutting down mid-tempo: what was cut off is not the miners'
		// doing, so nothing of this tempo is scored or saved; a restart in
		// the same epoch redoes it.
		v.cfg.Logger.Info("tempo discarded: shutting down before it finished", "epoch", snap.Epoch)
		return nil, fmt.Errorf("validator: tempo %d discarded: %w", snap.Epoch, context.Cause(ctx))
	}
	rep.ChallengeSet = hex.EncodeToString(setHash[:])
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
		rec.Salt = CommitSalt(tempoSecret, setHash)
		rec.Hash = CommitHash(v.cfg.ChainID, v.cfg.Subnet, v.pub, snap.Epoch, row, rec.Salt)
	}
	v.st.Scored, v.st.ScoredEpoch = true, snap.Epoch
	v.st.addRecord(rec)
	if err := v.st.save(v.cfg.Home); err != nil {
		return nil, err
	}
	v.logMiners(snap.Epoch, rep.Miners)
	return rep, nil
}

// challengeAll queries every serving miner, at most Concurrency at once,
// and returns one report per UID except the validator's own, by UID, and
// the hash of the tempo's challenge set (ChallengeSetHash).
func (v *Validator) challengeAll(ctx context.Context, snap Snapshot, arch zk.Arch, ver zk.SingleVerifier, tempoSecret [32]byte) ([]MinerReport, [32]byte, error) {
	out := make([]MinerReport, 0, len(snap.Neurons))
	type job struct {
		idx int
		n   Neuron
		chs []Challenge
	}
	var jobs []job
	var uids []uint16
	var plans [][]Challenge
	for _, n := range snap.Neurons {
		if n.Hotkey == v.pub {
			continue
		}
		mr := MinerReport{UID: n.UID, Hotkey: fmt.Sprintf("%x", n.Hotkey[:])}
		if n.Endpoint != "" && n.ModelCommitment != ([32]byte{}) {
			chs, err := PlanChallenges(tempoSecret, snap.Seed, snap.Epoch, n.UID, v.cfg.Dataset, arch.Inputs(), v.cfg.Graded, v.cfg.Decoys)
			if err != nil {
				return nil, [32]byte{}, err
			}
			jobs = append(jobs, job{idx: len(out), n: n, chs: chs})
			uids, plans = append(uids, n.UID), append(plans, chs)
		}
		out = append(out, mr)
	}
	setHash := ChallengeSetHash(snap.Epoch, uids, plans)
	sem := make(chan struct{}, v.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var answers []Answer
			bv := v.cfg.BatchVerifiers[len(j.chs)]
			if snap.Subnet.Scheme != zk.SchemeHash {
				bv = nil // batch proofs bind the hash scheme's commitment
			}
			switch err := v.cfg.Endpoints.CheckURL(j.n.Endpoint); {
			case err != nil:
				answers = refused(j.chs, err)
			case bv != nil && ver != nil: // one /v2/infer batch (batch.go)
				answers = v.queryMinerBatch(ctx, bv, j.n, j.chs, snap.Epoch, arch.Outputs())
			default:
				answers = v.queryMiner(ctx, ver, j.n, j.chs, snap.Epoch, arch.Outputs())
			}
			out[j.idx] = v.scoreMiner(j.n, answers, arch.Outputs())
		}()
	}
	wg.Wait()
	slicesSortByUID(out)
	return out, setHash, nil
}

// refused answers every challenge of a miner whose endpoint the policy
// refuses without dialing it: the first Failed with why, the rest NotSent.
func refused(chs []Challenge, err error) []Answer {
	out := make([]Answer, len(chs))
	for i, ch := range chs {
		out[i] = Answer{Outcome: NotSent, Graded: ch.Graded, Err: err}
	}
	if len(out) > 0 {
		out[0].Outcome = Failed
	}
	return out
}

// challengeBudget is how long the tempo's challenges may take: until
// CommitReserve blocks before the next epoch, at the measured block time.
func (v *Validator) challengeBudget(ctx context.Context, snap Snapshot) time.Duration {
	reserve := v.cfg.CommitReserve
	if reserve == 0 {
		reserve = max(3, snap.Subnet.Tempo/10)
	}
	if snap.NextEpochHeight <= snap.Height+reserve {
		return 0
	}
	return time.Duration(snap.NextEpochHeight-snap.Height-reserve) * v.blockTime(ctx)
}

// observeHeight records when the engine saw a height, for blockTime.
func (v *Validator) observeHeight(h uint64) {
	v.clockMu.Lock()
	defer v.clockMu.Unlock()
	if n := len(v.heights); n > 0 && v.heights[n-1].h >= h {
		return
	}
	v.heights = append(v.heights, heightAt{h: h, t: v.cfg.Now()})
	if len(v.heights) > 64 {
		v.heights = v.heights[1:]
	}
}

// blockTime is Config.BlockTime when set, else the mean block interval
// over the heights observed (at least 4 blocks apart), else what the chain
// says (BlockTimer), else 1 s.
func (v *Validator) blockTime(ctx context.Context) time.Duration {
	if v.cfg.BlockTime > 0 {
		return v.cfg.BlockTime
	}
	if d, ok := v.measuredBlockTime(); ok {
		return d
	}
	if bt, ok := v.cfg.Chain.(BlockTimer); ok {
		if d, err := bt.BlockTime(ctx); err == nil {
			return d
		}
	}
	return time.Second
}

// measuredBlockTime is the mean interval over the heights observed, when
// they span at least 4 blocks.
func (v *Validator) measuredBlockTime() (time.Duration, bool) {
	v.clockMu.Lock()
	defer v.clockMu.Unlock()
	if n := len(v.heights); n >= 2 {
		a, b := v.heights[0], v.heights[n-1]
		if b.h-a.h >= 4 {
			if d := b.t.Sub(a.t) / time.Duration(b.h-a.h); d > 0 {
				return d, true
			}
		}
	}
	return 0, false
}

type heightAt struct {
	h uint64
	t time.Time
}

// logMiners logs the tempo's bad answers: "miner misbehaved" only for an
// invalid answer; a miner that was down or refused the validator is not
// misbehaving, and when every miner refuses with 401/403 the validator's
// own registration or permit is the likely cause, which it says once.
func (v *Validator) logMiners(epoch uint64, miners []MinerReport) {
	served, refusedUs := 0, 0
	for _, m := range miners {
		if !m.Served || m.Unscored {
			continue
		}
		served++
		switch {
		case m.Invalid > 0:
			v.cfg.Logger.Warn("miner misbehaved this tempo", "epoch", epoch, "uid", m.UID,
				"valid", m.Valid, "invalid", m.Invalid, "first", m.Errors[0])
		case m.Failed > 0:
			first := m.Errors[0]
			if strings.Contains(first, "miner answered 401") || strings.Contains(first, "miner answered 403") {
				refusedUs++
			}
			v.cfg.Logger.Info("miner unavailable this tempo", "epoch", epoch, "uid", m.UID, "valid", m.Valid, "first", first)
		}
	}
	if refusedUs > 0 && refusedUs*2 >= served {
		v.cfg.Logger.Warn("most miners refuse this validator's requests (401/403): check that its hotkey is registered "+
			"with a validator permit (stake at least the subnet's min_validator_stake) and that this machine's clock is right",
			"epoch", epoch, "refused", refusedUs, "served", served)
	}
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

// errTempoDeadline: the tempo's challenges ran out of time (its commit
// comes first).
var errTempoDeadline = errors.New("the tempo's challenge deadline passed (the commit comes first)")

// errEpochOver: the epoch moved on before a transaction could be sent.
var errEpochOver = errors.New("the epoch ended before it was sent")
