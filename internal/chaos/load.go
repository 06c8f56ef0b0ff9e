package chaos

import (
	"context"
	"crypto/ed25519"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// ackedTx is a transfer the load generator saw committed: its hash, the
// height and result code the node it asked reported.
type ackedTx struct {
	Hash   [32]byte
	Height int64
	Code   uint32
	Node   int
	Fault  string // the fault in progress when it was acknowledged ("" before any)
	At     time.Time
}

// load drives a steady closed-loop transfer load: every sender signs a
// transfer to the next sender, broadcasts it to a healthy node and waits for
// its block, then sends the next. A sender whose node fails moves to the next
// node.
type load struct {
	r       *Runner
	senders []ed25519.PrivateKey
	fee     uint64

	mu      sync.Mutex
	acked   []ackedTx
	sent    int
	errs    int
	pending [][32]byte // broadcast, never seen committed by the sender
}

func (l *load) run(ctx context.Context, wg *sync.WaitGroup) {
	for s := range l.senders {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			l.sender(ctx, s)
		}(s)
	}
}

func (l *load) sender(ctx context.Context, s int) {
	priv := l.senders[s]
	to := chain.AddressFromPubKey(l.senders[(s+1)%len(l.senders)].Public().(ed25519.PublicKey))
	n := s % len(l.r.procs)
	for ctx.Err() == nil {
		n = l.r.nextHealthy(n)
		if n < 0 {
			sleep(ctx, 200*time.Millisecond)
			n = s % len(l.r.procs)
			continue
		}
		c := l.r.clients[n]
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		hash, err := c.SendAsync(sctx, priv, &chain.MsgTransfer{To: to, Amount: 1}, l.fee)
		cancel()
		l.mu.Lock()
		l.sent++
		l.mu.Unlock()
		if err != nil {
			l.fail(ctx)
			n++
			continue
		}
		tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		info, err := l.waitTx(tctx, n, hash)
		cancel()
		if err != nil {
			l.mu.Lock()
			l.pending = append(l.pending, hash)
			l.mu.Unlock()
			l.fail(ctx)
			n++
			continue
		}
		l.mu.Lock()
		l.acked = append(l.acked, ackedTx{Hash: hash, Height: info.Height, Code: info.Code, Node: n,
			Fault: l.r.currentFault(), At: time.Now()})
		l.mu.Unlock()
	}
}

func (l *load) fail(ctx context.Context) {
	l.mu.Lock()
	l.errs++
	l.mu.Unlock()
	sleep(ctx, 100*time.Millisecond)
}

// waitTx polls node n for the transaction's block, moving to another
// healthy node when a fault takes n away (a real client fails over the same
// way).
func (l *load) waitTx(ctx context.Context, n int, hash [32]byte) (*client.TxInfo, error) {
	for {
		if m := l.r.nextHealthy(n); m >= 0 {
			n = m
		}
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		info, err := l.r.clients[n].Tx(c, hash)
		cancel()
		if err == nil {
			return info, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// ackedSince counts acknowledgements in [from, to).
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
