package explorer

import (
	"sort"
	"sync"

	"github.com/veritensor/veritensor/chain"
)

// maxHistory is how many epochs per subnet the explorer remembers.
const maxHistory = 128

// history remembers the epoch records the explorer has seen: the chain keeps
// only a subnet's last one (/emissions/<id>), so the explorer records each
// as it passes (its poller reads every subnet's record each interval).
type history struct {
	mu   sync.Mutex
	recs map[uint16]map[uint64]chain.EpochRecord
}

func newHistory() *history { return &history{recs: map[uint16]map[uint64]chain.EpochRecord{}} }

func (h *history) add(r chain.EpochRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.recs[r.Subnet]
	if m == nil {
		m = map[uint64]chain.EpochRecord{}
		h.recs[r.Subnet] = m
	}
	m[r.Epoch] = r
	if len(m) > maxHistory {
		oldest := r.Epoch
		for e := range m {
			oldest = min(oldest, e)
		}
		delete(m, oldest)
	}
}

// get returns subnet id's records, oldest first.
func (h *history) get(id uint16) []chain.EpochRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]chain.EpochRecord, 0, len(h.recs[id]))
	for _, r := range h.recs[id] {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Epoch < out[j].Epoch })
	return out
}
