// Package validator is the validator daemon's engine: every tempo it
// challenges the subnet's serving miners with signed requests, verifies each
// answer's Groth16 proof against the miner's on-chain model commitment and the
// subnet's verifying key (under the subnet's proof scheme, Subnet.Scheme: the
// hash circuit's or the commit circuit's verifier, zk.NewSingleVerifier),
// scores accuracy on held-out labelled inputs,
// latency and availability, keeps a per-miner EMA, and turns it into a u16
// weight row that it commits (and reveals the next tempo) or sets.
//
// The engine talks to the chain only through two small interfaces, Chain
// (reads) and WeightsSubmitter (transactions), so it runs the same against a
// real node (ChainClient: ABCI queries and signed transactions over CometBFT's
// RPC, new blocks over its websocket) and a test double. RunDaemon wires a
// DaemonConfig (flags and config file of `veritensor validator run`; its
// defaults and its check of the challenge settings are the engine Config's
// too) to a keyring, the task's held-out data (internal/task.LoadHeldOut),
// a ChainClient, the engine and a /metrics endpoint. Everything it
// must not forget across a restart (EMA scores, commits and their salts) is
// written atomically to <home>/validator-state.json before any transaction
// that depends on it is sent, so a restarted validator reveals what it
// committed and never submits twice for one tempo.
//
// A tempo's work, in order (Validator.Step):
//  1. reveal the weights committed in the previous epoch (commit-reveal);
//  2. plan the challenges with the tempo's secret (TempoSecret): per miner,
//     Graded held-out inputs and Decoys of the same distribution, each put
//     through a seeded label-preserving Transform and shuffled, so a miner
//     cannot tell which are graded; their hash (ChallengeSetHash) goes into
//     the commit's salt and the reveal discloses the secret, for audits;
//  3. query every serving miner concurrently (bounded concurrency, per-request
//     timeout, a per-miner budget, bounded answer size; the first bad answer
//     ends a miner's tempo), verify every proof, score (quality-gated:
//     scoreMiner) until a deadline that leaves the commit time to land;
//     endpoints are dialed only where the EndpointPolicy allows;
//  4. fold the tempo's scores into the EMA, normalise to weights, persist,
//     then commit-weights (or set-weights, within the rate limit). A
//     shutdown mid-tempo discards the tempo instead (nothing scored or
//     saved), and the restarted engine redoes it.
//
// ChainClient is a chain/client.Session (options, retry policy,
// ErrNotRegistered) with the engine's reads and weight transactions; the
// miner's ChainClient shares the same Session.
package validator
