package devnet

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/validator"
)

// report reads the outcome from every node (app hashes, supply,
// metagraph) and adds what the daemons measured.
func (r *runner) report() (*Result, error) {
	fctx, fcancel := context.WithTimeout(context.Background(), time.Minute)
	defer fcancel()
	res, err := collect(fctx, r.cl, r.s, r.t, r.acc, r.startHeight)
	if err != nil {
		return nil, err
	}
	res.GoodAccuracy, res.WeakAccuracy, res.Resumed = r.ms.GoodAccuracy, r.ms.WeakAccuracy, r.resumed
	res.Batch, res.Graded, res.Decoys, res.Scheme = r.s.Batch, r.o.Graded, r.o.Decoys, r.s.Scheme.String()
	if cs, err := ceremonySummary(fctx, r.c, r.s.Subnet); err == nil {
		res.Ceremony = cs
	}
	if r.side != nil {
		res.Proofless = r.side.result()
	}
	res.Seconds = time.Since(r.begin).Seconds()
	r.say("done: %d epochs paid, nodes stopping", res.PaidEpochs)
	return res, nil
}

// tally accumulates what the validator daemons measured.
type tally struct {
	mu     sync.Mutex
	miners map[uint16]*MinerResult
	tempos map[int]int
	closed bool
}

// report adds a tempo report; it returns false once the tally is closed
// (a tempo cut short by the shutdown is not counted).
func (t *tally) report(j int, r *validator.Report) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.tempos[j]++
	for _, m := range r.Miners {
		mr := t.miners[m.UID]
		if mr == nil {
			continue // the other validator
		}
		mr.Graded += m.Graded
		mr.Correct += m.Correct
		mr.ProofsValid += m.Valid
		mr.ProofsInvalid += m.Invalid
		mr.Failed += m.Failed
	}
	return true
}

func (t *tally) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

// fixedFrac is a Q32.32 fraction of a query answer, written in JSON as the
// shortest decimal that reads back as it (validator.Frac).
func fixedFrac(v uint64) validator.Frac { return validator.Frac(v) }

// collect reads the final state from every node.
func collect(ctx context.Context, cl *cluster, s *state, t *tally, acc *accounts, startHeight int64) (*Result, error) {
	res := &Result{ChainID: s.ChainID, Subnet: s.Subnet, Arch: s.Arch, Tempo: s.Tempo, Nodes: s.Nodes,
		StartHeight: startHeight, Epochs: acc.epochs, PaidEpochs: acc.paid, FirstEpoch: acc.first, LastEpoch: acc.lastEpoch,
		GenesisSupply: s.GenesisSupply}
	// Heights are compared one below the lowest node height: a node stores
	// a height's results after executing it.
	top := cl.minHeight()
	if err := cl.waitHeight(ctx, top+1); err != nil {
		return nil, err
	}
	res.Height = top
	res.AppHashesAgree = true
	for h := max(startHeight, 1); h <= top; h++ {
		ok, hashes, err := cl.appHashesAgree(h)
		if err != nil {
			return nil, err
		}
		res.AppHashes = hashes
		if !ok {
			res.AppHashesAgree = false
			res.Height = h
			break
		}
	}
	res.SupplyConserved = true
	for i := range cl.nodes {
		c, err := cl.client(i)
		if err != nil {
			return nil, err
		}
		tk, err := c.Tokenomics(ctx)
		if err != nil {
			return nil, fmt.Errorf("devnet: node %d tokenomics: %w", i, err)
		}
		if i == 0 {
			res.Tokenomics = tk
		}
		if tk.Supply != s.GenesisSupply+tk.Minted-tk.Burned {
			res.SupplyConserved = false
		}
	}
	c, err := cl.client(0)
	if err != nil {
		return nil, err
	}
	mg, err := c.Metagraph(ctx, s.Subnet)
	if err != nil {
		return nil, err
	}
	stake := map[uint16]uint64{}
	for _, n := range mg.Neurons {
		stake[n.UID] = n.Stake
	}
	last := map[uint16]chain.UIDResult{}
	if acc.last != nil {
		for _, n := range acc.last.Neurons {
			last[n.UID] = n
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range s.Miners {
		mr := *t.miners[m.UID]
		if mr.Graded > 0 {
			a := float64(mr.Correct) / float64(mr.Graded)
			mr.Accuracy = &a
		}
		mr.ChainProofs = acc.proofs[m.UID]
		mr.Incentive = fixedFrac(last[m.UID].Incentive)
		mr.Emission = acc.emission[m.UID]
		res.Miners = append(res.Miners, mr)
	}
	for j, v := range s.Validators {
		res.Validators = append(res.Validators, ValidatorResult{UID: v.UID, Stake: stake[v.UID],
			Dividends: fixedFrac(last[v.UID].Dividends), Emission: acc.emission[v.UID], Tempos: t.tempos[j]})
	}
	sort.Slice(res.Miners, func(i, j int) bool { return res.Miners[i].UID < res.Miners[j].UID })
	return res, nil
}
