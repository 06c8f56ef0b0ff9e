package zk_test

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	fcs "github.com/consensys/gnark/frontend/cs"

	"github.com/veritensor/veritensor/zk"
)

// BenchmarkProverParts splits gnark's Groth16 prover (backend/groth16/bn254
// Prove, v0.14.0) into its parts and measures each one's process CPU time,
// run one after the other with the prover's own parallelism: solving the
// witness (with the BSB22 commitment), the commitment's proof of knowledge,
// the quotient H (7 FFTs), and the multi-scalar multiplications: A (G1 over
// the wires with a non-zero A column), B in G1 and in G2 (wires with a
// non-zero B column), K (G1 over the private wires not committed) and Z (G1
// over H). It does so for today's single circuit (version 3), the commit
// circuit and the non-negative baseline of each one's size, and reports how
// many wires each MSM covers and how many of their scalars are full-size
// (above 2^64). `go test -run '^$' -bench BenchmarkProverParts -benchtime 1x ./zk/`
func BenchmarkProverParts(b *testing.B) {
	k := benchKeys(b)
	m := zk.RandomTestModel(b, k.arch, 1)
	x := zk.ChallengeInput([32]byte{9}, 1, k.arch.Inputs())
	v3ccs, err := zk.Compile(k.arch)
	if err != nil {
		b.Fatal(err)
	}
	cmccs, err := zk.CompileCommit(k.arch)
	if err != nil {
		b.Fatal(err)
	}
	type subject struct {
		name string
		ccs  constraint.ConstraintSystem
		pk   *groth16bn254.ProvingKey
		w    witness.Witness
		opts []solver.Option
	}
	parse := func(raw []byte) *groth16bn254.ProvingKey {
		var pk groth16bn254.ProvingKey
		if _, err := pk.UnsafeReadFrom(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		return &pk
	}
	wit := func(c frontend.Circuit) witness.Witness {
		w, err := frontend.NewWitness(c, ecc.BN254.ScalarField())
		if err != nil {
			b.Fatal(err)
		}
		return w
	}
	var subjects []subject
	subjects = append(subjects, subject{"v3", v3ccs, parse(k.pk), wit(zk.AssignSingle(m, x)), nil})
	base := newBaseline(b, v3ccs.GetNbConstraints())
	subjects = append(subjects, subject{"v3-baseline", base.ccs, base.pk.(*groth16bn254.ProvingKey), base.nonneg, nil})
	subjects = append(subjects, subject{"commit", cmccs, parse(commitBenchKeys(b, k.arch)), wit(zk.AssignCommit(m, x)), []solver.Option{zk.ZeroMask}})
	cbase := newBaseline(b, cmccs.GetNbConstraints())
	subjects = append(subjects, subject{"commit-baseline", cbase.ccs, cbase.pk.(*groth16bn254.ProvingKey), cbase.nonneg, nil})
	b.ResetTimer()
	for b.Loop() {
		for _, s := range subjects {
			proverParts(b, s.name, s.ccs.(*csbn254.R1CS), s.pk, s.w, s.opts)
		}
	}
}

func proverParts(b *testing.B, name string, r1cs *csbn254.R1CS, pk *groth16bn254.ProvingKey, w witness.Witness, opts []solver.Option) {
	cpu := func(f func()) time.Duration {
		t0 := cpuTime()
		f()
		return cpuTime() - t0
	}
	report := func(part string, d time.Duration) { b.ReportMetric(d.Seconds(), name+"/"+part+"-cpu-s") }
	full := func(v []fr.Element) int {
		n := 0
		for i := range v {
			if !v[i].IsUint64() {
				n++
			}
		}
		return n
	}
	// Total, through gnark.
	report("total", cpu(func() {
		if _, err := groth16.Prove(r1cs, pk, w, groth16bnOpts(opts)...); err != nil {
			b.Fatal(err)
		}
	}))

	// Solve, with the commitment computed as the prover does.
	commits := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	committed := make([][]fr.Element, len(commits))
	var commitT time.Duration
	bsb22 := solver.OverrideHint(solver.GetHintID(fcs.Bsb22CommitmentComputePlaceholder), func(_ *big.Int, in, out []*big.Int) error {
		i := int(in[0].Int64())
		in = in[1:]
		vals := in[len(commits[i].PublicAndCommitmentCommitted):]
		committed[i] = make([]fr.Element, len(vals))
		for j := range vals {
			committed[i][j].SetBigInt(vals[j])
		}
		var pt curve.G1Affine
		t0 := cpuTime()
		pt, _ = pk.CommitmentKeys[i].Commit(committed[i])
		commitT += cpuTime() - t0
		h, _ := fr.Hash(pt.Marshal(), []byte("bench"), 1)
		h[0].BigInt(out[0])
		return nil
	})
	var sol *csbn254.R1CSSolution
	solveT := cpu(func() {
		s, err := r1cs.Solve(w, append(append([]solver.Option{}, opts...), bsb22)...)
		if err != nil {
			b.Fatal(err)
		}
		sol = s.(*csbn254.R1CSSolution)
	})
	report("solve", solveT-commitT)
	report("commit", commitT)
	report("pok", cpu(func() {
		for i := range pk.CommitmentKeys {
			_, _ = pk.CommitmentKeys[i].ProveKnowledge(committed[i])
		}
	}))
	wires := []fr.Element(sol.W)
	var h []fr.Element
	report("fft", cpu(func() { h = computeH(sol.A, sol.B, sol.C, &pk.Domain) }))
	filter := func(inf []bool) []fr.Element {
		var out []fr.Element
		for i := range wires {
			if !inf[i] {
				out = append(out, wires[i])
			}
		}
		return out
	}
	wa, wb := filter(pk.InfinityA), filter(pk.InfinityB)
	// K: private wires less the committed ones (as gnark's filterHeap).
	drop := map[int]bool{}
	for _, c := range commits {
		for _, id := range c.PrivateCommitted {
			drop[id] = true
		}
		drop[c.CommitmentIndex] = true
	}
	var wk []fr.Element
	for i := r1cs.GetNbPublicVariables(); i < len(wires); i++ {
		if !drop[i] {
			wk = append(wk, wires[i])
		}
	}
	cfg := ecc.MultiExpConfig{}
	var g1 curve.G1Jac
	var g2 curve.G2Jac
	report("msm-A", cpu(func() { _, _ = g1.MultiExp(pk.G1.A, wa, cfg) }))
	report("msm-B1", cpu(func() { _, _ = g1.MultiExp(pk.G1.B, wb, cfg) }))
	report("msm-B2", cpu(func() { _, _ = g2.MultiExp(pk.G2.B, wb, cfg) }))
	report("msm-K", cpu(func() { _, _ = g1.MultiExp(pk.G1.K, wk, cfg) }))
	report("msm-Z", cpu(func() { _, _ = g1.MultiExp(pk.G1.Z, h[:pk.Domain.Cardinality-1], cfg) }))
	nc := 0
	for _, c := range committed {
		nc += len(c)
	}
	b.Logf("%s: %d constraints, domain %d; wires: A %d (%d full-size), B %d (%d full-size), K %d (%d full-size), committed %d",
		name, r1cs.GetNbConstraints(), pk.Domain.Cardinality, len(wa), full(wa), len(wb), full(wb), len(wk), full(wk), nc)
}

func groth16bnOpts(opts []solver.Option) []backend.ProverOption {
	return []backend.ProverOption{backend.WithSolverOptions(opts...)}
}

// computeH is gnark's computeH (backend/groth16/bn254/prove.go, v0.14.0):
// h = (A*B - C) / Z on a coset, 7 FFTs of the domain's size.
func computeH(a, b, c []fr.Element, domain *fft.Domain) []fr.Element {
	n := len(a)
	padding := make([]fr.Element, int(domain.Cardinality)-n)
	a = append(a, padding...)
	b = append(b, padding...)
	c = append(c, padding...)
	n = len(a)
	domain.FFTInverse(a, fft.DIF)
	domain.FFTInverse(b, fft.DIF)
	domain.FFTInverse(c, fft.DIF)
	domain.FFT(a, fft.DIT, fft.OnCoset())
	domain.FFT(b, fft.DIT, fft.OnCoset())
	domain.FFT(c, fft.DIT, fft.OnCoset())
	var den, one fr.Element
	one.SetOne()
	den.Exp(domain.FrMultiplicativeGen, big.NewInt(int64(domain.Cardinality)))
	den.Sub(&den, &one).Inverse(&den)
	for i := 0; i < n; i++ {
		a[i].Mul(&a[i], &b[i]).Sub(&a[i], &c[i]).Mul(&a[i], &den)
	}
	domain.FFTInverse(a, fft.DIF, fft.OnCoset())
	return a
}
