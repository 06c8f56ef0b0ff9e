package validator

import (
	"context"
	"slices"
	"time"

	"github.com/veritensor/veritensor/chain/client"
)

// Run follows the chain until ctx is done, then returns nil: on every new
// block (from Chain.SubscribeBlocks, or by polling Head every Poll when the
// subscription is unavailable or breaks) it reads Head and calls Step when
// the epoch is new or a submission is outstanding. Failed steps are retried
// with exponential backoff; nothing a chain or a miner does stops the loop.
func (v *Validator) Run(ctx context.Context) error {
	back := client.Backoff{Min: v.cfg.MinBackoff, Max: v.cfg.MaxBackoff}
	var blocks <-chan uint64
	resubscribe := time.Time{}
	for ctx.Err() == nil {
		if blocks == nil && !v.cfg.Now().Before(resubscribe) {
			ch, err := v.cfg.Chain.SubscribeBlocks(ctx)
			if err != nil {
				v.cfg.Logger.Warn("block subscription unavailable; polling", "err", err, "poll", v.cfg.Poll)
				resubscribe = v.cfg.Now().Add(v.cfg.MaxBackoff)
			} else {
				blocks = ch
			}
		}
		if v.needsStep(ctx) {
			if _, err := v.Step(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				wait := back.Next()
				v.cfg.Logger.Warn("validator step failed; retrying", "err", err, "in", wait)
				if client.Sleep(ctx, wait) != nil {
					return nil
				}
				continue
			}
			back.Reset()
		}
		if blocks == nil {
			if client.Sleep(ctx, v.cfg.Poll) != nil {
				return nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-blocks:
			if !ok {
				v.cfg.Logger.Warn("block subscription closed; polling until it is back")
				blocks = nil
				resubscribe = v.cfg.Now().Add(v.cfg.MinBackoff)
			}
		case <-time.After(4 * v.cfg.Poll):
			// A quiet subscription is checked by a poll now and then.
		}
	}
	return nil
}

// needsStep reads Head and reports whether Step has work: a new epoch, or
// a record of this or the previous epoch not yet settled.
func (v *Validator) needsStep(ctx context.Context) bool {
	h, err := v.cfg.Chain.Head(ctx)
	if err != nil {
		v.metrics.chainErrs.Inc()
		v.cfg.Logger.Warn("reading the chain head", "err", err)
		return false
	}
	v.observeHeight(h.Height)
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.st.Scored || v.st.ScoredEpoch < h.Epoch {
		return true
	}
	for _, r := range v.st.Records {
		if r.Epoch+1 >= h.Epoch && (r.Status == StatusPrepared || (r.Kind == "commit" && r.Status == StatusCommitted && r.Epoch+1 == h.Epoch)) {
			return true
		}
	}
	return false
}

// sleep is client.Sleep, shared with the miner (the daemon's wiring waits
// through it).
var sleep = client.Sleep

func slicesSortByUID(m []MinerReport) {
	slices.SortFunc(m, func(a, b MinerReport) int { return int(a.UID) - int(b.UID) })
}
