package validator

import (
	"fmt"
	"math/big"

	"github.com/veritensor/veritensor/scoring"
)

// Frac is a scoring.Fixed that round-trips through JSON as an exact decimal
// (a Q32.32 value has a finite decimal expansion).
type Frac scoring.Fixed

// Fixed returns f as a scoring.Fixed.
func (f Frac) Fixed() scoring.Fixed { return scoring.Fixed(f) }

// Format formats f with digits fractional digits (truncated).
func (f Frac) Format(digits int) string { return scoring.Fixed(f).Format(digits) }

// MarshalJSON writes the exact decimal.
func (f Frac) MarshalJSON() ([]byte, error) { return scoring.Fixed(f).MarshalJSON() }

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
