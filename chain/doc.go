// Package chain is the Veritensor blockchain application: a deterministic state
// machine over a sorted in-memory key-value view (State with ExecTx and
// EndBlock), the canonical signed transaction envelope with a handler table
// keyed by message type, the stable error-code table, the subnet protocol
// (subnets, neurons, stake, weights, proofs of model, epochs, setup
// ceremonies), a badger-backed store whose app hash is the root of an IAVL
// tree, and a thin ABCI 2.0 adapter (App) for CometBFT v0.38.
//
// Layering, from the inside out:
//
//   - codec.go, tx.go, msg.go, address.go, errors.go: the wire format (a
//     documented binary encoding), sign bytes, the Msg interface with its
//     RegisterMsg table, and the append-only error codes. No state.
//   - kv.go, state.go, account.go, transfer.go, fees.go, genesis.go: the pure
//     state machine. State.ExecTx is the one validation-and-execution path;
//     State.EndBlock runs the end-of-block hooks in the explicit, ordered
//     list endBlockers (the order is consensus). No I/O, no clock, no
//     goroutines, no map-order iteration, no floats; block time and hash come
//     from the header only.
//   - The subnet protocol, a file per concept: protocol_keys.go (the state
//     key layout), hash32.go, state_json.go (JSON-valued entries),
//     tokenomics.go (counted mint and burn, the supply invariants),
//     subnet.go, neuron.go, stake.go, weights.go, proof.go, epoch.go (emission
//     and the Yuma epoch through package scoring), ceremony.go and
//     ceremony_msg.go (the Groth16 setup ceremony), validators.go (the
//     proof-of-authority validator set).
//   - apphash.go, treedb.go, store.go, snapshot.go, prove.go: how a block's
//     sorted change set reaches badger atomically with the IAVL tree whose
//     root is the app hash, state-sync snapshots, and ics23 proofs of keys.
//   - abci.go, mempool.go, query.go, protocol_query.go, ceremony_query.go,
//     metrics.go: the ABCI adapter. CheckTx, PrepareProposal, ProcessProposal
//     and FinalizeBlock all call State.ExecTx (through App.runTx); CheckTx
//     puts the proof admission policy of mempool.go in front of it.
//
// A new transaction type is one file with a Msg implementation registered with
// RegisterMsg from init (the table is keyed by type, so file order does not
// matter); new end-of-block work is an entry in endBlockers; nothing in the
// envelope, the adapter or the store changes. See docs/chain.md and
// docs/protocol.md for the byte-level specification. Sub-packages: client
// (the RPC client and the retry policy the daemons share), node (a CometBFT
// node around App), keys, testnet (real nodes on loopback), ceremonytest (a
// test helper) and subnettest (the subnet protocol's integration test).
package chain
