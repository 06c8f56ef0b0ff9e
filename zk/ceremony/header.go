package ceremony

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// Format constants of a transcript file header.
const (
	// Magic opens every transcript file.
	Magic = "VTCEREMO"
	// FormatVersion is the header and body format version; bump it when
	// either changes.
	FormatVersion = 1
	// HeaderSize is the fixed length of an encoded Header.
	HeaderSize = 84
	// MinLog2 and MaxLog2 bound a ceremony's domain size 2^Log2 (phase 1)
	// and so every file's size. 2^22 is far above the largest circuit
	// zk.MaxWeights allows in practice and bounds a phase-1 file to ~800 MB.
	MinLog2 = 1
	MaxLog2 = 22
	// MaxBeaconSize bounds the beacon bytes stored in a sealed file.
	MaxBeaconSize = 256
)

// Phase is 1 (powers of tau, any circuit up to 2^Log2 constraints) or 2
// (one circuit).
type Phase uint8

// Phases.
const (
	Phase1 Phase = 1
	Phase2 Phase = 2
)

// Kind is what a file holds.
type Kind uint8

// Kinds of transcript files.
const (
	// KindInit: the deterministic initial state of a phase (index 0).
	KindInit Kind = 0
	// KindContribution: the state after one more contribution (index >= 1).
	KindContribution Kind = 1
	// KindSealed: the end of a phase (index n+1), after the beacon. In
	// phase 1 it holds the beacon and the circuit-independent parameters
	// every phase 2 starts from; in phase 2 the beacon and the SHA-256 of the
	// proving and verifying keys.
	KindSealed Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindInit:
		return "init"
	case KindContribution:
		return "contribution"
	case KindSealed:
		return "sealed"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Header opens every transcript file. Encoding (HeaderSize bytes, integers
// big-endian): Magic (8) | version u16 | phase u8 | kind u8 | log2 u8 |
// 3 zero bytes | index u32 | circuit ID [32] | prev [32].
type Header struct {
	// Version is FormatVersion.
	Version uint16
	// Phase is 1 or 2.
	Phase Phase
	// Kind is the file's kind.
	Kind Kind
	// Log2 is the ceremony's domain size: 2^Log2 >= the circuit's number of
	// constraints. In phase 2 it is the phase-1 size the circuit uses.
	Log2 uint8
	// Index is the position in the phase: 0 init, i the i-th contribution,
	// n+1 the phase-1 sealed file.
	Index uint32
	// CircuitID is the phase-2 circuit (CircuitID(arch)); zero in phase 1.
	CircuitID [32]byte
	// Prev is the SHA-256 of the previous file: zero for the phase-1 init,
	// the phase-1 sealed file for a phase-2 init.
	Prev [32]byte
}

// Encode returns the HeaderSize-byte encoding of h.
func (h Header) Encode() []byte {
	b := make([]byte, 0, HeaderSize)
	b = append(b, Magic...)
	b = binary.BigEndian.AppendUint16(b, h.Version)
	b = append(b, byte(h.Phase), byte(h.Kind), h.Log2, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, h.Index)
	b = append(b, h.CircuitID[:]...)
	b = append(b, h.Prev[:]...)
	return b
}

// DecodeHeader parses the header at the start of b (b may hold more: the
// body) and checks it is well formed: magic, version, a known phase and
// kind for that phase, Log2 in [MinLog2, MaxLog2], index consistent with the
// kind, zero reserved bytes, a zero circuit ID in phase 1. It never panics.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: %d bytes, a header is %d", ErrMalformed, len(b), HeaderSize)
	}
	if string(b[:8]) != Magic {
		return Header{}, fmt.Errorf("%w: not a ceremony transcript file (bad magic)", ErrMalformed)
	}
	h := Header{
		Version: binary.BigEndian.Uint16(b[8:10]),
		Phase:   Phase(b[10]),
		Kind:    Kind(b[11]),
		Log2:    b[12],
		Index:   binary.BigEndian.Uint32(b[16:20]),
	}
	copy(h.CircuitID[:], b[20:52])
	copy(h.Prev[:], b[52:84])
	if h.Version != FormatVersion {
		return Header{}, fmt.Errorf("%w: format version %d, this build reads %d", ErrMalformed, h.Version, FormatVersion)
	}
	if b[13] != 0 || b[14] != 0 || b[15] != 0 {
		return Header{}, fmt.Errorf("%w: reserved header bytes are not zero", ErrMalformed)
	}
	if h.Log2 < MinLog2 || h.Log2 > MaxLog2 {
		return Header{}, fmt.Errorf("%w: log2 size %d, want %d..%d", ErrTooLarge, h.Log2, MinLog2, MaxLog2)
	}
	switch h.Phase {
	case Phase1:
		if h.CircuitID != ([32]byte{}) {
			return Header{}, fmt.Errorf("%w: phase-1 file names a circuit", ErrMalformed)
		}
		if h.Kind > KindSealed {
			return Header{}, fmt.Errorf("%w: unknown kind %d", ErrMalformed, h.Kind)
		}
	case Phase2:
		if h.Kind > KindSealed {
			return Header{}, fmt.Errorf("%w: unknown kind %d", ErrMalformed, h.Kind)
		}
	default:
		return Header{}, fmt.Errorf("%w: unknown phase %d", ErrMalformed, h.Phase)
	}
	switch {
	case h.Kind == KindInit && h.Index != 0:
		return Header{}, fmt.Errorf("%w: init file with index %d", ErrMalformed, h.Index)
	case h.Kind != KindInit && h.Index == 0:
		return Header{}, fmt.Errorf("%w: %s file with index 0", ErrMalformed, h.Kind)
	case h.Phase == Phase1 && h.Kind == KindInit && h.Prev != ([32]byte{}):
		return Header{}, fmt.Errorf("%w: phase-1 init file with a previous hash", ErrMalformed)
	}
	return h, nil
}

// FileHash is the SHA-256 of a whole transcript file (header and body): its
// name and the value recorded on chain.
func FileHash(file []byte) [32]byte { return sha256.Sum256(file) }

// ReadSealedBeacon reads the header and the beacon of a sealed file (either
// phase) without the rest, e.g. to show which beacon a transcript claims.
func ReadSealedBeacon(r io.Reader) (Header, []byte, error) {
	b := make([]byte, HeaderSize+sealedTail)
	if _, err := io.ReadFull(r, b); err != nil {
		return Header{}, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	h, err := DecodeHeader(b)
	if err != nil {
		return Header{}, nil, err
	}
	if h.Kind != KindSealed {
		return h, nil, fmt.Errorf("%w: a %s file, not a sealed one", ErrMalformed, h.Kind)
	}
	n := int(binary.BigEndian.Uint16(b[HeaderSize:]))
	if n == 0 || n > MaxBeaconSize {
		return h, nil, fmt.Errorf("%w: beacon of %d bytes", ErrMalformed, n)
	}
	beacon := make([]byte, n)
	if _, err := io.ReadFull(r, beacon); err != nil {
		return h, nil, fmt.Errorf("%w: beacon: %w", ErrMalformed, err)
	}
	return h, beacon, nil
}
