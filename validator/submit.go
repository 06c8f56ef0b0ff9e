package validator

import (
	"context"
	"errors"
	"fmt"
)

// settle brings the weight records in line with the chain: it abandons
// records whose window passed, reveals the previous epoch's commit, and
// sends the current epoch's commit or set-weights. Before it (re)sends
// anything that may already have landed (a record still "prepared" after a
// crash or an ambiguous error) it asks the chain, so nothing is submitted
// twice. It returns the report of the reveal due this epoch (nil when none)
// and the first transient error.
func (v *Validator) settle(ctx context.Context, snap Snapshot, me Neuron, registered bool) (*TxReport, error) {
	var reveal *TxReport
	dirty := false
	defer func() {
		if dirty {
			if err := v.st.save(v.cfg.Home); err != nil {
				v.cfg.Logger.Error("saving validator state", "err", err)
			}
		}
	}()
	mark := func(r *Record, status, reason string) {
		r.Status, r.Reason, dirty = status, reason, true
	}
	var firstErr error
	for i := range v.st.Records {
		r := &v.st.Records[i]
		if r.Status == StatusAbandoned || r.Status == StatusRevealed || (r.Kind == "set" && r.Status == StatusCommitted) {
			continue
		}
		switch {
		case r.Epoch+1 < snap.Epoch || (r.Kind == "set" && r.Epoch < snap.Epoch && r.Status == StatusPrepared && !landedSet(me, r)):
			mark(r, StatusAbandoned, "its window passed before it landed")
		case r.Kind == "set" && r.Status == StatusPrepared && landedSet(me, r):
			mark(r, StatusCommitted, "")
		case r.Epoch+1 == snap.Epoch && r.Kind == "commit":
			err := v.reveal(ctx, r, mark)
			t := txReport("reveal", r)
			reveal = &t
			if err != nil {
				reveal.Status, reveal.Reason = "error", err.Error()
				if firstErr == nil {
					firstErr = err
				}
			}
		case r.Epoch == snap.Epoch && r.Status == StatusPrepared:
			if firstErr != nil {
				// The previous commit is not revealed yet; committing now
				// would replace it on chain. Retry both on the next step.
				continue
			}
			if !registered {
				mark(r, StatusAbandoned, ErrNotRegistered.Error())
				continue
			}
			if err := v.submit(ctx, r, me, mark); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	return reveal, firstErr
}

// landedSet reports whether a set-weights record landed: the UID's last
// update is after the height the record was prepared at.
func landedSet(me Neuron, r *Record) bool { return me.LastUpdate > r.Height }

// reveal reveals r (a commit of the previous epoch).
func (v *Validator) reveal(ctx context.Context, r *Record, mark func(*Record, string, string)) error {
	c, ok, err := v.cfg.Chain.PendingCommit(ctx, v.pub)
	if err != nil {
		v.metrics.chainErrs.Inc()
		return fmt.Errorf("validator: read pending commit: %w", err)
	}
	onChain := ok && c.Hash == r.Hash && c.Epoch == r.Epoch
	if !onChain {
		if r.Status == StatusCommitted {
			// It landed, and is gone: an earlier reveal landed (a crash or
			// an ambiguous error hid the answer).
			mark(r, StatusRevealed, "found revealed on chain")
		} else {
			mark(r, StatusAbandoned, "the commit never landed in its epoch")
		}
		return nil
	}
	err = v.cfg.Submitter.RevealWeights(ctx, r.Weights, r.Salt)
	switch {
	case err == nil:
		v.metrics.txs.WithLabelValues("reveal", "ok").Inc()
		mark(r, StatusRevealed, "")
		return nil
	case errors.Is(err, ErrRejected):
		v.metrics.txs.WithLabelValues("reveal", "rejected").Inc()
		mark(r, StatusAbandoned, "reveal rejected: "+err.Error())
		return nil
	}
	v.metrics.txs.WithLabelValues("reveal", "error").Inc()
	return fmt.Errorf("validator: reveal epoch %d: %w", r.Epoch, err)
}

// submit sends r's commit-weights or set-weights, once.
func (v *Validator) submit(ctx context.Context, r *Record, me Neuron, mark func(*Record, string, string)) error {
	kind := r.Kind
	if kind == "commit" {
		c, ok, err := v.cfg.Chain.PendingCommit(ctx, v.pub)
		if err != nil {
			v.metrics.chainErrs.Inc()
			return fmt.Errorf("validator: read pending commit: %w", err)
		}
		if ok && c.Hash == r.Hash {
			mark(r, StatusCommitted, "") // an earlier send landed
			return nil
		}
	} else if landedSet(me, r) {
		mark(r, StatusCommitted, "")
		return nil
	}
	// The commit's hash binds its epoch: never send it in the next one.
	h, err := v.cfg.Chain.Head(ctx)
	if err != nil {
		v.metrics.chainErrs.Inc()
		return fmt.Errorf("validator: read head: %w", err)
	}
	if h.Epoch != r.Epoch {
		mark(r, StatusAbandoned, errEpochOver.Error())
		return nil
	}
	if kind == "commit" {
		err = v.cfg.Submitter.CommitWeights(ctx, r.Hash)
	} else {
		err = v.cfg.Submitter.SetWeights(ctx, r.Weights)
	}
	switch {
	case err == nil:
		v.metrics.txs.WithLabelValues(kind, "ok").Inc()
		mark(r, StatusCommitted, "")
		return nil
	case errors.Is(err, ErrRejected):
		v.metrics.txs.WithLabelValues(kind, "rejected").Inc()
		mark(r, StatusAbandoned, kind+" rejected: "+err.Error())
		return nil
	}
	v.metrics.txs.WithLabelValues(kind, "error").Inc()
	return fmt.Errorf("validator: %s-weights epoch %d: %w", kind, r.Epoch, err)
}
