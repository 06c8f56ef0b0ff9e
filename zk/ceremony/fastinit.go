package ceremony

import (
	"fmt"
	"math/big"
	"math/bits"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// fastInitialize computes exactly what gnark's mpcsetup.Phase2.Initialize
// computes (the same group elements, hence the same bytes; see
// TestFastInitMatchesGnark), much faster:
//
//   - the Lagrange bases [L_i(τ)], [L_i(ατ)], [L_i(βτ)] in G1 and [L_i(τ)]
//     in G2 come from an inverse FFT over Jacobian points, parallel within
//     every stage (gnark-crypto's kzg.ToLagrangeG1 for G1, lagrangeG2
//     below), instead of affine points with an inversion per operation;
//   - the per-wire sums Σ_i a_{i,w} L_i are accumulated in Jacobian
//     coordinates, grouped by wire and parallel across wires, with small
//     coefficients (|a| < 2^64, the common case: ±1, small weights)
//     multiplied by double-and-add and only large ones by a full (GLV)
//     scalar multiplication; the results are converted to affine in one
//     batch inversion.
//
// commons must already be truncated to the circuit's domain.
func fastInitialize(r1cs *cs.R1CS, commons *mpcsetup.SrsCommons) (*mpcsetup.Phase2, *mpcsetup.Phase2Evaluations, error) {
	n := len(commons.G1.AlphaTau)
	if n < r1cs.GetNbConstraints() {
		return nil, nil, fmt.Errorf("%w: %d constraints in a domain of %d", ErrWrongCircuit, r1cs.GetNbConstraints(), n)
	}
	commitments, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok {
		return nil, nil, fmt.Errorf("%w: circuit has no Groth16 commitment info", ErrWrongCircuit)
	}

	// Lagrange bases (the four transforms run one after the other, each on
	// every core).
	tau1, err := kzg.ToLagrangeG1(commons.G1.Tau[:n])
	if err != nil {
		return nil, nil, err
	}
	alpha1, err := kzg.ToLagrangeG1(commons.G1.AlphaTau[:n])
	if err != nil {
		return nil, nil, err
	}
	beta1, err := kzg.ToLagrangeG1(commons.G1.BetaTau[:n])
	if err != nil {
		return nil, nil, err
	}
	tau2 := lagrangeG2(commons.G2.Tau[:n])

	nbInternal, nbSecret, nbPublic := r1cs.GetNbVariables()
	nWires := nbInternal + nbSecret + nbPublic

	// Terms grouped by wire, in constraint order.
	type term struct {
		row   uint32 // constraint index
		coeff uint32 // coefficient id
		kind  uint8  // 0 A (L), 1 B (R), 2 C (O)
	}
	byWire := make([][]term, nWires)
	it := r1cs.GetR1CIterator()
	row := 0
	for c := it.Next(); c != nil; c = it.Next() {
		for k, le := range [3]constraint.LinearExpression{c.L, c.R, c.O} {
			for _, t := range le {
				if t.CoeffID() == constraint.CoeffIdZero {
					continue
				}
				w := t.WireID()
				byWire[w] = append(byWire[w], term{uint32(row), uint32(t.CoeffID()), uint8(k)})
			}
		}
		row++
	}

	// Coefficients: small signed integers or big scalars.
	coeffs := make([]coeff, len(r1cs.Coefficients))
	for i := range r1cs.Coefficients {
		coeffs[i] = classify(&r1cs.Coefficients[i])
	}

	A := make([]curve.G1Jac, nWires)
	B := make([]curve.G1Jac, nWires)
	B2 := make([]curve.G2Jac, nWires)
	K := make([]curve.G1Jac, nWires)
	// Wires in many terms (the constant wire: every constant of the
	// circuit) as multi-scalar multiplications, each on every core.
	heavy := make([]bool, nWires)
	for w := range byWire {
		if len(byWire[w]) < heavyTerms {
			continue
		}
		heavy[w] = true
		var ptsA, ptsB, ptsK []curve.G1Affine
		var ptsB2 []curve.G2Affine
		var scA, scB, scK []fr.Element
		for _, t := range byWire[w] {
			c := r1cs.Coefficients[t.coeff]
			i := t.row
			switch t.kind {
			case 0:
				ptsA, scA = append(ptsA, tau1[i]), append(scA, c)
				ptsK, scK = append(ptsK, beta1[i]), append(scK, c)
			case 1:
				ptsB, scB = append(ptsB, tau1[i]), append(scB, c)
				ptsB2 = append(ptsB2, tau2[i])
				ptsK, scK = append(ptsK, alpha1[i]), append(scK, c)
			default:
				ptsK, scK = append(ptsK, tau1[i]), append(scK, c)
			}
		}
		if err := msmG1(&A[w], ptsA, scA); err != nil {
			return nil, nil, err
		}
		if err := msmG1(&B[w], ptsB, scB); err != nil {
			return nil, nil, err
		}
		if err := msmG1(&K[w], ptsK, scK); err != nil {
			return nil, nil, err
		}
		if len(ptsB2) > 0 {
			if _, err := B2[w].MultiExp(ptsB2, scB, ecc.MultiExpConfig{}); err != nil {
				return nil, nil, err
			}
		}
	}
	parallelWires(nWires, func(w int) {
		if heavy[w] {
			return
		}
		var bA, aB, cc curve.G1Jac
		for _, t := range byWire[w] {
			c := &coeffs[t.coeff]
			i := t.row
			switch t.kind {
			case 0:
				addMul(c, &A[w], &tau1[i])
				addMul(c, &bA, &beta1[i])
			case 1:
				addMul(c, &B[w], &tau1[i])
				addMul(c, &B2[w], &tau2[i])
				addMul(c, &aB, &alpha1[i])
			default:
				addMul(c, &cc, &tau1[i])
			}
		}
		// K = βA + αB + C (δ = γ = 1 before any contribution).
		bA.AddAssign(&aB).AddAssign(&cc)
		K[w] = bA
	})
	var evals mpcsetup.Phase2Evaluations
	evals.PublicAndCommitmentCommitted = commitments.GetPublicAndCommitmentCommitted(commitments.CommitmentIndexes(), nbPublic)
	var kAff []curve.G1Affine
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); evals.G1.A = curve.BatchJacobianToAffineG1(A) }()
	go func() { defer wg.Done(); evals.G1.B = curve.BatchJacobianToAffineG1(B) }()
	go func() { defer wg.Done(); evals.G2.B = batchToAffineG2(B2) }()
	go func() { defer wg.Done(); kAff = curve.BatchJacobianToAffineG1(K) }()
	wg.Wait()

	p := new(mpcsetup.Phase2)
	_, _, g1, g2 := curve.Generators()
	p.Parameters.G1.Delta = g1
	p.Parameters.G2.Delta = g2

	// Z[i] = τ^(i+n) - τ^i, bit-reversed, first n-1.
	z := make([]curve.G1Affine, n)
	parallel(n-1, func(s, e int) {
		for i := s; i < e; i++ {
			z[i].Sub(&commons.G1.Tau[i+n], &commons.G1.Tau[i])
		}
	}, nil)
	bitReverse(z)
	p.Parameters.G1.Z = z[:n-1]

	where, nV, nP, nC := wireSlots(r1cs, commitments, nWires, nbPublic)
	evals.G1.CKK = make([][]curve.G1Affine, len(commitments))
	p.Sigmas = makeLike(p.Sigmas, len(commitments))
	p.Parameters.G1.SigmaCKK = make([][]curve.G1Affine, len(commitments))
	p.Parameters.G2.Sigma = make([]curve.G2Affine, len(commitments))
	for j := range commitments {
		evals.G1.CKK[j] = make([]curve.G1Affine, nC[j])
		p.Parameters.G2.Sigma[j] = g2
	}
	evals.G1.VKK = make([]curve.G1Affine, nV)
	p.Parameters.G1.PKK = make([]curve.G1Affine, nP)
	for w, s := range where {
		switch s.vec {
		case slotVKK:
			evals.G1.VKK[s.idx] = kAff[w]
		case slotPKK:
			p.Parameters.G1.PKK[s.idx] = kAff[w]
		default:
			evals.G1.CKK[s.vec][s.idx] = kAff[w]
		}
	}
	for j := range commitments {
		p.Parameters.G1.SigmaCKK[j] = append([]curve.G1Affine(nil), evals.G1.CKK[j]...)
	}
	p.Challenge = nil
	return p, &evals, nil
}

// heavyTerms: a wire in at least this many terms is summed by a
// multi-scalar multiplication (Pippenger) instead of term by term.
var heavyTerms = 256 // a variable for the tests

func msmG1(res *curve.G1Jac, pts []curve.G1Affine, sc []fr.Element) error {
	if len(pts) == 0 {
		return nil
	}
	_, err := res.MultiExp(pts, sc, ecc.MultiExpConfig{})
	return err
}

// parallelWires calls f for every wire in [0, n), on every core, in small
// dynamic chunks (wires differ a lot in their number of terms).
func parallelWires(n int, f func(w int)) {
	workers := runtime.GOMAXPROCS(0)
	const chunk = 16
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				s := next
				next += chunk
				mu.Unlock()
				if s >= n {
					return
				}
				for w := s; w < min(s+chunk, n); w++ {
					f(w)
				}
			}
		}()
	}
	wg.Wait()
}

// coeff is an R1CS coefficient: a small signed integer (small) or a
// full scalar (big).
type coeff struct {
	small uint64
	neg   bool
	big   *big.Int
}

func classify(c *fr.Element) coeff {
	if c.IsUint64() {
		return coeff{small: c.Uint64()}
	}
	var m fr.Element
	m.Neg(c)
	if m.IsUint64() {
		return coeff{small: m.Uint64(), neg: true}
	}
	b := new(big.Int)
	c.BigInt(b)
	return coeff{big: b}
}

// jacobian and affine are what addMul needs of a curve's point types
// (curve.G1Jac/G1Affine and curve.G2Jac/G2Affine), so that one body serves
// both groups.
type jacobian[J, A any] interface {
	*J
	FromAffine(*A) *J
	ScalarMultiplication(*J, *big.Int) *J
	AddAssign(*J) *J
	AddMixed(*A) *J
	DoubleAssign() *J
}

type affine[A any] interface {
	*A
	Neg(*A) *A
}

// addMul adds c·p to acc, in G1 or G2.
func addMul[J, A any, PJ jacobian[J, A], PA affine[A]](c *coeff, acc PJ, p PA) {
	q := *p
	if c.neg {
		PA(&q).Neg(&q)
	}
	switch {
	case c.big != nil:
		var t J
		PJ(&t).FromAffine(p)
		PJ(&t).ScalarMultiplication(&t, c.big)
		acc.AddAssign(&t)
	case c.small == 0:
	case c.small == 1:
		acc.AddMixed(&q)
	default:
		var t J
		for i := bits.Len64(c.small) - 1; i >= 0; i-- {
			PJ(&t).DoubleAssign()
			if c.small>>uint(i)&1 == 1 {
				PJ(&t).AddMixed(&q)
			}
		}
		acc.AddAssign(&t)
	}
}

// lagrangeG2 is kzg.ToLagrangeG1 for G2: [L_i(x)]₂ for i < n from the
// powers [xʲ]₂ (n a power of two), an inverse FFT over Jacobian points.
func lagrangeG2(powers []curve.G2Affine) []curve.G2Affine {
	n := len(powers)
	a := make([]curve.G2Jac, n)
	parallel(n, func(s, e int) {
		for i := s; i < e; i++ {
			a[i].FromAffine(&powers[i])
		}
	}, nil)
	gen, err := fr.Generator(uint64(n))
	if err != nil {
		panic(err)
	}
	gen.Inverse(&gen)
	tw := make([]big.Int, max(n/2, 1))
	var w fr.Element
	w.SetOne()
	for j := range tw {
		w.BigInt(&tw[j])
		w.Mul(&w, &gen)
	}
	// Decimation in frequency, stage by stage; every stage's butterflies
	// run on every core.
	for m, stride := n/2, 1; m >= 1; m, stride = m/2, stride*2 {
		blocks := n / (2 * m)
		parallel(blocks*m, func(s, e int) {
			for k := s; k < e; k++ {
				blk, i := k/m, k%m
				x := &a[blk*2*m+i]
				y := &a[blk*2*m+i+m]
				t := *x
				x.AddAssign(y)
				t.SubAssign(y)
				if i != 0 {
					t.ScalarMultiplication(&t, &tw[i*stride])
				}
				*y = t
			}
		}, nil)
	}
	bitReverse(a)
	var nInv fr.Element
	nInv.SetUint64(uint64(n))
	nInv.Inverse(&nInv)
	var nb big.Int
	nInv.BigInt(&nb)
	parallel(n, func(s, e int) {
		for i := s; i < e; i++ {
			a[i].ScalarMultiplication(&a[i], &nb)
		}
	}, nil)
	return batchToAffineG2(a)
}

func makeLike[S ~[]E, E any](_ S, n int) S { return make(S, n) }

// batchToAffineG2 converts Jacobian points to affine with one inversion
// per worker (Montgomery's trick); infinity becomes (0, 0) as in gnark.
func batchToAffineG2(pts []curve.G2Jac) []curve.G2Affine {
	res := make([]curve.G2Affine, len(pts))
	parallel(len(pts), func(s, e int) {
		prod := pts[s].Z // E2 (an internal type of gnark-crypto)
		prod.SetOne()
		acc := sliceOf(prod, e-s)
		for i := s; i < e; i++ {
			acc[i-s] = prod
			if !pts[i].Z.IsZero() {
				prod.Mul(&prod, &pts[i].Z)
			}
		}
		inv := prod
		inv.Inverse(&prod)
		for i := e - 1; i >= s; i-- {
			if pts[i].Z.IsZero() {
				continue
			}
			zi, zi2 := inv, inv
			zi.Mul(&inv, &acc[i-s])
			inv.Mul(&inv, &pts[i].Z)
			zi2.Square(&zi)
			res[i].X.Mul(&pts[i].X, &zi2)
			res[i].Y.Mul(&pts[i].Y, &zi2).Mul(&res[i].Y, &zi)
		}
	}, nil)
	return res
}

func sliceOf[T any](_ T, n int) []T { return make([]T, n) }
