package ceremony

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"slices"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	cmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
)

// Test fixtures made with KNOWN secrets, for benchmarks that need a valid
// transcript of a large size fast: every point is a fixed-base
// multiplication of the generator by a scalar computed in the field (the
// way a single-party setup works), instead of updates of the previous
// points. The files are byte for byte what the real steps give for the same
// secrets (TestKnownFixturesMatchRealSteps), so verifying them costs the
// same; only producing them is cheaper. Never use outside tests: whoever
// runs this knows the toxic waste.

// knownSecrets are one contribution's τ', α', β'.
func knownSecrets(seed byte) (t, a, b fr.Element) {
	h := func(k byte) fr.Element {
		var e fr.Element
		d := sha256.Sum256([]byte{seed, k})
		e.SetBytes(d[:])
		return e
	}
	return h(1), h(2), h(3)
}

// knownP1 is the phase-1 parameters for τ, α, β over a domain of n.
func knownP1(n int, tau, alpha, beta fr.Element) mpcsetup.SrsCommons {
	pows := make([]fr.Element, 2*n-1)
	pows[0].SetOne()
	for i := 1; i < len(pows); i++ {
		pows[i].Mul(&pows[i-1], &tau)
	}
	ap := make([]fr.Element, n)
	bp := make([]fr.Element, n)
	for i := range n {
		ap[i].Mul(&pows[i], &alpha)
		bp[i].Mul(&pows[i], &beta)
	}
	_, _, g1, g2 := curve.Generators()
	var c mpcsetup.SrsCommons
	c.G1.Tau = curve.BatchScalarMultiplicationG1(&g1, pows)
	c.G1.Tau[0] = g1
	c.G2.Tau = curve.BatchScalarMultiplicationG2(&g2, pows[:n])
	c.G2.Tau[0] = g2
	c.G1.AlphaTau = curve.BatchScalarMultiplicationG1(&g1, ap)
	c.G1.BetaTau = curve.BatchScalarMultiplicationG1(&g1, bp)
	var bb big.Int
	c.G2.Beta.ScalarMultiplication(&g2, beta.BigInt(&bb))
	return c
}

// knownPhase1 is a phase-1 transcript of k contributions with known
// secrets, sealed with beacon: the files (init, contributions), the sealed
// file, and the sealed τ, α, β.
func knownPhase1(log2 uint8, k int, beacon []byte) (files [][]byte, sealed []byte, tau, alpha, beta fr.Element) {
	n := 1 << log2
	files = [][]byte{phase1InitFile(log2)}
	tau.SetOne()
	alpha.SetOne()
	beta.SetOne()
	for i := 1; i <= k; i++ {
		prev := files[i-1]
		ch := sha256.Sum256(prev[HeaderSize:])
		t, a, b := knownSecrets(byte(i))
		tau.Mul(&tau, &t)
		alpha.Mul(&alpha, &a)
		beta.Mul(&beta, &b)
		s := &p1State{c: knownP1(n, tau, alpha, beta), challenge: ch[:]}
		s.proofs[0] = cmpc.UpdateValues(&t, ch[:], mpcsetup.DST_TAU)
		s.proofs[1] = cmpc.UpdateValues(&a, ch[:], mpcsetup.DST_ALPHA)
		s.proofs[2] = cmpc.UpdateValues(&b, ch[:], mpcsetup.DST_BETA)
		h := Header{Version: FormatVersion, Phase: Phase1, Kind: KindContribution, Log2: log2, Index: uint32(i), Prev: FileHash(prev)}
		files = append(files, append(h.Encode(), s.encode(nil)...))
	}
	last := files[k]
	lh := sha256.Sum256(last[HeaderSize:])
	c := cmpc.BeaconContributions(lh[:], []byte("Groth16 MPC Setup - Phase 1"), beacon, 3)
	tau.Mul(&tau, &c[0])
	alpha.Mul(&alpha, &c[1])
	beta.Mul(&beta, &c[2])
	commons := knownP1(n, tau, alpha, beta)
	sh := Header{Version: FormatVersion, Phase: Phase1, Kind: KindSealed, Log2: log2, Index: uint32(k + 1), Prev: FileHash(last)}
	return files, sealed1File(sh, beacon, &commons, nil), tau, alpha, beta
}

// knownInit2 is the phase-2 init file of c on a phase 1 with known τ, α, β.
func knownInit2(c *Circuit, tau, alpha, beta fr.Element, sealed1 [32]byte) []byte {
	r1cs := c.r1cs
	n := 1 << c.Log2
	dom := fft.NewDomain(uint64(n))
	// L_i(τ) = ω^i/n · (τ^n - 1)/(τ - ω^i)
	var tn, one fr.Element
	one.SetOne()
	tn.Exp(tau, big.NewInt(int64(n)))
	tn.Sub(&tn, &one)
	den := make([]fr.Element, n)
	wi := make([]fr.Element, n)
	wi[0].SetOne()
	for i := range n {
		if i > 0 {
			wi[i].Mul(&wi[i-1], &dom.Generator)
		}
		den[i].Sub(&tau, &wi[i])
	}
	den = fr.BatchInvert(den)
	lag := make([]fr.Element, n)
	for i := range n {
		lag[i].Mul(&wi[i], &dom.CardinalityInv).Mul(&lag[i], &tn).Mul(&lag[i], &den[i])
	}
	nbInternal, nbSecret, nbPublic := r1cs.GetNbVariables()
	nWires := nbInternal + nbSecret + nbPublic
	A := make([]fr.Element, nWires)
	B := make([]fr.Element, nWires)
	C := make([]fr.Element, nWires)
	var tmp fr.Element
	acc := func(v []fr.Element, terms constraint.LinearExpression, l *fr.Element) {
		for _, t := range terms {
			tmp.Mul(&r1cs.Coefficients[t.CoeffID()], l)
			v[t.WireID()].Add(&v[t.WireID()], &tmp)
		}
	}
	it := r1cs.GetR1CIterator()
	i := 0
	for cst := it.Next(); cst != nil; cst = it.Next() {
		acc(A, cst.L, &lag[i])
		acc(B, cst.R, &lag[i])
		acc(C, cst.O, &lag[i])
		i++
	}
	K := make([]fr.Element, nWires)
	for w := range K {
		var x, y fr.Element
		x.Mul(&beta, &A[w])
		y.Mul(&alpha, &B[w])
		K[w].Add(&x, &y).Add(&K[w], &C[w])
	}
	_, _, g1, g2 := curve.Generators()
	g1s := func(s []fr.Element) []curve.G1Affine {
		p := curve.BatchScalarMultiplicationG1(&g1, s)
		for i := range s {
			if s[i].IsZero() {
				p[i] = curve.G1Affine{}
			}
		}
		return p
	}
	var e mpcsetup.Phase2Evaluations
	e.G1.A, e.G1.B = g1s(A), g1s(B)
	e.G2.B = curve.BatchScalarMultiplicationG2(&g2, B)
	for i := range B {
		if B[i].IsZero() {
			e.G2.B[i] = curve.G2Affine{}
		}
	}
	kp := g1s(K)
	commitments := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	e.PublicAndCommitmentCommitted = commitments.GetPublicAndCommitmentCommitted(commitments.CommitmentIndexes(), nbPublic)
	where, nV, nP, nC := wireSlots(r1cs, commitments, nWires, nbPublic)
	e.G1.VKK = make([]curve.G1Affine, nV)
	pkk := make([]curve.G1Affine, nP)
	e.G1.CKK = make([][]curve.G1Affine, len(commitments))
	for ci := range commitments {
		e.G1.CKK[ci] = make([]curve.G1Affine, nC[ci])
	}
	for w, s := range where {
		switch s.vec {
		case slotVKK:
			e.G1.VKK[s.idx] = kp[w]
		case slotPKK:
			pkk[s.idx] = kp[w]
		default:
			e.G1.CKK[s.vec][s.idx] = kp[w]
		}
	}
	// Z_i = τ^i (τ^n - 1), bit-reversed, the first n-1.
	z := make([]fr.Element, n)
	var p fr.Element
	p.SetOne()
	for i := range n - 1 {
		z[i].Mul(&p, &tn)
		p.Mul(&p, &tau)
	}
	zp := g1s(z)
	bitReverse(zp)
	st := new(mpcsetup.Phase2)
	st.Parameters.G1.Delta, st.Parameters.G2.Delta = g1, g2
	st.Parameters.G1.Z = zp[:n-1]
	st.Parameters.G1.PKK = pkk
	st.Parameters.G1.SigmaCKK = make([][]curve.G1Affine, len(commitments))
	st.Parameters.G2.Sigma = make([]curve.G2Affine, len(commitments))
	st.Sigmas = make([]cmpc.UpdateProof, len(commitments))
	for ci := range commitments {
		st.Parameters.G1.SigmaCKK[ci] = slices.Clone(e.G1.CKK[ci])
		st.Parameters.G2.Sigma[ci] = g2
	}
	h := Header{Version: FormatVersion, Phase: Phase2, Kind: KindInit, Log2: c.Log2, CircuitID: c.ID, Prev: sealed1}
	b, err := encodeState(h, st)
	if err != nil {
		panic(err)
	}
	state := b[HeaderSize:]
	out := h.Encode()
	out = binary.BigEndian.AppendUint64(out, uint64(len(state)))
	out = append(out, state...)
	return append(out, encodeEvals(&e)...)
}

// TestKnownFixturesMatchRealSteps: the known-secret fixtures are the files
// the real steps produce (so benchmarks that verify them measure real
// work): phase 1 verifies and seals to the same file, and the phase-2 init
// equals gnark's Initialize on it.
func TestKnownFixturesMatchRealSteps(t *testing.T) {
	c := compileToy(t, "toy", &toyCircuit{})
	beacon := []byte("beacon")
	files, sealed, tau, alpha, beta := knownPhase1(toyLog2, 2, beacon)
	res, err := VerifyPhase1(openers(files), beacon, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.SealedHash != FileHash(sealed) {
		t.Fatal("known-secret seal differs from the real one")
	}
	h, err := DecodeHeader(sealed)
	if err != nil {
		t.Fatal(err)
	}
	_, commons, err := decodeSealed1(h, sealed[HeaderSize:], nil)
	if err != nil {
		t.Fatal(err)
	}
	real, err := phase2InitFile(c, commons, FileHash(sealed))
	if err != nil {
		t.Fatal(err)
	}
	if known := knownInit2(c, tau, alpha, beta, FileHash(sealed)); FileHash(known) != FileHash(real) {
		t.Fatal("known-secret phase-2 init differs from gnark's Initialize")
	}
}
