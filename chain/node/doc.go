// Package node runs a Veritensor chain node: CometBFT and the chain.App in one
// process over a local ABCI client, with the node's files under one home
// directory. It also writes new homes (InitHome, WriteGenesis) for `veritensor
// init` and the testnet helper.
//
// Home layout:
//
//	config/node.json               node settings (Config), read at start
//	config/genesis.json            CometBFT genesis; app_state is chain.Genesis
//	config/node_key.json           p2p key
//	config/priv_validator_key.json validator consensus key
//	data/                          CometBFT block store, state, WAL
//	data/app/                      badger: the application state
//	keys/                          account keyring (package keys)
package node
