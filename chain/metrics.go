package chain

import (
	"errors"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/prometheus/client_golang/prometheus"
)

// MetricsNamespace prefixes every Veritensor Prometheus series, named
// veritensor_<component>_*: veritensor_chain_* here (docs/chain.md,
// "Metrics"), veritensor_validator_* and veritensor_miner_*.
const MetricsNamespace = "veritensor"

// Metrics are the app's Prometheus metrics. They observe, never influence,
// the state machine (wall-clock durations live only here). A nil *Metrics
// records nothing.
type Metrics struct {
	txs          *prometheus.CounterVec
	checkRefused *prometheus.CounterVec
	proofs       *prometheus.CounterVec
	endBlock     prometheus.Histogram
	commit       prometheus.Histogram
	stateKeys    prometheus.Gauge
	height       prometheus.Gauge
	snapshots    *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg (an already
// registered metric of the same name, e.g. from another node in the same
// process, is reused).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "txs_total",
			Help: "Transactions executed in blocks, by type and result (ok or failed)."}, []string{"type", "result"}),
		checkRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "checktx_refused_total",
			Help: "Transactions refused by CheckTx (mempool admission), by error name."}, []string{"reason"}),
		proofs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "proof_verifications_total",
			Help: "submit-proof transactions executed in blocks (each verifies a Groth16 proof), by result."}, []string{"result"}),
		endBlock: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "end_block_seconds",
			Help: "Time of the end-of-block hooks (epoch runs included).", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "commit_seconds",
			Help: "Time of Commit: tree version and badger writes.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}),
		stateKeys: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "state_keys",
			Help: "Keys in the committed state."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "height",
			Help: "Last committed height."}),
		snapshots: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: MetricsNamespace, Subsystem: "chain", Name: "snapshots_total",
			Help: "State-sync snapshots taken, by result."}, []string{"result"}),
	}
	m.txs = register(reg, m.txs)
	m.checkRefused = register(reg, m.checkRefused)
	m.proofs = register(reg, m.proofs)
	m.endBlock = register(reg, m.endBlock)
	m.commit = register(reg, m.commit)
	m.stateKeys = register(reg, m.stateKeys)
	m.height = register(reg, m.height)
	m.snapshots = register(reg, m.snapshots)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// SetMetrics makes the app record m (nil: none).
func (a *App) SetMetrics(m *Metrics) { a.metrics = m }

func (m *Metrics) checkTx(err error) {
	if m == nil || err == nil {
		return
	}
	reason := "other"
	var ce *CodedError
	if errors.As(err, &ce) {
		reason = ce.Name
	}
	m.checkRefused.WithLabelValues(reason).Inc()
}

func (m *Metrics) block(txs [][]byte, res []*abci.ExecTxResult, endBlock time.Duration) {
	if m == nil {
		return
	}
	for i, raw := range txs {
		name := "unknown"
		if t, ok := peekTxType(raw); ok {
			name = TypeName(t)
		}
		result := "ok"
		if res[i].Code != 0 {
			result = "failed"
		}
		m.txs.WithLabelValues(name, result).Inc()
		if t, ok := peekTxType(raw); ok && t == TxSubmitProof {
			m.proofs.WithLabelValues(result).Inc()
		}
	}
	m.endBlock.Observe(endBlock.Seconds())
}

func (m *Metrics) committed(a *App, took time.Duration) {
	if m == nil {
		return
	}
	m.commit.Observe(took.Seconds())
	m.stateKeys.Set(float64(a.committed.Len()))
	m.height.Set(float64(a.meta.Height))
	if a.snapshots != nil && a.snapshots.Interval > 0 && a.meta.Height%a.snapshots.Interval == 0 {
		if a.snapshotErr != nil {
			m.snapshots.WithLabelValues("failed").Inc()
		} else {
			m.snapshots.WithLabelValues("ok").Inc()
		}
	}
}
