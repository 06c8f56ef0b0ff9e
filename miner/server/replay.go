package server

import (
	"container/heap"
	"errors"
	"sync"
)

var (
	errReplay     = errors.New("nonce already used")
	errReplayFull = errors.New("replay quota full")
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
// It never forgets a live entry. Each hotkey has its own quota of live
// entries: when a caller's is full its new requests are refused, and no
// caller can fill the cache for the others. Only permit holders within
// their rate limit reach it, so its size is bounded by the validator set
// times the quota.
type replayCache struct {
	mu     sync.Mutex
	quota  int
	seen   map[replayKey]int64
	counts map[[32]byte]int
	exp    expiryHeap
}

func newReplayCache(quota int) *replayCache {
	return &replayCache{quota: quota, seen: make(map[replayKey]int64), counts: make(map[[32]byte]int)}
}

func (k replayKey) caller() (h [32]byte) {
	copy(h[:], k[:32])
	return h
}

// has reports whether key is live in the cache at now (unix seconds).
func (c *replayCache) has(key replayKey, now int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	_, ok := c.seen[key]
	return ok
}

// add records key until expiry (unix seconds); errReplay when it is already
// there, errReplayFull when its caller holds quota live entries.
func (c *replayCache) add(key replayKey, expiry, now int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if _, ok := c.seen[key]; ok {
		return errReplay
	}
	h := key.caller()
	if c.counts[h] >= c.quota {
		return errReplayFull
	}
	c.seen[key] = expiry
	c.counts[h]++
	heap.Push(&c.exp, replayEntry{key: key, expiry: expiry})
	return nil
}

// expire drops the entries whose expiry is before now; c.mu is held.
func (c *replayCache) expire(now int64) {
	for len(c.exp) > 0 && c.exp[0].expiry < now {
		e := heap.Pop(&c.exp).(replayEntry)
		delete(c.seen, e.key)
		h := e.key.caller()
		if c.counts[h]--; c.counts[h] <= 0 {
			delete(c.counts, h)
		}
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
