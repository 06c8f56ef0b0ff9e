package ceremony

import (
	"crypto/sha256"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// toyCircuit is a few constraints with one commitment, like the real
// circuit family, so the commitment (σ) paths of phase 2 run.
type toyCircuit struct {
	X frontend.Variable `gnark:",public"`
	Y frontend.Variable
	Z frontend.Variable
}

func (c *toyCircuit) Define(api frontend.API) error {
	cm, err := api.(frontend.Committer).Commit(c.Y, c.Z)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(cm, 0)
	p := api.Mul(c.Y, c.Z)
	for range 10 {
		p = api.Mul(p, p)
	}
	api.AssertIsEqual(api.Add(p, 7), c.X)
	return nil
}

// nothingCircuit has public inputs and constrains nothing.
type nothingCircuit struct {
	A, B, C, D, E frontend.Variable `gnark:",public"`
}

func (c *nothingCircuit) Define(api frontend.API) error { return nil }

func compileToy(t testing.TB, name string, circuit frontend.Circuit) *Circuit {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCircuit(sha256.Sum256([]byte(name)), ccs.(*cs.R1CS))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
