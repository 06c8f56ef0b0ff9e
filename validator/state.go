package validator

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/veritensor/veritensor/internal/atomicfile"
	"github.com/veritensor/veritensor/scoring"
)

// StateFile is the name of the engine's state file under Config.Home.
const StateFile = "validator-state.json"

// ReportFile is the name of the last tempo's report under Config.Home.
const ReportFile = "validator-report.json"

const stateVersion = 1

// Submission statuses of a weights record.
const (
	// StatusPrepared: written before the transaction is sent; it may or may
	// not have landed.
	StatusPrepared = "prepared"
	// StatusCommitted: commit-weights (or set-weights) landed.
	StatusCommitted = "committed"
	// StatusRevealed: reveal-weights landed (commit-reveal only).
	StatusRevealed = "revealed"
	// StatusAbandoned: rejected, or its window passed; kept for the report.
	StatusAbandoned = "abandoned"
)

// Record is one tempo's weights as the state file keeps them: enough to
// (re)send the commit, and to reveal it next epoch after a restart.
type Record struct {
	// Epoch is the epoch the weights were computed (and committed) in.
	Epoch uint64 `json:"epoch"`
	// Kind is "commit" or "set".
	Kind string `json:"kind"`
	// Weights is the row, sorted by UID.
	Weights []scoring.Weight `json:"weights"`
	// Salt (hex in JSON) and Hash are the commit's; empty for "set".
	Salt []byte  `json:"salt,omitempty"`
	Hash hexHash `json:"hash"`
	// Height is the block height when the record was prepared.
	Height uint64 `json:"height"`
	// Status is one of the Status* constants; Reason says why a record was
	// abandoned.
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// minerState is the EMA of one UID, reset when the UID changes hands.
type minerState struct {
	UID    uint16  `json:"uid"`
	Hotkey hexHash `json:"hotkey"`
	// EMA is a scoring.Fixed (Q32.32) stored raw.
	EMA uint64 `json:"ema_q32"`
}

// state is what survives a restart.
type state struct {
	Version int     `json:"version"`
	ChainID string  `json:"chain_id"`
	Subnet  uint16  `json:"subnet"`
	Hotkey  hexHash `json:"hotkey"`
	// Scored says ScoredEpoch holds the last epoch whose challenges were
	// scored and folded into the EMAs.
	Scored      bool         `json:"scored"`
	ScoredEpoch uint64       `json:"scored_epoch"`
	Miners      []minerState `json:"miners"`
	// Records are the weights of the last epochs, oldest first (at most
	// maxRecords).
	Records []Record `json:"records"`
}

const maxRecords = 4

// hexHash is a 32-byte value written as hex.
type hexHash [32]byte

func (h hexHash) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

func (h *hexHash) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return fmt.Errorf("want 64 hex characters, got %d", len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// loadState reads dir's state file; a missing file is a fresh state.
func loadState(dir string, fresh state) (state, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return fresh, nil
	}
	if err != nil {
		return state{}, fmt.Errorf("validator: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return state{}, fmt.Errorf("%w: %s: %v", ErrState, StateFile, err)
	}
	switch {
	case s.Version != stateVersion:
		return state{}, fmt.Errorf("%w: version %d, this build reads %d", ErrState, s.Version, stateVersion)
	case s.ChainID != fresh.ChainID || s.Subnet != fresh.Subnet || s.Hotkey != fresh.Hotkey:
		return state{}, fmt.Errorf("%w: %s is for chain %q subnet %d hotkey %x, not chain %q subnet %d hotkey %x",
			ErrState, filepath.Join(dir, StateFile), s.ChainID, s.Subnet, s.Hotkey[:], fresh.ChainID, fresh.Subnet, fresh.Hotkey[:])
	}
	return s, nil
}

// save writes the state atomically.
func (s *state) save(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("validator: encode state: %w", err)
	}
	return writeAtomic(filepath.Join(dir, StateFile), b)
}

// record returns the record of epoch, or nil.
func (s *state) record(epoch uint64) *Record {
	for i := range s.Records {
		if s.Records[i].Epoch == epoch {
			return &s.Records[i]
		}
	}
	return nil
}

// addRecord appends r, keeping the newest maxRecords.
func (s *state) addRecord(r Record) {
	s.Records = append(s.Records, r)
	if len(s.Records) > maxRecords {
		s.Records = append([]Record(nil), s.Records[len(s.Records)-maxRecords:]...)
	}
}

// writeAtomic writes b over path through atomicfile.Write.
func writeAtomic(path string, b []byte) error {
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("validator: %w", err)
	}
	return nil
}
