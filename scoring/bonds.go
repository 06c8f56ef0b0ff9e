package scoring

import "math"

// bondRows is a sparse (CSR) bonds matrix: row r belongs to UID uid[r],
// entries ptr[r]:ptr[r+1] strictly increasing by col.
type bondRows struct {
	uid []uint16
	ptr []int
	col []uint16
	val []Fixed
	// dividends are the unnormalised dividends per UID (step 8).
	dividends []Fixed
}

// prevBonds converts the previous bonds to Fixed, keeping only rows of
// permitted validators and dropping self-bonds, zero entries and bonds
// B_ij towards a UID j registered at or after i's last update (j was
// re-registered since i last looked at it: the bond belonged to the UID's
// previous holder).
func prevBonds(rows []Row, ns []Neuron, permit []bool) *bondRows {
	nnz := 0
	for _, row := range rows {
		if permit[row.UID] {
			nnz += len(row.Weights)
		}
	}
	b := &bondRows{ptr: []int{0}, col: make([]uint16, 0, nnz), val: make([]Fixed, 0, nnz)}
	for _, row := range rows {
		i := row.UID
		if !permit[i] {
			continue
		}
		start := len(b.col)
		for _, e := range row.Weights {
			if e.UID == i || e.Value == 0 || ns[i].LastUpdate <= ns[e.UID].RegisteredAt {
				continue
			}
			b.col = append(b.col, e.UID)
			b.val = append(b.val, bondFromU16(e.Value))
		}
		if len(b.col) > start {
			b.uid = append(b.uid, i)
			b.ptr = append(b.ptr, len(b.col))
		}
	}
	return b
}

// bondFromU16 reads a stored bond: ceil(v·2^32/65535), the smallest
// fraction that Fixed.U16 (which rounds down) writes back as v. Reading with
// FixedFromU16 (rounding down) lost one unit per epoch round trip, so
// frozen bonds (bonds_moving_average_ppm = 10^6) drifted to 0.
func bondFromU16(v uint16) Fixed {
	return Fixed(((uint64(v) << FracBits) + math.MaxUint16 - 1) / math.MaxUint16)
}

// colNormalize scales every column of b to sum to ~One (rounding down).
func (b *bondRows) colNormalize(n int) {
	sum := make([]Fixed, n)
	for k, j := range b.col {
		sum[j] += b.val[k]
	}
	for k, j := range b.col {
		b.val[k] = div(b.val[k], sum[j])
	}
}

// newBonds applies steps 7 and 8. With a = 1 - BondsMovingAverage/1e6:
//
//	yuma:   dB_ij = S_i*Wc_ij / sum_k S_k*Wc_kj; B = colnorm(a*dB + (1-a)*colnorm(B_prev));
//	        d_i = sum_j B_ij*I_j
//	yuma3:  B = a*Wc + (1-a)*B_prev;  d_i = S_i * sum_j B_ij*I_j
func newBonds(p Params, m *weightRows, prev *bondRows, s, rank, incentive []Fixed) *bondRows {
	n := len(s)
	a := Ratio(ppm-uint64(p.BondsMovingAverage), ppm)
	keep := Ratio(uint64(p.BondsMovingAverage), ppm)
	delta := m.wc
	if p.BondsMode == BondsYuma {
		prev.colNormalize(n)
		delta = make([]Fixed, len(m.x))
		for k, j := range m.col {
			delta[k] = div(m.x[k], rank[j])
		}
	}
	nnz := len(m.col) + len(prev.col)
	b := &bondRows{ptr: []int{0}, col: make([]uint16, 0, nnz), val: make([]Fixed, 0, nnz), dividends: make([]Fixed, n)}
	r, q := 0, 0 // rows of m and prev
	for r < len(m.uid) || q < len(prev.uid) {
		var i uint16
		var ks, ke, ps, pe int
		switch {
		case q == len(prev.uid) || (r < len(m.uid) && m.uid[r] < prev.uid[q]):
			i, ks, ke = m.uid[r], m.ptr[r], m.ptr[r+1]
			r++
		case r == len(m.uid) || prev.uid[q] < m.uid[r]:
			i, ps, pe = prev.uid[q], prev.ptr[q], prev.ptr[q+1]
			q++
		default:
			i, ks, ke, ps, pe = m.uid[r], m.ptr[r], m.ptr[r+1], prev.ptr[q], prev.ptr[q+1]
			r++
			q++
		}
		start := len(b.col)
		for ks < ke || ps < pe {
			var j uint16
			var d, old Fixed
			switch {
			case ps == pe || (ks < ke && m.col[ks] < prev.col[ps]):
				j, d = m.col[ks], delta[ks]
				ks++
			case ks == ke || prev.col[ps] < m.col[ks]:
				j, old = prev.col[ps], prev.val[ps]
				ps++
			default:
				j, d, old = m.col[ks], delta[ks], prev.val[ps]
				ks++
				ps++
			}
			if v := mul(a, d) + mul(keep, old); v != 0 {
				b.col = append(b.col, j)
				b.val = append(b.val, v)
			}
		}
		if len(b.col) > start {
			b.uid = append(b.uid, i)
			b.ptr = append(b.ptr, len(b.col))
		}
	}
	if p.BondsMode == BondsYuma {
		b.colNormalize(n)
	}
	for r, i := range b.uid {
		var d Fixed
		for k := b.ptr[r]; k < b.ptr[r+1]; k++ {
			d += mul(b.val[k], incentive[b.col[k]])
		}
		if p.BondsMode == BondsYuma3 {
			d = mul(s[i], d)
		}
		b.dividends[i] = d
	}
	return b
}
