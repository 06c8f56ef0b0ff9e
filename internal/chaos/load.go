package chaos

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
)

// ackedTx is a transfer the load generator saw committed: its hash, the
// height, block and result code of the block it was found in.
type ackedTx struct {
	Hash   [32]byte
	Height int64
	Block  string // the block ID it was seen in (compared with every node's later)
	Code   uint32
	Node   int // the node whose block showed it
	Fault  string
	At     time.Time
}

// inflight is a transfer broadcast and not yet seen in a block.
type inflight struct {
	s    int // sender
	sent time.Time
	slot bool // still holds one of its sender's pipeline slots
}

// load drives an open-loop, pipelined transfer load: a token source offers
// transfers at rate per second, and each of the senders keeps up to depth
// transfers in flight (consecutive nonces, held by its node's mempool),
// signing the next as soon as it has a token and a free slot, without waiting
// for the previous ones to commit. A watcher follows every block on a healthy
// node and acknowledges the in-flight transfers it finds there. A sender whose
// node fails moves to the next healthy node and asks it for its next nonce;
// transfers left on the failed node stay in flight (they may have been
// gossiped and still commit) until they are seen or expire.
type load struct {
	r       *Runner
	senders []ed25519.PrivateKey
	fee     uint64
	rate    float64 // offered transfers per second
	depth   int     // transfers in flight per sender
	expire  time.Duration
	chainID string

	slots  []chan struct{}
	resync []bool // sender must ask its node for its next nonce

	mu       sync.Mutex
	acked    []ackedTx
	sent     int
	errs     int
	shed     int // tokens no sender could take (every pipeline full)
	inflight map[[32]byte]*inflight
	pending  map[[32]byte]time.Time // expired: broadcast, never seen committed (yet)
	late     int                    // pending transfers seen committed after they expired
	seen     int64                  // the watcher scanned every height up to seen
}

func newLoad(r *Runner, senders []ed25519.PrivateKey, fee uint64, rate float64, depth int, chainID string) *load {
	l := &load{r: r, senders: senders, fee: fee, rate: rate, depth: depth, expire: 30 * time.Second, chainID: chainID,
		inflight: map[[32]byte]*inflight{}, pending: map[[32]byte]time.Time{}, resync: make([]bool, len(senders))}
	for range senders {
		l.slots = append(l.slots, make(chan struct{}, depth))
	}
	for i := range l.resync {
		l.resync[i] = true
	}
	return l
}

func (l *load) run(ctx context.Context, wg *sync.WaitGroup) {
	tokens := make(chan struct{}, max(1, int(l.rate/10)))
	wg.Add(2)
	go func() {
		defer wg.Done()
		l.offer(ctx, tokens)
	}()
	go func() {
		defer wg.Done()
		l.watch(ctx)
	}()
	for s := range l.senders {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			l.sender(ctx, s, tokens)
		}(s)
	}
}

// offer puts rate tokens a second into tokens; a token that finds the
// channel full (every sender's pipeline full) is shed and counted.
func (l *load) offer(ctx context.Context, tokens chan<- struct{}) {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	last, credit := time.Now(), 0.0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			credit += l.rate * now.Sub(last).Seconds()
			last = now
			for ; credit >= 1; credit-- {
				select {
				case tokens <- struct{}{}:
				default:
					l.mu.Lock()
					l.shed++
					l.mu.Unlock()
				}
			}
		}
	}
}

func (l *load) sender(ctx context.Context, s int, tokens <-chan struct{}) {
	priv := l.senders[s]
	addr := chain.AddressFromPubKey(priv.Public().(ed25519.PublicKey))
	to := chain.AddressFromPubKey(l.senders[(s+1)%len(l.senders)].Public().(ed25519.PublicKey))
	n := s % len(l.r.procs)
	var nonce, seq uint64
	for ctx.Err() == nil {
		// A free pipeline slot, then a token.
		select {
		case <-ctx.Done():
			return
		case l.slots[s] <- struct{}{}:
		}
		select {
		case <-ctx.Done():
			return
		case <-tokens:
		}
		m := l.r.nextHealthy(n)
		if m < 0 {
			l.release(s)
			sleep(ctx, 200*time.Millisecond)
			continue
		}
		if m != n {
			l.failover(s)
			n = m
		}
		l.mu.Lock()
		need := l.resync[s]
		l.mu.Unlock()
		if need {
			c, cancel := context.WithTimeout(ctx, 3*time.Second)
			got, err := l.r.clients[n].PendingNonce(c, addr)
			cancel()
			if err != nil {
				l.release(s)
				l.fail(ctx)
				n = (n + 1) % len(l.r.procs)
				l.failover(s)
				continue
			}
			nonce = got
			l.mu.Lock()
			l.resync[s] = false
			l.mu.Unlock()
		}
		// Each transfer of a sender carries a distinct amount, so a resent
		// nonce never repeats an earlier transfer's bytes (and hash).
		seq++
		raw := chain.NewTx(l.chainID, &chain.MsgTransfer{To: to, Amount: seq}, priv, nonce, l.fee).Marshal()
		hash := sha256.Sum256(raw)
		l.mu.Lock()
		l.inflight[hash] = &inflight{s: s, sent: time.Now(), slot: true}
		l.sent++
		l.mu.Unlock()
		c, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := l.r.clients[n].BroadcastTx(c, raw)
		cancel()
		var txErr *chain.TxError
		switch {
		case err == nil:
			nonce++
		case errors.As(err, &txErr):
			// Refused by CheckTx (a nonce race after a failover): nothing
			// entered the mempool; ask for the nonce again.
			l.mu.Lock()
			if f := l.inflight[hash]; f != nil {
				delete(l.inflight, hash)
				l.sent--
			}
			l.resync[s] = true
			l.mu.Unlock()
			l.release(s)
			l.fail(ctx)
		default:
			// The node did not answer: the transfer may or may not be in its
			// mempool; it stays in flight until seen or expired.
			l.failover(s)
			n = (n + 1) % len(l.r.procs)
			l.fail(ctx)
		}
	}
}

// failover releases the slots of sender s's in-flight transfers (they stay
// in flight, without a slot) and makes it ask its next node for its nonce.
func (l *load) failover(s int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resync[s] = true
	for _, f := range l.inflight {
		if f.s == s && f.slot {
			f.slot = false
			l.release(s)
		}
	}
}

func (l *load) release(s int) {
	select {
	case <-l.slots[s]:
	default:
	}
}

func (l *load) fail(ctx context.Context) {
	l.mu.Lock()
	l.errs++
	l.mu.Unlock()
	sleep(ctx, 100*time.Millisecond)
}

// watch follows the chain on a healthy node, one block at a time, and
// acknowledges the in-flight transfers each block holds with the block's
// results; transfers in flight for longer than expire are moved to pending
// (their sender asks for its nonce again).
func (l *load) watch(ctx context.Context) {
	w := 0
	for ctx.Err() == nil {
		if m := l.r.nextHealthy(w); m >= 0 {
			w = m
		}
		if !l.scan(ctx, w, 0) {
			w = (w + 1) % len(l.r.procs)
		}
		l.expireOld()
		sleep(ctx, 100*time.Millisecond)
	}
}

// scan reads node w's blocks above the last one scanned, up to its height
// (or upTo when that is lower and positive); false when w did not answer.
func (l *load) scan(ctx context.Context, w int, upTo int64) bool {
	c := l.r.clients[w]
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	top, err := c.Height(hctx)
	cancel()
	if err != nil {
		return false
	}
	if upTo > 0 && upTo < top {
		top = upTo
	}
	l.mu.Lock()
	h := l.seen + 1
	l.mu.Unlock()
	for ; h <= top && ctx.Err() == nil; h++ {
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := c.Block(bctx, h)
		if err != nil {
			cancel()
			return false
		}
		var codes []uint32
		if b.NumTxs > 0 {
			hh := h
			res, err := c.RPC().BlockResults(bctx, &hh)
			if err != nil || len(res.TxsResults) != b.NumTxs {
				cancel()
				return false
			}
			for _, t := range res.TxsResults {
				codes = append(codes, t.Code)
			}
		}
		cancel()
		fault := l.r.currentFault()
		now := time.Now()
		l.mu.Lock()
		for k, hx := range b.TxHashes {
			var hash [32]byte
			if raw, err := hex.DecodeString(strings.ToLower(hx)); err != nil || len(raw) != 32 {
				continue
			} else {
				copy(hash[:], raw)
			}
			if f, ok := l.inflight[hash]; ok {
				delete(l.inflight, hash)
				if f.slot {
					l.release(f.s)
				}
				l.acked = append(l.acked, ackedTx{Hash: hash, Height: h, Block: b.Hash, Code: codes[k], Node: w, Fault: fault, At: now})
			} else if _, ok := l.pending[hash]; ok {
				delete(l.pending, hash)
				l.late++
			}
		}
		l.seen = h
		l.mu.Unlock()
	}
	return true
}

func (l *load) expireOld() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for h, f := range l.inflight {
		if now.Sub(f.sent) < l.expire {
			continue
		}
		delete(l.inflight, h)
		l.pending[h] = f.sent
		if f.slot {
			l.release(f.s)
		}
		l.resync[f.s] = true
	}
}

// ackedBetween counts acknowledgements in [from, to).
func (l *load) ackedBetween(from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.acked {
		if !a.At.Before(from) && a.At.Before(to) {
			n++
		}
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
