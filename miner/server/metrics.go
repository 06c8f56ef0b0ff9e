package server

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/veritensor/veritensor/miner/hw"
)

// hwSampleEvery is how long a hardware sample is reused.
const hwSampleEvery = 10 * time.Second

// metrics are the server's Prometheus series, in a registry of its own so
// several servers can live in one process (tests).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	proofs   *prometheus.CounterVec
	proveDur prometheus.Histogram
	queue    prometheus.Gauge
	proving  prometheus.Gauge
}

func newMetrics(hwSample func() hw.Summary) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "veritensor", Subsystem: "miner", Name: "requests_total",
			Help: "HTTP requests answered, by path and status code.",
		}, []string{"path", "code"}),
		proofs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "veritensor", Subsystem: "miner", Name: "proofs_total",
			Help: "Proofs attempted by the workers, by result (ok, error, timeout).",
		}, []string{"result"}),
		proveDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "veritensor", Subsystem: "miner", Name: "prove_seconds",
			Help:    "Time one proof took in a worker, in seconds.",
			Buckets: prometheus.ExponentialBuckets(0.025, 2, 12), // 25 ms .. 51 s
		}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "veritensor", Subsystem: "miner", Name: "queue_depth",
			Help: "Accepted requests waiting for a proving worker.",
		}),
		proving: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "veritensor", Subsystem: "miner", Name: "proofs_in_flight",
			Help: "Proofs being computed now.",
		}),
	}
	m.reg.MustRegister(m.requests, m.proofs, m.proveDur, m.queue, m.proving,
		&hwCollector{sample: hwSample},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// cachedHW samples the hardware at most every hwSampleEvery.
type cachedHW struct {
	mu     sync.Mutex
	sample func() hw.Summary
	last   time.Time
	s      hw.Summary
}

func (c *cachedHW) get() hw.Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last.IsZero() || time.Since(c.last) > hwSampleEvery {
		c.s = c.sample()
		c.last = time.Now()
	}
	return c.s
}

var (
	descCPU      = prometheus.NewDesc("veritensor_miner_cpu_cores", "Logical CPUs available to the miner.", nil, nil)
	descMem      = prometheus.NewDesc("veritensor_miner_memory_bytes", "Total machine memory in bytes.", nil, nil)
	descGPUs     = prometheus.NewDesc("veritensor_miner_gpus", "GPUs visible through NVML (0 when CPU-only).", nil, nil)
	descGPUTotal = prometheus.NewDesc("veritensor_miner_gpu_memory_total_bytes", "GPU framebuffer memory in bytes.", []string{"gpu", "uuid", "name"}, nil)
	descGPUUsed  = prometheus.NewDesc("veritensor_miner_gpu_memory_used_bytes", "GPU framebuffer memory in use, bytes.", []string{"gpu", "uuid", "name"}, nil)
	descGPUUtil  = prometheus.NewDesc("veritensor_miner_gpu_utilization_ratio", "GPU utilisation over NVML's last sample period, 0..1.", []string{"gpu", "uuid", "name"}, nil)
)

// hwCollector exports the hardware inventory as gauges at scrape time.
type hwCollector struct{ sample func() hw.Summary }

func (h *hwCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCPU, descMem, descGPUs, descGPUTotal, descGPUUsed, descGPUUtil} {
		ch <- d
	}
}

func (h *hwCollector) Collect(ch chan<- prometheus.Metric) {
	s := h.sample()
	ch <- prometheus.MustNewConstMetric(descCPU, prometheus.GaugeValue, float64(s.CPUCores))
	ch <- prometheus.MustNewConstMetric(descMem, prometheus.GaugeValue, float64(s.MemoryBytes))
	ch <- prometheus.MustNewConstMetric(descGPUs, prometheus.GaugeValue, float64(len(s.GPUs)))
	for _, g := range s.GPUs {
		l := []string{strconv.Itoa(g.Index), g.UUID, g.Name}
		// Fields NVML does not support on the device are unknown, not zero:
		// no sample (utilisation of a GPU in MIG mode, for one).
		if !slices.Contains(g.Unsupported, "memory") {
			ch <- prometheus.MustNewConstMetric(descGPUTotal, prometheus.GaugeValue, float64(g.MemoryTotal), l...)
			ch <- prometheus.MustNewConstMetric(descGPUUsed, prometheus.GaugeValue, float64(g.MemoryUsed), l...)
		}
		if !slices.Contains(g.Unsupported, "utilization") {
			ch <- prometheus.MustNewConstMetric(descGPUUtil, prometheus.GaugeValue, float64(g.UtilGPU)/100, l...)
		}
	}
}
