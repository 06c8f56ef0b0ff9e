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
// With Options.Batch (`make demo`: 16) validators send each miner one
// /v2/infer batch per tempo, graded and decoy challenges mixed, checked by
// one batch proof; the batch circuit's keys come from its own off-chain
// ceremony by the same contributors (ceremony.go, ceremonyrun.RunBatch),
// kept machine-wide and copied to <home>/batch-keys. The chain's epoch
// proofs stay single.
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
