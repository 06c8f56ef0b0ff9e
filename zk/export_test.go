package zk

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
