package server

import (
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per key (a hotkey or an IP): each key may spend
// burst requests at once and regains rate per second. The number of keys is
// bounded; idle keys (full buckets) are dropped when room is needed.
type limiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	maxKeys int
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst, maxKeys int) *limiter {
	return &limiter{rate: rate, burst: float64(burst), maxKeys: maxKeys, buckets: make(map[string]*bucket)}
}

// allow spends one token of key at now. When none is left it returns false
// and how long until one is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	return l.allowN(key, 1, now)
}

// ready reports whether key has a token at now, spending none (a key it
// does not know has a full bucket); when not, how long until it has.
func (l *limiter) ready(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok || b.tokens+now.Sub(b.last).Seconds()*l.rate >= 1 {
		return true, 0
	}
	if l.rate <= 0 {
		return false, time.Hour
	}
	return false, time.Duration((1 - b.tokens - now.Sub(b.last).Seconds()*l.rate) / l.rate * float64(time.Second))
}

// allowN spends n tokens of key at now (n is capped at the burst, so that
// every cost can be paid with a full bucket). When fewer are left it spends
// none and returns false and how long until there are enough.
func (l *limiter) allowN(key string, n int, now time.Time) (bool, time.Duration) {
	cost := math.Min(float64(max(n, 1)), math.Max(l.burst, 1))
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
			if len(l.buckets) >= l.maxKeys {
				return false, time.Second
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= cost {
		b.tokens -= cost
		return true, 0
	}
	if l.rate <= 0 {
		return false, time.Hour
	}
	wait := time.Duration((cost - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweep drops the buckets that would be full at now (nothing to remember).
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
