// Package devnet runs a whole Veritensor subnet on one machine: N CometBFT
// validator nodes on loopback, a subnet that requires proofs and uses
// commit-reveal, two scoring validator daemons and a set of miner daemons,
// honest and cheating, over a few epochs; it then reports who earned what
// and whether every node agrees on the state. `veritensor devnet` and
// `make demo` call Run; the package's end-to-end test asserts the outcome.
//
// Everything is real: badger state, CometBFT consensus and p2p, Groth16
// proofs of quantized MNIST models verified by validators and by every
// node, and the chain's Yuma epoch paying miners and validators. The only
// fakes are the cheaters, which are the miner daemon's fault-injection
// behaviours (package miner/fault).
//
// With Options.Batch (`make demo DEMO_SCHEME=hash`: 16) validators send each miner one
// /v2/infer batch per tempo, graded and decoy challenges mixed, checked by
// one batch proof; the batch circuit's keys come from its own off-chain
// ceremony by the same contributors (ceremony.go, ceremonyrun.RunBatch),
// kept machine-wide and copied to <home>/batch-keys. The chain's epoch
// proofs stay single.
//
// With Options.Scheme zk.SchemeCommit (`veritensor devnet --scheme commit`,
// `make demo`, `make demo-784`) the proven subnet's
// ceremony is opened for the commit circuit (docs/zk.md, "Commit circuit"):
// a smaller ceremony (2^16 powers of tau instead of 2^18 at 784-64-10) and
// single proofs ~6.6x cheaper, each binding the model point the miner
// registered; the daemons read the scheme from the subnet's circuit. Batch
// proofs exist under the hash scheme only, so Batch must be 0 there. The
// proof-less subnet has no circuit and is the same under either scheme.
// Keys never mix: the ceremony's phase 1 is circuit-independent (cached by
// size), its phase 2 and verified keys are named by the circuit.
//
// Run goes through named stages, a file each: setup (setup.go), start and
// wait (start.go), run (monitor.go), report (report.go) and cleanup
// (run.go); the daemons are wired in daemons.go, the models in models.go.
//
// A devnet lives in a home directory (devnet.json, the node homes under
// chain/, one home per validator and miner daemon, the models under
// models/); a second Run with the same home restarts the nodes on fresh
// ports and reuses the subnet and the registrations.
package devnet
