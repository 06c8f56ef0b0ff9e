package validator

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"
)

// Report is one tempo of one validator: what it asked, what came back, the
// scores and the weights it submitted.
type Report struct {
	ChainID string `json:"chain_id"`
	Subnet  uint16 `json:"subnet"`
	Epoch   uint64 `json:"epoch"`
	Height  uint64 `json:"height"`
	// UID is the validator's own UID (valid when Registered).
	UID        uint16 `json:"uid"`
	Registered bool   `json:"registered"`
	Permit     bool   `json:"permit"`
	// Started is when the tempo's challenges started; DurationMs how long
	// challenging and scoring took.
	Started    time.Time `json:"started"`
	DurationMs int64     `json:"duration_ms"`
	// DeadlineMs is the time the challenges were given: until
	// CommitReserve blocks before the epoch's end.
	DeadlineMs int64 `json:"deadline_ms"`
	// ChallengeSet is the hex ChallengeSetHash of the tempo's challenges;
	// a commit carries it in its salt (CommitSalt).
	ChallengeSet string `json:"challenge_set"`
	// Miners has one entry per UID of the metagraph except the validator's
	// own, by UID.
	Miners []MinerReport `json:"miners"`
	// Reveal is the reveal of the previous epoch's commit (nil when none
	// was due); Submit is this tempo's commit or set-weights.
	Reveal *TxReport `json:"reveal,omitempty"`
	Submit TxReport  `json:"submit"`
}

// MinerReport is one UID's tempo.
type MinerReport struct {
	UID    uint16 `json:"uid"`
	Hotkey string `json:"hotkey"`
	// Served: the UID has an endpoint and a model commitment, so it was
	// challenged.
	Served bool `json:"served"`
	// Requests = Valid + Invalid + Failed + NotSent + Skipped are the
	// challenges planned; NotSent were not sent after the miner's first bad
	// answer or once its time budget ran out; Skipped were not sent because
	// too little of the tempo's challenge window was left (window.go), or
	// cut off by the daemon's shutdown. Graded of the challenges
	// not skipped were held-out labelled samples, Correct of those
	// answered right with a valid proof.
	Requests int `json:"requests"`
	Graded   int `json:"graded"`
	Valid    int `json:"proofs_valid"`
	Invalid  int `json:"proofs_invalid"`
	Failed   int `json:"failed"`
	NotSent  int `json:"not_sent"`
	Skipped  int `json:"skipped"`
	Correct  int `json:"correct"`
	// Unscored: every challenge was Skipped, so the tempo says nothing
	// about the miner and its EMA is kept.
	Unscored bool `json:"unscored,omitempty"`
	// Accuracy = Correct/Graded; Quality is its chance-corrected form
	// less a luck margin (Quality); Availability = Valid/(Requests-Skipped); Latency is
	// LatencyScore of MeanLatencyMs (valid answers only).
	Accuracy      Frac    `json:"accuracy"`
	Quality       Frac    `json:"quality"`
	Availability  Frac    `json:"availability"`
	Latency       Frac    `json:"latency_score"`
	MeanLatencyMs float64 `json:"mean_latency_ms"`
	// Score is this tempo's score, Quality * CombineScore(Quality, Latency,
	// Availability) (0 with any invalid answer); EMA
	// the running score after folding it in; Weight the u16 weight
	// submitted (0: left out of the row).
	Score  Frac   `json:"score"`
	EMA    Frac   `json:"ema"`
	Weight uint16 `json:"weight"`
	// Errors holds the first error of each kind (invalid, failed), logged
	// once per tempo.
	Errors []string `json:"errors,omitempty"`
}

// TxReport is one weights transaction.
type TxReport struct {
	// Kind is "commit", "reveal", "set" or "none".
	Kind    string `json:"kind"`
	Epoch   uint64 `json:"epoch"`
	Entries int    `json:"entries"`
	Hash    string `json:"hash,omitempty"`
	// Status is a Status* constant, "skipped" or "error"; Reason says why it
	// is not committed/revealed.
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func txReport(kind string, r *Record) TxReport {
	t := TxReport{Kind: kind, Epoch: r.Epoch, Entries: len(r.Weights), Status: r.Status, Reason: r.Reason}
	if r.Kind == "commit" {
		t.Hash = hex.EncodeToString(r.Hash[:])
	}
	return t
}

// WriteText prints the report as a table for people.
func (r *Report) WriteText(w io.Writer) error {
	me := "not registered"
	if r.Registered {
		me = fmt.Sprintf("uid %d, permit %v", r.UID, r.Permit)
	}
	fmt.Fprintf(w, "subnet %d epoch %d at height %d (validator %s), %d ms\n", r.Subnet, r.Epoch, r.Height, me, r.DurationMs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "uid\trequests\tvalid\tinvalid\tfailed\tnot sent\tskipped\taccuracy\tlatency ms\tscore\tema\tweight\t")
	for _, m := range r.Miners {
		if !m.Served && m.EMA == 0 {
			fmt.Fprintf(tw, "%d\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%d\t\n", m.UID, m.Weight)
			continue
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%.1f\t%s\t%s\t%d\t\n", m.UID, m.Requests, m.Valid, m.Invalid, m.Failed,
			m.NotSent, m.Skipped, m.Accuracy.Format(3), m.MeanLatencyMs, m.Score.Format(3), m.EMA.Format(3), m.Weight)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range r.Miners {
		for _, e := range m.Errors {
			fmt.Fprintf(w, "uid %d: %s\n", m.UID, e)
		}
	}
	if r.Reveal != nil {
		writeTx(w, "reveal", *r.Reveal)
	}
	writeTx(w, "submit", r.Submit)
	return nil
}

func writeTx(w io.Writer, what string, t TxReport) {
	fmt.Fprintf(w, "%s: %s epoch %d, %d entries: %s", what, t.Kind, t.Epoch, t.Entries, t.Status)
	if t.Hash != "" {
		fmt.Fprintf(w, " (hash %.16s...)", t.Hash)
	}
	if t.Reason != "" {
		fmt.Fprintf(w, " - %s", t.Reason)
	}
	fmt.Fprintln(w)
}

// ReadReport reads the last report a validator with home dir wrote.
func ReadReport(home string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(home, ReportFile))
	if err != nil {
		return nil, fmt.Errorf("validator: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("validator: %s: %w", ReportFile, err)
	}
	return &r, nil
}
