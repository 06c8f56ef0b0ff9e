package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"time"

	"github.com/veritensor/veritensor/miner/api"
	"github.com/veritensor/veritensor/miner/hw"
)

// Prover computes the model's output on one input and proves it. It must be
// safe for concurrent use by Config.Workers goroutines and should return
// soon after ctx is done. An error wrapping api.ErrBadInput (for example an
// epoch the miner will not bind to) answers 400; any other error 500.
type Prover interface {
	Prove(ctx context.Context, input []int8, epoch uint64) (class uint32, proof []byte, public []byte, err error)
}

// BatchProver proves k inputs in one proof (POST /v2/infer): classes in
// input order, the proof and zk.BatchPublic's encoding. Sizes are the batch
// sizes it has keys for. It must be safe for concurrent use, as Prover.
type BatchProver interface {
	Sizes() []int
	ProveBatch(ctx context.Context, inputs [][]int8, epoch uint64) (classes []uint32, proof []byte, public []byte, err error)
}

// Permits is the validator set of the miner's subnet: Permit reports whether
// hotkey holds a validator permit there, and its stake in base units. It
// must be safe for concurrent use and cheap (it runs on every request).
type Permits interface {
	Permit(hotkey [32]byte) (stake uint64, ok bool)
}

// Config configures a Server. Zero values take the defaults listed.
type Config struct {
	// ChainID and Miner (this miner's hotkey) are what requests must be
	// signed for.
	ChainID string
	Miner   [32]byte
	// Subnet is the subnet ID, for /v1/info and error messages.
	Subnet uint16
	// InputLen is the int8 input length of the subnet's task
	// (api.MNISTInputLen when 0).
	InputLen int
	// ModelCommitment (hex), CircuitID and Version fill /v1/info.
	ModelCommitment string
	CircuitID       string
	Version         string
	// Scheme is the subnet's proof scheme for /v1/info ("hash", "commit";
	// "" on a proof-less subnet).
	Scheme string
	// Backend and BackendDevice fill /v1/info's backend fields ("cpu"
	// when empty; see api.Info).
	Backend       string
	BackendDevice string

	// Prover proves requests; Permits lists who may send them. Required.
	Prover  Prover
	Permits Permits
	// Batch, when set, serves POST /v2/infer (404 otherwise); MaxBatchBody
	// bounds its body (1 MiB when 0: 16 inputs of 784 values in JSON).
	Batch        BatchProver
	MaxBatchBody int64

	// Workers is the number of proofs computed at once (runtime.NumCPU()
	// when 0). gnark's CPU prover already spreads one proof over every
	// core, so fewer workers trade throughput for latency; on the shared
	// 2-core test machine 1 and 2 workers were within measurement noise
	// (docs/benchmarks.md).
	Workers int
	// QueueCap is how many accepted requests may wait for a worker
	// (4 * Workers when 0). When full, a request from a caller with more
	// stake than the lowest-staked waiting one takes its place (that one is
	// answered 503); otherwise the new request is answered 503.
	QueueCap int
	// RequestTimeout bounds queue wait plus proving for one request
	// (30 s when 0); past it the answer is 504.
	RequestTimeout time.Duration
	// Skew is the accepted |request timestamp - now| (api.DefaultSkew
	// when 0).
	Skew time.Duration
	// MaxBody is the largest accepted request body in bytes (64 KiB when 0).
	MaxBody int64
	// CallerRate (requests/s) and CallerBurst rate-limit each validator
	// hotkey on /v1/infer, and per input on /v2/infer: a batch of k costs
	// k requests, at most CallerBurst (0.5/s, burst 20 when 0): a validator sends its
	// few challenges a tempo well within it, and a permit does not buy
	// unlimited free proved inference.
	CallerRate  float64
	CallerBurst int
	// IPRate and IPBurst rate-limit every request per remote IP before
	// authentication (50/s, burst 100 when 0).
	IPRate  float64
	IPBurst int
	// ReplayCap is each caller's quota of live nonces in the replay cache
	// (when 0: what its rate limit lets it send in one accepted window,
	// CallerBurst + CallerRate * 2 * Skew); a caller over it is answered
	// 429. No caller can fill the cache for another.
	ReplayCap int

	// Hardware samples the machine for /v1/info and the GPU gauges of
	// /metrics, at most every 10 s (hw.Inventory(hw.NewNVML()) when nil).
	Hardware func() hw.Summary
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives one line per failed proof (discarded when nil).
	Logger *slog.Logger
}

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("bad server config")

// Defaults are the limits a zero Config field takes, written once: the
// miner daemon's DefaultConfig starts from them too. Workers is
// runtime.NumCPU(), QueueCap 4 per worker, 30 s per request, api.DefaultSkew,
// 64 KiB bodies, 0.5 requests/s (burst 20) per caller and 50/s (burst 100)
// per IP, MNIST's input length.
func Defaults() Config {
	w := runtime.NumCPU()
	return Config{InputLen: api.MNISTInputLen, Workers: w, QueueCap: 4 * w, RequestTimeout: 30 * time.Second,
		Skew: api.DefaultSkew, MaxBody: 64 << 10, CallerRate: 0.5, CallerBurst: 20, IPRate: 50, IPBurst: 100}
}

func (c Config) withDefaults() (Config, error) {
	if c.Prover == nil || c.Permits == nil {
		return c, fmt.Errorf("%w: Prover and Permits are required", ErrConfig)
	}
	d := Defaults()
	if c.InputLen == 0 {
		c.InputLen = d.InputLen
	}
	if c.Workers == 0 {
		c.Workers = d.Workers
	}
	if c.QueueCap == 0 {
		c.QueueCap = 4 * c.Workers
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = d.RequestTimeout
	}
	if c.Skew == 0 {
		c.Skew = d.Skew
	}
	if c.MaxBody == 0 {
		c.MaxBody = d.MaxBody
	}
	if c.MaxBatchBody == 0 {
		c.MaxBatchBody = 1 << 20
	}
	if c.CallerRate == 0 {
		c.CallerRate, c.CallerBurst = d.CallerRate, d.CallerBurst
	}
	if c.CallerBurst == 0 {
		c.CallerBurst = max(1, int(c.CallerRate))
	}
	if c.IPRate == 0 {
		c.IPRate, c.IPBurst = d.IPRate, d.IPBurst
	}
	if c.IPBurst == 0 {
		c.IPBurst = max(1, int(c.IPRate))
	}
	if c.ReplayCap == 0 {
		c.ReplayCap = c.CallerBurst + int(math.Ceil(c.CallerRate*2*c.Skew.Seconds()))
	}
	if c.Hardware == nil {
		c.Hardware = func() hw.Summary { return hw.Inventory(hw.NewNVML()) }
	}
	if c.Backend == "" {
		c.Backend = "cpu"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.InputLen < 0, c.Workers < 0, c.QueueCap < 0, c.RequestTimeout < 0, c.Skew < time.Second, c.MaxBody < 0,
		c.MaxBatchBody < 0, c.CallerRate < 0, c.CallerBurst < 0, c.IPRate < 0, c.IPBurst < 0, c.ReplayCap < 0:
		return c, fmt.Errorf("%w: negative limit (or skew under 1 s)", ErrConfig)
	}
	return c, nil
}
