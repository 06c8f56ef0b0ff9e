package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
)

func TestOptionsWithDefaults(t *testing.T) {
	got := Options{}.WithDefaults()
	want := Options{Fee: chain.DefaultParams().MinFee, TxTimeout: time.Minute, Retries: 3,
		RetryBackoff: 200 * time.Millisecond, StaleAfter: time.Minute}
	if got != want {
		t.Fatalf("defaults %+v, want %+v", got, want)
	}
	if o := (Options{Retries: -1}).WithDefaults(); o.Retries != 0 {
		t.Fatalf("Retries -1 gives %d, want 0 (never retry)", o.Retries)
	}
	set := Options{Fee: 7, TxTimeout: time.Second, Retries: 5, RetryBackoff: time.Millisecond, StaleAfter: time.Second}
	if o := set.WithDefaults(); o != set {
		t.Fatalf("set fields changed: %+v, want %+v", o, set)
	}
}

func TestBackoffDoublesToMaxAndResets(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 5 * time.Second}
	var got []time.Duration
	for range 5 {
		got = append(got, b.Next())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	b.Reset()
	if d := b.Next(); d != time.Second {
		t.Fatalf("after Reset: %v, want %v", d, time.Second)
	}
	uncapped := Backoff{Min: time.Millisecond}
	for range 10 {
		uncapped.Next()
	}
	if d := uncapped.Next(); d != 1024*time.Millisecond {
		t.Fatalf("uncapped 11th wait %v, want 1.024s", d)
	}
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	transient := errors.New("connection refused")
	calls := 0
	err := Retry(ctx, 2, time.Microsecond, func() error { calls++; return transient })
	if !errors.Is(err, transient) || calls != 3 {
		t.Fatalf("transient: err %v after %d calls, want it after 3 (1 + 2 retries)", err, calls)
	}
	calls = 0
	answer := &chain.TxError{Code: chain.ErrNeuronNotFound.Code, Log: "no such neuron"}
	err = Retry(ctx, 5, time.Microsecond, func() error { calls++; return answer })
	if calls != 1 || !errors.As(err, new(*chain.TxError)) {
		t.Fatalf("chain answer: err %v after %d calls, want it once (not retried)", err, calls)
	}
	calls = 0
	if err := Retry(ctx, 3, time.Microsecond, func() error {
		calls++
		if calls < 3 {
			return transient
		}
		return nil
	}); err != nil || calls != 3 {
		t.Fatalf("third call succeeds: err %v after %d calls", err, calls)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	calls = 0
	if err := Retry(cctx, 3, time.Hour, func() error { calls++; return transient }); calls != 1 || !errors.Is(err, transient) {
		t.Fatalf("done context: err %v after %d calls, want one call", err, calls)
	}
}
