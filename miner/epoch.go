package miner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/veritensor/veritensor/chain/client"
	"github.com/veritensor/veritensor/miner/server"
)

// EpochSource reads the chain's current epoch.
type EpochSource interface {
	// CurrentEpoch is the epoch the chain is in and its seed
	// (H(blockHash, subnet, epoch), fixed at the epoch's first block).
	CurrentEpoch(ctx context.Context) (epoch uint64, seed [32]byte, err error)
}

// Submitter sends this miner's submit-proof transactions.
type Submitter interface {
	// SubmitProof broadcasts a submit-proof transaction for p and waits for
	// its result: nil only when the proof was committed and accepted.
	// Errors wrapping ErrPermanent will fail again however often they are
	// retried (the chain rejected the proof); any other error may be
	// transient or ambiguous (the transaction may still land).
	SubmitProof(ctx context.Context, p EpochProof) error
	// ProofLanded reports whether an accepted proof from this miner is on
	// chain for epoch.
	ProofLanded(ctx context.Context, epoch uint64) (bool, error)
}

// Prover proves the model on one input, bound to an epoch: the server's
// Prover, so one implementation (ZKProver) serves both.
type Prover = server.Prover

// ChallengeFunc derives an epoch's challenge input from its seed, by the
// subnet's rule (the chain verifies the proof's input hash against it).
type ChallengeFunc func(epoch uint64, seed [32]byte) ([]int8, error)

// EpochProof is one epoch's proof of model, as submitted.
type EpochProof struct {
	Epoch  uint64
	Seed   [32]byte
	Input  []int8
	Class  uint32
	Proof  []byte
	Public []byte
}

// Errors of RunEpoch.
var (
	// ErrPermanent marks a submit failure that retrying cannot fix.
	ErrPermanent = errors.New("permanent submit failure")
	// ErrEpochOver reports that the epoch ended before its proof landed.
	ErrEpochOver = errors.New("epoch ended before the proof landed")
)

// Outcome says how an epoch ended for the loop.
type Outcome int

// Outcomes of RunEpoch.
const (
	// Landed: this loop's submission was committed and accepted.
	Landed Outcome = iota + 1
	// AlreadyLanded: a proof for the epoch was already on chain (from an
	// earlier run, or an earlier submission that reported an error but
	// landed); nothing more was sent.
	AlreadyLanded
	// Failed: the epoch ended, or the chain rejected the proof, without
	// one landing; Err says why.
	Failed
)

// EpochResult reports one epoch.
type EpochResult struct {
	Epoch    uint64
	Outcome  Outcome
	Submits  int           // submit-proof transactions sent
	ProveDur time.Duration // time spent proving (0 when no proof was made)
	Err      error
}

// EpochLoop proves and submits one proof of model per epoch. Its fields are
// set before Run and not changed after.
type EpochLoop struct {
	Source    EpochSource
	Challenge ChallengeFunc
	Prover    Prover
	Submitter Submitter
	// Poll is how often the current epoch is read (2 s when 0).
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait between retries, which
	// doubles from MinBackoff (500 ms and 30 s when 0).
	MinBackoff, MaxBackoff time.Duration
	// Sleep waits d or until ctx is done (a timer when nil); tests inject
	// a clock through it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives a line per epoch and per failed attempt (discarded
	// when nil).
	Logger *slog.Logger
	// OnResult, when set, is called after each epoch.
	OnResult func(EpochResult)
}

func (l *EpochLoop) defaults() {
	if l.Poll == 0 {
		l.Poll = 2 * time.Second
	}
	if l.MinBackoff == 0 {
		l.MinBackoff = 500 * time.Millisecond
	}
	if l.MaxBackoff == 0 {
		l.MaxBackoff = 30 * time.Second
	}
	if l.Sleep == nil {
		l.Sleep = sleep
	}
	if l.Logger == nil {
		l.Logger = slog.New(slog.DiscardHandler)
	}
}

// sleep is the package's wait: client.Sleep, shared with the validator.
var sleep = client.Sleep

// Run handles every epoch from the current one on, once each, until ctx is
// done; it then returns nil.
func (l *EpochLoop) Run(ctx context.Context) error {
	l.defaults()
	var last uint64
	handled := false
	for ctx.Err() == nil {
		epoch, seed, err := l.Source.CurrentEpoch(ctx)
		switch {
		case err != nil:
			l.Logger.Warn("reading the current epoch", "err", err)
		case !handled || epoch > last:
			res := l.RunEpoch(ctx, epoch, seed)
			if ctx.Err() != nil {
				return nil
			}
			last, handled = epoch, true
			l.report(res)
		}
		if l.Sleep(ctx, l.Poll) != nil {
			return nil
		}
	}
	return nil
}

func (l *EpochLoop) report(res EpochResult) {
	if res.Outcome == Failed {
		l.Logger.Warn("epoch proof did not land", "epoch", res.Epoch, "submits", res.Submits, "err", res.Err)
	} else {
		l.Logger.Info("epoch proof on chain", "epoch", res.Epoch, "submits", res.Submits, "prove", res.ProveDur)
	}
	if l.OnResult != nil {
		l.OnResult(res)
	}
}

// RunEpoch makes sure a proof for epoch is on chain: unless one already is,
// it derives the challenge, proves it once and submits, retrying with
// backoff while the epoch lasts. Before every retry it asks the chain
// whether an earlier attempt landed, so a landed proof is never submitted
// twice; when it cannot tell, it waits and asks again rather than resubmit.
func (l *EpochLoop) RunEpoch(ctx context.Context, epoch uint64, seed [32]byte) EpochResult {
	l.defaults()
	res := EpochResult{Epoch: epoch}
	fail := func(err error) EpochResult {
		res.Outcome, res.Err = Failed, fmt.Errorf("epoch %d: %w", epoch, err)
		return res
	}
	back := client.Backoff{Min: l.MinBackoff, Max: l.MaxBackoff}
	wait := func() error {
		if err := l.Sleep(ctx, back.Next()); err != nil {
			return err
		}
		cur, _, err := l.Source.CurrentEpoch(ctx)
		if err == nil && cur > epoch {
			return ErrEpochOver
		}
		return nil
	}
	// landed asks the chain until it answers (or the epoch ends).
	landed := func() (bool, error) {
		for {
			ok, err := l.Submitter.ProofLanded(ctx, epoch)
			if err == nil {
				return ok, nil
			}
			l.Logger.Warn("asking whether the proof landed", "epoch", epoch, "err", err)
			if werr := wait(); werr != nil {
				return false, fmt.Errorf("proof-landed query: %v: %w", err, werr)
			}
		}
	}
	if ok, err := landed(); err != nil {
		return fail(err)
	} else if ok {
		res.Outcome = AlreadyLanded
		return res
	}

	var p EpochProof
	for {
		input, err := l.Challenge(epoch, seed)
		if err != nil {
			return fail(fmt.Errorf("challenge: %w", err))
		}
		start := time.Now()
		class, proof, public, err := l.Prover.Prove(ctx, input, epoch)
		res.ProveDur += time.Since(start)
		if err == nil {
			p = EpochProof{Epoch: epoch, Seed: seed, Input: input, Class: class, Proof: proof, Public: public}
			break
		}
		l.Logger.Warn("proving the epoch challenge", "epoch", epoch, "err", err)
		if werr := wait(); werr != nil {
			return fail(fmt.Errorf("prove: %v: %w", err, werr))
		}
	}

	for {
		res.Submits++
		err := l.Submitter.SubmitProof(ctx, p)
		if err == nil {
			res.Outcome = Landed
			return res
		}
		if errors.Is(err, ErrPermanent) {
			return fail(err)
		}
		l.Logger.Warn("submit-proof failed", "epoch", epoch, "attempt", res.Submits, "err", err)
		// Only resubmit once the chain says the earlier attempt did not
		// land.
		if werr := wait(); werr != nil {
			return fail(fmt.Errorf("submit: %v: %w", err, werr))
		}
		ok, lerr := landed()
		if lerr != nil {
			return fail(fmt.Errorf("submit: %v; %w", err, lerr))
		}
		if ok {
			res.Outcome = AlreadyLanded
			return res
		}
	}
}

// String is "landed", "already-landed" or "failed".
func (o Outcome) String() string {
	switch o {
	case Landed:
		return "landed"
	case AlreadyLanded:
		return "already-landed"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// MarshalText writes String.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// MarshalJSON writes the result as one status line: event "epoch", epoch,
// outcome, submits, prove_ms and error (absent when nil).
func (r EpochResult) MarshalJSON() ([]byte, error) {
	v := struct {
		Event   string  `json:"event"`
		Epoch   uint64  `json:"epoch"`
		Outcome Outcome `json:"outcome"`
		Submits int     `json:"submits"`
		ProveMS int64   `json:"prove_ms"`
		Error   string  `json:"error,omitempty"`
	}{Event: "epoch", Epoch: r.Epoch, Outcome: r.Outcome, Submits: r.Submits, ProveMS: r.ProveDur.Milliseconds()}
	if r.Err != nil {
		v.Error = r.Err.Error()
	}
	return json.Marshal(v)
}
