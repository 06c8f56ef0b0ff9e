package chain

import (
	"encoding/binary"
	"fmt"
)

// Encoder appends the canonical binary encoding of values: fixed-width
// big-endian integers and byte strings prefixed with a uint32 length. There is
// exactly one encoding of every value, so decoding then re-encoding is the
// identity (Decoder enforces it by rejecting trailing bytes).
type Encoder struct{ buf []byte }

// NewEncoder returns an Encoder with room for sizeHint bytes.
func NewEncoder(sizeHint int) *Encoder { return &Encoder{buf: make([]byte, 0, sizeHint)} }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.buf }

// Uint8 appends one byte.
func (e *Encoder) Uint8(v uint8) *Encoder { e.buf = append(e.buf, v); return e }

// Uint16 appends v big-endian.
func (e *Encoder) Uint16(v uint16) *Encoder {
	e.buf = binary.BigEndian.AppendUint16(e.buf, v)
	return e
}

// Uint32 appends v big-endian.
func (e *Encoder) Uint32(v uint32) *Encoder {
	e.buf = binary.BigEndian.AppendUint32(e.buf, v)
	return e
}

// Uint64 appends v big-endian.
func (e *Encoder) Uint64(v uint64) *Encoder {
	e.buf = binary.BigEndian.AppendUint64(e.buf, v)
	return e
}

// Fixed appends b as is; the decoder must know its length.
func (e *Encoder) Fixed(b []byte) *Encoder { e.buf = append(e.buf, b...); return e }

// VarBytes appends len(b) as a uint32 then b.
func (e *Encoder) VarBytes(b []byte) *Encoder {
	e.Uint32(uint32(len(b)))
	e.buf = append(e.buf, b...)
	return e
}

// String appends s like VarBytes.
func (e *Encoder) String(s string) *Encoder {
	e.Uint32(uint32(len(s)))
	e.buf = append(e.buf, s...)
	return e
}

// Bool appends 1 or 0.
func (e *Encoder) Bool(v bool) *Encoder {
	if v {
		return e.Uint8(1)
	}
	return e.Uint8(0)
}

// Decoder reads what Encoder writes. The first failure sticks: later reads
// return zero values, and Finish reports it (wrapped in ErrMalformed) or any
// bytes left over. It never panics on any input.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder over b; it does not copy b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.buf)-d.off < n {
		d.err = fmt.Errorf("%s: need %d bytes at offset %d, have %d", what, n, d.off, len(d.buf)-d.off)
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// Uint8 reads one byte.
func (d *Decoder) Uint8(what string) uint8 {
	if b := d.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

// Uint16 reads a big-endian uint16.
func (d *Decoder) Uint16(what string) uint16 {
	if b := d.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

// Uint32 reads a big-endian uint32.
func (d *Decoder) Uint32(what string) uint32 {
	if b := d.take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// Uint64 reads a big-endian uint64.
func (d *Decoder) Uint64(what string) uint64 {
	if b := d.take(8, what); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Fixed reads exactly n bytes (a sub-slice of the input, not a copy).
func (d *Decoder) Fixed(n int, what string) []byte { return d.take(n, what) }

// VarBytes reads a uint32 length then that many bytes, refusing lengths above
// max. The result aliases the input.
func (d *Decoder) VarBytes(max int, what string) []byte {
	n := d.Uint32(what + " length")
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		d.err = fmt.Errorf("%s: length %d exceeds %d", what, n, max)
		return nil
	}
	b := d.take(int(n), what)
	if b == nil {
		return nil
	}
	return b
}

// String reads what Encoder.String writes, refusing lengths above max.
func (d *Decoder) String(max int, what string) string { return string(d.VarBytes(max, what)) }

// Bool reads a byte that must be 0 or 1.
func (d *Decoder) Bool(what string) bool {
	v := d.Uint8(what)
	if d.err == nil && v > 1 {
		d.err = fmt.Errorf("%s: bool byte %d is not 0 or 1", what, v)
	}
	return v == 1
}

// Fail records err (if none is recorded yet) so that Finish reports it.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Finish returns the first error, or an error if bytes are left over; both
// wrap ErrMalformed.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, d.err)
	}
	if d.off != len(d.buf) {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(d.buf)-d.off)
	}
	return nil
}
