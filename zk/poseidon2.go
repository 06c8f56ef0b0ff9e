package zk

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/consensys/gnark/frontend"
)

// The permutation behind every hash is Poseidon2 (Grassi, Khovratovich,
// Schofnegger, eprint 2023/323) over the BN254 scalar field, width 16, S-box
// x^5, 8 full and 64 partial rounds. gnark v0.14 and gnark-crypto v0.19 only
// implement the linear layers for widths 2 and 3 (their width-4k circuit code
// panics in the internal layer), so both the native and the circuit
// permutation live here; TestPermutationMatchesCircuit checks that they agree.
//
//   - round constants: gnark-crypto's poseidon2.NewParameters(16, 8, 64)
//     (keccak-256 chain seeded with "Poseidon2-BN254[t=16,rF=8,rP=64,d=5]");
//   - external layer (full rounds, and once before the first round):
//     circ(2*M4, M4, ..., M4) with the paper's M4 = [[5,7,1,3],[4,6,1,1],
//     [1,3,5,7],[1,1,4,6]];
//   - internal layer (partial rounds): M_I = J + diag(mu), i.e.
//     y_i = mu_i*x_i + sum_j x_j, with mu derived by p2InternalDiag;
//     TestInternalMatrixCondition checks the paper's condition that the
//     characteristic polynomial of M_I^k is irreducible for k = 1..2t (no
//     arbitrarily long invariant subspace trails).
//
// Cost in R1CS: 3 constraints per S-box, the linear layers are free:
// 3*(8*16 + 64) = 576 constraints per permutation.
const (
	p2Width         = 16
	p2FullRounds    = 8
	p2PartialRounds = 64
)

// p2DiagSeed and p2DiagCounter define the internal matrix: mu_i =
// SHA-256(p2DiagSeed || counter (u32 BE) || i (u8)) mod r, with counter the
// first value for which M_I passes the subspace-trail condition (the test
// re-derives it).
const (
	p2DiagSeed    = "veritensor/poseidon2/bn254/t16/internal-diagonal"
	p2DiagCounter = 7
)

// p2Params are the permutation's constants.
type p2Params struct {
	rk   [][]fr.Element // per round: width entries (full) or 1 (partial)
	diag [p2Width]fr.Element
	// big.Int copies for the circuit.
	rkBig   [][]*big.Int
	diagBig [p2Width]*big.Int
}

var p2 = newP2Params()

func newP2Params() *p2Params {
	par := poseidon2.NewParameters(p2Width, p2FullRounds, p2PartialRounds)
	p := &p2Params{rk: par.RoundKeys, diag: p2InternalDiag(p2DiagCounter)}
	p.rkBig = make([][]*big.Int, len(p.rk))
	for r := range p.rk {
		p.rkBig[r] = make([]*big.Int, len(p.rk[r]))
		for j := range p.rk[r] {
			p.rkBig[r][j] = p.rk[r][j].BigInt(new(big.Int))
		}
	}
	for i := range p.diag {
		p.diagBig[i] = p.diag[i].BigInt(new(big.Int))
	}
	return p
}

// p2InternalDiag derives a candidate diagonal from counter.
func p2InternalDiag(counter uint32) [p2Width]fr.Element {
	var d [p2Width]fr.Element
	for i := range d {
		h := sha256.New()
		h.Write([]byte(p2DiagSeed))
		h.Write(binary.BigEndian.AppendUint32(nil, counter))
		h.Write([]byte{byte(i)})
		d[i].SetBigInt(new(big.Int).SetBytes(h.Sum(nil)))
	}
	return d
}

// p2Permute applies the permutation to s in place.
func p2Permute(s *[p2Width]fr.Element) {
	p2External(s)
	half := p2FullRounds / 2
	for r := range half {
		p2FullRound(s, r)
	}
	for r := half; r < half+p2PartialRounds; r++ {
		s[0].Add(&s[0], &p2.rk[r][0])
		sbox(&s[0])
		var sum fr.Element
		for i := range s {
			sum.Add(&sum, &s[i])
		}
		for i := range s {
			s[i].Mul(&s[i], &p2.diag[i]).Add(&s[i], &sum)
		}
	}
	for r := half + p2PartialRounds; r < p2FullRounds+p2PartialRounds; r++ {
		p2FullRound(s, r)
	}
}

func p2FullRound(s *[p2Width]fr.Element, r int) {
	for i := range s {
		s[i].Add(&s[i], &p2.rk[r][i])
		sbox(&s[i])
	}
	p2External(s)
}

func sbox(x *fr.Element) {
	var t fr.Element
	t.Square(x).Square(&t)
	x.Mul(x, &t)
}

// p2External multiplies s by circ(2*M4, M4, ..., M4): M4 on each chunk of 4,
// then each lane plus the sum of the same lane over all chunks.
func p2External(s *[p2Width]fr.Element) {
	for c := 0; c < p2Width; c += 4 {
		m4(s[c:c+4], func(a, b fr.Element) fr.Element { var r fr.Element; return *r.Add(&a, &b) },
			func(a fr.Element, k uint64) fr.Element { var r, kk fr.Element; kk.SetUint64(k); return *r.Mul(&a, &kk) })
	}
	var sums [4]fr.Element
	for i := range s {
		sums[i%4].Add(&sums[i%4], &s[i])
	}
	for i := range s {
		s[i].Add(&s[i], &sums[i%4])
	}
}

// m4 multiplies a 4-vector by M4 = [[5,7,1,3],[4,6,1,1],[1,3,5,7],[1,1,4,6]]
// with the addition chain of the Poseidon2 paper (appendix B), for any
// arithmetic given by add and scale.
func m4[V any](s []V, add func(a, b V) V, scale func(a V, k uint64) V) {
	t0 := add(s[0], s[1])
	t1 := add(s[2], s[3])
	t2 := add(scale(s[1], 2), t1)
	t3 := add(scale(s[3], 2), t0)
	t4 := add(scale(t1, 4), t3)
	t5 := add(scale(t0, 4), t2)
	t6 := add(t3, t5)
	t7 := add(t2, t4)
	s[0], s[1], s[2], s[3] = t6, t5, t7, t4
}

// p2PermuteCircuit is p2Permute on circuit variables (576 constraints).
func p2PermuteCircuit(api frontend.API, s []frontend.Variable) {
	add := func(a, b frontend.Variable) frontend.Variable { return api.Add(a, b) }
	scale := func(a frontend.Variable, k uint64) frontend.Variable { return api.Mul(a, k) }
	sb := func(x frontend.Variable) frontend.Variable {
		x2 := api.Mul(x, x)
		x4 := api.Mul(x2, x2)
		return api.Mul(x4, x)
	}
	external := func() {
		for c := 0; c < p2Width; c += 4 {
			m4(s[c:c+4], add, scale)
		}
		var sums [4]frontend.Variable
		for i := range s {
			if sums[i%4] == nil {
				sums[i%4] = s[i]
			} else {
				sums[i%4] = api.Add(sums[i%4], s[i])
			}
		}
		for i := range s {
			s[i] = api.Add(s[i], sums[i%4])
		}
	}
	full := func(r int) {
		for i := range s {
			s[i] = sb(api.Add(s[i], p2.rkBig[r][i]))
		}
		external()
	}
	external()
	half := p2FullRounds / 2
	for r := range half {
		full(r)
	}
	for r := half; r < half+p2PartialRounds; r++ {
		s[0] = sb(api.Add(s[0], p2.rkBig[r][0]))
		sum := api.Add(s[0], s[1], s[2:]...)
		for i := range s {
			s[i] = api.Add(api.Mul(s[i], p2.diagBig[i]), sum)
		}
	}
	for r := half + p2PartialRounds; r < p2FullRounds+p2PartialRounds; r++ {
		full(r)
	}
}
