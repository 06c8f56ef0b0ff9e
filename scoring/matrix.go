package scoring

import (
	"cmp"
	"slices"
)

// weightRows is the sparse (CSR) matrix of the permitted validators'
// normalised weights, with the per-entry values the later steps need.
// Row r belongs to UID uid[r]; its entries are ptr[r]:ptr[r+1], strictly
// increasing by col.
type weightRows struct {
	uid []uint16
	ptr []int
	col []uint16
	w   []Fixed // W_ij, each row normalised to sum ~1
	wc  []Fixed // min(W_ij, C_j)
	x   []Fixed // S_i * Wc_ij
}

// buildWeights applies step 3: keeps the rows of permitted validators,
// drops self-weights, zero values and weights set (LastUpdate of the row)
// at or before the target's registration, and normalises each row.
func buildWeights(rows []Row, ns []Neuron, permit []bool) *weightRows {
	m := &weightRows{ptr: []int{0}}
	nnz := 0
	for _, row := range rows {
		if permit[row.UID] {
			nnz += len(row.Weights)
		}
	}
	m.col = make([]uint16, 0, nnz)
	m.w = make([]Fixed, 0, nnz)
	for _, row := range rows {
		i := row.UID
		if !permit[i] {
			continue
		}
		start := len(m.col)
		var sum uint64
		for _, e := range row.Weights {
			if e.UID == i || e.Value == 0 || ns[i].LastUpdate <= ns[e.UID].RegisteredAt {
				continue
			}
			m.col = append(m.col, e.UID)
			m.w = append(m.w, Fixed(e.Value)) // raw for now
			sum += uint64(e.Value)
		}
		if len(m.col) == start {
			continue
		}
		for k := start; k < len(m.w); k++ {
			m.w[k] = Ratio(uint64(m.w[k]), sum)
		}
		m.uid = append(m.uid, i)
		m.ptr = append(m.ptr, len(m.col))
	}
	m.wc = make([]Fixed, len(m.w))
	m.x = make([]Fixed, len(m.w))
	return m
}

// colEntry is one weight in a column, with its validator's stake weight.
type colEntry struct {
	w     Fixed
	stake uint64
}

// consensus applies step 4: C_j is the largest weight w given to j such
// that the validators giving j at least w hold at least kappa of the total
// stake weight: 65535 * sum{stake_i : W_ij >= w} >= kappa * total, exactly
// over 128 bits. Validators with zero stake weight are left out; a column
// with no such w (or total == 0) gets 0.
func consensus(m *weightRows, stake []uint64, total uint64, kappa uint16, n int) []Fixed {
	c := make([]Fixed, n)
	if total == 0 {
		return c
	}
	start := make([]int, n+1)
	for r, i := range m.uid {
		if stake[i] == 0 {
			continue
		}
		for k := m.ptr[r]; k < m.ptr[r+1]; k++ {
			start[int(m.col[k])+1]++
		}
	}
	for j := 0; j < n; j++ {
		start[j+1] += start[j]
	}
	entries := make([]colEntry, start[n])
	fill := slices.Clone(start[:n])
	for r, i := range m.uid {
		if stake[i] == 0 {
			continue
		}
		for k := m.ptr[r]; k < m.ptr[r+1]; k++ {
			j := m.col[k]
			entries[fill[j]] = colEntry{m.w[k], stake[i]}
			fill[j]++
		}
	}
	for j := 0; j < n; j++ {
		col := entries[start[j]:start[j+1]]
		slices.SortFunc(col, func(a, b colEntry) int { return cmp.Compare(b.w, a.w) })
		var support uint64
		for k, e := range col {
			support += e.stake
			if k+1 < len(col) && col[k+1].w == e.w {
				continue // take every validator at this weight before testing
			}
			if cmp128(support, 65535, uint64(kappa), total) >= 0 {
				c[j] = e.w
				break
			}
		}
	}
	return c
}
