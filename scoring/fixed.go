package scoring

import (
	"math"
	"math/bits"
	"strconv"
)

// Fixed is an unsigned Q32.32 fixed-point number: the real value is
// Fixed / 2^32. Fractions in [0, 1] run from 0 to One. Arithmetic helpers
// round toward zero (floor) and saturate instead of wrapping.
type Fixed uint64

// FracBits is the number of fractional bits of Fixed.
const FracBits = 32

// One is the Fixed value of 1.0.
const One Fixed = 1 << FracBits

// maxFixed is the largest Fixed value, returned on saturation.
const maxFixed Fixed = math.MaxUint64

// FixedFromU16 converts a u16 fraction of 65535 (the chain's storage format
// for weights and bonds) to Fixed, rounding down: 65535 maps to One.
func FixedFromU16(v uint16) Fixed {
	return Fixed((uint64(v) << FracBits) / math.MaxUint16)
}

// U16 converts a fraction to a u16 fraction of 65535, rounding down;
// values >= One saturate at 65535.
func (f Fixed) U16() uint16 {
	if f >= One {
		return math.MaxUint16
	}
	return uint16((uint64(f) * math.MaxUint16) >> FracBits)
}

// Ratio returns num/den as Fixed, rounded down; den == 0 yields 0 and a
// quotient >= 2^32 saturates.
func Ratio(num, den uint64) Fixed {
	if den == 0 {
		return 0
	}
	hi, lo := num>>FracBits, num<<FracBits
	if hi >= den {
		return maxFixed
	}
	q, _ := bits.Div64(hi, lo, den)
	return Fixed(q)
}

// mul returns floor(a*b) in Q32.32, saturating on overflow.
func mul(a, b Fixed) Fixed {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi>>FracBits != 0 {
		return maxFixed
	}
	return Fixed(hi<<FracBits | lo>>FracBits)
}

// div returns floor(a/b) in Q32.32; b == 0 yields 0, overflow saturates.
func div(a, b Fixed) Fixed { return Ratio(uint64(a), uint64(b)) }

// mulDiv returns floor(a*b/d) and the remainder (a*b) mod d, computed over
// 128 bits. It requires d > 0 and b <= d (so the quotient fits in 64 bits,
// since it is then at most a).
func mulDiv(a, b, d uint64) (q, rem uint64) {
	hi, lo := bits.Mul64(a, b)
	return bits.Div64(hi, lo, d)
}

// String formats f as an exact decimal (a Q32.32 value has at most 32
// fractional digits), e.g. "0.5" or "1".
func (f Fixed) String() string { return string(f.appendDecimal(nil, 32)) }

// Format formats f with exactly digits fractional digits, truncated.
func (f Fixed) Format(digits int) string {
	b := f.appendDecimal(nil, digits)
	// pad to the requested width so table columns line up
	dot := -1
	for i, c := range b {
		if c == '.' {
			dot = i
		}
	}
	if digits > 0 && dot < 0 {
		b = append(b, '.')
		dot = len(b) - 1
	}
	for len(b)-dot-1 < digits {
		b = append(b, '0')
	}
	return string(b)
}

// appendDecimal appends at most digits fractional digits (truncated,
// trailing zeros removed).
func (f Fixed) appendDecimal(b []byte, digits int) []byte {
	b = strconv.AppendUint(b, uint64(f)>>FracBits, 10)
	frac := uint64(f) & (uint64(One) - 1)
	if frac == 0 || digits == 0 {
		return b
	}
	b = append(b, '.')
	for i := 0; i < digits && frac != 0; i++ {
		frac *= 10
		b = append(b, byte('0'+frac>>FracBits))
		frac &= uint64(One) - 1
	}
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return b
}

// MarshalJSON encodes f as an exact decimal JSON number.
func (f Fixed) MarshalJSON() ([]byte, error) { return f.appendDecimal(nil, 32), nil }

// cmp128 compares the 128-bit products a*b and c*d.
func cmp128(a, b, c, d uint64) int {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	switch {
	case h1 != h2:
		if h1 < h2 {
			return -1
		}
		return 1
	case l1 != l2:
		if l1 < l2 {
			return -1
		}
		return 1
	}
	return 0
}
