package hw

import (
	"errors"
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// ErrNoLibrary reports that the NVML shared library (libnvidia-ml.so) could
// not be loaded: the machine has no NVIDIA driver, so it is CPU-only.
var ErrNoLibrary = errors.New("nvml library not found")

// ErrNotSupported reports an NVML call the device or driver does not support
// (NVML's ERROR_NOT_SUPPORTED: utilisation of a MIG-enabled GPU, MIG on a GPU
// without it, compute capability on an old driver). The inventory records
// the field as unknown; it is neither a warning nor a failure.
var ErrNotSupported = errors.New("not supported")

// ErrNotFound reports an NVML object that does not exist (ERROR_NOT_FOUND):
// an empty MIG slot below GetMaxMigDeviceCount.
var ErrNotFound = errors.New("not found")

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
	// GetCudaComputeCapability is the CUDA compute capability, e.g. 9, 0
	// for an H100.
	GetCudaComputeCapability() (major, minor int, err error)
	// GetMigMode is the current and pending MIG mode (MIGEnabled or
	// MIGDisabled; pending differs from current until the GPU is reset).
	GetMigMode() (current, pending int, err error)
	// GetMaxMigDeviceCount is the number of MIG device slots of a GPU in
	// MIG mode; slots may be empty (ErrNotFound).
	GetMaxMigDeviceCount() (int, error)
	// GetMigDeviceHandleByIndex returns the MIG device in slot i of this
	// GPU, 0 <= i < GetMaxMigDeviceCount(); ErrNotFound for an empty slot.
	GetMigDeviceHandleByIndex(i int) (Device, error)
	// GetGpuInstanceId and GetComputeInstanceId identify a MIG device
	// within its GPU.
	GetGpuInstanceId() (int, error)
	GetComputeInstanceId() (int, error)
}

// MIG modes of Device.GetMigMode (NVML's DEVICE_MIG_DISABLE/ENABLE).
const (
	MIGDisabled = nvml.DEVICE_MIG_DISABLE
	MIGEnabled  = nvml.DEVICE_MIG_ENABLE
)

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
	case nvml.ERROR_NOT_SUPPORTED:
		return fmt.Errorf("nvml %s: %w", op, ErrNotSupported)
	case nvml.ERROR_NOT_FOUND:
		return fmt.Errorf("nvml %s: %w", op, ErrNotFound)
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

func (n realNVML) SystemGetDriverVersion() (v string, err error) {
	defer recoverInto(&err, "driver version")
	v, r := n.lib.SystemGetDriverVersion()
	return v, retErr("driver version", r)
}

func (n realNVML) SystemGetCudaDriverVersion() (v int, err error) {
	defer recoverInto(&err, "cuda driver version")
	v, r := n.lib.SystemGetCudaDriverVersion()
	return v, retErr("cuda driver version", r)
}

func (n realNVML) DeviceGetCount() (c int, err error) {
	defer recoverInto(&err, "device count")
	c, r := n.lib.DeviceGetCount()
	return c, retErr("device count", r)
}

func (n realNVML) DeviceGetHandleByIndex(i int) (dev Device, err error) {
	defer recoverInto(&err, fmt.Sprintf("device %d", i))
	d, r := n.lib.DeviceGetHandleByIndex(i)
	if err := retErr(fmt.Sprintf("device %d", i), r); err != nil {
		return nil, err
	}
	return realDevice{d: d}, nil
}

type realDevice struct{ d nvml.Device }

func (d realDevice) GetName() (v string, err error) {
	defer recoverInto(&err, "name")
	v, r := d.d.GetName()
	return v, retErr("name", r)
}

func (d realDevice) GetUUID() (v string, err error) {
	defer recoverInto(&err, "uuid")
	v, r := d.d.GetUUID()
	return v, retErr("uuid", r)
}

func (d realDevice) GetMemoryInfo() (_ Memory, err error) {
	defer recoverInto(&err, "memory info")
	m, r := d.d.GetMemoryInfo()
	return Memory{Total: m.Total, Used: m.Used}, retErr("memory info", r)
}

func (d realDevice) GetUtilizationRates() (_ Utilization, err error) {
	defer recoverInto(&err, "utilization")
	u, r := d.d.GetUtilizationRates()
	return Utilization{GPU: u.Gpu, Memory: u.Memory}, retErr("utilization", r)
}

func (d realDevice) GetCudaComputeCapability() (major, minor int, err error) {
	defer recoverInto(&err, "compute capability")
	major, minor, r := d.d.GetCudaComputeCapability()
	return major, minor, retErr("compute capability", r)
}

func (d realDevice) GetMigMode() (current, pending int, err error) {
	defer recoverInto(&err, "mig mode")
	current, pending, r := d.d.GetMigMode()
	return current, pending, retErr("mig mode", r)
}

func (d realDevice) GetMaxMigDeviceCount() (n int, err error) {
	defer recoverInto(&err, "max mig device count")
	n, r := d.d.GetMaxMigDeviceCount()
	return n, retErr("max mig device count", r)
}

func (d realDevice) GetMigDeviceHandleByIndex(i int) (dev Device, err error) {
	defer recoverInto(&err, "mig device")
	m, r := d.d.GetMigDeviceHandleByIndex(i)
	if err := retErr(fmt.Sprintf("mig device %d", i), r); err != nil {
		return nil, err
	}
	return realDevice{d: m}, nil
}

func (d realDevice) GetGpuInstanceId() (id int, err error) {
	defer recoverInto(&err, "gpu instance id")
	id, r := d.d.GetGpuInstanceId()
	return id, retErr("gpu instance id", r)
}

func (d realDevice) GetComputeInstanceId() (id int, err error) {
	defer recoverInto(&err, "compute instance id")
	id, r := d.d.GetComputeInstanceId()
	return id, retErr("compute instance id", r)
}

// recoverInto turns a panic inside the cgo wrapper (seen with broken driver
// installs, and with an nvml.Interface that lacks a call) into an error, so
// the miner degrades to fewer fields or CPU-only instead of crashing. Every
// realNVML and realDevice method defers it.
func recoverInto(err *error, op string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("nvml %s: panic: %v", op, p)
	}
}
