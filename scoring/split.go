package scoring

import (
	"cmp"
	"math/bits"
	"slices"
)

// Split divides amount base units among len(weights) recipients in
// proportion to weights and returns each one's part; the parts sum to
// amount exactly whenever some weight is positive (ok == true). When every
// weight is zero nothing is paid: all parts are 0 and ok is false.
//
// Remainder rule (largest remainder, lowest index first): if the weights
// sum to more than 2^64-1 they are first all shifted right by the smallest
// k that makes the sum fit (a deterministic loss of at most k low bits).
// With Q = sum of the weights, recipient i gets floor(amount*w_i/Q); the
// r = amount - sum of those floors (< number of positive weights) leftover
// units go one each to the r recipients with the largest remainders
// (amount*w_i mod Q), ties broken by lower index. Only positive weights
// receive anything. All products are exact 128-bit.
//
// Epoch cuts every integer share with Split, indexing recipients by UID.
func Split(amount uint64, weights []uint64) (parts []uint64, ok bool) {
	parts = make([]uint64, len(weights))
	var hi, lo, c uint64
	for _, w := range weights {
		lo, c = bits.Add64(lo, w, 0)
		hi += c
	}
	shift := uint(bits.Len64(hi))
	var q uint64
	for _, w := range weights {
		q += w >> shift
	}
	if q == 0 {
		return parts, false
	}
	rems := make([]uint64, len(weights))
	var paid uint64
	var eligible []int
	for i, w := range weights {
		w >>= shift
		if w == 0 {
			continue
		}
		parts[i], rems[i] = mulDiv(amount, w, q)
		paid += parts[i]
		eligible = append(eligible, i)
	}
	left := amount - paid
	if left == 0 {
		return parts, true
	}
	slices.SortFunc(eligible, func(a, b int) int {
		if c := cmp.Compare(rems[b], rems[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, i := range eligible[:left] {
		parts[i]++
	}
	return parts, true
}

// fixedWeights views fractions as Split weights.
func fixedWeights(f []Fixed) []uint64 {
	w := make([]uint64, len(f))
	for i, v := range f {
		w[i] = uint64(v)
	}
	return w
}
