package zk

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
)

// byteChecker proves that many variables lie in [0, 256) with one
// log-derivative lookup argument (Haböck, eprint 2022/1530) against the table
// {0..255}: with X the Fiat-Shamir challenge drawn from gnark's BSB22
// commitment to every checked value and the hinted multiplicities m_j,
//
//	sum_i 1/(X - v_i) == sum_j m_j/(X - j).
//
// Cost in R1CS: 1 constraint per checked value (its inverse) plus 256 for the
// table and 1 for the final equality, against ~2 per value for
// std/rangecheck (which decomposes every value into limbs first and checks
// the recomposition). It shares the circuit's single commitment with the
// other gadgets through std/multicommit.
type byteChecker struct {
	vals []frontend.Variable
	// bits, when set (newBitByteChecker), checks each value at once by
	// decomposing it into 8 booleans instead: no commitment.
	bits frontend.API
}

const byteTable = 256

func init() { solver.RegisterHint(byteCountHint) }

// newByteChecker returns a checker whose argument is built when the circuit
// is finalised (gnark's deferred callbacks, like std/rangecheck's).
func newByteChecker(api frontend.API) *byteChecker {
	b := &byteChecker{}
	api.Compiler().Defer(b.finish)
	return b
}

// newBitByteChecker returns a checker that decomposes every checked value
// into 8 booleans (9 constraints per value, all of small wires) and needs no
// commitment: for circuits whose only commitment is the model's (commit.go).
func newBitByteChecker(api frontend.API) *byteChecker { return &byteChecker{bits: api} }

// check records v for the range check; it is enforced by finish (or at once
// by a bit checker).
func (b *byteChecker) check(v frontend.Variable) {
	if b.bits != nil {
		b.bits.ToBinary(v, 8)
		return
	}
	b.vals = append(b.vals, v)
}

// bitRangeChecker is a frontend.Rangechecker by bit decomposition: n+1
// constraints for n bits, every new wire a boolean, no commitment.
type bitRangeChecker struct{ api frontend.API }

func (r bitRangeChecker) Check(v frontend.Variable, bits int) { r.api.ToBinary(v, bits) }

// finish adds the lookup argument over every recorded value.
func (b *byteChecker) finish(api frontend.API) error {
	if len(b.vals) == 0 {
		return nil
	}
	mult, err := api.NewHint(byteCountHint, byteTable, b.vals...)
	if err != nil {
		return fmt.Errorf("zk: byte check hint: %w", err)
	}
	committed := append(append([]frontend.Variable{}, b.vals...), mult...)
	multicommit.WithCommitment(api, func(api frontend.API, x frontend.Variable) error {
		// One Add over all terms: adding one at a time copies the growing
		// linear combination each time (quadratic compile time).
		inv := make([]frontend.Variable, len(b.vals))
		for i, v := range b.vals {
			inv[i] = api.Inverse(api.Sub(x, v))
		}
		frac := make([]frontend.Variable, byteTable)
		for j := range frac {
			frac[j] = api.DivUnchecked(mult[j], api.Sub(x, j))
		}
		lhs, rhs := sum(api, inv), sum(api, frac)
		// lhs (one term per checked value) goes second, into the C matrix
		// (see compileOptions).
		api.AssertIsEqual(rhs, lhs)
		return nil
	}, committed...)
	return nil
}

// byteCountHint returns, for each j in 0..255, how many inputs equal j.
// Inputs outside the table are not counted, so the constraints (not the hint)
// reject them; tests rely on this to exercise the argument.
func byteCountHint(_ *big.Int, in, out []*big.Int) error {
	if len(out) != byteTable {
		return fmt.Errorf("byteCountHint: %d outputs", len(out))
	}
	counts := make([]int64, byteTable)
	for _, v := range in {
		if v.IsUint64() && v.Uint64() < byteTable {
			counts[v.Uint64()]++
		}
	}
	for j := range out {
		out[j].SetInt64(counts[j])
	}
	return nil
}

// sum adds vs in one call (0 for none).
func sum(api frontend.API, vs []frontend.Variable) frontend.Variable {
	switch len(vs) {
	case 0:
		return 0
	case 1:
		return vs[0]
	default:
		return api.Add(vs[0], vs[1], vs[2:]...)
	}
}
