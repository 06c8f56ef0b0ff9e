package miner

import "github.com/veritensor/veritensor/miner/hw"

// gpuDevice names the GPU the ICICLE prover runs on (CUDA device 0) for
// /v1/info: the first device NVML lists, with its compute capability when
// known ("NVIDIA H200 (compute capability 9.0)"). NVML orders devices by PCI
// bus and CUDA by default fastest first, so on a machine with different
// GPUs set CUDA_DEVICE_ORDER=PCI_BUS_ID (or CUDA_VISIBLE_DEVICES to one
// device) for the two to agree.
func gpuDevice(s hw.Summary) string {
	if len(s.GPUs) == 0 {
		return "unknown (NVML lists no GPU)"
	}
	g := s.GPUs[0]
	if g.ComputeCapability == "" {
		return g.Name
	}
	return g.Name + " (compute capability " + g.ComputeCapability + ")"
}
