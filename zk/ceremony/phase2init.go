package ceremony

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync/atomic"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// A phase-2 init file body is: u64 length of the state | gnark's
// mpcsetup.Phase2 state (WriteTo) | the circuit's evaluations
// (mpcsetup.Phase2Evaluations, encoded by encodeEvals). The evaluations
// are what Seal needs besides the last state; they never change during
// phase 2. Computing them (gnark's Initialize: Lagrange bases by FFTs over
// curve points, then one scalar multiplication per R1CS term; here
// fastInitialize, the same bytes on every core) is the costly step, so
// only the coordinator does it; every verifier checks the stored values
// with checkInit, a random linear combination per vector (two
// multi-scalar multiplications each), which is sound except with
// probability about 2^-253.

// encodeEvals: A, B (G1 vectors), B (G2 vector), VKK, u32 k, k CKK
// vectors, u32 k, k lists (u32 count, u32 wire ids) of
// PublicAndCommitmentCommitted. A vector is u32 count + compressed points.
func encodeEvals(e *mpcsetup.Phase2Evaluations) []byte {
	var b []byte
	b = appendG1s(b, e.G1.A)
	b = appendG1s(b, e.G1.B)
	b = appendG2s(b, e.G2.B)
	b = appendG1s(b, e.G1.VKK)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.G1.CKK)))
	for _, v := range e.G1.CKK {
		b = appendG1s(b, v)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.PublicAndCommitmentCommitted)))
	for _, l := range e.PublicAndCommitmentCommitted {
		b = binary.BigEndian.AppendUint32(b, uint32(len(l)))
		for _, w := range l {
			b = binary.BigEndian.AppendUint32(b, uint32(w))
		}
	}
	return b
}

func appendG1s(b []byte, v []curve.G1Affine) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	off := len(b)
	b = append(b, make([]byte, len(v)*g1Size)...)
	parallel(len(v), func(s, e int) {
		for i := s; i < e; i++ {
			putG1(b[off+i*g1Size:], &v[i])
		}
	}, nil)
	return b
}

func appendG2s(b []byte, v []curve.G2Affine) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	off := len(b)
	b = append(b, make([]byte, len(v)*g2Size)...)
	parallel(len(v), func(s, e int) {
		for i := s; i < e; i++ {
			putG2(b[off+i*g2Size:], &v[i])
		}
	}, nil)
	return b
}

// evalReader reads encodeEvals's output, bounding every count by the bytes
// left before allocating.
type evalReader struct {
	b   []byte
	err error
}

func (r *evalReader) u32() int {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 4 {
		r.err = fmt.Errorf("%w: evaluations truncated", ErrMalformed)
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	if uint64(v) > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: evaluations: count %d beyond the %d bytes left", ErrMalformed, v, len(r.b))
		return 0
	}
	return int(v)
}

func (r *evalReader) points(size int, n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n*size {
		r.err = fmt.Errorf("%w: evaluations truncated", ErrMalformed)
		return nil
	}
	p := r.b[:n*size]
	r.b = r.b[n*size:]
	return p
}

func (r *evalReader) g1s() []curve.G1Affine {
	n := r.u32()
	raw := r.points(g1Size, n)
	if r.err != nil {
		return nil
	}
	v := make([]curve.G1Affine, n)
	r.decode(n, func(i int) error { return getG1(&v[i], raw[i*g1Size:]) })
	return v
}

func (r *evalReader) g2s() []curve.G2Affine {
	n := r.u32()
	raw := r.points(g2Size, n)
	if r.err != nil {
		return nil
	}
	v := make([]curve.G2Affine, n)
	r.decode(n, func(i int) error { return getG2(&v[i], raw[i*g2Size:]) })
	return v
}

func (r *evalReader) decode(n int, f func(i int) error) {
	var bad atomic.Pointer[error]
	parallel(n, func(s, e int) {
		for i := s; i < e; i++ {
			if err := f(i); err != nil {
				bad.CompareAndSwap(nil, &err)
				return
			}
		}
	}, nil)
	if e := bad.Load(); e != nil && r.err == nil {
		r.err = fmt.Errorf("%w: evaluations: %w", ErrMalformed, *e)
	}
}

func decodeEvals(b []byte) (*mpcsetup.Phase2Evaluations, error) {
	r := &evalReader{b: b}
	e := new(mpcsetup.Phase2Evaluations)
	e.G1.A = r.g1s()
	e.G1.B = r.g1s()
	e.G2.B = r.g2s()
	e.G1.VKK = r.g1s()
	k := r.u32()
	for range k {
		e.G1.CKK = append(e.G1.CKK, r.g1s())
	}
	k = r.u32()
	for range k {
		n := r.u32()
		l := make([]int, 0, n)
		for range n {
			l = append(l, r.u32())
		}
		e.PublicAndCommitmentCommitted = append(e.PublicAndCommitmentCommitted, l)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes after the evaluations", ErrMalformed, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return e, nil
}

// splitInit splits a phase-2 init body into the state and the evaluations.
func splitInit(body []byte) (state, evals []byte, err error) {
	if len(body) < 8 {
		return nil, nil, fmt.Errorf("%w: phase-2 init too short", ErrMalformed)
	}
	n := binary.BigEndian.Uint64(body)
	if n > uint64(len(body)-8) {
		return nil, nil, fmt.Errorf("%w: phase-2 init state of %d bytes in a body of %d", ErrMalformed, n, len(body))
	}
	return body[8 : 8+n], body[8+n:], nil
}

// phase2InitBody computes the initial state (gnark's Initialize, computed
// by fastInitialize).
func phase2InitBody(c *Circuit, commons *mpcsetup.SrsCommons) ([]byte, error) {
	p, evals, err := initPhase2(c, commons)
	if err != nil {
		return nil, err
	}
	var st bytes.Buffer
	if _, err := p.WriteTo(&st); err != nil {
		return nil, fmt.Errorf("ceremony: encode phase-2 state: %w", err)
	}
	b := binary.BigEndian.AppendUint64(nil, uint64(st.Len()))
	b = append(b, st.Bytes()...)
	return append(b, encodeEvals(evals)...), nil
}

// checkInit checks that state p and evaluations e are what gnark's
// Initialize computes for circuit c on commons t (truncated to c's domain),
// without the Lagrange bases: for a random vector r over the wires,
//
//	Σ_w r_w A_w = Σ_i s_i [L_i(τ)] = Σ_j ŝ_j [τʲ],  s = A·r,  ŝ = IDFT(s)
//
// (A the R1CS matrix, L_i the Lagrange basis of the domain), and likewise
// for B in G1 and G2 and for the combined K_w = [βA_w + αB_w + C_w] split
// into VKK, CKK and PKK. The powers [τʲ], [ατʲ], [βτʲ] come from the
// verified phase 1. Exact checks cover the rest: Z, the initial δ and σ,
// the commitment bases and the layout.
func checkInit(c *Circuit, t *mpcsetup.SrsCommons, p *mpcsetup.Phase2, e *mpcsetup.Phase2Evaluations) error {
	r1cs := c.r1cs
	n := len(t.G1.AlphaTau)
	nbInternal, nbSecret, nbPublic := r1cs.GetNbVariables()
	nWires := nbInternal + nbSecret + nbPublic
	commitments, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok {
		return fmt.Errorf("%w: circuit has no Groth16 commitment info", ErrWrongCircuit)
	}
	// Layout.
	if len(e.G1.A) != nWires || len(e.G1.B) != nWires || len(e.G2.B) != nWires {
		return fmt.Errorf("%d wires in the evaluations, the circuit has %d", len(e.G1.A), nWires)
	}
	if len(e.G1.CKK) != len(commitments) || len(p.Parameters.G1.SigmaCKK) != len(commitments) ||
		len(p.Parameters.G2.Sigma) != len(commitments) || len(p.Sigmas) != len(commitments) {
		return fmt.Errorf("%d commitments, the circuit has %d", len(e.G1.CKK), len(commitments))
	}
	wantPCC := commitments.GetPublicAndCommitmentCommitted(commitments.CommitmentIndexes(), nbPublic)
	if !slices.EqualFunc(wantPCC, e.PublicAndCommitmentCommitted, slices.Equal) {
		return errors.New("the committed public wires are not the circuit's")
	}
	where, nV, nP, nC := wireSlots(r1cs, commitments, nWires, nbPublic)
	if len(e.G1.VKK) != nV || len(p.Parameters.G1.PKK) != nP {
		return fmt.Errorf("%d public and %d private K points, the circuit has %d and %d", len(e.G1.VKK), len(p.Parameters.G1.PKK), nV, nP)
	}
	for ci := range commitments {
		if len(e.G1.CKK[ci]) != nC[ci] || !slices.Equal(e.G1.CKK[ci], p.Parameters.G1.SigmaCKK[ci]) {
			return fmt.Errorf("commitment %d bases are not the initial ones", ci)
		}
	}
	// Initial δ, σ, proofs, challenge.
	_, _, g1, g2 := curve.Generators()
	if !p.Parameters.G1.Delta.Equal(&g1) || !p.Parameters.G2.Delta.Equal(&g2) || len(p.Challenge) != 0 {
		return errors.New("δ or the challenge is not the initial one")
	}
	for i := range p.Parameters.G2.Sigma {
		if !p.Parameters.G2.Sigma[i].Equal(&g2) {
			return errors.New("σ is not the initial one")
		}
	}
	var zero curve.G1Affine
	var zeroProof bytes.Buffer
	for i := range 1 + len(p.Sigmas) {
		pr := &p.Delta
		if i > 0 {
			pr = &p.Sigmas[i-1]
		}
		zeroProof.Reset()
		pr.WriteTo(&zeroProof)
		z := zero.Bytes()
		if !bytes.Equal(zeroProof.Bytes()[:g1Size], z[:]) {
			return errors.New("update proofs are not empty")
		}
	}
	// Z[i] = τ^(i+n) - τ^i, bit-reversed, first n-1 (exact).
	z := make([]curve.G1Affine, n)
	parallel(n-1, func(s, e int) {
		for i := s; i < e; i++ {
			z[i].Sub(&t.G1.Tau[i+n], &t.G1.Tau[i])
		}
	}, nil)
	bitReverse(z)
	if !slices.EqualFunc(z[:n-1], p.Parameters.G1.Z, func(a, b curve.G1Affine) bool { return a.Equal(&b) }) {
		return errors.New("Z is not the vanishing polynomial on this phase 1")
	}
	// Random linear combinations.
	rw := make([]fr.Element, nWires)
	for i := range rw {
		if _, err := rw[i].SetRandom(); err != nil {
			return err
		}
	}
	sA := make([]fr.Element, n)
	sB := make([]fr.Element, n)
	sC := make([]fr.Element, n)
	it := r1cs.GetR1CIterator()
	i := 0
	var tmp fr.Element
	acc := func(s *fr.Element, terms constraint.LinearExpression) {
		for _, tm := range terms {
			tmp.Mul(&r1cs.Coefficients[tm.CoeffID()], &rw[tm.WireID()])
			s.Add(s, &tmp)
		}
	}
	for cst := it.Next(); cst != nil; cst = it.Next() {
		if i >= n {
			return fmt.Errorf("circuit has more constraints than the domain")
		}
		acc(&sA[i], cst.L)
		acc(&sB[i], cst.R)
		acc(&sC[i], cst.O)
		i++
	}
	dom := fft.NewDomain(uint64(n))
	for _, s := range [][]fr.Element{sA, sB, sC} {
		dom.FFTInverse(s, fft.DIF)
		fft.BitReverse(s)
	}
	cfg := ecc.MultiExpConfig{}
	msm1 := func(pts []curve.G1Affine, sc []fr.Element) curve.G1Jac {
		var r curve.G1Jac
		if _, err := r.MultiExp(pts, sc, cfg); err != nil {
			panic(err)
		}
		return r
	}
	msm2 := func(pts []curve.G2Affine, sc []fr.Element) curve.G2Jac {
		var r curve.G2Jac
		if _, err := r.MultiExp(pts, sc, cfg); err != nil {
			panic(err)
		}
		return r
	}
	tau1 := t.G1.Tau[:n]
	if l, r := msm1(e.G1.A, rw), msm1(tau1, sA); !l.Equal(&r) {
		return errors.New("the A evaluations are not the circuit's on this phase 1")
	}
	if l, r := msm1(e.G1.B, rw), msm1(tau1, sB); !l.Equal(&r) {
		return errors.New("the B evaluations (G1) are not the circuit's on this phase 1")
	}
	if l, r := msm2(e.G2.B, rw), msm2(t.G2.Tau[:n], sB); !l.Equal(&r) {
		return errors.New("the B evaluations (G2) are not the circuit's on this phase 1")
	}
	// K, in the order VKK, CKK..., PKK with the matching wire weights.
	var kPts []curve.G1Affine
	kPts = append(kPts, e.G1.VKK...)
	base := []int{0}
	for ci := range commitments {
		base = append(base, len(kPts))
		kPts = append(kPts, e.G1.CKK[ci]...)
	}
	pBase := len(kPts)
	kPts = append(kPts, p.Parameters.G1.PKK...)
	kR := make([]fr.Element, len(kPts))
	for w, s := range where {
		switch {
		case s.vec == slotVKK:
			kR[s.idx] = rw[w]
		case s.vec == slotPKK:
			kR[pBase+s.idx] = rw[w]
		default:
			kR[base[s.vec+1]+s.idx] = rw[w]
		}
	}
	lk := msm1(kPts, kR)
	r1, r2, r3 := msm1(t.G1.BetaTau, sA), msm1(t.G1.AlphaTau, sB), msm1(tau1, sC)
	r1.AddAssign(&r2).AddAssign(&r3)
	if !lk.Equal(&r1) {
		return errors.New("the K points (βA+αB+C) are not the circuit's on this phase 1")
	}
	return nil
}

// slot locates a wire's K point: in VKK, PKK or CKK[vec] at idx.
type slot struct{ vec, idx int }

const (
	slotVKK = -1
	slotPKK = -2
)

// wireSlots assigns each wire's K point to VKK (public wires and
// commitments), CKK (privately committed wires) or PKK (the rest), in wire
// order, as gnark's Initialize does.
func wireSlots(r1cs *cs.R1CS, commitments constraint.Groth16Commitments, nWires, nbPublic int) (where []slot, nV, nP int, nC []int) {
	committed := map[int]int{}
	for ci, l := range commitments.GetPrivateCommitted() {
		for _, w := range l {
			committed[w] = ci
		}
	}
	where = make([]slot, nWires)
	nC = make([]int, len(commitments))
	seen := 0
	for j := range nWires {
		isCommitment := seen < len(commitments) && commitments[seen].CommitmentIndex == j
		if ci, ok := committed[j]; ok {
			where[j] = slot{ci, nC[ci]}
			nC[ci]++
		} else if j < nbPublic || isCommitment {
			where[j] = slot{slotVKK, nV}
			nV++
		} else {
			where[j] = slot{slotPKK, nP}
			nP++
		}
		if isCommitment {
			seen++
		}
	}
	return where, nV, nP, nC
}

// bitReverse permutes a in place to bit-reversed index order (len(a) a
// power of two), as gnark's mpcsetup does.
func bitReverse[T any](a []T) {
	n := uint64(len(a))
	nn := uint64(64 - bits.TrailingZeros64(n))
	for i := uint64(0); i < n; i++ {
		irev := bits.Reverse64(i) >> nn
		if irev > i {
			a[i], a[irev] = a[irev], a[i]
		}
	}
}
