// Package subnettest holds the subnet protocol's integration test: a real
// multi-validator CometBFT network on loopback running one subnet with
// validators and miners that commit and reveal weights and prove their MNIST
// model with real Groth16 proofs, epoch after epoch. It has no non-test code.
package subnettest
