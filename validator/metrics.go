package validator

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veritensor/veritensor/chain"
)

// metrics are the engine's Prometheus series, veritensor_validator_* (the
// veritensor_<component>_* scheme of chain.MetricsNamespace).
// Per-UID series are bounded by the subnet's max_uids.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec // by outcome
	latency   prometheus.Histogram
	verify    prometheus.Histogram
	tempo     prometheus.Histogram
	epoch     prometheus.Gauge
	score     *prometheus.GaugeVec // ema by uid
	weight    *prometheus.GaugeVec // by uid
	txs       *prometheus.CounterVec
	chainErrs prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "requests_total",
			Help: "Challenges sent to miners, by outcome (valid, invalid, failed, not_sent, skipped)."}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "request_seconds",
			Help: "Round trip of one challenge, send to answer read.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}),
		verify: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "verify_seconds",
			Help: "Time to check one answer and verify its proof.", Buckets: prometheus.ExponentialBuckets(0.0002, 2, 10)}),
		tempo: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "tempo_seconds",
			Help: "Time to challenge and score every miner in one tempo.", Buckets: prometheus.ExponentialBuckets(0.1, 2, 12)}),
		epoch: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "scored_epoch",
			Help: "Last epoch scored."}),
		score: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "miner_ema",
			Help: "EMA score of each miner UID (0..1)."}, []string{"uid"}),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "miner_weight",
			Help: "u16 weight last computed for each miner UID."}, []string{"uid"}),
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "weight_txs_total",
			Help: "Weight transactions by kind (commit, reveal, set) and result (ok, rejected, error)."}, []string{"kind", "result"}),
		chainErrs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: chain.MetricsNamespace, Subsystem: "validator", Name: "chain_errors_total",
			Help: "Failed chain reads (retried with backoff)."}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.verify, m.tempo, m.epoch, m.score, m.weight, m.txs, m.chainErrs)
	return m
}

func (m *metrics) observeReport(r *Report) {
	m.epoch.Set(float64(r.Epoch))
	m.tempo.Observe(float64(r.DurationMs) / 1000)
	m.score.Reset()
	m.weight.Reset()
	for _, mr := range r.Miners {
		uid := strconv.Itoa(int(mr.UID))
		m.score.WithLabelValues(uid).Set(float64(mr.EMA) / float64(1<<32))
		m.weight.WithLabelValues(uid).Set(float64(mr.Weight))
		m.requests.WithLabelValues("valid").Add(float64(mr.Valid))
		m.requests.WithLabelValues("invalid").Add(float64(mr.Invalid))
		m.requests.WithLabelValues("failed").Add(float64(mr.Failed))
		m.requests.WithLabelValues("not_sent").Add(float64(mr.NotSent))
		m.requests.WithLabelValues("skipped").Add(float64(mr.Skipped))
	}
}
