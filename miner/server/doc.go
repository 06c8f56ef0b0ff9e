// Package server is the miner's HTTP server: POST /v1/infer answers signed
// validator requests with the model's output and a proof, GET /v1/info says
// what the miner serves, GET /healthz and GET /metrics (Prometheus) are for
// operators.
//
// A request to /v1/infer passes, in order: a light per-IP rate limit, the
// freshness of its authentication headers (401), the caller's validator
// permit on the subnet (403), the body size limit (413), the signature (401),
// the replay cache (409), the caller's rate limit (429) and the body decoder
// (400). It then waits in a bounded queue ordered by the caller's stake and
// arrival (503 with Retry-After when full) for one of a fixed pool of proving
// workers, within a per-request timeout (504). Shutdown stops taking work
// and finishes the proofs already accepted.
//
// Proving and the validator set are reached through the Prover and Permits
// interfaces, which the daemon implements with package zk and the chain
// client.
package server
