package server

import (
	"container/heap"
	"errors"
	"sync"
)

var (
	errReplay     = errors.New("nonce already used")
	errReplayFull = errors.New("replay cache full")
)

type replayKey [48]byte // hotkey || nonce

type replayEntry struct {
	key    replayKey
	expiry int64 // unix seconds after which the timestamp is stale anyway
}

type expiryHeap []replayEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expiry < h[j].expiry }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(replayEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// replayCache remembers the (hotkey, nonce) pairs of authenticated requests
// until their timestamp leaves the accepted window, so each is served once.
// It never forgets a live entry: when full, it refuses new ones.
type replayCache struct {
	mu   sync.Mutex
	cap  int
	seen map[replayKey]int64
	exp  expiryHeap
}

func newReplayCache(capacity int) *replayCache {
	return &replayCache{cap: capacity, seen: make(map[replayKey]int64)}
}

// add records key until expiry (unix seconds); errReplay when it is already
// there, errReplayFull when the cache holds cap live entries.
func (c *replayCache) add(key replayKey, expiry, now int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.exp) > 0 && c.exp[0].expiry < now {
		e := heap.Pop(&c.exp).(replayEntry)
		delete(c.seen, e.key)
	}
	if _, ok := c.seen[key]; ok {
		return errReplay
	}
	if len(c.seen) >= c.cap {
		return errReplayFull
	}
	c.seen[key] = expiry
	heap.Push(&c.exp, replayEntry{key: key, expiry: expiry})
	return nil
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
