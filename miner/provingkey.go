package miner

import (
	"errors"
	"fmt"
	"os"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/keycache"
	"github.com/veritensor/veritensor/zk"
)

// ErrProvingKey reports a proving key that cannot prove for the subnet:
// missing from the key directory, or not the key the chain's verifying key
// was made with.
var ErrProvingKey = errors.New("proving key")

// LoadProver loads the proving key of the subnet's circuit from the key
// cache in keysDir ("" is keycache.DefaultDir) and checks it against the
// chain: the circuit ID of the subnet's architecture must be the one this
// binary builds, and the cached proving and verifying keys must hash to the
// subnet's pk_hash and vk_hash. A miss is an error, not a fresh setup: keys
// from another setup could never produce proofs the subnet accepts. opts
// choose the backend (zk.WithGPU).
func LoadProver(keysDir string, si chain.SubnetInfo, opts ...zk.ProverOption) (*zk.Prover, error) {
	arch, err := zk.ParseArch(si.Task.Arch)
	if err != nil {
		return nil, fmt.Errorf("%w: subnet %d architecture %q: %w", ErrProvingKey, si.ID, si.Task.Arch, err)
	}
	if id := arch.CircuitID(); id != [32]byte(si.Task.CircuitID) {
		return nil, fmt.Errorf("%w: subnet %d circuit %x, this binary builds %x for %s (circuit version %d): upgrade veritensor",
			ErrProvingKey, si.ID, si.Task.CircuitID[:8], id[:8], arch, zk.CircuitVersion)
	}
	kc, err := keycache.New(keysDir)
	if err != nil {
		return nil, err
	}
	keys, err := kc.Load(arch)
	switch {
	case errors.Is(err, keycache.ErrMiss):
		return nil, fmt.Errorf("%w: no proving key for %s in %s: put the subnet's keys there (proving key SHA-256 %x, "+
			"from the subnet owner; `veritensor zk setup` makes NEW keys, which only match a subnet created with them): %w",
			ErrProvingKey, arch, kc.Path(arch), si.Task.PKHash[:], err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrProvingKey, err)
	}
	if keys.PKHash != [32]byte(si.Task.PKHash) {
		return nil, fmt.Errorf("%w: the cached proving key for %s (%s) hashes to %x, subnet %d's pk_hash is %x: "+
			"these keys come from another setup than the subnet's; replace them with the subnet's keys (or point keys-dir elsewhere)",
			ErrProvingKey, arch, kc.Path(arch), keys.PKHash, si.ID, si.Task.PKHash[:])
	}
	if keys.VKHash != [32]byte(si.Task.VKHash) {
		return nil, fmt.Errorf("%w: the cached verifying key for %s (%s) hashes to %x, subnet %d's vk_hash is %x",
			ErrProvingKey, arch, kc.Path(arch), keys.VKHash, si.ID, si.Task.VKHash[:])
	}
	p, err := zk.NewProver(arch, keys.PK, opts...)
	if errors.Is(err, zk.ErrNoGPU) {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrProvingKey, kc.Path(arch), err)
	}
	return p, nil
}

// LoadModel reads a quantized model file (.vtm) and checks that it has the
// subnet's architecture.
func LoadModel(path string, si chain.SubnetInfo) (*zk.Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: model: %v", ErrConfig, err)
	}
	m, err := zk.UnmarshalModel(b)
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: %w", ErrConfig, path, err)
	}
	if m.Arch.String() != si.Task.Arch {
		return nil, fmt.Errorf("%w: model %s is %s, subnet %d's task is %s", ErrConfig, path, m.Arch, si.ID, si.Task.Arch)
	}
	return m, nil
}
