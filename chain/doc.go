// Package chain is the Veritensor blockchain application: a deterministic state
// machine over a sorted in-memory key-value view (State, Apply, EndBlock), the
// canonical signed transaction envelope with a handler table keyed by message
// type, the stable error-code table, a badger-backed store that commits one
// atomic batch per block, and a thin ABCI 2.0 adapter (App) for CometBFT v0.38.
//
// Layering, from the inside out:
//
//   - codec.go, tx.go, errors.go: the wire format (a documented binary
//     encoding), sign bytes and error codes. No state.
//   - kv.go, state.go, account.go, transfer.go, genesis.go: the pure state
//     machine. No I/O, no clock, no goroutines, no map-order iteration, no
//     floats; block time and hash come from the header only.
//   - apphash.go, store.go: how a block's sorted change set becomes the app hash
//     and how it reaches badger atomically together with the height and hash.
//   - abci.go, query.go: the ABCI adapter. CheckTx, PrepareProposal,
//     ProcessProposal and FinalizeBlock all call the same function (App.runTx).
//
// New transaction types register themselves with RegisterMsg from an init
// function in their own file; nothing in the envelope, the adapter or the store
// changes. See docs/chain.md for the byte-level specification.
package chain
