package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// InitPhase1 writes the phase-1 init file for a domain of 2^log2 (the
// deterministic starting state: every power of tau is the generator).
func InitPhase1(w io.Writer, log2 uint8) (FileInfo, error) {
	if log2 < MinLog2 || log2 > MaxLog2 {
		return FileInfo{}, fmt.Errorf("%w: log2 size %d, want %d..%d", ErrTooLarge, log2, MinLog2, MaxLog2)
	}
	return writeFile(w, phase1InitFile(log2))
}

func phase1InitFile(log2 uint8) []byte {
	h := Header{Version: FormatVersion, Phase: Phase1, Kind: KindInit, Log2: log2}
	return append(h.Encode(), newP1(1<<log2).encode(nil)...)
}

func encodeState(h Header, state io.WriterTo) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(h.Encode())
	if _, err := state.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("ceremony: encode %s: %w", h.Kind, err)
	}
	return buf.Bytes(), nil
}

func writeFile(w io.Writer, b []byte) (FileInfo, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return FileInfo{}, err
	}
	if _, err := w.Write(b); err != nil {
		return FileInfo{}, fmt.Errorf("ceremony: write: %w", err)
	}
	return FileInfo{Header: h, Hash: FileHash(b), Size: int64(len(b))}, nil
}

// decodeSealed1 parses a phase-1 sealed file body: u16 beacon length,
// beacon, the parameters (SrsCommons.WriteTo).
func decodeSealed1(h Header, body []byte, progress Progress) (beacon []byte, c *mpcsetup.SrsCommons, err error) {
	beacon, rest, err := splitBeacon(body)
	if err != nil {
		return nil, nil, err
	}
	c, err = decodeCommons(h.Log2, rest, progress)
	return beacon, c, err
}

func splitBeacon(body []byte) (beacon, rest []byte, err error) {
	if len(body) < sealedTail {
		return nil, nil, fmt.Errorf("%w: sealed file too short", ErrMalformed)
	}
	bl := int(binary.BigEndian.Uint16(body))
	if bl == 0 || bl > MaxBeaconSize || len(body) < sealedTail+bl {
		return nil, nil, fmt.Errorf("%w: beacon of %d bytes", ErrMalformed, bl)
	}
	return body[sealedTail : sealedTail+bl], body[sealedTail+bl:], nil
}

func sealed1File(h Header, beacon []byte, c *mpcsetup.SrsCommons, progress Progress) []byte {
	b := h.Encode()
	b = putU16(b, len(beacon))
	b = append(b, beacon...)
	return append(b, encodeCommons(c, progress)...)
}

// Phase1Result is a verified phase 1.
type Phase1Result struct {
	// Log2 is the domain size.
	Log2 uint8
	// Files are the hashes of the init file and each contribution.
	Files [][32]byte
	// Sealed is the sealed file (regenerated from the beacon) and its hash.
	Sealed     []byte
	SealedHash [32]byte
	commons    *mpcsetup.SrsCommons
}

// VerifyPhase1 checks a phase-1 transcript from scratch (files: the init
// file, each contribution, and optionally the sealed file last) and seals
// it with beacon. It returns the sealed file, which the caller may compare
// with, or use instead of, a downloaded one.
//
// Each contribution's proofs of knowledge are checked against its
// predecessor (a few points per file); the last state is decoded in full
// (every point on the curve and in the subgroup) and checked to be powers
// of one τ with α and β. That is enough: the output depends only on the
// last state, and the chain of proofs shows it holds every contributor's
// secret. Only if the last state is malformed are the earlier ones decoded
// in full, to name the first malformed one.
func VerifyPhase1(files []Opener, beacon []byte, progress Progress) (*Phase1Result, error) {
	if len(beacon) == 0 || len(beacon) > MaxBeaconSize {
		return nil, fmt.Errorf("%w: beacon of %d bytes, want 1..%d", ErrSealMismatch, len(beacon), MaxBeaconSize)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: phase 1 has no init file", ErrEmpty)
	}
	const step = "phase 1: check links and proofs"
	b, h, err := readFile(files[0], 0)
	if err != nil {
		return nil, asFileErr(err, Phase1, KindInit, 0, nil)
	}
	hash := FileHash(b)
	if h.Phase != Phase1 || h.Kind != KindInit {
		return nil, fileErr(Phase1, h.Kind, 0, hash, ErrBrokenLink, "first file is a phase-%d %s file, want the phase-1 init", h.Phase, h.Kind)
	}
	if !bytes.Equal(b, phase1InitFile(h.Log2)) {
		return nil, fileErr(Phase1, KindInit, 0, hash, ErrBadInit, "not the deterministic phase-1 init for 2^%d", h.Log2)
	}
	n := 1 << h.Log2
	res := &Phase1Result{Log2: h.Log2, Files: [][32]byte{hash}}
	init := newP1(n)
	initHash := sha256.Sum256(b[HeaderSize:])
	prevHead, prevHash := init.head(initHash[:]), hash
	last := len(files) - 1
	var sealedGiven []byte
	var sealedHdr Header
	var final *p1State
	progress.report(step, 1, len(files))
	for i := 1; i < len(files); i++ {
		b, nh, err := readFile(files[i], maxFileSize(h))
		if err != nil {
			return nil, asFileErr(err, Phase1, KindContribution, i, nil)
		}
		hash := FileHash(b)
		if nh.Kind == KindSealed && i == last && i > 1 {
			sealedGiven, sealedHdr = b, nh
			break
		}
		if err := checkLink(h, nh, KindContribution, i, prevHash); err != nil {
			return nil, fileErr(Phase1, nh.Kind, i, hash, ErrBrokenLink, "%v", err)
		}
		body := b[HeaderSize:]
		if err := checkBody1(h.Log2, body, true); err != nil {
			return nil, asFileErr(err, Phase1, KindContribution, i, &hash)
		}
		var head *p1Head
		isLast := i == last || (i == last-1 && isSealedNext(files[last]))
		if isLast {
			s, err := decodeP1(h.Log2, body, progressStep(progress, "phase 1: decode last contribution"))
			if err != nil {
				return nil, asFileErr(err, Phase1, KindContribution, i, &hash)
			}
			sum := sha256.Sum256(body)
			head, final = s.head(sum[:]), s
		} else if head, err = decodeHead1(h.Log2, body); err != nil {
			return nil, asFileErr(err, Phase1, KindContribution, i, &hash)
		}
		if err := verifyProofs(prevHead, head); err != nil {
			return nil, fileErr(Phase1, KindContribution, i, hash, ErrBadContribution, "%v", err)
		}
		prevHead, prevHash = head, hash
		res.Files = append(res.Files, hash)
		progress.report(step, i+1, len(files))
	}
	nContrib := len(res.Files) - 1
	if nContrib == 0 || final == nil {
		return nil, fmt.Errorf("%w: phase 1 has no contribution", ErrEmpty)
	}
	progress.report("phase 1: check powers", 0, 1)
	if err := final.verifyStructure(); err != nil {
		return nil, blameStructure(files, h.Log2, res.Files, err)
	}
	progress.report("phase 1: check powers", 1, 1)
	sh := Header{Version: FormatVersion, Phase: Phase1, Kind: KindSealed, Log2: h.Log2, Index: uint32(nContrib + 1), Prev: prevHash}
	commons := final.seal(prevHead.bodyHash, beacon, progressStep(progress, "phase 1: seal"))
	res.Sealed = sealed1File(sh, beacon, commons, nil)
	res.SealedHash, res.commons = FileHash(res.Sealed), commons
	if sealedGiven != nil {
		gh := FileHash(sealedGiven)
		idx := nContrib + 1
		if err := checkLink(h, sealedHdr, KindSealed, idx, prevHash); err != nil {
			return nil, fileErr(Phase1, KindSealed, idx, gh, ErrBrokenLink, "%v", err)
		}
		if gb, _, err := splitBeacon(sealedGiven[HeaderSize:]); err != nil {
			return nil, asFileErr(err, Phase1, KindSealed, idx, &gh)
		} else if !bytes.Equal(gb, beacon) {
			return nil, fileErr(Phase1, KindSealed, idx, gh, ErrSealMismatch, "sealed with beacon %x, want %x", gb, beacon)
		}
		if gh != res.SealedHash {
			return nil, fileErr(Phase1, KindSealed, idx, gh, ErrSealMismatch, "the parameters are not the seal of contribution %d with the beacon (want file %s)", nContrib, ShortHash(res.SealedHash))
		}
	}
	return res, nil
}

// isSealedNext peeks at a file's header.
func isSealedNext(open Opener) bool {
	rc, err := open()
	if err != nil {
		return false
	}
	defer rc.Close()
	hb := make([]byte, HeaderSize)
	if _, err := io.ReadFull(rc, hb); err != nil {
		return false
	}
	h, err := DecodeHeader(hb)
	return err == nil && h.Kind == KindSealed
}

// blameStructure names the first contribution whose state is not powers of
// one τ (the last one is known to be malformed).
func blameStructure(files []Opener, log2 uint8, hashes [][32]byte, lastErr error) error {
	for i := 1; i < len(hashes)-1; i++ {
		b, _, err := readFile(files[i], 0)
		if err != nil {
			break
		}
		s, err := decodeP1(log2, b[HeaderSize:], nil)
		if err == nil {
			err = s.verifyStructure()
		}
		if err != nil {
			return fileErr(Phase1, KindContribution, i, hashes[i], ErrBadContribution, "the state is not powers of one τ: %v", err)
		}
	}
	i := len(hashes) - 1
	return fileErr(Phase1, KindContribution, i, hashes[i], ErrBadContribution, "the state is not powers of one τ: %v", lastErr)
}

func progressStep(p Progress, step string) Progress {
	if p == nil {
		return nil
	}
	return func(_ string, done, total int) { p(step, done, total) }
}

// SealPhase1 verifies a phase-1 transcript (init and contributions) and
// writes its sealed file: the last contribution updated with the beacon.
func SealPhase1(w io.Writer, files []Opener, beacon []byte, progress Progress) (FileInfo, error) {
	r, err := VerifyPhase1(files, beacon, progress)
	if err != nil {
		return FileInfo{}, err
	}
	return writeFile(w, r.Sealed)
}

// checkLink checks that header nh follows a file of the same ceremony
// (phase, size, circuit of first) at position index after prevHash.
func checkLink(first, nh Header, kind Kind, index int, prevHash [32]byte) error {
	switch {
	case nh.Phase != first.Phase:
		return fmt.Errorf("a phase-%d file inside phase %d", nh.Phase, first.Phase)
	case nh.Log2 != first.Log2:
		return fmt.Errorf("size 2^%d in a ceremony of size 2^%d", nh.Log2, first.Log2)
	case nh.CircuitID != first.CircuitID:
		return fmt.Errorf("for circuit %s, the ceremony is for %s", ShortHash(nh.CircuitID), ShortHash(first.CircuitID))
	case nh.Kind != kind:
		return fmt.Errorf("a %s file where a %s is expected", nh.Kind, kind)
	case int(nh.Index) != index:
		return fmt.Errorf("index %d at position %d (reordered?)", nh.Index, index)
	case nh.Prev != prevHash:
		return fmt.Errorf("builds on file %s, but file %d is %s: the transcript is reordered or spliced, or file %d was altered after this one built on it", ShortHash(nh.Prev), index-1, ShortHash(prevHash), index-1)
	}
	return nil
}

// verifyStep runs one of gnark's checks, turning a panic on malformed
// input into an error.
func verifyStep(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed state: %v", r)
		}
	}()
	return f()
}

// asFileErr wraps err (from reading or decoding a file) as an *Error.
func asFileErr(err error, ph Phase, k Kind, index int, hash *[32]byte) error {
	if _, ok := err.(*Error); ok {
		return err
	}
	e := &Error{Phase: ph, Kind: k, Index: index, Err: err}
	if hash != nil {
		e.Hash = *hash
	}
	return e
}
