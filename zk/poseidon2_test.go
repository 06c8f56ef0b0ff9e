package zk

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
)

// permCircuit exposes p2PermuteCircuit.
type permCircuit struct {
	In  [p2Width]frontend.Variable
	Out [p2Width]frontend.Variable `gnark:",public"`
}

func (c *permCircuit) Define(api frontend.API) error {
	s := append([]frontend.Variable{}, c.In[:]...)
	p2PermuteCircuit(api, s)
	for i := range s {
		api.AssertIsEqual(s[i], c.Out[i])
	}
	return nil
}

func TestPermutationMatchesCircuit(t *testing.T) {
	for seed := range uint64(3) {
		var in, out [p2Width]fr.Element
		for i := range in {
			in[i].SetUint64(seed*1000 + uint64(i)*uint64(i)*7919)
		}
		out = in
		p2Permute(&out)
		var asg permCircuit
		for i := range in {
			asg.In[i], asg.Out[i] = in[i].String(), out[i].String()
		}
		if err := test.IsSolved(&permCircuit{}, &asg, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("seed %d: circuit permutation differs from native: %v", seed, err)
		}
		asg.Out[7] = new(fr.Element).Add(&out[7], new(fr.Element).SetOne()).String()
		if test.IsSolved(&permCircuit{}, &asg, ecc.BN254.ScalarField()) == nil {
			t.Fatalf("seed %d: circuit accepts a wrong output lane", seed)
		}
	}
}

// TestExternalMatrix checks p2External against the explicit matrix
// circ(2*M4, M4, M4, M4) on unit vectors.
func TestExternalMatrix(t *testing.T) {
	m4 := [4][4]uint64{{5, 7, 1, 3}, {4, 6, 1, 1}, {1, 3, 5, 7}, {1, 1, 4, 6}}
	for j := range p2Width {
		var s [p2Width]fr.Element
		s[j].SetOne()
		p2External(&s)
		for i := range p2Width {
			want := m4[i%4][j%4]
			if i/4 == j/4 {
				want *= 2
			}
			if !s[i].Equal(new(fr.Element).SetUint64(want)) {
				t.Fatalf("M_E[%d][%d] = %s, want %d", i, j, s[i].String(), want)
			}
		}
	}
}

// TestInternalMatrixCondition re-derives the internal matrix: p2DiagCounter
// is the first counter whose M_I = J + diag(mu) has an irreducible
// characteristic polynomial of degree 16 for every power M_I^k, k = 1..32
// (the Poseidon2 paper's sufficient condition against infinitely long
// invariant subspace trails, as in the reference generator's
// check_minpoly_condition). An irreducible characteristic polynomial also
// makes M_I invertible.
func TestInternalMatrixCondition(t *testing.T) {
	for c := uint32(0); c <= p2DiagCounter; c++ {
		ok, k := minpolyCondition(internalMatrix(p2InternalDiag(c)))
		if c < p2DiagCounter && ok {
			t.Fatalf("counter %d already passes; p2DiagCounter %d is not the first", c, p2DiagCounter)
		}
		if c == p2DiagCounter && !ok {
			t.Fatalf("counter %d fails at power %d", c, k)
		}
	}
	// The matrix the permutation uses is the one checked.
	m := internalMatrix(p2.diag)
	for j := range p2Width {
		var s [p2Width]fr.Element
		s[j].SetOne()
		var sum fr.Element
		for i := range s {
			sum.Add(&sum, &s[i])
		}
		for i := range s {
			s[i].Mul(&s[i], &p2.diag[i]).Add(&s[i], &sum)
			if !s[i].Equal(&m[i][j]) {
				t.Fatalf("internal layer differs from M_I at %d,%d", i, j)
			}
		}
	}
}

type mat [p2Width][p2Width]fr.Element

func internalMatrix(d [p2Width]fr.Element) mat {
	var m mat
	for i := range m {
		for j := range m {
			m[i][j].SetOne()
		}
		m[i][i].Add(&m[i][i], &d[i])
	}
	return m
}

func (a *mat) mul(b *mat) mat {
	var c mat
	var t fr.Element
	for i := range c {
		for k := range c {
			for j := range c {
				t.Mul(&a[i][k], &b[k][j])
				c[i][j].Add(&c[i][j], &t)
			}
		}
	}
	return c
}

// minpolyCondition reports whether charpoly(m^k) is irreducible for k =
// 1..2t, and the first k that fails.
func minpolyCondition(m mat) (bool, int) {
	p := m
	for k := 1; k <= 2*p2Width; k++ {
		if !irreducible(charpoly(&p)) {
			return false, k
		}
		p = p.mul(&m)
	}
	return true, 0
}

// charpoly returns the monic characteristic polynomial (coefficients, low
// degree first, leading 1 included) by Faddeev-LeVerrier.
func charpoly(a *mat) []fr.Element {
	n := p2Width
	c := make([]fr.Element, n+1)
	c[n].SetOne()
	var m mat // M_0 = 0
	for k := 1; k <= n; k++ {
		am := a.mul(&m)
		for i := range n {
			am[i][i].Add(&am[i][i], &c[n-k+1])
		}
		m = am // M_k = A M_{k-1} + c_{n-k+1} I
		prod := a.mul(&m)
		var tr fr.Element
		for i := range n {
			tr.Add(&tr, &prod[i][i])
		}
		var inv fr.Element
		inv.SetUint64(uint64(k)).Inverse(&inv)
		c[n-k].Mul(&tr, &inv).Neg(&c[n-k])
	}
	return c
}

// irreducible is Rabin's test for a monic f of degree 16 over F_r:
// x^(r^16) = x mod f and gcd(x^(r^8) - x, f) = 1 (2 is the only prime
// factor of 16).
func irreducible(f []fr.Element) bool {
	n := len(f) - 1
	x := make([]fr.Element, n)
	x[1].SetOne()
	// h = x^r mod f by square and multiply over the bits of r.
	h := make([]fr.Element, n)
	h[0].SetOne()
	mod := fr.Modulus()
	for i := mod.BitLen() - 1; i >= 0; i-- {
		h = polyMulMod(h, h, f)
		if mod.Bit(i) == 1 {
			h = polyMulMod(h, x, f)
		}
	}
	// g_{i+1} = g_i(h) mod f, g_1 = h: g_i = x^(r^i).
	g := h
	for i := 2; i <= n; i++ {
		g = polyCompose(g, h, f)
		if i == n/2 {
			d := append([]fr.Element{}, g...)
			d[1].Sub(&d[1], new(fr.Element).SetOne())
			if deg(polyGCD(d, f)) != 0 {
				return false
			}
		}
	}
	for i := range g {
		if !g[i].Equal(&x[i]) {
			return false
		}
	}
	return true
}

func deg(p []fr.Element) int {
	for i := len(p) - 1; i >= 0; i-- {
		if !p[i].IsZero() {
			return i
		}
	}
	return -1
}

// polyMulMod returns a*b mod f (a, b of degree < n, f monic of degree n).
func polyMulMod(a, b, f []fr.Element) []fr.Element {
	n := len(f) - 1
	prod := make([]fr.Element, 2*n)
	var t fr.Element
	for i := range a {
		if a[i].IsZero() {
			continue
		}
		for j := range b {
			t.Mul(&a[i], &b[j])
			prod[i+j].Add(&prod[i+j], &t)
		}
	}
	for d := 2*n - 1; d >= n; d-- {
		c := prod[d]
		if c.IsZero() {
			continue
		}
		for i := range n {
			t.Mul(&c, &f[i])
			prod[d-n+i].Sub(&prod[d-n+i], &t)
		}
	}
	return prod[:n]
}

// polyCompose returns g(h) mod f by Horner.
func polyCompose(g, h, f []fr.Element) []fr.Element {
	n := len(f) - 1
	acc := make([]fr.Element, n)
	for i := len(g) - 1; i >= 0; i-- {
		acc = polyMulMod(acc, h, f)
		acc[0].Add(&acc[0], &g[i])
	}
	return acc
}

// polyGCD returns a gcd of a and b (Euclid; not normalised).
func polyGCD(a, b []fr.Element) []fr.Element {
	a, b = append([]fr.Element{}, a...), append([]fr.Element{}, b...)
	for deg(b) >= 0 {
		a, b = b, polyRem(a, b)
	}
	return a
}

func polyRem(a, b []fr.Element) []fr.Element {
	r := append([]fr.Element{}, a...)
	db := deg(b)
	var inv, c, t fr.Element
	inv.Inverse(&b[db])
	for dr := deg(r); dr >= db; dr = deg(r) {
		c.Mul(&r[dr], &inv)
		for i := 0; i <= db; i++ {
			t.Mul(&c, &b[i])
			r[dr-db+i].Sub(&r[dr-db+i], &t)
		}
	}
	return r
}

// TestIrreducibleKnown checks the test machinery itself: x^16 - 1 and a
// product of two quadratics-by-construction are reducible; the
// characteristic polynomial of a companion matrix equals its polynomial.
func TestIrreducibleKnown(t *testing.T) {
	f := make([]fr.Element, p2Width+1)
	f[p2Width].SetOne()
	f[0].SetOne()
	f[0].Neg(&f[0])
	if irreducible(f) {
		t.Fatal("x^16 - 1 reported irreducible")
	}
	// Companion matrix of a random monic polynomial: charpoly is that
	// polynomial.
	var m mat
	g := make([]fr.Element, p2Width+1)
	g[p2Width].SetOne()
	for i := range p2Width {
		g[i].SetUint64(uint64(i*i + 3))
		if i > 0 {
			m[i][i-1].SetOne()
		}
		m[i][p2Width-1].Neg(&g[i])
	}
	cp := charpoly(&m)
	for i := range g {
		if !cp[i].Equal(&g[i]) {
			t.Fatalf("charpoly of a companion matrix differs at %d", i)
		}
	}
	// Over F_r, x^16 - 5 is irreducible iff 5 is not a square ... avoid
	// number theory: an irreducible degree-16 polynomial must exist among
	// charpolys of the internal matrices, and a reducible one is built as
	// the charpoly of a block-diagonal matrix.
	var bd mat
	for i := range p2Width {
		bd[i][i].SetUint64(uint64(i + 1))
	}
	if irreducible(charpoly(&bd)) {
		t.Fatal("charpoly of a diagonal matrix reported irreducible")
	}
}
