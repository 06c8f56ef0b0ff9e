package validator

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/veritensor/veritensor/scoring"
)

// scoreMiner turns one miner's answers into its tempo score:
// CombineScore(accuracy, latency, availability) where accuracy =
// correct/graded, availability = valid/requests and latency =
// LatencyScore(mean latency of valid answers, target, request timeout).
// Any Invalid answer makes the tempo's score 0.
func (v *Validator) scoreMiner(n Neuron, answers []Answer) MinerReport {
	m := MinerReport{UID: n.UID, Hotkey: hex.EncodeToString(n.Hotkey[:]), Served: true, Requests: len(answers)}
	var lat time.Duration
	var firstInvalid, firstFailed error
	for _, a := range answers {
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
	m.Accuracy = Frac(scoring.Ratio(uint64(m.Correct), uint64(m.Graded)))
	m.Availability = Frac(scoring.Ratio(uint64(m.Valid), uint64(m.Requests)))
	if m.Valid > 0 {
		mean := lat / time.Duration(m.Valid)
		m.MeanLatencyMs = float64(mean.Microseconds()) / 1000
		m.Latency = Frac(scoring.LatencyScore(uint64(mean.Microseconds()),
			uint64(v.cfg.LatencyTarget.Microseconds()), uint64(v.cfg.RequestTimeout.Microseconds())))
	}
	if m.Invalid == 0 {
		// The weights sum to 1e6 (checked in New): no error.
		s, _ := scoring.CombineScore(m.Accuracy.Fixed(), m.Latency.Fixed(), m.Availability.Fixed(), v.cfg.ScoreWeights)
		m.Score = Frac(s)
	}
	return m
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
		if m.Invalid == 0 {
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
