// Package hw takes the miner's hardware inventory: the NVIDIA GPUs seen
// through NVML (name, UUID, memory, utilisation, compute capability, MIG mode
// and devices, driver and CUDA versions)
// or, when the NVML library is absent or fails, a CPU-only summary (cores and
// memory) so the miner keeps working on machines without a GPU.
//
// NVML is reached through the small NVML interface; NewNVML returns the real
// implementation over github.com/NVIDIA/go-nvml, and tests inject faults
// through a fake. Summary.Canonical is the compact, bounded string the miner
// puts in its on-chain serve transaction.
package hw
