// Package miner holds what a miner daemon runs besides its HTTP server: the
// per-epoch proof-of-model loop (EpochLoop) and the daemon's configuration
// (Config, loaded from a file and overridden by flags).
//
// Subpackages: api is the wire protocol shared with validators, server the
// HTTP server, hw the hardware inventory. The chain and the prover are
// reached through the small interfaces declared here and in server, so that
// the daemon command wires package zk and the chain client in.
package miner
