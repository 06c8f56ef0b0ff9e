package ceremony

import (
	"bytes"
	"math/big"
	"os"
	"runtime"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/frontend"

	"github.com/veritensor/veritensor/zk"
)

// initBytes encodes a phase-2 initial state and its evaluations as the
// init file body does.
func initBytes(t testing.TB, p *mpcsetup.Phase2, e *mpcsetup.Phase2Evaluations) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return append(b.Bytes(), encodeEvals(e)...)
}

// checkFastInit compares fastInitialize with gnark's Initialize on c, byte
// for byte, on a phase 1 with random secrets.
func checkFastInit(t *testing.T, c *Circuit) {
	t.Helper()
	var tau, alpha, beta fr.Element
	for _, x := range []*fr.Element{&tau, &alpha, &beta} {
		if _, err := x.SetRandom(); err != nil {
			t.Fatal(err)
		}
	}
	full := knownP1(1<<c.Log2, tau, alpha, beta)
	commons, err := truncate(&full, c.Log2)
	if err != nil {
		t.Fatal(err)
	}
	gp := new(mpcsetup.Phase2)
	ge := gp.Initialize(c.r1cs, commons)
	fp, fe, err := fastInitialize(c.r1cs, commons)
	if err != nil {
		t.Fatal(err)
	}
	want, got := initBytes(t, gp, &ge), initBytes(t, fp, fe)
	if !bytes.Equal(want, got) {
		t.Fatalf("fast phase-2 init differs from gnark's Initialize (%d vs %d bytes)", len(got), len(want))
	}
	if err := checkInit(c, commons, fp, fe); err != nil {
		t.Fatal(err)
	}
	// Every wire by multi-scalar multiplication.
	defer func(h int) { heavyTerms = h }(heavyTerms)
	heavyTerms = 1
	fp, fe, err = fastInitialize(c.r1cs, commons)
	if err != nil {
		t.Fatal(err)
	}
	if got := initBytes(t, fp, fe); !bytes.Equal(want, got) {
		t.Fatal("fast phase-2 init (all wires by MSM) differs from gnark's Initialize")
	}
}

// TestFastInitMatchesGnark: fastInitialize is gnark's Initialize, byte for
// byte, on circuits with and without commitments and (without -short) on
// the 49-16-10 MLP.
func TestFastInitMatchesGnark(t *testing.T) {
	t.Run("toy", func(t *testing.T) { checkFastInit(t, compileToy(t, "toy", &toyCircuit{})) })
	t.Run("coeffs", func(t *testing.T) { checkFastInit(t, compileToy(t, "coeffs", &coeffCircuit{})) })
	t.Run("nothing", func(t *testing.T) { checkFastInit(t, compileToy(t, "nothing", &nothingCircuit{})) })
	t.Run("49-16-10", func(t *testing.T) {
		if testing.Short() {
			t.Skip("gnark's Initialize on 2^13 takes ~30 CPU s")
		}
		a, err := zk.ParseArch("49-16-10")
		if err != nil {
			t.Fatal(err)
		}
		c, err := CompileCircuit(a)
		if err != nil {
			t.Fatal(err)
		}
		checkFastInit(t, c)
	})
}

// coeffCircuit has small, negative and full-size coefficients, so every
// multiplication path of fastInitialize runs.
type coeffCircuit struct {
	X    frontend.Variable `gnark:",public"`
	Y, Z frontend.Variable
}

func (c *coeffCircuit) Define(api frontend.API) error {
	k := new(big.Int).Lsh(big.NewInt(1), 200)
	k.Add(k, big.NewInt(12345))
	s := api.Add(api.Mul(c.Y, -3), api.Mul(c.Z, k), api.Mul(c.Y, 1<<40), api.Mul(c.Z, -(1<<50)))
	s = api.Mul(s, api.Add(c.Y, 2))
	api.AssertIsEqual(api.Mul(s, -7), api.Add(c.X, c.Y, c.Y))
	return nil
}

// BenchmarkPhase2Init times gnark's Initialize against fastInitialize on
// one circuit (VT_BENCH_ARCH, default 49-16-10; set VT_BENCH_SKIP_GNARK=1
// to time only the fast one, e.g. at 784-64-10 where gnark takes tens of
// CPU minutes). cpu-s/op is user+system CPU time, as in BenchmarkCeremony.
//
//	nice go test -run '^$' -bench 'BenchmarkPhase2Init' -benchtime 1x ./zk/ceremony/
func BenchmarkPhase2Init(b *testing.B) {
	arch := os.Getenv("VT_BENCH_ARCH")
	if arch == "" {
		arch = "49-16-10"
	}
	a, err := zk.ParseArch(arch)
	if err != nil {
		b.Fatal(err)
	}
	c, err := CompileCircuit(a)
	if err != nil {
		b.Fatal(err)
	}
	var tau, alpha, beta fr.Element
	tau.SetUint64(12345)
	alpha.SetUint64(678)
	beta.SetUint64(91011)
	full := knownP1(1<<c.Log2, tau, alpha, beta)
	commons, err := truncate(&full, c.Log2)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d constraints, 2^%d, %d cores", arch, c.NbConstraints, c.Log2, runtime.GOMAXPROCS(0))
	run := func(name string, fn func()) {
		b.Run(name, func(b *testing.B) {
			cpu := cpuTime()
			for range b.N {
				fn()
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(peakMB(), "peak-MB")
		})
	}
	if os.Getenv("VT_BENCH_SKIP_GNARK") == "" {
		run("gnark", func() { new(mpcsetup.Phase2).Initialize(c.r1cs, commons) })
	}
	run("fast", func() {
		if _, _, err := fastInitialize(c.r1cs, commons); err != nil {
			b.Fatal(err)
		}
	})
}
