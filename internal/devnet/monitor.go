package devnet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// accounts sums the epoch records closed during the run.
type accounts struct {
	emission   map[uint16]uint64
	proofs     map[uint16]int
	last       *chain.EpochRecord
	epochs     int
	paid       int
	first      uint64
	lastEpoch  uint64
	haveRecord bool
}

func (a *accounts) add(rec chain.EpochRecord, miners []member) bool {
	paid := false
	isMiner := map[uint16]bool{}
	for _, m := range miners {
		isMiner[m.UID] = true
	}
	for _, n := range rec.Neurons {
		a.emission[n.UID] += n.Emission
		if n.ProofOK {
			a.proofs[n.UID]++
		}
		if isMiner[n.UID] && n.MinerEmission > 0 {
			paid = true
		}
	}
	if !a.haveRecord {
		a.first = rec.Epoch
	}
	a.haveRecord, a.lastEpoch, a.last = true, rec.Epoch, &rec
	a.epochs++
	if paid {
		a.paid++
	}
	return paid
}

// monitor polls the chain once a second and prints progress.
type monitor struct {
	c           *client.Client
	s           *state
	acc         *accounts
	startHeight int64
	epochs      int
	say         func(string, ...any)
}

func (m *monitor) run(ctx context.Context, errs <-chan error) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lastHeight uint64
	seen := int64(-1)
	for m.acc.paid < m.epochs {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w: %d of %d epochs paid", ErrTimeout, m.acc.paid, m.epochs)
			}
			return ctx.Err()
		case err := <-errs:
			return err
		case <-tick.C:
		}
		mg, err := m.c.Metagraph(ctx, m.s.Subnet)
		if err != nil {
			continue
		}
		rec, err := m.c.Emissions(ctx, m.s.Subnet)
		if err == nil && int64(rec.Block) > m.startHeight && int64(rec.Epoch) != seen {
			if seen >= 0 && int64(rec.Epoch) != seen+1 {
				m.say("note: epochs %d-%d closed between two polls; their records were not read", seen+1, rec.Epoch-1)
			}
			seen = int64(rec.Epoch)
			paid := m.acc.add(rec, m.s.Miners)
			m.say("%s", m.recordLine(rec, paid))
		}
		if mg.Epoch.Height == lastHeight {
			continue
		}
		lastHeight = mg.Epoch.Height
		proofs := 0
		for _, n := range mg.Neurons {
			if n.ProofOK {
				proofs++
			}
		}
		committed, revealed := 0, 0
		if w, err := m.c.Weights(ctx, m.s.Subnet); err == nil {
			for _, cm := range w.Commits {
				if cm.Epoch == mg.Epoch.Epoch {
					committed++
				}
			}
			for _, r := range w.Rows {
				if r.Epoch == mg.Epoch.Epoch {
					revealed++
				}
			}
		}
		e := mg.Epoch
		m.say("height %d  epoch %d [%d/%d]  proofs verified on chain %d/%d  weights committed %d revealed %d  paid epochs %d/%d",
			e.Height, e.Epoch, e.Height-e.StartHeight+1, e.Tempo, proofs, len(m.s.Miners), committed, revealed, m.acc.paid, m.epochs)
	}
	return nil
}

func (m *monitor) recordLine(rec chain.EpochRecord, paid bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d closed at block %d: emission %d, %d proofs", rec.Epoch, rec.Block, rec.Emission, rec.Proofs)
	if !paid {
		b.WriteString(", no miner paid yet (weights are revealed the epoch after they are committed)")
		return b.String()
	}
	b.WriteString("; paid")
	for _, n := range rec.Neurons {
		if n.Emission > 0 {
			fmt.Fprintf(&b, " uid%d=%d", n.UID, n.Emission)
		}
	}
	return b.String()
}
