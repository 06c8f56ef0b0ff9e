package validator

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"time"

	"github.com/veritensor/veritensor/scoring"
)

// scoreMiner turns one miner's answers into its tempo score. Quality gates
// everything:
//
//	quality = PartialQuality(correct, graded, planned, K)
//	score   = quality * CombineScore(quality, latency, availability)
//
// where K is the task's number of classes (chance-corrected accuracy less a
// luck margin: a model that guesses scores 0 however fast it is, and so do
// nearly all of its lucky tempos), graded counts the graded challenges not
// Skipped and planned all of them, availability = valid/(requests -
// skipped) and latency = LatencyScore(mean latency of valid answers,
// target, request timeout). Any Invalid answer makes the tempo's score 0.
// Challenges Skipped (the tempo's challenge window, window.go) do not
// count, except that the luck margin stays the whole plan's; a miner with
// nothing but skipped challenges is not scored this tempo (Unscored: its
// EMA is kept).
func (v *Validator) scoreMiner(n Neuron, answers []Answer, outputs int) MinerReport {
	m := MinerReport{UID: n.UID, Hotkey: hex.EncodeToString(n.Hotkey[:]), Served: true, Requests: len(answers)}
	var lat time.Duration
	var firstInvalid, firstFailed error
	planned := 0
	for _, a := range answers {
		if a.Graded {
			planned++
		}
		if a.Outcome == Skipped {
			m.Skipped++
			continue
		}
		if a.Graded {
			m.Graded++
		}
		switch a.Outcome {
		case Valid:
			m.Valid++
			lat += a.Latency
			if a.Correct {
				m.Correct++
			}
		case Invalid:
			m.Invalid++
			if firstInvalid == nil {
				firstInvalid = a.Err
			}
		case NotSent:
			m.NotSent++
		default:
			m.Failed++
			if firstFailed == nil {
				firstFailed = a.Err
			}
		}
	}
	if firstInvalid != nil {
		m.Errors = append(m.Errors, fmt.Sprintf("invalid (%d): %.300s", m.Invalid, firstInvalid.Error()))
	}
	if firstFailed != nil {
		m.Errors = append(m.Errors, fmt.Sprintf("failed (%d): %.300s", m.Failed, firstFailed.Error()))
	}
	sent := m.Requests - m.Skipped
	if sent == 0 {
		m.Unscored = true
		return m
	}
	m.Accuracy = Frac(scoring.Ratio(uint64(m.Correct), uint64(m.Graded)))
	m.Quality = Frac(PartialQuality(m.Correct, m.Graded, planned, outputs))
	m.Availability = Frac(scoring.Ratio(uint64(m.Valid), uint64(sent)))
	if m.Valid > 0 {
		mean := lat / time.Duration(m.Valid)
		m.MeanLatencyMs = float64(mean.Microseconds()) / 1000
		m.Latency = Frac(scoring.LatencyScore(uint64(mean.Microseconds()),
			uint64(v.cfg.LatencyTarget.Microseconds()), uint64(v.cfg.RequestTimeout.Microseconds())))
	}
	if m.Invalid == 0 {
		// The weights sum to 1e6 (checked in New): no error.
		s, _ := scoring.CombineScore(m.Quality.Fixed(), m.Latency.Fixed(), m.Availability.Fixed(), v.cfg.ScoreWeights)
		m.Score = Frac(mulFixed(m.Quality.Fixed(), s))
	}
	return m
}

// Quality is the chance-corrected accuracy of correct answers out of graded
// on a task of classes K, less a luck margin of two standard deviations of
// a guesser's excess:
//
//	D = (K-1)*graded        the excess of a perfect model over chance
//	E = K*correct - graded  the excess observed (mean 0 for a guesser)
//	M = floor(2*sqrt(D))    QualityMargin: E's spread for a guesser is sqrt(D)
//	quality = (E - M) / (D - M)  when E > M, else 0
//
// in integers (M by an exact integer square root), then scoring.Ratio.
// 0 for a model no better than guessing, also for most of a guesser's lucky
// tempos, and exactly 1 for a perfect one (E = D). Without the margin
// (max(0, E/D), the formula before) a guesser's E, with mean 0, is above 0
// in a third of its tempos, and the EMA kept those. 0 when nothing was
// graded or the arguments are out of range; when D <= M (too few graded
// answers to tell a model from luck: (K-1)*graded <= 4) it is always 0.
func Quality(correct, graded, classes int) scoring.Fixed {
	return PartialQuality(correct, graded, graded, classes)
}

// PartialQuality is Quality for a miner scored on graded of the planned
// graded challenges of its tempo (the rest Skipped: the tempo's challenge
// window closed on them): D and E from the answers that count, the margin M
// = QualityMargin(planned, K) of the whole plan. A miner cannot shrink its
// sample to make a lucky guess count (one right of one was quality 1): with
// fewer answers it needs more of them right. 0 when planned < graded.
func PartialQuality(correct, graded, planned, classes int) scoring.Fixed {
	if graded <= 0 || classes < 2 || correct <= 0 || correct > graded || planned < graded {
		return 0
	}
	d := uint64(classes-1) * uint64(graded)
	m := QualityMargin(planned, classes)
	// E > M, written without negatives: K*correct > graded + M. Then
	// D >= E > M, so D - M > 0 (and D <= M means 0).
	kc := uint64(classes) * uint64(correct)
	if kc <= uint64(graded)+m {
		return 0
	}
	return scoring.Ratio(kc-uint64(graded)-m, d-m)
}

// QualityMargin is Quality's luck margin for graded answers on K classes:
// floor(2*sqrt((K-1)*graded)) = floor(sqrt(4*(K-1)*graded)), an exact
// integer square root (math/big), so every implementation gets the same.
func QualityMargin(graded, classes int) uint64 {
	if graded <= 0 || classes < 2 {
		return 0
	}
	d := new(big.Int).Mul(big.NewInt(int64(classes-1)), big.NewInt(int64(graded)))
	return d.Sqrt(d.Lsh(d, 2)).Uint64()
}

// mulFixed multiplies two Q32.32 values in [0, 1].
func mulFixed(a, b scoring.Fixed) scoring.Fixed {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return scoring.Fixed(hi<<(64-scoring.FracBits) | lo>>scoring.FracBits)
}

// foldEMA folds the tempo's scores into the per-UID EMAs and sets each
// report's EMA. A UID whose hotkey changed starts from 0; a UID with an
// invalid answer this tempo is reset to 0 (a forged or foreign proof is
// not noise to be averaged away); UIDs gone from the metagraph are dropped.
func (v *Validator) foldEMA(miners []MinerReport) {
	prev := make(map[uint16]minerState, len(v.st.Miners))
	for _, ms := range v.st.Miners {
		prev[ms.UID] = ms
	}
	next := make([]minerState, 0, len(miners))
	for i := range miners {
		m := &miners[i]
		var hk hexHash
		if b, err := hex.DecodeString(m.Hotkey); err == nil && len(b) == 32 {
			copy(hk[:], b)
		}
		old := scoring.Fixed(0)
		if p, ok := prev[m.UID]; ok && p.Hotkey == hk {
			old = scoring.Fixed(p.EMA)
		}
		ema := scoring.Fixed(0)
		if m.Unscored {
			ema = old // the validator ran out of time, not the miner
		} else if m.Invalid == 0 {
			ema, _ = scoring.EMA(old, m.Score.Fixed(), v.cfg.EMAAlphaPPM) // alpha checked in New
		}
		m.EMA = Frac(ema)
		next = append(next, minerState{UID: m.UID, Hotkey: hk, EMA: uint64(ema)})
	}
	v.st.Miners = next
}

// computeWeights normalises the EMAs into the subnet's u16 row and writes
// each report's Weight.
func computeWeights(miners []MinerReport, sn Subnet) ([]scoring.Weight, error) {
	scores := make([]scoring.Score, 0, len(miners))
	for _, m := range miners {
		scores = append(scores, scoring.Score{UID: m.UID, Value: m.EMA.Fixed()})
	}
	limit := sn.MaxWeightLimit
	if limit == 0 {
		limit = 65535
	}
	row, err := scoring.NormalizeWeights(scores, limit, int(sn.MinAllowedWeights))
	if err != nil {
		return nil, err
	}
	for i := range miners {
		j, ok := slices.BinarySearchFunc(row, miners[i].UID, func(w scoring.Weight, uid uint16) int { return int(w.UID) - int(uid) })
		if ok {
			miners[i].Weight = row[j].Value
		}
	}
	return row, nil
}

// errNoWeights reports a tempo with no row to submit.
var errNoWeights = errors.New("no miner has a positive score")
