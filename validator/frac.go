package validator

import (
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/veritensor/veritensor/scoring"
)

// Frac is a scoring.Fixed that round-trips through JSON as the shortest
// decimal that reads back as the same value (0.3, not the exact expansion
// 0.299999999813735485076904296875 of the nearest Q32.32 value below it).
type Frac scoring.Fixed

// Fixed returns f as a scoring.Fixed.
func (f Frac) Fixed() scoring.Fixed { return scoring.Fixed(f) }

// Format formats f with digits fractional digits (truncated).
func (f Frac) Format(digits int) string { return scoring.Fixed(f).Format(digits) }

// MarshalJSON writes the shortest decimal that UnmarshalJSON reads back as
// f (at most 10 fractional digits: 2^-32 > 10^-10).
func (f Frac) MarshalJSON() ([]byte, error) { return []byte(f.String()), nil }

// String is the shortest decimal that reads back (rounding down) as f.
func (f Frac) String() string {
	ip, fp := uint64(f)>>scoring.FracBits, uint64(f)&(1<<scoring.FracBits-1)
	if fp == 0 {
		return strconv.FormatUint(ip, 10)
	}
	pow := uint64(1)
	for d := 1; d <= 10; d++ {
		pow *= 10
		// n/10^d for n = floor(fp*10^d/2^32) and n+1: the first whose
		// floor(n*2^32/10^d) is fp reads back as f.
		hi, lo := bits.Mul64(fp, pow)
		n, _ := bits.Div64(hi, lo, 1<<scoring.FracBits)
		for _, c := range []uint64{n, n + 1} {
			if c == 0 || c >= pow {
				continue
			}
			hi, lo := bits.Mul64(c, 1<<scoring.FracBits)
			if back, _ := bits.Div64(hi, lo, pow); back == fp {
				digits := strconv.FormatUint(c, 10)
				digits = strings.Repeat("0", d-len(digits)) + digits
				return strconv.FormatUint(ip, 10) + "." + strings.TrimRight(digits, "0")
			}
		}
	}
	return scoring.Fixed(f).String() // unreachable: 10 digits always suffice
}

// UnmarshalJSON reads a non-negative decimal, rounding down to 2^-32.
func (f *Frac) UnmarshalJSON(b []byte) error {
	r, ok := new(big.Rat).SetString(string(b))
	if !ok || r.Sign() < 0 {
		return fmt.Errorf("fraction %.32q is not a non-negative decimal", b)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), scoring.FracBits)))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsUint64() {
		return fmt.Errorf("fraction %.32q out of range", b)
	}
	*f = Frac(q.Uint64())
	return nil
}
