// Package miner is the miner daemon: RunDaemon serves proven inferences to
// the subnet's validators and submits one proof of model per epoch, from a
// Config loaded from a file and overridden by flags.
//
// Its parts: ChainClient reaches the chain for the epoch, submit-proof, serve
// and the metagraph (a chain/client.Session: the options, retry policy and
// ErrNotRegistered it shares with the validator); Follower keeps the permit set
// (validators with a permit, refreshed from the metagraph) and the on-chain
// endpoint and commitment in step; LoadProver loads the subnet's proving key
// from the key cache by the subnet's circuit (either proof scheme, hash or
// commit), checked against the chain's pk_hash, and returns its
// zk.SingleProver, whose ModelCommitment is what the daemon serves; EpochLoop proves
// and submits each epoch's challenge with the production prover (ZKProver).
// RunDaemon runs in named stages (setup, wait, load, start, run, cleanup).
// Fault injection for tests and the devnet (lazy, forger, copycat, offline)
// lives in package fault, behind one interface the stages ask; never for
// production.
//
// Subpackages: api is the wire protocol shared with validators, server the
// HTTP server, hw the hardware inventory, fault the fault injection.
package miner
