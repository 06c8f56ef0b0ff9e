package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/veritensor/veritensor/zk"
)

// Progress, if not nil, is called as a long step advances: step names the
// step (e.g. "phase 1: verify"), done of total units are complete. It is
// called with done == 0 when a step starts and done == total when it ends.
type Progress func(step string, done, total int)

func (p Progress) report(step string, done, total int) {
	if p != nil {
		p(step, done, total)
	}
}

// Opener opens one transcript file. Verification reads each file once, in
// order, and closes it before opening the next, so a transcript of
// hundred-MB files never has more than two states in memory.
type Opener func() (io.ReadCloser, error)

// BytesOpener serves a file held in memory.
func BytesOpener(b []byte) Opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// FileInfo describes a file just written.
type FileInfo struct {
	Header Header
	// Hash is the SHA-256 of the whole file: its name.
	Hash [32]byte
	// Size is the file's length in bytes.
	Size int64
}

// Circuit is the compiled circuit of one architecture, the subject of a
// phase 2. Compiling is deterministic: every node and auditor gets the same
// R1CS from the same arch and zk.CircuitVersion.
type Circuit struct {
	// Arch is the architecture; zero for circuits built by tests.
	Arch zk.Arch
	// Batch is the batch size of a batch circuit (zk.BatchCircuit), 0 for
	// the single-inference circuit.
	Batch int
	// ID is CircuitID(Arch), or zk.BatchCircuitID(Arch, Batch).
	ID [32]byte
	// Log2 is the smallest domain that holds the constraints: 2^Log2 >=
	// NbConstraints. A phase 1 of at least this size can serve the circuit.
	Log2 uint8
	// Scheme is the single-inference circuit's proof scheme (zero for a
	// batch circuit or one built by hand).
	Scheme zk.Scheme
	// NbConstraints is the number of R1CS constraints.
	NbConstraints int
	r1cs          *cs.R1CS
}

func (c *Circuit) name() string {
	if len(c.Arch.Sizes) == 0 {
		return "a circuit built by hand"
	}
	if c.Batch > 0 {
		return fmt.Sprintf("arch %s, batch of %d, batch circuit version %d", c.Arch, c.Batch, zk.BatchCircuitVersion)
	}
	if c.Scheme == zk.SchemeCommit {
		return fmt.Sprintf("arch %s, commit circuit version %d", c.Arch, zk.CommitCircuitVersion)
	}
	return fmt.Sprintf("arch %s, circuit version %d", c.Arch, zk.CircuitVersion)
}

// CircuitID is the identifier a ceremony's phase 2 is bound to and the
// chain records: zk.Arch.CircuitID, SHA-256 of "veritensor/zk/circuit", the
// circuit version and the canonical arch encoding.
func CircuitID(a zk.Arch) [32]byte { return a.CircuitID() }

// CompileCircuit compiles a's circuit (seconds for 784-64-10).
func CompileCircuit(a zk.Arch) (*Circuit, error) { return CompileSchemeCircuit(zk.SchemeHash, a) }

// CompileSchemeCircuit compiles a's single-inference circuit under scheme s
// (zk.CompileScheme), named by s.CircuitID(a).
func CompileSchemeCircuit(s zk.Scheme, a zk.Arch) (*Circuit, error) {
	ccs, err := zk.CompileScheme(s, a)
	if err != nil {
		return nil, err
	}
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		return nil, fmt.Errorf("ceremony: %s compiles to %T, want a BN254 R1CS", a, ccs)
	}
	c, err := newCircuit(s.CircuitID(a), r)
	if err != nil {
		return nil, err
	}
	c.Arch, c.Scheme = a, s
	return c, nil
}

// CompileBatchCircuit compiles the batch circuit of k inputs of a
// (zk.CompileBatch), named by zk.BatchCircuitID: a batch circuit has its own
// phase 2 (a sealed phase 1 of at least its size serves it).
func CompileBatchCircuit(a zk.Arch, k int) (*Circuit, error) {
	ccs, err := zk.CompileBatch(a, k)
	if err != nil {
		return nil, err
	}
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		return nil, fmt.Errorf("ceremony: %s batch %d compiles to %T, want a BN254 R1CS", a, k, ccs)
	}
	c, err := newCircuit(zk.BatchCircuitID(a, k), r)
	if err != nil {
		return nil, err
	}
	c.Arch, c.Batch = a, k
	return c, nil
}

func newCircuit(id [32]byte, r *cs.R1CS) (*Circuit, error) {
	n := r.GetNbConstraints()
	log2 := uint8(0)
	for uint64(1)<<log2 < ecc.NextPowerOfTwo(uint64(n)) {
		log2++
	}
	log2 = max(log2, MinLog2)
	if log2 > MaxLog2 {
		return nil, fmt.Errorf("%w: circuit has %d constraints, a ceremony holds at most 2^%d", ErrTooLarge, n, MaxLog2)
	}
	return &Circuit{ID: id, Log2: log2, NbConstraints: n, r1cs: r}, nil
}

// Log2ForArch is the phase-1 size a's circuit needs (compiles it).
func Log2ForArch(a zk.Arch) (uint8, error) {
	c, err := CompileCircuit(a)
	if err != nil {
		return 0, err
	}
	return c.Log2, nil
}

// Keys are a sealed phase 2's Groth16 keys, in the encodings zk uses:
// PK as written by WriteRawTo (zk.NewProver reads it), VK compressed
// (zk.NewVerifier reads it).
type Keys struct {
	PK, VK         []byte
	PKHash, VKHash [32]byte
}

// Result is what a verified transcript establishes.
type Result struct {
	// Log2 is the phase-1 size; Phase2Log2 the circuit's domain.
	Log2, Phase2Log2 uint8
	// CircuitID is the circuit the keys are for.
	CircuitID [32]byte
	// Phase1 are the hashes of the phase-1 init and contributions, in
	// order; Sealed1 the hash of the phase-1 sealed file.
	Phase1  [][32]byte
	Sealed1 [32]byte
	// Phase2 are the hashes of the phase-2 init and contributions; Sealed2
	// the hash of the phase-2 sealed file.
	Phase2  [][32]byte
	Sealed2 [32]byte
	// Keys are the sealed keys.
	Keys *Keys
}

// ID is TranscriptID of the verified transcript.
func (r *Result) ID(beacon1, beacon2 []byte) [32]byte {
	return TranscriptID(r.CircuitID, r.Hashes(), beacon1, beacon2)
}

// Transcript is a whole ceremony, in order, as Verify checks it.
type Transcript struct {
	// Phase1 is the phase-1 init file, then each contribution, then
	// (optionally) the sealed file. A missing sealed file is regenerated
	// from Beacon1; a present one must equal the regenerated one.
	Phase1 []Opener
	// Phase2 is the phase-2 init file, each contribution, then (optionally)
	// the phase-2 sealed file, which must then match the re-sealed keys.
	Phase2 []Opener
	// Beacon1 and Beacon2 are the beacons of the two seals (see Beacon).
	Beacon1, Beacon2 []byte
}

// Hashes lists the file hashes of a transcript in the order the chain
// records them: phase-1 files (init, contributions, sealed), then phase-2
// files (init, contributions, sealed).
func (r *Result) Hashes() [][32]byte {
	out := append([][32]byte{}, r.Phase1...)
	out = append(out, r.Sealed1)
	out = append(out, r.Phase2...)
	return append(out, r.Sealed2)
}

// readFile reads one transcript file of at most limit bytes (header
// included) and decodes its header.
func readFile(open Opener, limit int64) (b []byte, h Header, err error) {
	rc, err := open()
	if err != nil {
		return nil, Header{}, err
	}
	defer rc.Close()
	return readAll(rc, limit)
}

func readAll(r io.Reader, limit int64) ([]byte, Header, error) {
	hb := make([]byte, HeaderSize)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, Header{}, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	h, err := DecodeHeader(hb)
	if err != nil {
		return nil, Header{}, err
	}
	if limit <= 0 {
		limit = maxFileSize(h)
	}
	var buf bytes.Buffer
	buf.Write(hb)
	if _, err := io.Copy(&buf, io.LimitReader(r, limit-HeaderSize+1)); err != nil {
		return nil, h, fmt.Errorf("%w: read: %w", ErrMalformed, err)
	}
	if int64(buf.Len()) > limit {
		return nil, h, fmt.Errorf("%w: file longer than %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), h, nil
}

// maxFileSize bounds any file whose header says h: a phase-1 state of
// 2^Log2, or a phase-2 state (which is smaller than the phase-1 state of
// the same size plus the circuit's wires, bounded by 8x).
func maxFileSize(h Header) int64 {
	n := int64(1) << h.Log2
	switch h.Phase {
	case Phase1:
		return HeaderSize + phase1BodySize(n, 32) + 2 + MaxBeaconSize
	default:
		return HeaderSize + 8*phase1BodySize(n, 32) + 1<<20
	}
}

// Sizes of gnark's compressed encodings.
const (
	g1Size     = 32
	g2Size     = 64
	proofSize  = g1Size + g2Size // mpcsetup.UpdateProof
	hashSize   = sha256.Size
	sealedTail = 2 // u16 beacon length
)

// commonsSize is the length of SrsCommons.WriteTo for domain n: N (u64),
// [β]₂, [τ¹..τ²ⁿ⁻²]₁, [τ¹..τⁿ⁻¹]₂, [βτ⁰..]₁, [ατ⁰..]₁.
func commonsSize(n int64) int64 {
	return 8 + g2Size + (2*n-2)*g1Size + (n-1)*g2Size + 2*n*g1Size
}

// phase1BodySize is the length of Phase1.WriteTo: three update proofs, the
// parameters, and the challenge (u8 length + bytes).
func phase1BodySize(n int64, challenge int) int64 {
	return 3*proofSize + commonsSize(n) + 1 + int64(challenge)
}

func putU16(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }

// TranscriptDomain separates TranscriptID from every other hash.
const TranscriptDomain = "veritensor/ceremony/transcript/v1"

// TranscriptID names a transcript before it is verified, from what the
// chain records: SHA-256(TranscriptDomain || circuit ID || u32 count ||
// each file hash in Result.Hashes order || u16 len || beacon1 || u16 len ||
// beacon2). Verdict caches are keyed by it: the same ID means the same
// bytes, the same circuit and the same beacons, so the same verdict.
func TranscriptID(circuitID [32]byte, files [][32]byte, beacon1, beacon2 []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(TranscriptDomain))
	h.Write(circuitID[:])
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(files))))
	for _, f := range files {
		h.Write(f[:])
	}
	for _, b := range [][]byte{beacon1, beacon2} {
		h.Write(putU16(nil, len(b)))
		h.Write(b)
	}
	var id [32]byte
	h.Sum(id[:0])
	return id
}
