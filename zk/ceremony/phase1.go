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
	b, err := phase1InitFile(log2)
	if err != nil {
		return FileInfo{}, err
	}
	return writeFile(w, b)
}

func phase1InitFile(log2 uint8) ([]byte, error) {
	h := Header{Version: FormatVersion, Phase: Phase1, Kind: KindInit, Log2: log2}
	return encodeState(h, mpcsetup.NewPhase1(uint64(1)<<log2))
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

// decodePhase1 parses a phase-1 init or contribution file body. It checks
// the exact length for the header's size before gnark allocates anything.
func decodePhase1(h Header, body []byte) (p *mpcsetup.Phase1, err error) {
	n := int64(1) << h.Log2
	challenge := 32
	if h.Kind == KindInit {
		challenge = 0
	}
	if want := phase1BodySize(n, challenge); int64(len(body)) != want {
		return nil, fmt.Errorf("%w: phase-1 state of %d bytes, want %d for 2^%d", ErrMalformed, len(body), want, h.Log2)
	}
	if got := binary.BigEndian.Uint64(body[3*proofSize:]); got != uint64(n) {
		return nil, fmt.Errorf("%w: state of size %d in a file of size 2^%d", ErrMalformed, got, h.Log2)
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: phase-1 state: %v", ErrMalformed, r)
		}
	}()
	p = new(mpcsetup.Phase1)
	read, err := p.ReadFrom(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: phase-1 state: %w", ErrMalformed, err)
	}
	if read != int64(len(body)) {
		return nil, fmt.Errorf("%w: phase-1 state has %d trailing bytes", ErrMalformed, int64(len(body))-read)
	}
	return p, nil
}

// decodeSealed1 parses a phase-1 sealed file body: u16 beacon length,
// beacon, SrsCommons.
func decodeSealed1(h Header, body []byte) (beacon []byte, c *mpcsetup.SrsCommons, err error) {
	if len(body) < sealedTail {
		return nil, nil, fmt.Errorf("%w: sealed file too short", ErrMalformed)
	}
	bl := int(binary.BigEndian.Uint16(body))
	if bl > MaxBeaconSize || len(body) < sealedTail+bl {
		return nil, nil, fmt.Errorf("%w: beacon of %d bytes", ErrMalformed, bl)
	}
	beacon, rest := body[sealedTail:sealedTail+bl], body[sealedTail+bl:]
	n := int64(1) << h.Log2
	if want := commonsSize(n); int64(len(rest)) != want {
		return nil, nil, fmt.Errorf("%w: sealed parameters of %d bytes, want %d for 2^%d", ErrMalformed, len(rest), want, h.Log2)
	}
	if got := binary.BigEndian.Uint64(rest); got != uint64(n) {
		return nil, nil, fmt.Errorf("%w: parameters of size %d in a file of size 2^%d", ErrMalformed, got, h.Log2)
	}
	defer func() {
		if r := recover(); r != nil {
			beacon, c, err = nil, nil, fmt.Errorf("%w: sealed parameters: %v", ErrMalformed, r)
		}
	}()
	c = new(mpcsetup.SrsCommons)
	if _, err := c.ReadFrom(bytes.NewReader(rest)); err != nil {
		return nil, nil, fmt.Errorf("%w: sealed parameters: %w", ErrMalformed, err)
	}
	return beacon, c, nil
}

func sealed1File(h Header, beacon []byte, c *mpcsetup.SrsCommons) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(h.Encode())
	buf.Write(putU16(nil, len(beacon)))
	buf.Write(beacon)
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("ceremony: encode sealed parameters: %w", err)
	}
	return buf.Bytes(), nil
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
func VerifyPhase1(files []Opener, beacon []byte, progress Progress) (*Phase1Result, error) {
	const step = "phase 1: verify"
	if len(beacon) == 0 || len(beacon) > MaxBeaconSize {
		return nil, fmt.Errorf("%w: beacon of %d bytes, want 1..%d", ErrSealMismatch, len(beacon), MaxBeaconSize)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: phase 1 has no init file", ErrEmpty)
	}
	total := len(files) + 1
	progress.report(step, 0, total)
	b, h, err := readFile(files[0], 0)
	if err != nil {
		return nil, asFileErr(err, Phase1, KindInit, 0, nil)
	}
	hash := FileHash(b)
	if h.Phase != Phase1 || h.Kind != KindInit {
		return nil, fileErr(Phase1, h.Kind, 0, hash, ErrBrokenLink, "first file is a phase-%d %s file, want the phase-1 init", h.Phase, h.Kind)
	}
	want, err := phase1InitFile(h.Log2)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(b, want) {
		return nil, fileErr(Phase1, KindInit, 0, hash, ErrBadInit, "not the deterministic phase-1 init for 2^%d", h.Log2)
	}
	res := &Phase1Result{Log2: h.Log2, Files: [][32]byte{hash}}
	prev := mpcsetup.NewPhase1(uint64(1) << h.Log2)
	prevHash := hash
	var sealedGiven []byte
	var sealedHdr Header
	progress.report(step, 1, total)
	for i := 1; i < len(files); i++ {
		b, nh, err := readFile(files[i], maxFileSize(h))
		if err != nil {
			return nil, asFileErr(err, Phase1, KindContribution, i, nil)
		}
		hash := FileHash(b)
		if nh.Kind == KindSealed && i == len(files)-1 {
			sealedGiven, sealedHdr = b, nh
			break
		}
		if err := checkLink(h, nh, KindContribution, i, prevHash); err != nil {
			return nil, fileErr(Phase1, nh.Kind, i, hash, ErrBrokenLink, "%v", err)
		}
		next, err := decodePhase1(nh, b[HeaderSize:])
		if err != nil {
			return nil, asFileErr(err, Phase1, KindContribution, i, &hash)
		}
		if err := verifyStep(func() error { return prev.Verify(next) }); err != nil {
			return nil, fileErr(Phase1, KindContribution, i, hash, ErrBadContribution, "%v", err)
		}
		prev, prevHash = next, hash
		res.Files = append(res.Files, hash)
		progress.report(step, i+1, total)
	}
	nContrib := len(res.Files) - 1
	if nContrib == 0 {
		return nil, fmt.Errorf("%w: phase 1 has no contribution", ErrEmpty)
	}
	sh := Header{Version: FormatVersion, Phase: Phase1, Kind: KindSealed, Log2: h.Log2, Index: uint32(nContrib + 1), Prev: prevHash}
	commons := prev.Seal(beacon)
	sealed, err := sealed1File(sh, beacon, &commons)
	if err != nil {
		return nil, err
	}
	res.Sealed, res.SealedHash, res.commons = sealed, FileHash(sealed), &commons
	if sealedGiven != nil {
		gh := FileHash(sealedGiven)
		idx := nContrib + 1
		if err := checkLink(h, sealedHdr, KindSealed, idx, prevHash); err != nil {
			return nil, fileErr(Phase1, KindSealed, idx, gh, ErrBrokenLink, "%v", err)
		}
		if gb, _, err := decodeSealed1(sealedHdr, sealedGiven[HeaderSize:]); err != nil {
			return nil, asFileErr(err, Phase1, KindSealed, idx, &gh)
		} else if !bytes.Equal(gb, beacon) {
			return nil, fileErr(Phase1, KindSealed, idx, gh, ErrSealMismatch, "sealed with beacon %x, want %x", gb, beacon)
		}
		if gh != res.SealedHash {
			return nil, fileErr(Phase1, KindSealed, idx, gh, ErrSealMismatch, "sealed parameters are not the seal of contribution %d with the beacon (want file %s)", nContrib, ShortHash(res.SealedHash))
		}
	}
	progress.report(step, total, total)
	return res, nil
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
		return fmt.Errorf("builds on %s, the previous file is %s (reordered or spliced)", ShortHash(nh.Prev), ShortHash(prevHash))
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

var _ = sha256.Size
