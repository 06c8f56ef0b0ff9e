package hw

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeNVML is an injected-fault NVML: each field makes one call fail.
type fakeNVML struct {
	initErr, countErr, driverErr, cudaErr error
	shutdownErr                           error
	devices                               []fakeDevice
	handleErrAt                           int // index whose handle fails; -1 for none
	inited, shutdown                      int
}

type fakeDevice struct {
	name, uuid               string
	mem                      Memory
	util                     Utilization
	nameErr, memErr, utilErr error
	// Compute capability and MIG: ccMajor 0 answers ErrNotSupported
	// unless ccErr is set; migErr fails GetMigMode.
	ccMajor, ccMinor   int
	ccErr, migErr      error
	migCur, migPending int
	migSlots           []*fakeDevice // nil entries are empty slots
	migSlotsErr        error
	gi, ci             int
}

func (f *fakeNVML) Init() error                             { f.inited++; return f.initErr }
func (f *fakeNVML) Shutdown() error                         { f.shutdown++; return f.shutdownErr }
func (f *fakeNVML) SystemGetDriverVersion() (string, error) { return "550.54.15", f.driverErr }
func (f *fakeNVML) SystemGetCudaDriverVersion() (int, error) {
	return 12040, f.cudaErr
}
func (f *fakeNVML) DeviceGetCount() (int, error) { return len(f.devices), f.countErr }
func (f *fakeNVML) DeviceGetHandleByIndex(i int) (Device, error) {
	if i == f.handleErrAt {
		return nil, fmt.Errorf("nvml device %d: GPU is lost", i)
	}
	return f.devices[i], nil
}

func (d fakeDevice) GetName() (string, error)                  { return d.name, d.nameErr }
func (d fakeDevice) GetUUID() (string, error)                  { return d.uuid, nil }
func (d fakeDevice) GetMemoryInfo() (Memory, error)            { return d.mem, d.memErr }
func (d fakeDevice) GetUtilizationRates() (Utilization, error) { return d.util, d.utilErr }
func (d fakeDevice) GetCudaComputeCapability() (int, int, error) {
	if d.ccErr == nil && d.ccMajor == 0 {
		return 0, 0, fmt.Errorf("nvml compute capability: %w", ErrNotSupported)
	}
	return d.ccMajor, d.ccMinor, d.ccErr
}
func (d fakeDevice) GetMigMode() (int, int, error) { return d.migCur, d.migPending, d.migErr }
func (d fakeDevice) GetMaxMigDeviceCount() (int, error) {
	return len(d.migSlots), d.migSlotsErr
}
func (d fakeDevice) GetMigDeviceHandleByIndex(i int) (Device, error) {
	if d.migSlots[i] == nil {
		return nil, fmt.Errorf("nvml mig device %d: %w", i, ErrNotFound)
	}
	return *d.migSlots[i], nil
}
func (d fakeDevice) GetGpuInstanceId() (int, error)     { return d.gi, nil }
func (d fakeDevice) GetComputeInstanceId() (int, error) { return d.ci, nil }

func h100(i int) fakeDevice {
	return fakeDevice{
		name: "NVIDIA H100 80GB HBM3", uuid: fmt.Sprintf("GPU-%08d", i),
		mem:     Memory{Total: 80 << 30, Used: uint64(i+1) << 30},
		util:    Utilization{GPU: 40 + uint32(i), Memory: 7},
		ccMajor: 9, ccMinor: 0, migCur: MIGDisabled, migPending: MIGDisabled,
	}
}

func TestInventoryTwoGPUs(t *testing.T) {
	f := &fakeNVML{devices: []fakeDevice{h100(0), h100(1)}, handleErrAt: -1}
	s := Inventory(f)
	if s.CPUOnly || len(s.GPUs) != 2 {
		t.Fatalf("want 2 GPUs, got %+v", s)
	}
	if s.GPUs[1].UUID != "GPU-00000001" || s.GPUs[1].MemoryUsed != 2<<30 || s.GPUs[1].UtilGPU != 41 {
		t.Errorf("gpu 1 = %+v", s.GPUs[1])
	}
	if s.DriverVersion != "550.54.15" || s.CUDAVersion != "12.4" {
		t.Errorf("versions %q %q", s.DriverVersion, s.CUDAVersion)
	}
	if f.inited != 1 || f.shutdown != 1 {
		t.Errorf("init %d shutdown %d, want 1 and 1", f.inited, f.shutdown)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("unexpected warnings %v", s.Warnings)
	}
	c := s.Canonical()
	if !strings.HasSuffix(c, ";gpu=2xNVIDIA H100 80GB HBM3/80GiB;drv=550.54.15;cuda=12.4") {
		t.Errorf("canonical %q does not group the two GPUs", c)
	}
}

func TestInventoryFaults(t *testing.T) {
	cases := []struct {
		name     string
		f        *fakeNVML
		gpus     int
		cpuOnly  bool
		warnHas  string
		shutdown int
	}{
		{"library missing", &fakeNVML{initErr: fmt.Errorf("nvml init: %w", ErrNoLibrary), handleErrAt: -1}, 0, true, "nvml library not found", 0},
		{"init fails otherwise", &fakeNVML{initErr: errors.New("nvml init: driver/library version mismatch"), handleErrAt: -1}, 0, true, "version mismatch", 0},
		{"count fails", &fakeNVML{countErr: errors.New("nvml device count: unknown error"), devices: []fakeDevice{h100(0)}, handleErrAt: -1}, 0, true, "device count", 1},
		{"device lost mid-way", &fakeNVML{devices: []fakeDevice{h100(0), h100(1), h100(2)}, handleErrAt: 1}, 2, false, "GPU is lost", 1},
		{"only device lost", &fakeNVML{devices: []fakeDevice{h100(0)}, handleErrAt: 0}, 0, true, "GPU is lost", 1},
		{"shutdown fails", &fakeNVML{devices: []fakeDevice{h100(0)}, handleErrAt: -1, shutdownErr: errors.New("nvml shutdown: in use")}, 1, false, "nvml shutdown: in use", 1},
		{"field errors", &fakeNVML{devices: []fakeDevice{{nameErr: errors.New("name: not supported"), memErr: errors.New("mem: not supported"), utilErr: errors.New("util: not supported")}}, handleErrAt: -1, driverErr: errors.New("driver: no permission"), cudaErr: errors.New("cuda: no permission")}, 1, false, "util: not supported", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Inventory(tc.f)
			if len(s.GPUs) != tc.gpus || s.CPUOnly != tc.cpuOnly {
				t.Fatalf("gpus %d cpuOnly %v, want %d %v (%+v)", len(s.GPUs), s.CPUOnly, tc.gpus, tc.cpuOnly, s)
			}
			if s.CPUCores < 1 {
				t.Errorf("cpu cores %d", s.CPUCores)
			}
			if !strings.Contains(strings.Join(s.Warnings, "|"), tc.warnHas) {
				t.Errorf("warnings %q lack %q", s.Warnings, tc.warnHas)
			}
			if tc.f.shutdown != tc.shutdown {
				t.Errorf("shutdown called %d times, want %d", tc.f.shutdown, tc.shutdown)
			}
			if len(s.Canonical()) > MaxCanonicalLen {
				t.Errorf("canonical too long")
			}
		})
	}
}

// TestInventoryRealNVML runs the real go-nvml path. On a machine without
// the NVIDIA driver it must degrade to CPU-only; with one it must list GPUs.
func TestInventoryRealNVML(t *testing.T) {
	s := Inventory(NewNVML())
	if s.CPUCores < 1 || s.MemoryBytes == 0 {
		t.Fatalf("cpu fields missing: %+v", s)
	}
	if s.CPUOnly != (len(s.GPUs) == 0) {
		t.Fatalf("CPUOnly %v with %d GPUs", s.CPUOnly, len(s.GPUs))
	}
	t.Logf("inventory: %s (warnings %v)", s.Canonical(), s.Warnings)
	var back Summary
	if err := json.Unmarshal(s.JSON(), &back); err != nil || back.CPUCores != s.CPUCores {
		t.Fatalf("JSON round trip: %v %+v", err, back)
	}
}

func TestCanonicalBoundedAndClean(t *testing.T) {
	var s Summary
	s.CPUCores = 2
	for i := 0; i < 40; i++ {
		s.GPUs = append(s.GPUs, GPU{Name: fmt.Sprintf("GPU;model=%d,\x00\xff%s", i, strings.Repeat("x", 100)), MemoryTotal: uint64(i) << 30})
	}
	s.DriverVersion = "1;2"
	c := s.Canonical()
	if len(c) > MaxCanonicalLen {
		t.Fatalf("len %d > %d", len(c), MaxCanonicalLen)
	}
	for i := 0; i < len(c); i++ {
		if c[i] < 0x20 || c[i] > 0x7e {
			t.Fatalf("non-printable byte %#x at %d in %q", c[i], i, c)
		}
	}
	if strings.Contains(c, "model=") || strings.Contains(c, "drv=1;2") {
		t.Errorf("separator injected: %q", c)
	}
	// Deterministic whatever the device order.
	rev := Summary{CPUCores: 2, GPUs: []GPU{{Name: "B", MemoryTotal: 8 << 30}, {Name: "A", MemoryTotal: 8 << 30}, {Name: "B", MemoryTotal: 8 << 30}}}
	fwd := Summary{CPUCores: 2, GPUs: []GPU{{Name: "A", MemoryTotal: 8 << 30}, {Name: "B", MemoryTotal: 8 << 30}, {Name: "B", MemoryTotal: 8 << 30}}}
	if rev.Canonical() != fwd.Canonical() || !strings.Contains(fwd.Canonical(), "gpu=1xA/8GiB,2xB/8GiB") {
		t.Errorf("not canonical: %q vs %q", rev.Canonical(), fwd.Canonical())
	}
}

func TestParseMemTotal(t *testing.T) {
	got, err := parseMemTotal(strings.NewReader("MemFree: 1 kB\nMemTotal:       24684084 kB\n"))
	if err != nil || got != 24684084*1024 {
		t.Fatalf("got %d %v", got, err)
	}
	for _, bad := range []string{"", "MemTotal: x kB", "MemTotal: 99999999999999999999 kB"} {
		if _, err := parseMemTotal(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
