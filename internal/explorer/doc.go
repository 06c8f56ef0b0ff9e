// Package explorer serves Veritensor's read-only web explorer: the chain
// (height, validators, recent blocks and their decoded transactions), the
// subnets, a subnet's metagraph, per-UID pages with proof, weight and
// emission history, charts drawn as SVG on the server, and the same data as
// JSON under /api/. Everything it shows comes from one or more RPC nodes
// through chain/client and the chain's own query paths (docs/protocol.md);
// it decodes nothing itself. Its static assets are embedded: it works
// offline, with no CDN.
package explorer
