package ceremony

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// Errors of this package. Failures about one file come as *Error, which
// wraps one of these; test with errors.Is.
var (
	// ErrMalformed: a file does not decode (bad magic, unknown version,
	// truncated, trailing bytes, points off the curve or subgroup).
	ErrMalformed = errors.New("ceremony: malformed file")
	// ErrTooLarge: a size (log2, file length, beacon) is beyond the limits.
	ErrTooLarge = errors.New("ceremony: too large")
	// ErrBrokenLink: a file's header does not follow the previous file
	// (wrong Prev hash, index, phase, kind or size): a reordered, spliced or
	// truncated transcript.
	ErrBrokenLink = errors.New("ceremony: broken transcript link")
	// ErrBadInit: an init file is not the deterministic initial state.
	ErrBadInit = errors.New("ceremony: bad init file")
	// ErrBadContribution: a contribution's proofs of knowledge or its update
	// of the previous state do not verify (a tampered contribution).
	ErrBadContribution = errors.New("ceremony: bad contribution")
	// ErrWrongCircuit: a phase-2 file is for another circuit than the one
	// compiled from the architecture (another arch, another circuit
	// version, or a circuit that constrains something else).
	ErrWrongCircuit = errors.New("ceremony: wrong circuit")
	// ErrSealMismatch: re-sealing with the given beacon does not give the
	// recorded sealed file or keys (sealed with another beacon, or tampered).
	ErrSealMismatch = errors.New("ceremony: seal mismatch")
	// ErrHashMismatch: a file's SHA-256 is not the expected one (what the
	// chain recorded).
	ErrHashMismatch = errors.New("ceremony: file hash mismatch")
	// ErrEmpty: a phase has no contribution, or a transcript is missing a
	// file.
	ErrEmpty = errors.New("ceremony: missing files")
)

// Error names the file where verification stopped.
type Error struct {
	// Phase is 1 or 2.
	Phase Phase
	// Kind is the kind of the bad file.
	Kind Kind
	// Index is the file's position in its phase: 0 is the init file,
	// i >= 1 the i-th contribution; for the phase-1 sealed file, the number
	// of contributions + 1.
	Index int
	// Hash is the SHA-256 of the file (zero if it could not be read).
	Hash [32]byte
	// Err wraps a sentinel of this package and the cause.
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("ceremony: phase %d %s %d (%s): %v", e.Phase, e.Kind, e.Index, ShortHash(e.Hash), e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ShortHash is the first 12 hex digits of h, for messages.
func ShortHash(h [32]byte) string { return hex.EncodeToString(h[:6]) }

func fileErr(ph Phase, k Kind, index int, h [32]byte, sentinel error, format string, args ...any) *Error {
	return &Error{Phase: ph, Kind: k, Index: index, Hash: h, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}
