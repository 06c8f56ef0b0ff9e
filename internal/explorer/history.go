package explorer

import (
	"sort"
	"sync"

	"github.com/veritensor/veritensor/chain"
)

// maxHistory is how many epochs per subnet the explorer remembers.
const maxHistory = 128

// history remembers subnets' epoch records: the chain keeps only a subnet's
// last one (/emissions/<id>), so the explorer records each as it passes (its
// poller reads every subnet's record each interval), and reads older ones
// back from block events once per subnet (partial records).
type history struct {
	mu         sync.Mutex
	recs       map[uint16]map[uint64]EpochHistoryRecord
	backfilled map[uint16]bool
}

func newHistory() *history {
	return &history{recs: map[uint16]map[uint64]EpochHistoryRecord{}, backfilled: map[uint16]bool{}}
}

// add records r; a partial record never replaces a full one.
func (h *history) add(r EpochHistoryRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.recs[r.Subnet]
	if m == nil {
		m = map[uint64]EpochHistoryRecord{}
		h.recs[r.Subnet] = m
	}
	if old, ok := m[r.Epoch]; ok && r.Partial && !old.Partial {
		return
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

func (h *history) addFull(r chain.EpochRecord) { h.add(EpochHistoryRecord{EpochRecord: r}) }

// get returns subnet id's records, oldest first.
func (h *history) get(id uint16) []EpochHistoryRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]EpochHistoryRecord, 0, len(h.recs[id]))
	for _, r := range h.recs[id] {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Epoch < out[j].Epoch })
	return out
}

// needsBackfill reports (once) that subnet id's past epochs were not read.
func (h *history) needsBackfill(id uint16) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.backfilled[id]
}

func (h *history) backfilledOK(id uint16) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.backfilled[id] = true
}
