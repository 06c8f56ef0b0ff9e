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
//   - a miner's first request (a batch is one) is sent only when at least
//     min(LatencyTarget, half the window) is left, its later ones while the
//     window is open; a request not sent is Skipped, and so are the rest;
//   - a request sent is bounded by min(RequestTimeout, the miner's budget,
//     the window's close) (MinerTimeout and the close for a batch). The
//     first one not answered by the close is Failed, and the rest NotSent:
//     a miner that stalls until the window closes is failed, not skipped.
//     A later one cut by the close is Skipped (the miner has shown it
//     answers; an honest miner is not failed for the window's end), and
//     the luck margin of the whole plan keeps a miner scored on a few
//     answers from gaining by it (PartialQuality);
//   - only the daemon's shutdown turns the first request in flight into
//     Skipped (and the tempo is discarded).

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

// windowSkip says why a miner's request is not sent, or nil when it may
// be: the window has closed, or for its first request (first) less than
// min(LatencyTarget, half the window) is left. Without a window (ctx has
// no deadline) only ctx's end stops it.
func (v *Validator) windowSkip(ctx context.Context, first bool) error {
	if ctx.Err() != nil {
		return fmt.Errorf("not sent: the tempo's challenge window closed: %w", context.Cause(ctx))
	}
	end, ok := ctx.Deadline()
	if !ok || !first {
		return nil
	}
	floor := v.cfg.LatencyTarget
	if w, has := ctx.Value(windowKey{}).(time.Duration); has {
		floor = min(floor, w/2)
	}
	if left := time.Until(end); left < floor {
		return fmt.Errorf("not sent: the tempo's challenge window closes in %s, under the %s a first request is allowed",
			left.Round(time.Millisecond), floor.Round(time.Millisecond))
	}
	return nil
}

// shutdown reports whether ctx ended for another reason than the window's
// close (the daemon is stopping): what it cut off is not the miner's doing.
func shutdown(ctx context.Context) bool {
	return ctx.Err() != nil && !errors.Is(context.Cause(ctx), errTempoDeadline)
}
