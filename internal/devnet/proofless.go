package devnet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/internal/task"
	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/miner/fault"
	"github.com/veritensor/veritensor/validator"
	"github.com/veritensor/veritensor/zk"
)

// The proof-less subnet (Options.ProoflessSubnet): a second subnet on the
// same chain, created from the same arch's task spec with require_proof
// false, so it has no ceremony and no verifying key. Its miners answer
// without proofs and submit no epoch proofs; the two scoring validators
// (with hotkeys of their own on it) grade the answers against their
// held-out labels, with many graded challenges per tempo because answers
// cost no proof; commit-reveal, consensus and payouts are the chain's as
// for the proven subnet. An honest miner is paid, a lazy one (random
// classes) scores about nothing.

// ProoflessSubnetName is the proof-less subnet's name.
const ProoflessSubnetName = "devnet-mnist-noproof"

// DefaultProoflessBehaviors are the proof-less subnet's miners.
var DefaultProoflessBehaviors = []Behavior{Honest, Weak, Lazy}

// prooflessGraded is each validator's graded challenges per miner per
// tempo on the proof-less subnet: without proofs an answer costs
// microseconds, and many challenges pin a random guesser's
// chance-corrected quality near 0 (its expected quality is 0; with 100
// challenges a lucky tempo above 0.1 has odds of about 1 in 300).
const prooflessGraded = 100

// Keys of the proof-less subnet's actors (funded by transfers at setup).
func prooflessValidatorHotkey(j int) ed25519.PrivateKey { return key(60 + j) }
func prooflessMinerOwnerKey(i int) ed25519.PrivateKey   { return key(200 + 2*i) }
func prooflessMinerHotkey(i int) ed25519.PrivateKey     { return key(201 + 2*i) }

// sideState is the proof-less subnet's part of devnet.json.
type sideState struct {
	Created    bool     `json:"created"`
	Funded     bool     `json:"funded"`
	Subnet     uint16   `json:"subnet"`
	TaskHash   string   `json:"task_hash"`
	Validators []member `json:"validators"`
	Miners     []member `json:"miners"`
}

// side runs the proof-less subnet.
type side struct {
	st    *sideState
	spec  task.Spec
	tally *tally
	acc   *accounts
	ready chan int
}

// sideDaemons is how many daemons the proof-less subnet runs.
func sideDaemons(s *state) int {
	if s.Proofless == nil {
		return 0
	}
	return len(s.Proofless.Miners) + len(s.Proofless.Validators)
}

// ensureProofless creates, funds, registers and stakes the proof-less
// subnet unless the state has it (nil, nil when the devnet has none).
func ensureProofless(ctx context.Context, c *client.Client, s *state, o *Options, say func(string, ...any)) (*side, error) {
	if s.Proofless == nil && !o.ProoflessSubnet {
		return nil, nil
	}
	if s.Proofless == nil {
		s.Proofless = &sideState{Validators: make([]member, ScoringValidators)}
		for _, b := range o.ProoflessBehaviors {
			s.Proofless.Miners = append(s.Proofless.Miners, member{Behavior: b})
		}
	}
	ps := s.Proofless
	spec, _, err := subnetSpec(s.Arch, false, zk.SchemeHash)
	if err != nil {
		return nil, err
	}
	save := func() error { return s.save(o.Home) }
	if !ps.Funded {
		for j := range ps.Validators {
			if _, err := c.Transfer(ctx, validatorOwnerKey(j), addr(prooflessValidatorHotkey(j)), 1_000_000_000_000, fee); err != nil {
				return nil, fmt.Errorf("devnet: fund proof-less validator hotkey %d: %w", j, err)
			}
		}
		for i := range ps.Miners {
			for _, k := range []ed25519.PrivateKey{prooflessMinerOwnerKey(i), prooflessMinerHotkey(i)} {
				if _, err := c.Transfer(ctx, subnetOwnerKey(), addr(k), 1_000_000_000_000, fee); err != nil {
					return nil, fmt.Errorf("devnet: fund proof-less miner %d: %w", i, err)
				}
			}
		}
		ps.Funded = true
		if err := save(); err != nil {
			return nil, err
		}
	}
	if !ps.Created {
		h := chain.DefaultHyperparams()
		h.Tempo, h.ImmunityPeriod, h.MaxValidators = s.Tempo, 100_000, ScoringValidators
		h.MaxUIDs = uint16(ScoringValidators + len(ps.Miners) + 2)
		h.ActivityCutoff, h.RegistrationBurn = 100_000, registrationBurn
		h.CommitReveal, h.RequireProof = true, false
		if _, err := createTaskSubnet(ctx, c, ProoflessSubnetName, s.Arch, false, zk.SchemeHash, 0, h); err != nil {
			return nil, fmt.Errorf("devnet: create the proof-less subnet: %w", err)
		}
		sns, err := c.Subnets(ctx)
		if err != nil {
			return nil, err
		}
		found := false
		for _, sn := range sns.Subnets {
			if sn.Name == ProoflessSubnetName && sn.Owner == addr(subnetOwnerKey()) {
				ps.Subnet, found = sn.ID, true
			}
		}
		if !found {
			return nil, errors.New("devnet: the proof-less subnet is not listed")
		}
		ps.Created, ps.TaskHash = true, taskHash(spec)
		say("subnet %d created: %s, task %s (hash %s...), no proofs (no ceremony, no verifying key), commit-reveal on",
			ps.Subnet, s.Arch, spec.Name, ps.TaskHash)
		if err := save(); err != nil {
			return nil, err
		}
	}
	register := func(m *member, owner, hot ed25519.PrivateKey, what string) error {
		if m.Registered {
			return nil
		}
		n, err := c.NeuronByHotkey(ctx, ps.Subnet, addr(hot))
		if errors.Is(err, chain.ErrNeuronNotFound) {
			if _, err = c.Register(ctx, owner, hot, ps.Subnet, fee); err != nil {
				return fmt.Errorf("devnet: proof-less subnet: register %s: %w", what, err)
			}
			n, err = c.NeuronByHotkey(ctx, ps.Subnet, addr(hot))
		}
		if err != nil {
			return fmt.Errorf("devnet: proof-less subnet: %s: %w", what, err)
		}
		m.UID, m.Registered = n.UID, true
		say("proof-less subnet %d: registered %s as uid %d", ps.Subnet, what, n.UID)
		return save()
	}
	for j := range ps.Validators {
		v := &ps.Validators[j]
		if err := register(v, validatorOwnerKey(j), prooflessValidatorHotkey(j), fmt.Sprintf("validator %d", j)); err != nil {
			return nil, err
		}
		if v.Staked {
			continue
		}
		st, err := c.Stake(ctx, ps.Subnet, addr(prooflessValidatorHotkey(j)))
		if err != nil {
			return nil, err
		}
		if st.Total == 0 {
			if _, err := c.AddStake(ctx, validatorOwnerKey(j), ps.Subnet, addr(prooflessValidatorHotkey(j)), validatorStake(j), fee); err != nil {
				return nil, fmt.Errorf("devnet: proof-less subnet: stake validator %d: %w", j, err)
			}
		}
		v.Staked = true
		if err := save(); err != nil {
			return nil, err
		}
	}
	for i := range ps.Miners {
		m := &ps.Miners[i]
		if err := register(m, prooflessMinerOwnerKey(i), prooflessMinerHotkey(i), fmt.Sprintf("miner %d (%s)", i, m.Behavior)); err != nil {
			return nil, err
		}
	}
	sd := &side{st: ps, spec: spec, tally: &tally{miners: map[uint16]*MinerResult{}, tempos: map[int]int{}},
		acc: &accounts{emission: map[uint16]uint64{}, proofs: map[uint16]int{}}, ready: make(chan int, len(ps.Miners))}
	for _, m := range ps.Miners {
		sd.tally.miners[m.UID] = &MinerResult{UID: m.UID, Behavior: m.Behavior}
	}
	return sd, nil
}

// start runs the proof-less subnet's miner daemons, waits until they
// serve, then runs its validator daemons (on d, so Run stops them with the
// rest).
func (sd *side) start(ctx context.Context, d *daemons, o *Options, cl *cluster, ms *Models, log *slog.Logger, say func(string, ...any)) error {
	ps := sd.st
	for i, m := range ps.Miners {
		home := filepath.Join(o.Home, "miners-noproof", fmt.Sprintf("m%d", i))
		if err := keyring(home, prooflessMinerHotkey(i)); err != nil {
			return err
		}
		mc := miner.DefaultConfig()
		mc.Home, mc.Subnet, mc.Listen, mc.Node, mc.ChainID = home, ps.Subnet, "127.0.0.1:0", cl.rpc(i%len(cl.nodes)), ChainID
		mc.Hotkey, mc.KeysDir, mc.Fee = "hotkey", o.KeysDir, fee
		mc.Workers, mc.Queue = 1, 256
		mc.RequestTimeout, mc.ShutdownTimeout = miner.Duration(30*time.Second), miner.Duration(5*time.Second)
		mc.Refresh, mc.Poll = miner.Duration(time.Second), miner.Duration(time.Second)
		mc.RateLimit, mc.RateBurst = 10_000, 10_000
		mc.Model, mc.Behavior = ms.GoodPath, fault.Honest
		switch m.Behavior {
		case Weak:
			mc.Model = ms.WeakPath
		case Lazy:
			mc.Behavior = fault.Lazy
		}
		l := log.With("subnet", ps.Subnet, "miner", i, "behavior", string(m.Behavior))
		uid, b := m.UID, m.Behavior
		d.spawn(ctx, fmt.Sprintf("proof-less miner %d (%s)", i, b), func(ctx context.Context) error {
			return miner.RunDaemon(ctx, mc, miner.DaemonHooks{Logger: l, Hardware: cpuOnly,
				OnReady: func(addr string) {
					say("proof-less subnet %d: miner uid %d (%s) serving on %s", ps.Subnet, uid, b, addr)
					sd.ready <- i
				}})
		})
	}
	for range ps.Miners {
		select {
		case <-sd.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	base, err := task.ForArch(sd.spec.Model.Arch)
	if err != nil {
		return err
	}
	for j := range ps.Validators {
		home := filepath.Join(o.Home, "validators-noproof", fmt.Sprintf("v%d", j))
		if err := keyring(home, prooflessValidatorHotkey(j)); err != nil {
			return err
		}
		dc := validator.DefaultDaemonConfig()
		dc.Home, dc.Subnet, dc.Node, dc.Hotkey = home, ps.Subnet, cl.rpc(j%len(cl.nodes)), "hotkey"
		dc.Dataset, dc.DatasetDir, dc.MetricsListen, dc.Fee = base.Name, o.MNISTDir, "", fee
		dc.Graded, dc.Decoys = prooflessGraded, 0
		dc.RequestTimeout, dc.LatencyTarget = validator.Duration(30*time.Second), validator.Duration(27*time.Second)
		dc.Poll = validator.Duration(time.Second)
		dc.AllowLoopbackEndpoints = true
		l := log.With("subnet", ps.Subnet, "validator", j)
		d.spawn(ctx, fmt.Sprintf("proof-less validator %d", j), func(ctx context.Context) error {
			return validator.RunDaemon(ctx, dc, validator.DaemonHooks{Logger: l, OnReport: func(r *validator.Report) {
				if sd.tally.report(j, r) {
					say("proof-less subnet %d, epoch %d: validator %d graded %d miners without proofs; weights %s %s",
						ps.Subnet, r.Epoch, j, len(r.Miners), r.Submit.Kind, r.Submit.Status)
				}
			}})
		})
	}
	return nil
}

// watch sums the proof-less subnet's epoch records closed after
// startHeight until ctx ends (one poll a second).
func (sd *side) watch(ctx context.Context, c *client.Client, startHeight int64, say func(string, ...any)) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	seen := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rec, err := c.Emissions(ctx, sd.st.Subnet)
		if err != nil || int64(rec.Block) <= startHeight || int64(rec.Epoch) == seen {
			continue
		}
		seen = int64(rec.Epoch)
		sd.tally.mu.Lock()
		paid := sd.acc.add(rec, sd.st.Miners)
		sd.tally.mu.Unlock()
		line := fmt.Sprintf("proof-less subnet %d: epoch %d closed at block %d, proofs 0", sd.st.Subnet, rec.Epoch, rec.Block)
		if paid {
			line += "; paid"
			for _, n := range rec.Neurons {
				if n.Emission > 0 {
					line += fmt.Sprintf(" uid%d=%d", n.UID, n.Emission)
				}
			}
		}
		say("%s", line)
	}
}

// paid is how many of its epochs paid miners so far.
func (sd *side) paid() int {
	sd.tally.mu.Lock()
	defer sd.tally.mu.Unlock()
	return sd.acc.paid
}

// wait returns once the proof-less subnet has paid epochs epochs, a
// daemon failed, or ctx ended.
func (sd *side) wait(ctx context.Context, epochs int, errs <-chan error) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for sd.paid() < epochs {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w: the proof-less subnet paid %d of %d epochs", ErrTimeout, sd.paid(), epochs)
			}
			return ctx.Err()
		case err := <-errs:
			return err
		case <-tick.C:
		}
	}
	return nil
}

// SubnetResult is the proof-less subnet over the run (Result.Proofless).
type SubnetResult struct {
	Subnet       uint16 `json:"subnet"`
	Task         string `json:"task"`
	TaskHash     string `json:"task_hash"`
	RequireProof bool   `json:"require_proof"`
	Epochs       int    `json:"epochs"`
	PaidEpochs   int    `json:"paid_epochs"`
	// Miners are by UID; ProofsValid counts answers that checked out
	// (no proof needed), Accuracy is what the validators measured.
	Miners []MinerResult `json:"miners"`
}

// result is the proof-less subnet's outcome.
func (sd *side) result() *SubnetResult {
	sd.tally.mu.Lock()
	defer sd.tally.mu.Unlock()
	r := &SubnetResult{Subnet: sd.st.Subnet, Task: sd.spec.Name, TaskHash: sd.st.TaskHash, Epochs: sd.acc.epochs, PaidEpochs: sd.acc.paid}
	var last map[uint16]chain.UIDResult
	if sd.acc.last != nil {
		last = map[uint16]chain.UIDResult{}
		for _, n := range sd.acc.last.Neurons {
			last[n.UID] = n
		}
	}
	for _, m := range sd.st.Miners {
		mr := *sd.tally.miners[m.UID]
		if mr.Graded > 0 {
			a := float64(mr.Correct) / float64(mr.Graded)
			mr.Accuracy = &a
		}
		mr.Incentive = fixedFrac(last[m.UID].Incentive)
		mr.Emission = sd.acc.emission[m.UID]
		r.Miners = append(r.Miners, mr)
	}
	sort.Slice(r.Miners, func(i, j int) bool { return r.Miners[i].UID < r.Miners[j].UID })
	return r
}

// writeText prints the proof-less subnet's table (part of Result.WriteText).
func (r *SubnetResult) writeText(w io.Writer) {
	fmt.Fprintf(w, "\nproof-less subnet %d: task %s (hash %s...), no proofs: outputs graded against labels only; %d epochs (%d paid)\n",
		r.Subnet, r.Task, r.TaskHash, r.Epochs, r.PaidEpochs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "UID\tbehavior\taccuracy\tanswers ok\tinvalid\tfailed\tincentive\temission\t")
	for _, m := range r.Miners {
		acc := "-"
		if m.Accuracy != nil {
			acc = fmt.Sprintf("%.0f%% (%d/%d)", 100**m.Accuracy, m.Correct, m.Graded)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%s\t%d\t\n", m.UID, m.Behavior, acc, m.ProofsValid, m.ProofsInvalid, m.Failed,
			m.Incentive.Format(4), m.Emission)
	}
	_ = tw.Flush()
}
