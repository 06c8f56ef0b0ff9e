package zk

import (
	"errors"
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	icicle "github.com/consensys/gnark/backend/groth16/bn254/icicle"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// Prover backends, as Prover.Backend and the miner's /v1/info report them.
const (
	// BackendCPU is gnark's native Go prover (every build).
	BackendCPU = "cpu"
	// BackendIcicleGPU is gnark's ICICLE prover on CUDA device 0 (only in
	// a binary built with `-tags icicle`, see `make build-gpu`).
	BackendIcicleGPU = "icicle-gpu"
)

// GPUBuild reports whether this binary was built with gnark's `icicle` build
// tag, that is whether WithGPU can work at all.
const GPUBuild = icicle.HasIcicle

// ErrNoGPU reports a GPU prover that cannot run: a binary built without the
// `icicle` tag, or (in one built with it) no usable CUDA device or ICICLE
// backend library.
var ErrNoGPU = errors.New("zk: GPU prover unavailable")

// ProverOption configures NewProver.
type ProverOption func(*proverConfig)

type proverConfig struct{ gpu bool }

// WithGPU selects the ICICLE GPU prover. NewProver fails with ErrNoGPU when
// the binary was built without the `icicle` tag or no CUDA device answers.
func WithGPU() ProverOption { return func(c *proverConfig) { c.gpu = true } }

// newProvingKey returns an empty BN254 proving key of the type this build's
// groth16.Prove expects, and the native key inside it (what the decoder and
// the size checks use). Under the `icicle` tag gnark's groth16.Prove asserts
// an *icicle.ProvingKey (which embeds the native key and caches the
// device-side copies); without it a *groth16bn254.ProvingKey.
//
// For the GPU, groth16.NewProvingKey loads the ICICLE backend and warms up
// CUDA device 0; gnark panics when that fails, which becomes ErrNoGPU. A CPU
// prover in an icicle build takes the zero icicle key instead, which never
// touches the device (icicle.Prove falls back to the native prover when the
// ICICLE accelerator option is not given).
func newProvingKey(gpu bool) (gk groth16.ProvingKey, native *groth16bn254.ProvingKey, err error) {
	switch {
	case gpu && !GPUBuild:
		return nil, nil, fmt.Errorf("%w: this binary was built without the icicle tag (build it with `make build-gpu`, which needs the ICICLE libraries and CUDA)", ErrNoGPU)
	case gpu:
		if err := gpuInit(); err != nil {
			return nil, nil, err
		}
		gk = groth16.NewProvingKey(ecc.BN254)
	case GPUBuild:
		gk = new(icicle.ProvingKey)
	default:
		gk = groth16.NewProvingKey(ecc.BN254)
	}
	switch k := gk.(type) {
	case *groth16bn254.ProvingKey:
		return k, k, nil
	case *icicle.ProvingKey:
		return k, &k.ProvingKey, nil
	default:
		return nil, nil, fmt.Errorf("zk: unexpected BN254 proving key type %T", gk)
	}
}

var (
	gpuOnce sync.Once
	gpuErr  error
)

// gpuInit loads the ICICLE backend and warms up CUDA device 0 once per
// process (through groth16.NewProvingKey), turning gnark's panic on failure
// into ErrNoGPU. gnark's own sync.Once does not retry after a panic, so the
// failure is remembered here and every later WithGPU prover fails alike.
func gpuInit() error {
	gpuOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				gpuErr = fmt.Errorf("%w: %v (is there a CUDA device, and ICICLE_BACKEND_INSTALL_DIR set to the ICICLE CUDA backend's lib/backend directory?)", ErrNoGPU, r)
			}
		}()
		groth16.NewProvingKey(ecc.BN254)
	})
	return gpuErr
}

// nativeSetup is groth16.Setup for a BN254 R1CS on the CPU in every build.
// Under the icicle tag gnark's groth16.Setup returns an icicle key and first
// warms up the GPU, panicking on a machine without one; the setup itself is
// the same native computation either way, and keys travel as bytes.
func nativeSetup(ccs constraint.ConstraintSystem) (*groth16bn254.ProvingKey, *groth16bn254.VerifyingKey, error) {
	r, ok := ccs.(*csbn254.R1CS)
	if !ok {
		return nil, nil, fmt.Errorf("zk: setup of a %T, want a BN254 R1CS", ccs)
	}
	var pk groth16bn254.ProvingKey
	var vk groth16bn254.VerifyingKey
	if err := groth16bn254.Setup(r, &pk, &vk); err != nil {
		return nil, nil, err
	}
	return &pk, &vk, nil
}

// proveOptions are gnark's prover options for the backend.
func (c proverConfig) proveOptions() []backend.ProverOption {
	if c.gpu {
		return []backend.ProverOption{backend.WithIcicleAcceleration()}
	}
	return nil
}

func (c proverConfig) backend() string {
	if c.gpu {
		return BackendIcicleGPU
	}
	return BackendCPU
}
