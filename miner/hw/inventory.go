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
}

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
	} else {
		s.Warnings = append(s.Warnings, err.Error())
	}
	if v, err := n.SystemGetCudaDriverVersion(); err == nil && v > 0 {
		s.CUDAVersion = fmt.Sprintf("%d.%d", v/1000, (v%1000)/10)
	} else if err != nil {
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
// Failures of single fields leave them zero and add a warning.
func device(n NVML, i int) (g GPU, ok bool, warns []string) {
	g.Index = i
	d, err := n.DeviceGetHandleByIndex(i)
	if err != nil || d == nil {
		if err == nil {
			err = fmt.Errorf("nvml device %d: nil handle", i)
		}
		return g, false, []string{err.Error()}
	}
	warn := func(err error) { warns = append(warns, fmt.Sprintf("gpu %d: %v", i, err)) }
	if g.Name, err = d.GetName(); err != nil {
		g.Name = "unknown"
		warn(err)
	}
	if g.UUID, err = d.GetUUID(); err != nil {
		warn(err)
	}
	if m, err := d.GetMemoryInfo(); err == nil {
		g.MemoryTotal, g.MemoryUsed = m.Total, m.Used
	} else {
		warn(err)
	}
	if u, err := d.GetUtilizationRates(); err == nil {
		g.UtilGPU, g.UtilMemory = min(u.GPU, 100), min(u.Memory, 100)
	} else {
		warn(err)
	}
	return g, true, warns
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
