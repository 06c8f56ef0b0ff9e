package client

import (
	"context"
	"errors"
	"time"

	"github.com/veritensor/veritensor/chain"
)

// Sleep waits d, or until ctx is done, when it returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Backoff is an exponential wait: Next returns Min, then twice the last
// wait, capped at Max (no cap when Max is 0); Reset starts again at Min.
// The zero value waits 0 every time. It is not safe for concurrent use.
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
}

// Next returns the wait before the next attempt and doubles the one after.
func (b *Backoff) Next() time.Duration {
	d := max(b.next, b.Min)
	if b.Max > 0 {
		d = min(d, b.Max)
	}
	b.next = 2 * d
	return d
}

// Reset makes the next wait Min again (after a success).
func (b *Backoff) Reset() { b.next = 0 }

// Retry runs f until it succeeds, the chain answers with an error code (a
// *chain.TxError, never retried: asking again gets the same answer), ctx
// ends, or retries retries failed; it waits backoff before the first retry
// and doubles the wait each time. It returns f's last error.
func Retry(ctx context.Context, retries int, backoff time.Duration, f func() error) error {
	b := Backoff{Min: backoff}
	for attempt := 0; ; attempt++ {
		err := f()
		var te *chain.TxError
		if err == nil || errors.As(err, &te) || attempt >= retries || ctx.Err() != nil {
			return err
		}
		if Sleep(ctx, b.Next()) != nil {
			return err
		}
	}
}
