package ceremony

import (
	"crypto/sha256"
	"fmt"
	"io"
)

// Contribute reads the latest file of a phase (its init file or last
// contribution), adds one contribution with fresh randomness from
// crypto/rand (gnark's Contribute; the secret never leaves the call), and
// writes the next file to w. It does not verify prev: Verify does.
func Contribute(w io.Writer, prev io.Reader, progress Progress) (FileInfo, error) {
	const step = "contribute"
	progress.report(step, 0, 3)
	b, h, err := readAll(prev, 0)
	if err != nil {
		return FileInfo{}, err
	}
	if h.Kind == KindSealed {
		return FileInfo{}, fmt.Errorf("%w: phase %d is sealed; nothing to contribute to", ErrBrokenLink, h.Phase)
	}
	next := Header{Version: FormatVersion, Phase: h.Phase, Kind: KindContribution, Log2: h.Log2, Index: h.Index + 1, CircuitID: h.CircuitID, Prev: FileHash(b)}
	var state io.WriterTo
	switch h.Phase {
	case Phase1:
		body := b[HeaderSize:]
		if err := checkBody1(h.Log2, body, h.Kind != KindInit); err != nil {
			return FileInfo{}, err
		}
		s, err := decodeP1(h.Log2, body, progressStep(progress, "decode"))
		if err != nil {
			return FileInfo{}, err
		}
		sum := sha256.Sum256(body)
		b = nil
		s.contribute(sum[:], progressStep(progress, step))
		out := append(next.Encode(), s.encode(progressStep(progress, "encode"))...)
		return writeFile(w, out)
	default:
		body := b[HeaderSize:]
		if h.Kind == KindInit {
			if body, _, err = splitInit(body); err != nil {
				return FileInfo{}, err
			}
		}
		p, err := decodePhase2(body)
		if err != nil {
			return FileInfo{}, err
		}
		progress.report(step, 1, 3)
		p.Contribute()
		state = p
	}
	b = nil
	progress.report(step, 2, 3)
	out, err := encodeState(next, state)
	if err != nil {
		return FileInfo{}, err
	}
	fi, err := writeFile(w, out)
	if err != nil {
		return FileInfo{}, err
	}
	progress.report(step, 3, 3)
	return fi, nil
}

// Verify checks a whole transcript of circuit c from scratch: phase 1
// (VerifyPhase1 with t.Beacon1), then phase 2 on the phase 1 it just sealed
// (VerifyPhase2 with t.Beacon2). It returns the keys and every file's hash;
// the caller compares them (Result.Hashes; the last one, through the Prev
// links, commits to every file, both beacons and the keys) with
// what the chain recorded. A failure is an *Error naming the first bad file.
func Verify(c *Circuit, t Transcript, progress Progress) (*Result, error) {
	p1, err := VerifyPhase1(t.Phase1, t.Beacon1, progress)
	if err != nil {
		return nil, err
	}
	if p1.Log2 < c.Log2 {
		return nil, fmt.Errorf("%w: the circuit needs a phase 1 of 2^%d, this one is 2^%d", ErrTooLarge, c.Log2, p1.Log2)
	}
	p2, err := verifyPhase2(c, p1.commons, p1.SealedHash, t.Phase2, t.Beacon2, progress)
	if err != nil {
		return nil, err
	}
	return &Result{
		Log2: p1.Log2, Phase2Log2: p2.Log2, CircuitID: c.ID,
		Phase1: p1.Files, Sealed1: p1.SealedHash,
		Phase2: p2.Files, Sealed2: p2.SealedHash,
		Keys: p2.Keys,
	}, nil
}
