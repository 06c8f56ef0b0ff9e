package hw

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// MaxCanonicalLen is the most bytes Summary.Canonical returns: the bound the
// on-chain serve transaction's hardware field can rely on.
const MaxCanonicalLen = 256

// maxNameLen bounds one GPU name inside the canonical string.
const maxNameLen = 48

// GPU is one device of the inventory.
type GPU struct {
	// Index is the NVML device index.
	Index int `json:"index"`
	// Name is the product name as NVML reports it.
	Name string `json:"name"`
	// UUID is the device's stable identifier ("GPU-...").
	UUID string `json:"uuid,omitempty"`
	// MemoryTotal and MemoryUsed are framebuffer memory in bytes.
	MemoryTotal uint64 `json:"memory_total_bytes"`
	MemoryUsed  uint64 `json:"memory_used_bytes"`
	// UtilGPU and UtilMemory are the recent utilisation in percent (0..100).
	UtilGPU    uint32 `json:"util_gpu_percent"`
	UtilMemory uint32 `json:"util_memory_percent"`
	// ComputeCapability is the CUDA compute capability, "major.minor"
	// (e.g. "9.0"); "" when unknown.
	ComputeCapability string `json:"compute_capability,omitempty"`
	// MIGMode is "enabled" or "disabled"; "" when unknown (a GPU without
	// MIG answers not supported). MIGPendingMode is set only when the mode
	// after the next GPU reset differs.
	MIGMode        string `json:"mig_mode,omitempty"`
	MIGPendingMode string `json:"mig_pending_mode,omitempty"`
	// MIGDevices are the MIG devices of a GPU in MIG mode, by slot.
	MIGDevices []MIGDevice `json:"mig_devices,omitempty"`
	// Unsupported names the fields NVML answered "not supported" for on
	// this device (e.g. "utilization" on a MIG-enabled GPU): they are
	// unknown, not zero.
	Unsupported []string `json:"unsupported,omitempty"`
}

// MIGDevice is one MIG (Multi-Instance GPU) partition of a GPU.
type MIGDevice struct {
	// Index is the MIG slot on the parent GPU.
	Index int `json:"index"`
	// Name is NVML's name for it, e.g. "NVIDIA H100 80GB HBM3 MIG 1g.10gb".
	Name string `json:"name,omitempty"`
	// UUID is the MIG device's identifier ("MIG-..."), what
	// CUDA_VISIBLE_DEVICES takes.
	UUID string `json:"uuid,omitempty"`
	// GPUInstance and ComputeInstance identify it within the GPU (-1 when
	// unknown).
	GPUInstance     int `json:"gpu_instance_id"`
	ComputeInstance int `json:"compute_instance_id"`
	// MemoryTotal is its memory in bytes (0 when unknown).
	MemoryTotal uint64 `json:"memory_total_bytes"`
}

// maxMIGSlots bounds the MIG slots read per GPU (NVML has at most 7 today).
const maxMIGSlots = 64

// Summary is the machine's hardware inventory. The CPU fields are always
// filled; GPUs is empty and CPUOnly true when NVML is absent or no device
// answered.
type Summary struct {
	// CPUCores is runtime.NumCPU(): the logical CPUs this process may use.
	CPUCores int `json:"cpu_cores"`
	// MemoryBytes is the machine's total memory (MemTotal of /proc/meminfo),
	// 0 when it could not be read.
	MemoryBytes uint64 `json:"memory_bytes"`
	// CPUOnly is true when no GPU is usable.
	CPUOnly bool `json:"cpu_only"`
	// GPUs lists the devices that answered, by index.
	GPUs []GPU `json:"gpus"`
	// DriverVersion is the NVIDIA driver version ("" when unknown).
	DriverVersion string `json:"driver_version,omitempty"`
	// CUDAVersion is the CUDA driver API version as "major.minor" ("" when
	// unknown).
	CUDAVersion string `json:"cuda_version,omitempty"`
	// Warnings says what failed on the way (library missing, a device that
	// did not answer); the inventory is still usable.
	Warnings []string `json:"warnings,omitempty"`
}

// Inventory takes the hardware inventory through n. It never fails: any NVML
// error degrades to fewer GPU fields or a CPU-only summary, recorded in
// Warnings. It calls n.Init and, when that succeeded, n.Shutdown.
func Inventory(n NVML) (s Summary) {
	s = Summary{CPUCores: runtime.NumCPU(), GPUs: []GPU{}}
	if mem, err := memTotal("/proc/meminfo"); err == nil {
		s.MemoryBytes = mem
	} else {
		s.Warnings = append(s.Warnings, err.Error())
	}
	s.CPUOnly = true
	if n == nil {
		s.Warnings = append(s.Warnings, "nvml: not configured")
		return s
	}
	if err := n.Init(); err != nil {
		if errors.Is(err, ErrNoLibrary) {
			s.Warnings = append(s.Warnings, "no NVIDIA driver (nvml library not found): CPU-only")
		} else {
			s.Warnings = append(s.Warnings, err.Error())
		}
		return s
	}
	defer func() {
		if err := n.Shutdown(); err != nil {
			s.Warnings = append(s.Warnings, err.Error())
		}
	}()
	if v, err := n.SystemGetDriverVersion(); err == nil {
		s.DriverVersion = v
	} else if !errors.Is(err, ErrNotSupported) {
		s.Warnings = append(s.Warnings, err.Error())
	}
	if v, err := n.SystemGetCudaDriverVersion(); err == nil && v > 0 {
		s.CUDAVersion = fmt.Sprintf("%d.%d", v/1000, (v%1000)/10)
	} else if err != nil && !errors.Is(err, ErrNotSupported) {
		s.Warnings = append(s.Warnings, err.Error())
	}
	count, err := n.DeviceGetCount()
	if err != nil {
		s.Warnings = append(s.Warnings, err.Error())
		return s
	}
	for i := 0; i < count; i++ {
		g, ok, warns := device(n, i)
		s.Warnings = append(s.Warnings, warns...)
		if ok {
			s.GPUs = append(s.GPUs, g)
		}
	}
	s.CPUOnly = len(s.GPUs) == 0
	return s
}

// device reads GPU i; ok is false when the device handle itself failed.
// Failures of single fields leave them zero and add a warning; a field NVML
// does not support on the device (ErrNotSupported) is listed in
// g.Unsupported instead.
func device(n NVML, i int) (g GPU, ok bool, warns []string) {
	g.Index = i
	d, err := n.DeviceGetHandleByIndex(i)
	if err != nil || d == nil {
		if err == nil {
			err = fmt.Errorf("nvml device %d: nil handle", i)
		}
		return g, false, []string{err.Error()}
	}
	// failed reports whether err is an error, recording it: unsupported
	// fields by name, anything else as a warning.
	failed := func(field string, err error) bool {
		switch {
		case err == nil:
			return false
		case errors.Is(err, ErrNotSupported):
			g.Unsupported = append(g.Unsupported, field)
		default:
			warns = append(warns, fmt.Sprintf("gpu %d: %v", i, err))
		}
		return true
	}
	if g.Name, err = d.GetName(); failed("name", err) {
		g.Name = "unknown"
	}
	if g.UUID, err = d.GetUUID(); failed("uuid", err) {
		g.UUID = ""
	}
	if m, err := d.GetMemoryInfo(); !failed("memory", err) {
		g.MemoryTotal, g.MemoryUsed = m.Total, m.Used
	}
	if u, err := d.GetUtilizationRates(); !failed("utilization", err) {
		g.UtilGPU, g.UtilMemory = min(u.GPU, 100), min(u.Memory, 100)
	}
	if major, minor, err := d.GetCudaComputeCapability(); !failed("compute_capability", err) {
		if major > 0 && major < 100 && minor >= 0 && minor < 100 {
			g.ComputeCapability = fmt.Sprintf("%d.%d", major, minor)
		} else {
			warns = append(warns, fmt.Sprintf("gpu %d: nvml compute capability: implausible %d.%d", i, major, minor))
		}
	}
	cur, pending, err := d.GetMigMode()
	if !failed("mig_mode", err) {
		g.MIGMode = migMode(cur)
		if pending != cur {
			g.MIGPendingMode = migMode(pending)
		}
		if cur == MIGEnabled {
			var w []string
			g.MIGDevices, w = migDevices(d, i)
			warns = append(warns, w...)
		}
	}
	return g, true, warns
}

func migMode(m int) string {
	switch m {
	case MIGEnabled:
		return "enabled"
	case MIGDisabled:
		return "disabled"
	default:
		return fmt.Sprintf("unknown (%d)", m)
	}
}

// migDevices lists the MIG devices of GPU i (in MIG mode), skipping empty
// slots. A slot whose handle fails otherwise is a warning; unsupported or
// failing fields of a MIG device are left unknown.
func migDevices(d Device, i int) (devs []MIGDevice, warns []string) {
	slots, err := d.GetMaxMigDeviceCount()
	if err != nil {
		if !errors.Is(err, ErrNotSupported) {
			warns = append(warns, fmt.Sprintf("gpu %d: %v", i, err))
		}
		return nil, warns
	}
	if slots < 0 || slots > maxMIGSlots {
		return nil, append(warns, fmt.Sprintf("gpu %d: nvml reports %d MIG slots, reading at most %d", i, slots, maxMIGSlots))
	}
	for j := 0; j < slots; j++ {
		m, err := d.GetMigDeviceHandleByIndex(j)
		if errors.Is(err, ErrNotFound) {
			continue // an empty slot
		}
		if err != nil || m == nil {
			if err == nil {
				err = fmt.Errorf("nvml mig device %d: nil handle", j)
			}
			warns = append(warns, fmt.Sprintf("gpu %d: %v", i, err))
			continue
		}
		md := MIGDevice{Index: j, GPUInstance: -1, ComputeInstance: -1}
		if v, err := m.GetName(); err == nil {
			md.Name = v
		}
		if v, err := m.GetUUID(); err == nil {
			md.UUID = v
		}
		if v, err := m.GetGpuInstanceId(); err == nil {
			md.GPUInstance = v
		}
		if v, err := m.GetComputeInstanceId(); err == nil {
			md.ComputeInstance = v
		}
		if v, err := m.GetMemoryInfo(); err == nil {
			md.MemoryTotal = v.Total
		}
		devs = append(devs, md)
	}
	return devs, warns
}

// memTotal reads MemTotal (in bytes) from a /proc/meminfo-format file.
func memTotal(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("memory total: %w", err)
	}
	defer f.Close()
	return parseMemTotal(f)
}

func parseMemTotal(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "MemTotal:" {
			continue
		}
		kb, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || kb > (1<<54) {
			return 0, fmt.Errorf("memory total: bad MemTotal %q", f[1])
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("memory total: %w", err)
	}
	return 0, errors.New("memory total: no MemTotal line")
}

// Canonical is the compact, deterministic description of the machine's
// capacity that goes into the on-chain serve transaction, at most
// MaxCanonicalLen bytes of printable ASCII. Volatile values (memory used,
// utilisation) are left out; identical GPUs are grouped. Example:
//
//	v1;cpu=16;mem=128GiB;gpu=2xNVIDIA H100 80GB HBM3/80GiB;drv=550.54.15;cuda=12.4
func (s Summary) Canonical() string {
	var b strings.Builder
	fmt.Fprintf(&b, "v1;cpu=%d;mem=%dGiB", s.CPUCores, s.MemoryBytes>>30)
	if len(s.GPUs) > 0 {
		type group struct {
			name string
			gib  uint64
			n    int
		}
		idx := map[[2]string]*group{}
		var groups []*group
		for _, g := range s.GPUs {
			name := sanitize(g.Name, maxNameLen)
			gib := (g.MemoryTotal + (1 << 29)) >> 30 // rounded to the nearest GiB
			k := [2]string{name, strconv.FormatUint(gib, 10)}
			if gr, ok := idx[k]; ok {
				gr.n++
				continue
			}
			gr := &group{name: name, gib: gib, n: 1}
			idx[k] = gr
			groups = append(groups, gr)
		}
		sort.Slice(groups, func(i, j int) bool {
			if groups[i].name != groups[j].name {
				return groups[i].name < groups[j].name
			}
			return groups[i].gib < groups[j].gib
		})
		b.WriteString(";gpu=")
		for i, gr := range groups {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%dx%s/%dGiB", gr.n, gr.name, gr.gib)
		}
	}
	if s.DriverVersion != "" {
		b.WriteString(";drv=" + sanitize(s.DriverVersion, 24))
	}
	if s.CUDAVersion != "" {
		b.WriteString(";cuda=" + sanitize(s.CUDAVersion, 12))
	}
	out := b.String()
	if len(out) > MaxCanonicalLen {
		out = out[:MaxCanonicalLen-3] + "..."
	}
	return out
}

// sanitize keeps printable ASCII other than the canonical string's
// separators, replacing the rest with '_', and cuts to max bytes.
func sanitize(s string, max int) string {
	out := make([]byte, 0, min(len(s), max))
	for i := 0; i < len(s) && len(out) < max; i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == ';' || c == ',' || c == '=' || c == '/' {
			c = '_'
		}
		out = append(out, c)
	}
	return string(out)
}

// JSON is the summary as compact JSON with fields in a fixed order.
func (s Summary) JSON() []byte {
	b, err := json.Marshal(s)
	if err != nil { // only plain fields: cannot happen
		return []byte("{}")
	}
	return b
}
