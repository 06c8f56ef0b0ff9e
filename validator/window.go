package validator

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The tempo's challenge window: challenges stop CommitReserve blocks before
// the epoch ends (challengeBudget), so the commit lands in its epoch. Within
// it (docs/run-a-validator.md, "Query"):
//
//   - a request is sent only when the time left in the window is at least
//     the miner's floor: for its first request min(LatencyTarget, half the
//     window), after that twice the slowest answer it gave this tempo (an
//     honest miner's pace, with room for jitter); otherwise it and the
//     rest are Skipped (the validator's window, not the miner, is short);
//   - a request sent is bounded by min(RequestTimeout, the miner's budget,
//     the window's close) (MinerTimeout for a batch), and one not answered
//     by then is Failed: a miner that stalls until the window closes is
//     failed, not skipped;
//   - only the daemon's shutdown turns a request in flight into Skipped
//     (and the tempo is discarded).

// windowKey carries the window's length in the tempo's context.
type windowKey struct{}

// challengeWindow bounds ctx by the tempo's challenge window, budget from
// now: it ends with errTempoDeadline. It warns when the window is shorter
// than a miner's bound for one request (RequestTimeout, or MinerTimeout
// for batches): a miner slower than the window can then never answer and
// is failed.
func (v *Validator) challengeWindow(ctx context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	bound, what := v.cfg.RequestTimeout, "request-timeout"
	if len(v.cfg.BatchVerifiers) > 0 {
		bound, what = v.cfg.MinerTimeout, "miner-timeout"
	}
	if budget > 0 && budget < bound {
		v.cfg.Logger.Warn("the tempo's challenge window is shorter than a miner's bound for one request: "+
			"a miner not answering within the window is failed (lengthen the tempo or shorten "+what+")",
			"window", budget, what, bound)
	}
	ctx = context.WithValue(ctx, windowKey{}, budget)
	return context.WithTimeoutCause(ctx, budget, errTempoDeadline)
}

// sendFloor is the least time that must be left in the tempo's window to
// send a miner a request, given the slowest answer it gave this tempo (0
// before its first): min(LatencyTarget, half the window) for the first,
// twice the slowest answer after. ok is false without a window (ctx has no deadline).
func (v *Validator) sendFloor(ctx context.Context, slowest time.Duration) (left, floor time.Duration, ok bool) {
	end, ok := ctx.Deadline()
	if !ok {
		return 0, 0, false
	}
	if slowest > 0 {
		floor = 2 * slowest
	} else {
		floor = v.cfg.LatencyTarget
		if w, has := ctx.Value(windowKey{}).(time.Duration); has {
			floor = min(floor, w/2)
		}
	}
	return time.Until(end), floor, true
}

// windowSkip says why a request is not sent when the window has less than
// the floor left, or nil when it may be sent.
func (v *Validator) windowSkip(ctx context.Context, slowest time.Duration) error {
	if ctx.Err() != nil {
		return fmt.Errorf("not sent: the tempo's challenge window closed: %w", context.Cause(ctx))
	}
	if left, floor, ok := v.sendFloor(ctx, slowest); ok && left < floor {
		return fmt.Errorf("not sent: the tempo's challenge window closes in %s, under the %s this request is allowed",
			left.Round(time.Millisecond), floor.Round(time.Millisecond))
	}
	return nil
}

// shutdown reports whether ctx ended for another reason than the window's
// close (the daemon is stopping): what it cut off is not the miner's doing.
func shutdown(ctx context.Context) bool {
	return ctx.Err() != nil && !errors.Is(context.Cause(ctx), errTempoDeadline)
}
