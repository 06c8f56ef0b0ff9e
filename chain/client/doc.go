// Package client talks to a Veritensor node over CometBFT's RPC: it builds,
// signs and broadcasts transactions (looking up nonces and retrying on a nonce
// race), waits for them to commit, and queries accounts, blocks, transactions
// and any ABCI query path (/account/<addr>, /params, /supply, and the routes
// other modules register). The CLI, the miner and the validator all use it.
//
// Files: client.go (Client, transactions and generic queries), protocol.go,
// ceremony.go, info.go and prove.go (typed queries of the subnet protocol,
// the ceremonies, node info and ics23 proofs), and what the miner and
// validator daemons share: session.go (Session, a Client bound to one subnet
// and one hotkey; ErrNotRegistered), options.go (Options: fee, transaction
// timeout, retries, with their defaults) and retry.go (Retry, which never
// retries an answer of the chain, Backoff and Sleep).
package client
