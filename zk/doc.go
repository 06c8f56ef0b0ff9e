// Package zk holds quantized neural-network models, their native integer
// inference, the gnark circuit that proves that inference, and the Groth16
// (BN254) setup, prover and verifier built on it.
//
// A model is a quantized MLP (int8 weights and activations, int32
// accumulators, a power-of-two requantization shift per hidden layer, ReLU,
// and an argmax over the last layer's logits). The same generic forward pass
// (forward.go) drives both the native inference (Model.Infer) and the circuit
// (circuit.go), so the two cannot drift apart; a test checks that they agree
// bit for bit on real MNIST test images.
//
// Public inputs of every proof, in order: modelCommitment (Poseidon2 hash of
// the packed weights), inputHash (Poseidon2 hash of the packed input),
// output (the argmax class), hotkeyHash and epoch. docs/zk.md specifies the
// model file format, the hashes and the public-input encodings.
//
// The package is pure: no disk, no network, no clock. Long operations report
// progress through callbacks; gnark's own logger (which writes to stdout) is
// disabled when the package loads.
package zk

import "github.com/consensys/gnark/logger"

func init() { logger.Disable() }
