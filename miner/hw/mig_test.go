package hw

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

func notSupported(op string) error { return fmt.Errorf("nvml %s: %w", op, ErrNotSupported) }

func migSlice(name string, gi, ci int, gib uint64) *fakeDevice {
	return &fakeDevice{name: name, uuid: fmt.Sprintf("MIG-%d-%d", gi, ci), mem: Memory{Total: gib << 30}, gi: gi, ci: ci}
}

// TestInventoryComputeCapabilityAndMIG: compute capability, MIG mode and the
// MIG devices of a partitioned GPU (empty slots skipped), next to a GPU
// without MIG; utilisation that a MIG-enabled GPU does not support is
// unknown, not a warning.
func TestInventoryComputeCapabilityAndMIG(t *testing.T) {
	mig := h100(0)
	mig.migCur, mig.migPending = MIGEnabled, MIGEnabled
	mig.utilErr = notSupported("utilization")
	mig.migSlots = []*fakeDevice{migSlice("NVIDIA H100 80GB HBM3 MIG 3g.40gb", 1, 0, 40), nil, migSlice("NVIDIA H100 80GB HBM3 MIG 1g.10gb", 9, 0, 10), nil, nil, nil, nil}
	plain := h100(1)
	plain.migPending = MIGEnabled // enabled after the next reset
	s := Inventory(&fakeNVML{devices: []fakeDevice{mig, plain}, handleErrAt: -1})
	if len(s.Warnings) != 0 {
		t.Fatalf("warnings %v", s.Warnings)
	}
	g0, g1 := s.GPUs[0], s.GPUs[1]
	if g0.ComputeCapability != "9.0" || g0.MIGMode != "enabled" || g0.MIGPendingMode != "" {
		t.Errorf("gpu 0: cc %q mig %q pending %q", g0.ComputeCapability, g0.MIGMode, g0.MIGPendingMode)
	}
	if !slices.Equal(g0.Unsupported, []string{"utilization"}) || g0.UtilGPU != 0 {
		t.Errorf("gpu 0 unsupported %v util %d", g0.Unsupported, g0.UtilGPU)
	}
	want := []MIGDevice{
		{Index: 0, Name: "NVIDIA H100 80GB HBM3 MIG 3g.40gb", UUID: "MIG-1-0", GPUInstance: 1, ComputeInstance: 0, MemoryTotal: 40 << 30},
		{Index: 2, Name: "NVIDIA H100 80GB HBM3 MIG 1g.10gb", UUID: "MIG-9-0", GPUInstance: 9, ComputeInstance: 0, MemoryTotal: 10 << 30},
	}
	if !slices.Equal(g0.MIGDevices, want) {
		t.Errorf("mig devices %+v, want %+v", g0.MIGDevices, want)
	}
	if g1.MIGMode != "disabled" || g1.MIGPendingMode != "enabled" || len(g1.MIGDevices) != 0 || g1.Unsupported != nil {
		t.Errorf("gpu 1: %+v", g1)
	}
	// The on-chain canonical form is unchanged (v1): MIG and compute
	// capability are in the JSON inventory only.
	if c := s.Canonical(); !strings.HasSuffix(c, ";gpu=2xNVIDIA H100 80GB HBM3/80GiB;drv=550.54.15;cuda=12.4") || !strings.HasPrefix(c, "v1;") {
		t.Errorf("canonical %q", c)
	}
	js := string(s.JSON())
	for _, w := range []string{`"compute_capability":"9.0"`, `"mig_mode":"enabled"`, `"mig_devices":[{"index":0,`, `"uuid":"MIG-9-0"`, `"unsupported":["utilization"]`, `"mig_pending_mode":"enabled"`} {
		if !strings.Contains(js, w) {
			t.Errorf("JSON lacks %s: %s", w, js)
		}
	}
}

// TestInventoryNotSupportedIsUnknown: a device and driver that answer
// ERROR_NOT_SUPPORTED to every optional call still make a GPU inventory,
// with no warnings, the fields listed as unsupported and left out of the
// JSON.
func TestInventoryNotSupportedIsUnknown(t *testing.T) {
	d := fakeDevice{name: "Tesla K80", uuid: "GPU-k80", mem: Memory{Total: 12 << 30},
		utilErr: notSupported("utilization"), ccErr: notSupported("compute capability"), migErr: notSupported("mig mode")}
	f := &fakeNVML{devices: []fakeDevice{d}, handleErrAt: -1, cudaErr: notSupported("cuda driver version")}
	s := Inventory(f)
	if s.CPUOnly || len(s.GPUs) != 1 || len(s.Warnings) != 0 {
		t.Fatalf("cpuOnly %v gpus %d warnings %v", s.CPUOnly, len(s.GPUs), s.Warnings)
	}
	g := s.GPUs[0]
	if !slices.Equal(g.Unsupported, []string{"utilization", "compute_capability", "mig_mode"}) {
		t.Errorf("unsupported %v", g.Unsupported)
	}
	if g.ComputeCapability != "" || g.MIGMode != "" || g.MIGDevices != nil || s.CUDAVersion != "" {
		t.Errorf("unknown fields filled: %+v cuda %q", g, s.CUDAVersion)
	}
	js := string(s.JSON())
	if strings.Contains(js, `"compute_capability":`) || strings.Contains(js, `"mig_mode":`) || strings.Contains(js, `"cuda_version":`) {
		t.Errorf("unknown fields in JSON: %s", js)
	}
	// The same calls failing otherwise are warnings.
	d.utilErr, d.ccErr, d.migErr = errors.New("nvml utilization: unknown error"), errors.New("nvml compute capability: GPU is lost"), errors.New("nvml mig mode: no permission")
	s = Inventory(&fakeNVML{devices: []fakeDevice{d}, handleErrAt: -1})
	if len(s.Warnings) != 3 || s.GPUs[0].Unsupported != nil {
		t.Errorf("warnings %v unsupported %v", s.Warnings, s.GPUs[0].Unsupported)
	}
}

// TestInventoryMIGFaults: MIG slots that cannot be counted or read, and an
// implausible slot count, leave the GPU in the inventory.
func TestInventoryMIGFaults(t *testing.T) {
	base := h100(0)
	base.migCur, base.migPending = MIGEnabled, MIGEnabled
	cases := []struct {
		name    string
		mod     func(d *fakeDevice)
		devices int
		warnHas string
	}{
		{"slot count not supported", func(d *fakeDevice) { d.migSlotsErr = notSupported("max mig device count") }, 0, ""},
		{"slot count fails", func(d *fakeDevice) { d.migSlotsErr = errors.New("nvml max mig device count: unknown error") }, 0, "max mig device count"},
		{"too many slots", func(d *fakeDevice) { d.migSlots = make([]*fakeDevice, maxMIGSlots+1) }, 0, "MIG slots"},
		{"all slots empty", func(d *fakeDevice) { d.migSlots = make([]*fakeDevice, 7) }, 0, ""},
		{"implausible compute capability", func(d *fakeDevice) { d.ccMajor, d.ccMinor = 1000, -1 }, 0, "implausible"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := base
			tc.mod(&d)
			s := Inventory(&fakeNVML{devices: []fakeDevice{d}, handleErrAt: -1})
			if len(s.GPUs) != 1 || len(s.GPUs[0].MIGDevices) != tc.devices {
				t.Fatalf("%+v", s)
			}
			w := strings.Join(s.Warnings, "|")
			if (tc.warnHas == "") != (w == "") || !strings.Contains(w, tc.warnHas) {
				t.Errorf("warnings %q, want %q", w, tc.warnHas)
			}
		})
	}
}

// TestRetErrMapping: the production mapping of NVML return codes.
func TestRetErrMapping(t *testing.T) {
	for _, tc := range []struct {
		r    nvml.Return
		want error
	}{
		{nvml.ERROR_NOT_SUPPORTED, ErrNotSupported},
		{nvml.ERROR_NOT_FOUND, ErrNotFound},
		{nvml.ERROR_LIBRARY_NOT_FOUND, ErrNoLibrary},
	} {
		if err := retErr("op", tc.r); !errors.Is(err, tc.want) {
			t.Errorf("%v: %v, want %v", tc.r, err, tc.want)
		}
	}
	if retErr("op", nvml.SUCCESS) != nil {
		t.Error("SUCCESS is an error")
	}
	err := retErr("op", nvml.ERROR_GPU_IS_LOST)
	if err == nil || errors.Is(err, ErrNotSupported) || errors.Is(err, ErrNotFound) {
		t.Errorf("GPU lost: %v", err)
	}
}

// TestRealNVMLOverMockServer runs the production wrappers (realNVML,
// realDevice) over go-nvml's own mock of a DGX H100 (8 GPUs) instead of the
// C library: compute capability 9.0 for each GPU; on GPU 0 MIG enabled with
// two MIG devices in slots 0 and 3 and utilisation answering
// ERROR_NOT_SUPPORTED; on GPU 1 MIG mode not supported; on GPU 2 a call the
// mock lacks (it panics) becomes a warning instead of a crash.
func TestRealNVMLOverMockServer(t *testing.T) {
	srv := dgxh100.New()
	for i, d := range srv.Devices {
		md := d.(*server.Device)
		if i != 2 {
			md.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
				return nvml.Utilization{Gpu: 12, Memory: 3}, nvml.SUCCESS
			}
		}
	}
	g0 := srv.Devices[0].(*server.Device)
	if r, _ := g0.SetMigMode(nvml.DEVICE_MIG_ENABLE); r != nvml.SUCCESS {
		t.Fatalf("set mig mode: %v", r)
	}
	g0.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) { return nvml.Utilization{}, nvml.ERROR_NOT_SUPPORTED }
	migDev := func(gi int, gib uint64) nvml.Device {
		return &mock.Device{
			GetNameFunc:              func() (string, nvml.Return) { return "NVIDIA H100 80GB HBM3 MIG 1g.10gb", nvml.SUCCESS },
			GetUUIDFunc:              func() (string, nvml.Return) { return fmt.Sprintf("MIG-%d", gi), nvml.SUCCESS },
			GetGpuInstanceIdFunc:     func() (int, nvml.Return) { return gi, nvml.SUCCESS },
			GetComputeInstanceIdFunc: func() (int, nvml.Return) { return 0, nvml.SUCCESS },
			GetMemoryInfoFunc:        func() (nvml.Memory, nvml.Return) { return nvml.Memory{Total: gib << 30}, nvml.SUCCESS },
		}
	}
	g0.GetMaxMigDeviceCountFunc = func() (int, nvml.Return) { return 7, nvml.SUCCESS }
	g0.GetMigDeviceHandleByIndexFunc = func(n int) (nvml.Device, nvml.Return) {
		switch n {
		case 0:
			return migDev(13, 10), nvml.SUCCESS
		case 3:
			return migDev(14, 10), nvml.SUCCESS
		}
		return nil, nvml.ERROR_NOT_FOUND
	}
	srv.Devices[1].(*server.Device).GetMigModeFunc = func() (int, int, nvml.Return) { return 0, 0, nvml.ERROR_NOT_SUPPORTED }

	s := Inventory(realNVML{lib: srv})
	if s.CPUOnly || len(s.GPUs) != 8 || s.DriverVersion != "550.54.15" || s.CUDAVersion != "12.4" {
		t.Fatalf("inventory %+v", s)
	}
	for _, g := range s.GPUs {
		if g.ComputeCapability != "9.0" || g.Name != "NVIDIA H100 80GB HBM3" || g.MemoryTotal != 80<<30 {
			t.Errorf("gpu %d: %+v", g.Index, g)
		}
	}
	if g := s.GPUs[0]; g.MIGMode != "enabled" || len(g.MIGDevices) != 2 || g.MIGDevices[1].Index != 3 ||
		g.MIGDevices[1].UUID != "MIG-14" || g.MIGDevices[0].GPUInstance != 13 || !slices.Equal(g.Unsupported, []string{"utilization"}) {
		t.Errorf("gpu 0: %+v", g)
	}
	if g := s.GPUs[1]; g.MIGMode != "" || !slices.Equal(g.Unsupported, []string{"mig_mode"}) || g.UtilGPU != 12 {
		t.Errorf("gpu 1: %+v", g)
	}
	if g := s.GPUs[3]; g.MIGMode != "disabled" || g.Unsupported != nil {
		t.Errorf("gpu 3: %+v", g)
	}
	// GPU 2's utilisation call is missing from the mock: a recovered panic,
	// reported as one warning.
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "gpu 2: nvml utilization: panic") {
		t.Errorf("warnings %q", s.Warnings)
	}
	var back Summary
	if err := json.Unmarshal(s.JSON(), &back); err != nil || len(back.GPUs[0].MIGDevices) != 2 {
		t.Errorf("JSON round trip: %v", err)
	}
}
