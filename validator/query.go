package validator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/zk"
)

// Outcome classifies one request.
type Outcome int

// Outcomes of a request.
const (
	// Valid: the miner answered and its proof verifies against the public
	// inputs the validator rebuilt.
	Valid Outcome = iota + 1
	// Invalid: the miner answered 200 but the answer or its proof does not
	// check out (no proof, garbage, another model, hotkey or epoch): proof
	// of dishonesty or of a broken miner.
	Invalid
	// Failed: no usable answer (down, timeout, error status, oversized or
	// malformed body).
	Failed
	// NotSent: the miner's fault that it was not sent: an earlier answer
	// of the tempo was Invalid or Failed, or the miner's time budget for
	// the tempo ran out. It counts against availability like Failed.
	NotSent
	// Skipped: not sent because too little of the tempo's challenge
	// window was left, cut off by the window's close after the miner's
	// first valid answer (window.go), or by the validator's shutdown; it
	// does not count for or against the miner. A miner's first request
	// not answered by the window's close is Failed.
	Skipped
)

func (o Outcome) String() string {
	switch o {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	case Failed:
		return "failed"
	case NotSent:
		return "not_sent"
	case Skipped:
		return "skipped"
	}
	return "unknown"
}

// Answer is the result of one challenge.
type Answer struct {
	Outcome Outcome
	// Class is the class the miner answered (meaningful when Valid).
	Class uint32
	// Correct: a graded challenge answered Valid with the label's class.
	Correct bool
	// Graded echoes Challenge.Graded.
	Graded bool
	// Latency is the round trip, from send to the whole answer read.
	Latency time.Duration
	// Err says why the answer is not Valid.
	Err error
}

// ExpectedPublic rebuilds the public inputs an honest miner's proof must
// have: the miner's on-chain model commitment (under the commit scheme its
// model point, which the proof's own commitment must equal), the hash of
// the input sent, the class it answered, the hash of its hotkey and the
// epoch requested.
func ExpectedPublic(n Neuron, input []int8, class uint32, epoch uint64) zk.Public {
	return zk.Public{ModelCommitment: n.ModelCommitment, InputHash: zk.InputHash(input), Output: class,
		HotkeyHash: zk.HotkeyHash(n.Hotkey[:]), Epoch: epoch}
}

// CheckAnswer checks a 200 answer to challenge ch sent to n for epoch: the
// echoed ID and epoch, the class range, then the proof against
// ExpectedPublic with ver, the subnet's verifier under its proof scheme
// (zk.NewSingleVerifier). The public inputs the miner sent are only
// compared, never trusted (parsed as ver's scheme's). nil means Valid.
//
// ver is nil only for a proof-less subnet (Subnet.Proofless): the answer is
// then checked without a proof (ID, epoch, class range; quality is graded
// against the labels) and a proof sent anyway is ignored. With a verifier,
// an answer without a proof is invalid (ErrNoProof).
func CheckAnswer(ver zk.SingleVerifier, n Neuron, ch Challenge, epoch uint64, outputs int, resp api.InferResponse) error {
	switch {
	case resp.ID != ch.ID:
		return fmt.Errorf("%w: id %.64q, sent %q", ErrBadAnswer, resp.ID, ch.ID)
	case resp.Epoch != epoch:
		return fmt.Errorf("%w: epoch %d, asked %d", ErrBadAnswer, resp.Epoch, epoch)
	case resp.Class >= uint32(outputs):
		return fmt.Errorf("%w: class %d, the task has %d", ErrBadAnswer, resp.Class, outputs)
	case ver == nil:
		return nil
	case len(resp.Proof) == 0:
		return ErrNoProof
	}
	want := ExpectedPublic(n, ch.Input, resp.Class, epoch)
	if err := ver.Verify(resp.Proof, want); err != nil {
		if got, perr := zk.UnmarshalPublicFor(ver.Scheme(), resp.Public); perr == nil && got != want {
			return fmt.Errorf("%w (%s): %w", ErrPublicMismatch, publicDiff(got, want), err)
		}
		return err
	}
	return nil
}

// publicDiff names the public inputs that differ.
func publicDiff(got, want zk.Public) string {
	var s string
	add := func(name string) {
		if s != "" {
			s += ", "
		}
		s += name
	}
	if got.ModelCommitment != want.ModelCommitment {
		add("model commitment")
	}
	if got.InputHash != want.InputHash {
		add("input")
	}
	if got.Output != want.Output {
		add("output")
	}
	if got.HotkeyHash != want.HotkeyHash {
		add("hotkey")
	}
	if got.Epoch != want.Epoch {
		add("epoch")
	}
	return s
}

// queryMiner sends n its challenges one after the other, each with its own
// timeout, and checks every answer. The first answer that is not Valid ends
// the miner's tempo (the rest are NotSent), and so does the miner's time
// budget (Config.MinerTimeout): a dead, stalling or lying miner costs the
// validator at most one request timeout per tempo. ctx is the tempo's
// challenge window (window.go): a request sent is bounded by its close too;
// the first one not answered by then is Failed, a later one cut by it
// Skipped; requests not sent because the window closed (or, for the
// first, too little of it is left) are Skipped, and so is the one in
// flight when the daemon shuts down: that is not the miner's doing.
func (v *Validator) queryMiner(ctx context.Context, ver zk.SingleVerifier, n Neuron, chs []Challenge, epoch uint64, outputs int) []Answer {
	c := &api.Client{BaseURL: n.Endpoint, Miner: n.Hotkey, Signer: v.signer, HTTP: v.http, MaxResponse: v.cfg.MaxResponse}
	mctx, mcancel := context.WithTimeout(ctx, v.cfg.MinerTimeout)
	defer mcancel()
	out := make([]Answer, len(chs))
	var stop error
	answered := false // a valid answer this tempo (window.go)
	for i, ch := range chs {
		a := &out[i]
		a.Graded = ch.Graded
		switch skip := v.windowSkip(ctx, !answered); {
		case stop != nil:
			a.Outcome, a.Err = NotSent, stop
			continue
		case skip != nil:
			a.Outcome, a.Err = Skipped, skip
			continue
		case mctx.Err() != nil:
			stop = fmt.Errorf("not sent: the miner's %s budget for the tempo ran out", v.cfg.MinerTimeout)
			a.Outcome, a.Err = NotSent, stop
			continue
		}
		rctx, cancel := context.WithTimeout(mctx, v.cfg.RequestTimeout)
		start := v.cfg.Now()
		resp, err := c.Infer(rctx, api.InferRequest{ID: ch.ID, Epoch: epoch, Input: ch.Input})
		a.Latency = v.cfg.Now().Sub(start)
		cancel()
		if err != nil && (shutdown(ctx) || answered && ctx.Err() != nil) {
			// Cut off by the validator's shutdown, or by the window's
			// close after the miner has answered (window.go).
			a.Outcome, a.Err = Skipped, fmt.Errorf("cut off: the tempo's challenges ended: %w", context.Cause(ctx))
			continue
		}
		if err != nil && ctx.Err() != nil {
			// The first request, sent in the window and not answered by
			// its close: Failed.
			err = fmt.Errorf("no answer %s after it was sent, when the tempo's challenge window closed: %w",
				a.Latency.Round(time.Millisecond), err)
		}
		v.metrics.latency.Observe(a.Latency.Seconds())
		if err != nil {
			a.Outcome, a.Err = Failed, err
			if errors.Is(err, api.ErrBadJSON) {
				// A 200 answer that is not an answer: the miner is broken
				// or lying, not merely unreachable.
				a.Outcome = Invalid
			}
			stop = fmt.Errorf("not sent after a %s answer", a.Outcome)
			continue
		}
		vstart := time.Now()
		err = CheckAnswer(ver, n, ch, epoch, outputs, resp)
		v.metrics.verify.Observe(time.Since(vstart).Seconds())
		if err != nil {
			// Any 200 answer that does not check out, "{}" included, is
			// Invalid and ends the miner's tempo: it buys no more requests.
			a.Outcome, a.Err = Invalid, err
			stop = errors.New("not sent after an invalid answer")
			continue
		}
		a.Outcome, a.Class = Valid, resp.Class
		a.Correct = ch.Graded && resp.Class == ch.Label
		answered = true
	}
	return out
}
