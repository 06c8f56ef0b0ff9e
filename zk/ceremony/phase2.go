package ceremony

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// truncate returns the powers of tau of a sealed phase 1 for a smaller
// domain 2^log2: a prefix of each sequence is itself a valid SRS.
func truncate(c *mpcsetup.SrsCommons, log2 uint8) (*mpcsetup.SrsCommons, error) {
	n := 1 << log2
	if len(c.G2.Tau) < n {
		return nil, fmt.Errorf("%w: the circuit needs a phase 1 of 2^%d, this one is smaller", ErrTooLarge, log2)
	}
	t := new(mpcsetup.SrsCommons)
	t.G1.Tau = c.G1.Tau[:2*n-1]
	t.G1.AlphaTau = c.G1.AlphaTau[:n]
	t.G1.BetaTau = c.G1.BetaTau[:n]
	t.G2.Tau = c.G2.Tau[:n]
	t.G2.Beta = c.G2.Beta
	return t, nil
}

// initPhase2 computes the phase-2 initial state of c from sealed phase-1
// parameters (the deterministic and most expensive step: Lagrange bases by
// FFT over curve points, then one pass over the R1CS). It is gnark's
// mpcsetup.Phase2.Initialize, byte for byte, computed by fastInitialize
// (parallel, Jacobian coordinates).
func initPhase2(c *Circuit, commons *mpcsetup.SrsCommons) (p *mpcsetup.Phase2, evals *mpcsetup.Phase2Evaluations, err error) {
	t, err := truncate(commons, c.Log2)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			p, evals, err = nil, nil, fmt.Errorf("%w: phase-2 initialisation: %v", ErrWrongCircuit, r)
		}
	}()
	return fastInitialize(c.r1cs, t)
}

// InitPhase2 writes the phase-2 init file of circuit c, built on a sealed
// phase-1 file (which must be at least 2^c.Log2; only its first 2^c.Log2
// powers are used). The caller is expected to have verified the phase 1
// (VerifyPhase1); Verify re-derives everything anyway.
func InitPhase2(w io.Writer, c *Circuit, sealed io.Reader, progress Progress) (FileInfo, error) {
	const step = "phase 2: init"
	progress.report(step, 0, 3)
	b, h, err := readAll(sealed, 0)
	if err != nil {
		return FileInfo{}, err
	}
	if h.Phase != Phase1 || h.Kind != KindSealed {
		return FileInfo{}, fmt.Errorf("%w: phase 2 starts from a sealed phase 1, got a phase-%d %s file", ErrBrokenLink, h.Phase, h.Kind)
	}
	_, commons, err := decodeSealed1(h, b[HeaderSize:], progressStep(progress, "phase 2: decode phase 1"))
	if err != nil {
		return FileInfo{}, err
	}
	progress.report(step, 1, 3)
	out, err := phase2InitFile(c, commons, FileHash(b))
	if err != nil {
		return FileInfo{}, err
	}
	progress.report(step, 2, 3)
	fi, err := writeFile(w, out)
	if err != nil {
		return FileInfo{}, err
	}
	progress.report(step, 3, 3)
	return fi, nil
}

func phase2InitFile(c *Circuit, commons *mpcsetup.SrsCommons, sealedHash [32]byte) ([]byte, error) {
	body, err := phase2InitBody(c, commons)
	if err != nil {
		return nil, err
	}
	h := Header{Version: FormatVersion, Phase: Phase2, Kind: KindInit, Log2: c.Log2, CircuitID: c.ID, Prev: sealedHash}
	return append(h.Encode(), body...), nil
}

// scanPhase2 checks the slice lengths of a phase-2 state body against its
// length before gnark's decoder trusts (and allocates) them: u16 number of
// commitments k, [δ]₁, PKK (u32 + points), Z (u32 + points), [δ]₂, k times
// (u32 + points) SigmaCKK, k [σ]₂, 1+k update proofs, challenge (u8 + bytes).
func scanPhase2(body []byte) error {
	off := 0
	need := func(n int) bool {
		if n < 0 || len(body)-off < n {
			return false
		}
		off += n
		return true
	}
	u32 := func() (int, bool) {
		if len(body)-off < 4 {
			return 0, false
		}
		v := binary.BigEndian.Uint32(body[off:])
		off += 4
		if uint64(v) > uint64(len(body)) {
			return 0, false
		}
		return int(v), true
	}
	bad := fmt.Errorf("%w: phase-2 state lengths do not add up to its %d bytes", ErrMalformed, len(body))
	if len(body) < 2 {
		return bad
	}
	k := int(binary.BigEndian.Uint16(body))
	off = 2
	if k > 255 || !need(g1Size) {
		return bad
	}
	for range 2 {
		n, ok := u32()
		if !ok || !need(n*g1Size) {
			return bad
		}
	}
	if !need(g2Size) {
		return bad
	}
	for range k {
		n, ok := u32()
		if !ok || !need(n*g1Size) {
			return bad
		}
	}
	if !need(k*g2Size) || !need((1+k)*proofSize) || !need(1) {
		return bad
	}
	if !need(int(body[off-1])) || off != len(body) {
		return bad
	}
	return nil
}

func decodePhase2(body []byte) (p *mpcsetup.Phase2, err error) {
	if err := scanPhase2(body); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: phase-2 state: %v", ErrMalformed, r)
		}
	}()
	p = new(mpcsetup.Phase2)
	n, err := p.ReadFrom(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: phase-2 state: %w", ErrMalformed, err)
	}
	if n != int64(len(body)) {
		return nil, fmt.Errorf("%w: phase-2 state has %d trailing bytes", ErrMalformed, int64(len(body))-n)
	}
	return p, nil
}

// sealed2Size is the body of a phase-2 sealed file: u16 beacon length,
// beacon, SHA-256 of the proving key, SHA-256 of the verifying key.
func sealed2File(h Header, beacon []byte, k *Keys) []byte {
	b := h.Encode()
	b = putU16(b, len(beacon))
	b = append(b, beacon...)
	b = append(b, k.PKHash[:]...)
	return append(b, k.VKHash[:]...)
}

func decodeSealed2(body []byte) (beacon []byte, pk, vk [32]byte, err error) {
	if len(body) < sealedTail {
		return nil, pk, vk, fmt.Errorf("%w: sealed file too short", ErrMalformed)
	}
	bl := int(binary.BigEndian.Uint16(body))
	if bl > MaxBeaconSize || len(body) != sealedTail+bl+2*hashSize {
		return nil, pk, vk, fmt.Errorf("%w: phase-2 sealed file of %d bytes with a %d-byte beacon", ErrMalformed, len(body), bl)
	}
	beacon = body[sealedTail : sealedTail+bl]
	copy(pk[:], body[sealedTail+bl:])
	copy(vk[:], body[sealedTail+bl+hashSize:])
	return beacon, pk, vk, nil
}

// Phase2Result is a verified phase 2.
type Phase2Result struct {
	Log2      uint8
	CircuitID [32]byte
	// Files are the hashes of the init file and each contribution.
	Files [][32]byte
	// Sealed is the phase-2 sealed file (beacon, key hashes) and its hash.
	Sealed     []byte
	SealedHash [32]byte
	Keys       *Keys
}

// VerifyPhase2 checks the phase 2 of circuit c from scratch on top of a
// sealed phase 1 (the caller verified it, e.g. with VerifyPhase1 or a
// cached verdict, and checked its hash): files are the phase-2 init file,
// each contribution and optionally the phase-2 sealed file last. It seals
// with beacon and returns the keys; a given sealed file must match them.
func VerifyPhase2(c *Circuit, sealed1 Opener, files []Opener, beacon []byte, progress Progress) (*Phase2Result, error) {
	b, h, err := readFile(sealed1, 0)
	if err != nil {
		return nil, asFileErr(err, Phase1, KindSealed, 0, nil)
	}
	sh := FileHash(b)
	if h.Phase != Phase1 || h.Kind != KindSealed {
		return nil, fileErr(Phase1, h.Kind, int(h.Index), sh, ErrBrokenLink, "phase 2 starts from a sealed phase 1, got a phase-%d %s file", h.Phase, h.Kind)
	}
	_, commons, err := decodeSealed1(h, b[HeaderSize:], progressStep(progress, "phase 2: decode phase 1"))
	if err != nil {
		return nil, asFileErr(err, Phase1, KindSealed, int(h.Index), &sh)
	}
	return verifyPhase2(c, commons, sh, files, beacon, progress)
}

func verifyPhase2(c *Circuit, commons *mpcsetup.SrsCommons, sealed1 [32]byte, files []Opener, beacon []byte, progress Progress) (*Phase2Result, error) {
	const step = "phase 2: verify"
	if len(beacon) == 0 || len(beacon) > MaxBeaconSize {
		return nil, fmt.Errorf("%w: beacon of %d bytes, want 1..%d", ErrSealMismatch, len(beacon), MaxBeaconSize)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: phase 2 has no init file", ErrEmpty)
	}
	total := len(files) + 2
	progress.report(step, 0, total)
	b, h, err := readFile(files[0], 0)
	if err != nil {
		return nil, asFileErr(err, Phase2, KindInit, 0, nil)
	}
	hash := FileHash(b)
	switch {
	case h.Phase != Phase2 || h.Kind != KindInit:
		return nil, fileErr(Phase2, h.Kind, 0, hash, ErrBrokenLink, "first file is a phase-%d %s file, want the phase-2 init", h.Phase, h.Kind)
	case h.CircuitID != c.ID:
		return nil, fileErr(Phase2, KindInit, 0, hash, ErrWrongCircuit, "phase 2 is for circuit %s, want %s (%s)", ShortHash(h.CircuitID), ShortHash(c.ID), c.name())
	case h.Log2 != c.Log2:
		return nil, fileErr(Phase2, KindInit, 0, hash, ErrWrongCircuit, "phase 2 of size 2^%d, the circuit needs 2^%d", h.Log2, c.Log2)
	case h.Prev != sealed1:
		return nil, fileErr(Phase2, KindInit, 0, hash, ErrBrokenLink, "phase 2 builds on phase 1 %s, the verified one is %s", ShortHash(h.Prev), ShortHash(sealed1))
	}
	t, err := truncate(commons, c.Log2)
	if err != nil {
		return nil, asFileErr(err, Phase2, KindInit, 0, &hash)
	}
	stateB, evalsB, err := splitInit(b[HeaderSize:])
	if err != nil {
		return nil, asFileErr(err, Phase2, KindInit, 0, &hash)
	}
	init, err := decodePhase2(stateB)
	if err != nil {
		return nil, asFileErr(err, Phase2, KindInit, 0, &hash)
	}
	evals, err := decodeEvals(evalsB)
	if err != nil {
		return nil, asFileErr(err, Phase2, KindInit, 0, &hash)
	}
	progress.report("phase 2: check init", 0, 1)
	if err := verifyStep(func() error { return checkInit(c, t, init, evals) }); err != nil {
		return nil, fileErr(Phase2, KindInit, 0, hash, ErrWrongCircuit, "the init file is not the initial state of circuit %s (%s) on this phase 1 (another circuit, or a tampered file): %v", ShortHash(c.ID), c.name(), err)
	}
	progress.report("phase 2: check init", 1, 1)
	progress.report(step, 1, total)
	res := &Phase2Result{Log2: h.Log2, CircuitID: c.ID, Files: [][32]byte{hash}}
	prev, prevHash := init, hash
	var sealedGiven []byte
	var sealedHdr Header
	for i := 1; i < len(files); i++ {
		limit := int64(HeaderSize+len(stateB)) + 32
		b, nh, err := readFile(files[i], limit)
		if err != nil {
			return nil, asFileErr(err, Phase2, KindContribution, i, nil)
		}
		hash := FileHash(b)
		if nh.Kind == KindSealed && i == len(files)-1 {
			sealedGiven, sealedHdr = b, nh
			break
		}
		if err := checkLink(h, nh, KindContribution, i, prevHash); err != nil {
			return nil, fileErr(Phase2, nh.Kind, i, hash, ErrBrokenLink, "%v", err)
		}
		next, err := decodePhase2(b[HeaderSize:])
		if err != nil {
			return nil, asFileErr(err, Phase2, KindContribution, i, &hash)
		}
		if err := verifyStep(func() error { return prev.Verify(next) }); err != nil {
			return nil, fileErr(Phase2, KindContribution, i, hash, ErrBadContribution, "%v", err)
		}
		prev, prevHash = next, hash
		res.Files = append(res.Files, hash)
		progress.report(step, i+1, total)
	}
	nContrib := len(res.Files) - 1
	if nContrib == 0 {
		return nil, fmt.Errorf("%w: phase 2 has no contribution", ErrEmpty)
	}
	keys, err := seal2(prev, t, evals, beacon)
	if err != nil {
		return nil, err
	}
	res.Keys = keys
	idx := nContrib + 1
	sh := Header{Version: FormatVersion, Phase: Phase2, Kind: KindSealed, Log2: h.Log2, Index: uint32(idx), CircuitID: c.ID, Prev: prevHash}
	res.Sealed = sealed2File(sh, beacon, keys)
	res.SealedHash = FileHash(res.Sealed)
	if sealedGiven != nil {
		gh := FileHash(sealedGiven)
		if err := checkLink(h, sealedHdr, KindSealed, idx, prevHash); err != nil {
			return nil, fileErr(Phase2, KindSealed, idx, gh, ErrBrokenLink, "%v", err)
		}
		gb, pkh, vkh, err := decodeSealed2(sealedGiven[HeaderSize:])
		if err != nil {
			return nil, asFileErr(err, Phase2, KindSealed, idx, &gh)
		}
		switch {
		case !bytes.Equal(gb, beacon):
			return nil, fileErr(Phase2, KindSealed, idx, gh, ErrSealMismatch, "sealed with beacon %x, want %x", gb, beacon)
		case vkh != keys.VKHash:
			return nil, fileErr(Phase2, KindSealed, idx, gh, ErrSealMismatch, "records verifying key %s, the seal gives %s", ShortHash(vkh), ShortHash(keys.VKHash))
		case pkh != keys.PKHash:
			return nil, fileErr(Phase2, KindSealed, idx, gh, ErrSealMismatch, "records proving key %s, the seal gives %s", ShortHash(pkh), ShortHash(keys.PKHash))
		}
	}
	progress.report(step, total, total)
	return res, nil
}

func seal2(last *mpcsetup.Phase2, commons *mpcsetup.SrsCommons, evals *mpcsetup.Phase2Evaluations, beacon []byte) (k *Keys, err error) {
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, fmt.Errorf("%w: seal: %v", ErrMalformed, r)
		}
	}()
	gpk, gvk := last.Seal(commons, evals, beacon)
	pk, ok1 := gpk.(*groth16bn254.ProvingKey)
	vk, ok2 := gvk.(*groth16bn254.VerifyingKey)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("ceremony: seal returned %T, %T", gpk, gvk)
	}
	var pb, vb bytes.Buffer
	if _, err := pk.WriteRawTo(&pb); err != nil {
		return nil, fmt.Errorf("ceremony: write proving key: %w", err)
	}
	if _, err := vk.WriteTo(&vb); err != nil {
		return nil, fmt.Errorf("ceremony: write verifying key: %w", err)
	}
	k = &Keys{PK: pb.Bytes(), VK: vb.Bytes()}
	k.PKHash, k.VKHash = FileHash(k.PK), FileHash(k.VK)
	return k, nil
}

// SealPhase2 verifies phase 2 of c (like VerifyPhase2), seals it with
// beacon, writes the phase-2 sealed file to w and returns the keys.
func SealPhase2(w io.Writer, c *Circuit, sealed1 Opener, files []Opener, beacon []byte, progress Progress) (FileInfo, *Keys, error) {
	r, err := VerifyPhase2(c, sealed1, files, beacon, progress)
	if err != nil {
		return FileInfo{}, nil, err
	}
	fi, err := writeFile(w, r.Sealed)
	return fi, r.Keys, err
}
