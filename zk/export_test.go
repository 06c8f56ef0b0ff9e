package zk

import (
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
)

// Exported aliases of test helpers for the external test package zk_test
// (e2e_test.go), which uses internal/keycache; keycache imports zk, so an
// in-package test cannot.
var (
	MustArch        = mustArch
	ShippedModel    = shippedModel
	MnistTest       = mnistTest
	RandomTestModel = randomModel
)

// TestSetup is testSetup for the external tests: groth16.Setup, on the CPU
// for BN254 even under the icicle tag.
var TestSetup = testSetup

// AssignSingle is the witness assignment of today's single circuit (version
// 3) for (m, x) at epoch 1.
func AssignSingle(m *Model, x []int8) frontend.Circuit {
	c, _, err := assign(m, x, Binding{Epoch: 1}, false)
	if err != nil {
		panic(err)
	}
	return c
}

// AssignCommit is the commit circuit's witness assignment for (m, x).
func AssignCommit(m *Model, x []int8) frontend.Circuit {
	c, _, err := assignCommit(m, x, Binding{Epoch: 1})
	if err != nil {
		panic(err)
	}
	return c
}

// ZeroMask is the solver option CommitProver.Prove uses.
var ZeroMask = solver.OverrideHint(randomizeHintID, zeroMask)
