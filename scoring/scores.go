package scoring

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
)

// Score is a validator's off-chain score of one miner UID, a Fixed value
// (normally a fraction in [0, 1]).
type Score struct {
	UID   uint16 `json:"uid"`
	Value Fixed  `json:"value"`
}

// ScoreWeights are the parts per million that accuracy, latency and
// availability contribute to a combined score; they sum to 1,000,000.
type ScoreWeights struct {
	AccuracyPPM, LatencyPPM, AvailabilityPPM uint32
}

// DefaultScoreWeights weighs accuracy 70%, availability 20%, latency 10%.
func DefaultScoreWeights() ScoreWeights {
	return ScoreWeights{AccuracyPPM: 700_000, LatencyPPM: 100_000, AvailabilityPPM: 200_000}
}

// EMA blends a new sample into a running score:
// floor((alpha*sample + (1e6-alpha)*prev) / 1e6) with alpha in parts per
// million (<= 1,000,000, else ErrParams), exact over 128 bits. The result
// lies between prev and sample.
func EMA(prev, sample Fixed, alphaPPM uint32) (Fixed, error) {
	if alphaPPM > ppm {
		return 0, fmt.Errorf("%w: ema alpha %d ppm > %d", ErrParams, alphaPPM, ppm)
	}
	return weightedPPM([]Fixed{sample, prev}, []uint32{alphaPPM, ppm - alphaPPM}), nil
}

// CombineScore combines per-miner measurements, each a fraction in [0, 1]
// (accuracy: correct/asked, latency: see LatencyScore, availability:
// answered/asked), into one score: the weighted mean
// floor(sum w_k*x_k / 1e6). The weights must sum to 1,000,000 (else
// ErrParams).
func CombineScore(accuracy, latency, availability Fixed, w ScoreWeights) (Fixed, error) {
	if uint64(w.AccuracyPPM)+uint64(w.LatencyPPM)+uint64(w.AvailabilityPPM) != ppm {
		return 0, fmt.Errorf("%w: score weights %d+%d+%d ppm do not sum to %d", ErrParams,
			w.AccuracyPPM, w.LatencyPPM, w.AvailabilityPPM, ppm)
	}
	return weightedPPM([]Fixed{accuracy, latency, availability},
		[]uint32{w.AccuracyPPM, w.LatencyPPM, w.AvailabilityPPM}), nil
}

// weightedPPM returns floor(sum w_k*x_k / 1e6) for weights summing to 1e6.
func weightedPPM(x []Fixed, w []uint32) Fixed {
	var hi, lo uint64
	for k := range x {
		h, l := bits.Mul64(uint64(x[k]), uint64(w[k]))
		var c uint64
		lo, c = bits.Add64(lo, l, 0)
		hi += h + c
	}
	q, _ := bits.Div64(hi, lo, ppm) // <= max x, fits
	return Fixed(q)
}

// LatencyScore maps a measured latency to [0, 1]: One at or below target,
// 0 at or beyond limit, linear in between (rounded down). Any one unit
// (e.g. microseconds) for all three arguments.
func LatencyScore(latency, target, limit uint64) Fixed {
	switch {
	case latency <= target:
		return One
	case latency >= limit:
		return 0
	}
	return Ratio(limit-latency, limit-target)
}

// NormalizeWeights turns scores into the u16 weight row a validator
// submits: zero scores are dropped, the rest get weights proportional to
// their scores, except that no weight may exceed maxWeightLimit/65535 of
// the row's sum (the excess is spread over the others in proportion to
// their scores, "water-filling"), and the largest weight is scaled to
// 65535. Smaller weights are rounded up (never below 1), which keeps the
// limit: 65535*max(v) <= maxWeightLimit*sum(v) holds exactly for the
// returned row.
//
// Errors: ErrRowOrder for duplicate UIDs, ErrTooFewWeights when fewer than
// minAllowedWeights scores are positive, ErrWeightLimit when
// k*maxWeightLimit < 65535 for k positive scores (the limit cannot be met).
// The row is sorted by UID; scores may come in any order.
func NormalizeWeights(scores []Score, maxWeightLimit uint16, minAllowedWeights int) ([]Weight, error) {
	pos := make([]Score, 0, len(scores))
	for _, sc := range scores {
		if sc.Value > 0 {
			pos = append(pos, sc)
		}
	}
	sorted := slices.Clone(scores)
	slices.SortFunc(sorted, func(a, b Score) int { return cmp.Compare(a.UID, b.UID) })
	for k := 1; k < len(sorted); k++ {
		if sorted[k].UID == sorted[k-1].UID {
			return nil, fmt.Errorf("%w: duplicate score for uid %d", ErrRowOrder, sorted[k].UID)
		}
	}
	k := len(pos)
	if k < minAllowedWeights {
		return nil, fmt.Errorf("%w: %d positive scores, need %d", ErrTooFewWeights, k, minAllowedWeights)
	}
	if k == 0 {
		return []Weight{}, nil
	}
	L := uint64(maxWeightLimit)
	if uint64(k)*L < 65535 {
		return nil, fmt.Errorf("%w: %d weights of at most %d/65535 each cannot sum to 1", ErrWeightLimit, k, L)
	}
	// Normalise to fractions y (sum ~One) so products stay within 128 bits.
	raw := make([]uint64, k)
	for i, sc := range pos {
		raw[i] = uint64(sc.Value)
	}
	y := make([]Fixed, k)
	parts, _ := Split(uint64(One), raw) // exact: sums to One
	for i := range y {
		y[i] = Fixed(parts[i])
	}
	// Water-filling: the top t scores are capped, t the smallest count with
	// y_(t) * (65535 - t*L) <= L * sum_{m >= t} y_(m).
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(y[b], y[a]); c != 0 {
			return c
		}
		return cmp.Compare(pos[a].UID, pos[b].UID)
	})
	suffix := make([]uint64, k+1)
	for m := k - 1; m >= 0; m-- {
		suffix[m] = suffix[m+1] + uint64(y[order[m]])
	}
	t := 0
	for ; t < k; t++ {
		free := int64(65535) - int64(t)*int64(L)
		if free <= 0 || cmp128(uint64(y[order[t]]), uint64(free), L, suffix[t]) <= 0 {
			break
		}
	}
	v := make([]uint64, k)
	for m, i := range order {
		switch {
		case m < t:
			v[i] = 65535
		case t == 0:
			v[i] = ceilMulDiv(uint64(y[i]), 65535, uint64(y[order[0]]))
		case suffix[t] == 0:
			// The rest are too small to tell apart at 2^-32 (scores far above
			// 1 shifted them to 0): they share the free weight equally.
			free := uint64(max(int64(65535)-int64(t)*int64(L), 0))
			v[i] = ceilMulDiv(65535, free, L*uint64(k-t))
		default:
			free := uint64(max(int64(65535)-int64(t)*int64(L), 0))
			v[i] = ceilMulDiv(uint64(y[i]), 65535*free, L*suffix[t])
		}
		v[i] = min(max(v[i], 1), 65535)
	}
	var sum, top uint64
	for _, x := range v {
		sum += x
		top = max(top, x)
	}
	if cmp128(top, 65535, L, sum) > 0 {
		return nil, fmt.Errorf("%w: rounding left max %d of sum %d", ErrWeightLimit, top, sum)
	}
	row := make([]Weight, k)
	for i, sc := range pos {
		row[i] = Weight{UID: sc.UID, Value: uint16(v[i])}
	}
	slices.SortFunc(row, func(a, b Weight) int { return cmp.Compare(a.UID, b.UID) })
	return row, nil
}

// ceilMulDiv returns ceil(a*b/d) for d > 0 and a*b/d < 2^64.
func ceilMulDiv(a, b, d uint64) uint64 {
	if d == 0 {
		return 0
	}
	hi, lo := bits.Mul64(a, b)
	if hi >= d {
		return 1<<64 - 1
	}
	q, r := bits.Div64(hi, lo, d)
	if r != 0 {
		q++
	}
	return q
}
