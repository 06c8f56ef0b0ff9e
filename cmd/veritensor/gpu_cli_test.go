package main

import (
	"path/filepath"
	"testing"

	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/zk"
)

// TestGPUFlagWithoutIcicle: in a binary built without the icicle tag,
// `miner --gpu`, gpu = true in a miner config file and `zk prove --gpu` fail
// at once with an error that names the setting and `make build-gpu`.
func TestGPUFlagWithoutIcicle(t *testing.T) {
	if zk.GPUBuild {
		t.Skip("built with -tags icicle")
	}
	home, dir := t.TempDir(), t.TempDir()
	base := []string{"miner", "--home", home, "--node", "http://127.0.0.1:1", "--model", shippedModel}
	runErrCases(t, []errCase{
		{"miner --gpu", append(base, "--gpu"), "gpu: this veritensor was built without GPU support", miner.ErrConfig},
		{"miner config gpu = true", append(base, "--config", writeFile(t, dir, "g.toml", "gpu = true\n")), "make build-gpu", miner.ErrConfig},
		{"zk prove --gpu", []string{"zk", "prove", "--gpu", "--model", shippedModel, "--input", "mnist:0", "--out", filepath.Join(dir, "p.json")}, "make build-gpu", zk.ErrNoGPU},
	})
}
