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
// chain: the subnet's circuit ID must be a single-inference circuit this
// binary builds for its architecture, under either proof scheme
// (chain.TaskSpec.Scheme), and the cached proving and verifying keys of that
// circuit must hash to the subnet's pk_hash and vk_hash. A miss is an error,
// not a fresh setup: keys from another setup could never produce proofs the
// subnet accepts. opts choose the backend (zk.WithGPU; the commit scheme
// proves on the CPU only, and refuses it with an ErrConfig).
func LoadProver(keysDir string, si chain.SubnetInfo, opts ...zk.ProverOption) (zk.SingleProver, error) {
	arch, err := zk.ParseArch(si.Task.Arch)
	if err != nil {
		return nil, fmt.Errorf("%w: subnet %d architecture %q: %w", ErrProvingKey, si.ID, si.Task.Arch, err)
	}
	scheme, err := si.Task.Scheme()
	if err != nil {
		hid, cid := zk.SchemeHash.CircuitID(arch), zk.SchemeCommit.CircuitID(arch)
		return nil, fmt.Errorf("%w: subnet %d circuit %x is none this binary builds for %s (hash circuit %x version %d, "+
			"commit circuit %x version %d): upgrade veritensor",
			ErrProvingKey, si.ID, si.Task.CircuitID[:8], arch, hid[:8], zk.CircuitVersion, cid[:8], zk.CommitCircuitVersion)
	}
	kc, err := keycache.New(keysDir)
	if err != nil {
		return nil, err
	}
	path := kc.PathScheme(scheme, arch)
	keys, err := kc.LoadScheme(scheme, arch)
	switch {
	case errors.Is(err, keycache.ErrMiss):
		return nil, fmt.Errorf("%w: no proving key for %s (%s scheme) in %s: put the subnet's keys there (proving key SHA-256 %x, "+
			"from the subnet owner; `veritensor zk setup` makes NEW keys, which only match a subnet created with them): %w",
			ErrProvingKey, arch, scheme, path, si.Task.PKHash[:], err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrProvingKey, err)
	}
	if keys.PKHash != [32]byte(si.Task.PKHash) {
		return nil, fmt.Errorf("%w: the cached proving key for %s (%s) hashes to %x, subnet %d's pk_hash is %x: "+
			"these keys come from another setup than the subnet's; replace them with the subnet's keys (or point keys-dir elsewhere)",
			ErrProvingKey, arch, path, keys.PKHash, si.ID, si.Task.PKHash[:])
	}
	if keys.VKHash != [32]byte(si.Task.VKHash) {
		return nil, fmt.Errorf("%w: the cached verifying key for %s (%s) hashes to %x, subnet %d's vk_hash is %x",
			ErrProvingKey, arch, path, keys.VKHash, si.ID, si.Task.VKHash[:])
	}
	p, err := zk.NewSingleProver(scheme, arch, keys.PK, opts...)
	if errors.Is(err, zk.ErrNoGPU) {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrProvingKey, path, err)
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
