package server

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

var (
	// errBusy: the queue is full of requests from callers with at least
	// as much stake (or this one was displaced by a higher-staked caller).
	errBusy = errors.New("proving queue full")
	// errClosed: the server is shutting down and takes no new work.
	errClosed = errors.New("shutting down")
)

// job is one accepted /v1/infer request waiting for, or in, a worker.
type job struct {
	stake uint64
	seq   uint64 // arrival order
	input []int8
	epoch uint64
	// prove, when set, replaces Prover.Prove (a batch: /v2/infer).
	prove func(ctx context.Context) result
	ctx   context.Context
	done  chan result // buffered 1: exactly one result is sent
	index int         // position in the heap; -1 once taken out
}

type result struct {
	class         uint32
	classes       []uint32 // a batch's
	proof, public []byte
	err           error
	took          time.Duration
}

// jobHeap orders jobs by stake (highest first), then arrival (earliest first).
type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if h[i].stake != h[j].stake {
		return h[i].stake > h[j].stake
	}
	return h[i].seq < h[j].seq
}
func (h jobHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *jobHeap) Push(x any) {
	j := x.(*job)
	j.index = len(*h)
	*h = append(*h, j)
}
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	j.index = -1
	return j
}

// pool is the bounded priority queue and its proving workers.
type pool struct {
	prover   Prover
	capacity int

	mu      sync.Mutex
	cond    *sync.Cond
	q       jobHeap
	seq     uint64
	closed  bool
	proving int

	wg      sync.WaitGroup
	observe func(depth, proving int)            // called with the lock held, after each change
	proved  func(took time.Duration, err error) // called after each Prove
}

func newPool(p Prover, workers, capacity int, observe func(int, int), proved func(time.Duration, error)) *pool {
	pl := &pool{prover: p, capacity: capacity, observe: observe, proved: proved}
	pl.cond = sync.NewCond(&pl.mu)
	for i := 0; i < workers; i++ {
		pl.wg.Add(1)
		go pl.work()
	}
	return pl
}

// submit queues j. When the queue is full, j displaces the lowest-priority
// waiting job if it outranks it (that job gets errBusy); otherwise submit
// returns errBusy. errClosed after close.
func (p *pool) submit(j *job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errClosed
	}
	p.seq++
	j.seq = p.seq
	if len(p.q) >= p.capacity {
		if len(p.q) == 0 {
			return errBusy
		}
		lo := 0
		for i := range p.q {
			if p.q.Less(lo, i) {
				lo = i
			}
		}
		if p.q[lo].stake >= j.stake {
			return errBusy
		}
		victim := heap.Remove(&p.q, lo).(*job)
		victim.done <- result{err: errBusy}
	}
	heap.Push(&p.q, j)
	p.observe(len(p.q), p.proving)
	p.cond.Signal()
	return nil
}

// cancel takes j out of the queue if no worker has taken it yet.
func (p *pool) cancel(j *job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if j.index >= 0 && j.index < len(p.q) && p.q[j.index] == j {
		heap.Remove(&p.q, j.index)
		p.observe(len(p.q), p.proving)
	}
}

func (p *pool) work() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		for len(p.q) == 0 && !p.closed {
			p.cond.Wait()
		}
		if len(p.q) == 0 { // closed and drained
			p.mu.Unlock()
			return
		}
		j := heap.Pop(&p.q).(*job)
		p.proving++
		p.observe(len(p.q), p.proving)
		p.mu.Unlock()

		j.done <- p.run(j)

		p.mu.Lock()
		p.proving--
		p.observe(len(p.q), p.proving)
		p.mu.Unlock()
	}
}

func (p *pool) run(j *job) (r result) {
	if err := j.ctx.Err(); err != nil {
		return result{err: err}
	}
	start := time.Now()
	defer func() {
		if v := recover(); v != nil { // a prover bug must not take the miner down
			r = result{err: errors.New("prover panicked")}
		}
		r.took = time.Since(start)
		p.proved(r.took, r.err)
	}()
	if j.prove != nil {
		r = j.prove(j.ctx)
		return r
	}
	r.class, r.proof, r.public, r.err = p.prover.Prove(j.ctx, j.input, j.epoch)
	return r
}

// depth is the number of queued (not yet proving) jobs.
func (p *pool) depth() (queued, proving int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.q), p.proving
}

// close stops taking work; the workers finish what is queued and exit.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

// wait blocks until every worker has exited or ctx is done.
func (p *pool) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
