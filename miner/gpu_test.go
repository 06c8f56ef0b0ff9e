package miner

import (
	"errors"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/miner/hw"
	"github.com/veritensor/veritensor/zk"
)

func TestConfigGPUWithoutIcicle(t *testing.T) {
	c := DefaultConfig()
	c.Model = "m.vtm"
	c.GPU = true
	err := c.Validate()
	if zk.GPUBuild {
		if err != nil {
			t.Fatalf("icicle build refuses gpu: %v", err)
		}
		return
	}
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "gpu") || !strings.Contains(err.Error(), "make build-gpu") {
		t.Fatalf("gpu without the icicle tag: %v", err)
	}
}

func TestGPUDeviceName(t *testing.T) {
	if got := gpuDevice(hw.Summary{}); !strings.Contains(got, "no GPU") {
		t.Errorf("no GPUs: %q", got)
	}
	s := hw.Summary{GPUs: []hw.GPU{{Index: 0, Name: "NVIDIA H200"}, {Index: 1, Name: "NVIDIA L4"}}}
	if got := gpuDevice(s); got != "NVIDIA H200" {
		t.Errorf("device %q, want the first GPU", got)
	}
	s.GPUs[0].ComputeCapability = "9.0"
	if got := gpuDevice(s); got != "NVIDIA H200 (compute capability 9.0)" {
		t.Errorf("device %q", got)
	}
}
