package explorer

import (
	"context"
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/client"
)

// maxBackfill is how many past epochs the explorer reads back from block
// events when it first sees a subnet.
const maxBackfill = 48

// EpochHistory implements Source: subnet id's last epochs (up to max,
// oldest first) rebuilt from the end-block events the chain emits when it
// closes an epoch ("epoch" and "emission", docs/protocol.md), found with
// CometBFT's block search. The events carry each paid UID's emission but
// not its proof or scores: those records have Partial set.
func (p *Pool) EpochHistory(ctx context.Context, id uint16, max int) ([]EpochHistoryRecord, error) {
	var out []EpochHistoryRecord
	err := p.do(ctx, func(ctx context.Context, c *client.Client) error {
		page, per := 1, min(max, 100)
		res, err := c.RPC().BlockSearch(ctx, fmt.Sprintf("epoch.subnet = '%d'", id), &page, &per, "desc")
		if err != nil {
			return err
		}
		out = out[:0]
		for i := len(res.Blocks) - 1; i >= 0; i-- {
			h := res.Blocks[i].Block.Height
			br, err := c.RPC().BlockResults(ctx, &h)
			if err != nil {
				return err
			}
			if rec, ok := epochFromEvents(br.FinalizeBlockEvents, id); ok {
				out = append(out, EpochHistoryRecord{EpochRecord: rec, Partial: true})
			}
		}
		return nil
	})
	return out, err
}

// EpochHistoryRecord is an epoch record; Partial when rebuilt from events
// (per-UID proofs, scores and zero-emission UIDs unknown).
type EpochHistoryRecord struct {
	chain.EpochRecord
	Partial bool `json:"partial,omitempty"`
}

// epochFromEvents rebuilds subnet id's epoch record from a block's events.
func epochFromEvents(evs []abci.Event, id uint16) (chain.EpochRecord, bool) {
	want := strconv.Itoa(int(id))
	var rec chain.EpochRecord
	found := false
	for _, e := range evs {
		a := map[string]string{}
		for _, at := range e.Attributes {
			a[at.Key] = at.Value
		}
		if a["subnet"] != want {
			continue
		}
		u := func(k string) uint64 { v, _ := strconv.ParseUint(a[k], 10, 64); return v }
		switch e.Type {
		case "epoch":
			found = true
			rec.Subnet, rec.Epoch, rec.Block, rec.Emission = id, u("epoch"), u("block"), u("emission")
			rec.OwnerEmission, rec.Unminted, rec.Proofs = u("owner_emission"), u("unminted"), int(u("proofs"))
		case "emission":
			hk, err := chain.ParseAddress(a["hotkey"])
			uid, uerr := strconv.ParseUint(a["uid"], 10, 16)
			if err != nil || uerr != nil {
				continue
			}
			m, v := u("miner"), u("validator")
			rec.Neurons = append(rec.Neurons, chain.UIDResult{UID: uint16(uid), Hotkey: hk, MinerEmission: m,
				ValidatorEmission: v, Emission: m + v})
		}
	}
	return rec, found
}
