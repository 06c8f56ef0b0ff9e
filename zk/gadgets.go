package zk

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
)

// Range-check widths used by the gadgets. Every value they bound is, for a
// valid model and input, below 2^27 in absolute value (in <= 4096 inputs of
// |x| <= 128 times |w| <= 128, plus |b| < 2^26), so honest witnesses always
// pass, and each product or sum stays far below the field size, so field
// equalities are integer equalities.
const (
	bitsQuotient = 28 // |q| < 2^28
	bitsClamp    = 29 // 127 - q or q - 128
	bitsRemainer = 30 // 0 <= r < 2^shift <= 2^30
	bitsLogitGap = 28 // logit_c - logit_j - [j < c]
)

func init() {
	solver.RegisterHint(requantHint, argmaxHint, maxHint, divHint)
}

// circuitArith implements arith on gnark variables.
type circuitArith struct {
	api frontend.API
	rc  frontend.Rangechecker
	bc  *byteChecker
}

// dot costs one constraint per product.
func (e circuitArith) dot(w, x []frontend.Variable) frontend.Variable {
	terms := make([]frontend.Variable, len(w))
	for i := range w {
		terms[i] = e.api.Mul(w[i], x[i])
	}
	switch len(terms) {
	case 1:
		return terms[0]
	case 2:
		return e.api.Add(terms[0], terms[1])
	default:
		return e.api.Add(terms[0], terms[1], terms[2:]...)
	}
}

// dotAt gathers the taps and costs one constraint per product, as dot.
func (e circuitArith) dotAt(w []frontend.Variable, wi []int32, x []frontend.Variable, xi []int32) frontend.Variable {
	ws, xs := make([]frontend.Variable, len(wi)), make([]frontend.Variable, len(xi))
	for k := range wi {
		ws[k], xs[k] = w[wi[k]], x[xi[k]]
	}
	return e.dot(ws, xs)
}

func (e circuitArith) add(a, b frontend.Variable) frontend.Variable { return e.api.Add(a, b) }

// requantReLU: the prover supplies q = floor(v/pow), r = v - q*pow and the
// flags neg = [q < 0], big = [q > 127]; the circuit checks v = q*pow + r,
// 0 <= r < pow, the flags against q by range checks, and returns
// 0 if neg, 127 if big, q otherwise.
func (e circuitArith) requantReLU(v, pow frontend.Variable) frontend.Variable {
	api := e.api
	out, err := api.NewHint(requantHint, 4, v, pow)
	if err != nil {
		panic(err) // only on a programming error in the hint declaration
	}
	q, r, neg, big := out[0], out[1], out[2], out[3]
	// v (a linear combination of a whole row of products) goes second so
	// that gnark puts it in the C matrix: terms in B cost G2 work in the
	// prover, terms in C nothing.
	api.AssertIsEqual(api.Add(api.Mul(q, pow), r), v)
	e.rc.Check(r, bitsRemainer)
	e.rc.Check(api.Sub(pow, 1, r), bitsRemainer)
	api.AssertIsBoolean(neg)
	api.AssertIsBoolean(big)
	api.AssertIsEqual(api.Mul(neg, big), 0)
	// neg: -q-1 >= 0, else q >= 0.
	e.rc.Check(api.Select(neg, api.Sub(-1, q), q), bitsQuotient)
	// big: q-128 >= 0, else 127-q >= 0.
	e.rc.Check(api.Select(big, api.Sub(q, 128), api.Sub(127, q)), bitsClamp)
	return api.Select(neg, 0, api.Select(big, 127, q))
}

// argmax: the prover supplies a one-hot vector e; the circuit checks it is
// one-hot, takes c = sum j*e_j and L = sum e_j*logit_j, and checks
// L - logit_j - [j < c] >= 0 for every j, so c is the first maximum.
func (e circuitArith) argmax(logits []frontend.Variable) frontend.Variable {
	api := e.api
	n := len(logits)
	onehot, err := api.NewHint(argmaxHint, n, logits...)
	if err != nil {
		panic(err)
	}
	var class, best, sum frontend.Variable = 0, 0, 0
	for j, h := range onehot {
		api.AssertIsBoolean(h)
		sum = api.Add(sum, h)
		class = api.Add(class, api.Mul(h, j))
		best = api.Add(best, api.Mul(h, logits[j]))
	}
	api.AssertIsEqual(sum, 1)
	// after[j] = sum_{k>j} e_k = [c > j].
	var after frontend.Variable = 0
	afters := make([]frontend.Variable, n)
	for j := n - 1; j >= 0; j-- {
		afters[j] = after
		after = api.Add(after, onehot[j])
	}
	for j := range n {
		e.rc.Check(api.Sub(best, logits[j], afters[j]), bitsLogitGap)
	}
	return class
}

// maxOf is the max gadget for int8 values x_i (inputs, ReLU outputs and
// pooled values are all int8): the prover supplies m; the circuit checks
// m - x_i in [0, 256) for every i (so m >= every x_i, and m is an integer
// below x_0 + 256) and prod_i (m - x_i) = 0 (so m equals one of them: the
// field has no zero divisors). Cost: n byte checks and n-1 products.
func (e circuitArith) maxOf(xs []frontend.Variable) frontend.Variable {
	api := e.api
	out, err := api.NewHint(maxHint, 1, xs...)
	if err != nil {
		panic(err)
	}
	m := out[0]
	var prod frontend.Variable
	for i, x := range xs {
		d := api.Sub(m, x)
		e.bc.check(d)
		if i == 0 {
			prod = d
		} else {
			prod = api.Mul(prod, d)
		}
	}
	api.AssertIsEqual(prod, 0)
	return m
}

// avgFloor: with s = sum xs (|s| <= 64*128) the prover supplies q and r; the
// circuit checks s = q*d + r, r and d-1-r in [0, 256) (so 0 <= r < d; d <=
// 64) and q+128 in [0, 256). All terms are small integers, so the field
// equation is an integer one and q = floor(s/d). Cost: 1 equation and 3
// byte checks.
func (e circuitArith) avgFloor(xs []frontend.Variable, d int64) frontend.Variable {
	api := e.api
	var s frontend.Variable = xs[0]
	if len(xs) > 1 {
		s = api.Add(xs[0], xs[1], xs[2:]...)
	}
	out, err := api.NewHint(divHint, 2, s, d)
	if err != nil {
		panic(err)
	}
	q, r := out[0], out[1]
	api.AssertIsEqual(api.Add(api.Mul(q, d), r), s)
	e.bc.check(r)
	e.bc.check(api.Sub(d-1, r))
	e.bc.check(api.Add(q, 128))
	return q
}

// maxHint returns the largest of its (signed) inputs.
func maxHint(mod *big.Int, in, out []*big.Int) error {
	if len(in) == 0 || len(out) != 1 {
		return fmt.Errorf("maxHint: %d inputs, %d outputs", len(in), len(out))
	}
	m := signed(mod, in[0])
	for _, v := range in[1:] {
		m = max(m, signed(mod, v))
	}
	fieldOf(mod, m, out[0])
	return nil
}

// divHint returns (floor(s/d), s - d*floor(s/d)) with the native floorDiv.
func divHint(mod *big.Int, in, out []*big.Int) error {
	if len(in) != 2 || len(out) != 2 {
		return fmt.Errorf("divHint: %d inputs, %d outputs", len(in), len(out))
	}
	s, d := signed(mod, in[0]), in[1].Int64()
	if d <= 0 {
		return fmt.Errorf("divHint: divisor %d", d)
	}
	q := floorDiv(s, d)
	fieldOf(mod, q, out[0])
	fieldOf(mod, s-q*d, out[1])
	return nil
}

// signed interprets a field element as a signed integer in (-p/2, p/2).
func signed(mod, x *big.Int) int64 {
	v := new(big.Int).Set(x)
	if v.Cmp(new(big.Int).Rsh(mod, 1)) > 0 {
		v.Sub(v, mod)
	}
	return v.Int64()
}

// fieldOf maps a signed integer to the field.
func fieldOf(mod *big.Int, v int64, out *big.Int) {
	out.SetInt64(v)
	if v < 0 {
		out.Add(out, mod)
	}
}

// requantHint computes (q, r, neg, big) for v and pow with the native
// floorDiv, so the circuit and Model.Infer share the arithmetic.
func requantHint(mod *big.Int, in, out []*big.Int) error {
	if len(in) != 2 || len(out) != 4 {
		return fmt.Errorf("requantHint: %d inputs, %d outputs", len(in), len(out))
	}
	v, pow := signed(mod, in[0]), in[1].Int64()
	if pow <= 0 {
		return fmt.Errorf("requantHint: pow %d", pow)
	}
	q := floorDiv(v, pow)
	fieldOf(mod, q, out[0])
	fieldOf(mod, v-q*pow, out[1])
	out[2].SetInt64(0)
	out[3].SetInt64(0)
	if q < 0 {
		out[2].SetInt64(1)
	}
	if q > 127 {
		out[3].SetInt64(1)
	}
	return nil
}

// argmaxHint returns the one-hot vector of the native argmaxFirst.
func argmaxHint(mod *big.Int, in, out []*big.Int) error {
	if len(in) != len(out) || len(in) == 0 {
		return fmt.Errorf("argmaxHint: %d inputs, %d outputs", len(in), len(out))
	}
	v := make([]int64, len(in))
	for i := range in {
		v[i] = signed(mod, in[i])
	}
	c := argmaxFirst(v)
	for i := range out {
		out[i].SetInt64(0)
	}
	out[c].SetInt64(1)
	return nil
}
