package hw

import (
	"errors"
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// ErrNoLibrary reports that the NVML shared library (libnvidia-ml.so) could
// not be loaded: the machine has no NVIDIA driver, so it is CPU-only.
var ErrNoLibrary = errors.New("nvml library not found")

// NVML is the handful of NVML calls the inventory uses. Every method returns
// a non-nil error on failure instead of an NVML return code; implementations
// must not panic.
type NVML interface {
	// Init loads and initialises the library; ErrNoLibrary (wrapped) when
	// it is absent.
	Init() error
	// Shutdown releases what Init acquired.
	Shutdown() error
	// SystemGetDriverVersion is the kernel driver version, e.g. "550.54.15".
	SystemGetDriverVersion() (string, error)
	// SystemGetCudaDriverVersion is the CUDA driver API version encoded as
	// 1000*major + 10*minor (12040 is CUDA 12.4).
	SystemGetCudaDriverVersion() (int, error)
	// DeviceGetCount is the number of GPUs visible to the process.
	DeviceGetCount() (int, error)
	// DeviceGetHandleByIndex returns GPU i, 0 <= i < DeviceGetCount().
	DeviceGetHandleByIndex(i int) (Device, error)
}

// Device is one GPU as NVML sees it.
type Device interface {
	// GetName is the product name, e.g. "NVIDIA H100 80GB HBM3".
	GetName() (string, error)
	// GetUUID is the stable device identifier, e.g. "GPU-5f1c...".
	GetUUID() (string, error)
	// GetMemoryInfo is the framebuffer memory in bytes.
	GetMemoryInfo() (Memory, error)
	// GetUtilizationRates is the utilisation over the last sample period,
	// in percent (0..100).
	GetUtilizationRates() (Utilization, error)
}

// Memory is a GPU's framebuffer memory in bytes.
type Memory struct {
	Total, Used uint64
}

// Utilization is a GPU's recent utilisation in percent (0..100): GPU is the
// fraction of time a kernel ran, Memory the fraction of time memory was
// read or written.
type Utilization struct {
	GPU, Memory uint32
}

// NewNVML returns the real NVML over github.com/NVIDIA/go-nvml. Creating it
// loads nothing; Init loads the library and fails with ErrNoLibrary on a
// machine without the NVIDIA driver.
func NewNVML() NVML { return realNVML{lib: nvml.New()} }

type realNVML struct{ lib nvml.Interface }

// retErr turns an NVML return code into an error (nil on SUCCESS).
func retErr(op string, r nvml.Return) error {
	switch r {
	case nvml.SUCCESS:
		return nil
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return fmt.Errorf("nvml %s: %w", op, ErrNoLibrary)
	default:
		return fmt.Errorf("nvml %s: %s (code %d)", op, nvml.ErrorString(r), int32(r))
	}
}

func (n realNVML) Init() (err error) {
	defer recoverInto(&err, "init")
	return retErr("init", n.lib.Init())
}

func (n realNVML) Shutdown() (err error) {
	defer recoverInto(&err, "shutdown")
	return retErr("shutdown", n.lib.Shutdown())
}

func (n realNVML) SystemGetDriverVersion() (string, error) {
	v, r := n.lib.SystemGetDriverVersion()
	return v, retErr("driver version", r)
}

func (n realNVML) SystemGetCudaDriverVersion() (int, error) {
	v, r := n.lib.SystemGetCudaDriverVersion()
	return v, retErr("cuda driver version", r)
}

func (n realNVML) DeviceGetCount() (int, error) {
	c, r := n.lib.DeviceGetCount()
	return c, retErr("device count", r)
}

func (n realNVML) DeviceGetHandleByIndex(i int) (Device, error) {
	d, r := n.lib.DeviceGetHandleByIndex(i)
	if err := retErr(fmt.Sprintf("device %d", i), r); err != nil {
		return nil, err
	}
	return realDevice{d: d}, nil
}

type realDevice struct{ d nvml.Device }

func (d realDevice) GetName() (string, error) {
	v, r := d.d.GetName()
	return v, retErr("name", r)
}

func (d realDevice) GetUUID() (string, error) {
	v, r := d.d.GetUUID()
	return v, retErr("uuid", r)
}

func (d realDevice) GetMemoryInfo() (Memory, error) {
	m, r := d.d.GetMemoryInfo()
	return Memory{Total: m.Total, Used: m.Used}, retErr("memory info", r)
}

func (d realDevice) GetUtilizationRates() (Utilization, error) {
	u, r := d.d.GetUtilizationRates()
	return Utilization{GPU: u.Gpu, Memory: u.Memory}, retErr("utilization", r)
}

// recoverInto turns a panic inside the cgo wrapper (seen with broken driver
// installs) into an error, so the miner degrades to CPU-only instead of
// crashing.
func recoverInto(err *error, op string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("nvml %s: panic: %v", op, p)
	}
}
