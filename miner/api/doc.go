// Package api is the wire protocol between validators and a miner's HTTP
// server: the JSON bodies of /v1/infer and /v1/info, the error body, and the
// request authentication (an ed25519 validator hotkey signing the method,
// path, body hash, timestamp and nonce of every request).
//
// The miner's server (package miner/server) verifies with Verifier; a
// validator calls miners with Client, which signs with Signer and reads
// bounded responses. docs/miner-api.md describes the same scheme for other
// implementations.
package api
