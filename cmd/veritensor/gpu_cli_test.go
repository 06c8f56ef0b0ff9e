package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/miner"
	"github.com/veritensor/veritensor/miner/hw"
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
		{"miner --gpu", append(base, "--gpu"), "gpu: this binary was built without GPU support", miner.ErrConfig},
		{"miner config gpu = true", append(base, "--config", writeFile(t, dir, "g.toml", "gpu = true\n")), "make build-gpu", miner.ErrConfig},
		{"zk prove --gpu", []string{"zk", "prove", "--gpu", "--model", shippedModel, "--input", "mnist:0", "--out", filepath.Join(dir, "p.json")}, "make build-gpu", zk.ErrNoGPU},
	})
}

// TestPrintHWMIG: veritensor hw's text shows compute capability, MIG mode
// and devices, and unknown (not supported) utilisation as unknown.
func TestPrintHWMIG(t *testing.T) {
	s := hw.Summary{CPUCores: 8, GPUs: []hw.GPU{
		{Index: 0, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-1", MemoryTotal: 80 << 30, ComputeCapability: "9.0",
			MIGMode: "enabled", Unsupported: []string{"utilization"},
			MIGDevices: []hw.MIGDevice{{Index: 2, Name: "NVIDIA H100 80GB HBM3 MIG 1g.10gb", UUID: "MIG-x", GPUInstance: 9, MemoryTotal: 10 << 30}}},
		{Index: 1, Name: "Tesla K80", UUID: "GPU-2", UtilGPU: 5, MIGPendingMode: "enabled"},
	}}
	var b strings.Builder
	if err := printHW(&b, s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range []string{"util unknown, compute capability 9.0, MIG enabled", "mig 2:", "MIG-x", "gpu instance 9",
		"util 5% (mem 0%), compute capability unknown, MIG unknown", "MIG enabled after the next GPU reset"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}
