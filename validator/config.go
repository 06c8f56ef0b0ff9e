package validator

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/veritensor/veritensor/internal/netguard"
	"github.com/veritensor/veritensor/scoring"
)

// Config configures a Validator engine. Zero values take the defaults
// listed; the challenge settings it shares with the command (DaemonConfig:
// its keys are that struct's flags) take DefaultDaemonConfig's values and
// are checked by the same rule (checkChallenges).
type Config struct {
	// ChainID, Subnet and Hotkey (the validator's ed25519 hotkey) identify
	// the validator; requests to miners are signed with Hotkey for ChainID.
	ChainID string
	Subnet  uint16
	Hotkey  ed25519.PrivateKey
	// Home is the directory of the state file and the last report.
	Home string
	// Chain and Submitter connect to the chain; Dataset holds the held-out
	// labelled samples. Required.
	Chain     Chain
	Submitter WeightsSubmitter
	Dataset   Dataset

	// Graded and Decoys are the challenges per miner per tempo (8 and 2
	// when both are 0).
	Graded, Decoys int
	// RequestTimeout bounds one challenge, send to answer read (20 s when
	// 0); it is also the latency at which the latency score reaches 0.
	RequestTimeout time.Duration
	// LatencyTarget is the latency at or under which the latency score is 1
	// (2 s when 0); it must be under RequestTimeout (else New fails).
	LatencyTarget time.Duration
	// Concurrency is how many miners are challenged at once (64 when 0);
	// each miner gets its challenges one after the other.
	Concurrency int
	// MinerTimeout bounds the time one miner may take over all its
	// challenges of a tempo (Graded+Decoys times LatencyTarget, plus one
	// RequestTimeout, when 0); what is left unsent then is NotSent.
	MinerTimeout time.Duration
	// BlockTime is the chain's block interval; when 0 the engine measures
	// it from the heights it sees (until it has, it asks the chain when
	// Chain is a BlockTimer, else assumes 1 s). CommitReserve is how many
	// blocks before the end of an epoch the challenges stop, so the commit
	// lands in time (max(3, tempo/10) when 0).
	BlockTime     time.Duration
	CommitReserve uint64
	// Endpoints is the policy on the miner endpoints the engine dials
	// (public addresses only when zero; see EndpointPolicy).
	Endpoints EndpointPolicy
	// MaxResponse bounds the bytes read from one answer (64 KiB when 0).
	MaxResponse int64
	// EMAAlphaPPM is the weight of a new tempo's score in each miner's EMA,
	// parts per million (300,000 when 0).
	EMAAlphaPPM uint32
	// ScoreWeights weigh accuracy, latency and availability
	// (scoring.DefaultScoreWeights when all zero).
	ScoreWeights scoring.ScoreWeights
	// HTTP is the transport to miners (when nil, a client that follows no
	// redirects and dials through Endpoints' checks); deadlines come from
	// RequestTimeout.
	HTTP *http.Client

	// Poll is how often Head is read when no block subscription is up
	// (2 s when 0). MinBackoff and MaxBackoff bound the wait after a failed
	// step, doubling (500 ms and 30 s when 0).
	Poll, MinBackoff, MaxBackoff time.Duration
	// Now is the clock for latencies and reports (time.Now when nil).
	Now func() time.Time
	// Logger gets one line per tempo, per misbehaving miner per tempo and
	// per failed step (discarded when nil).
	Logger *slog.Logger
	// OnReport, when set, is called with each tempo's report.
	OnReport func(*Report)
}

// withDefaults fills the zero fields and validates. The challenge settings
// shared with the command (Graded, Decoys, RequestTimeout, LatencyTarget,
// Concurrency, Poll) default to DefaultDaemonConfig's values, the one place
// they are written, and are checked by checkChallenges, the one rule for
// both: a LatencyTarget at or over RequestTimeout is an error (an earlier
// engine halved it silently while the command rejected it).
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Chain == nil || c.Submitter == nil || c.Dataset == nil:
		return c, fmt.Errorf("%w: Chain, Submitter and Dataset are required", ErrConfig)
	case len(c.Hotkey) != ed25519.PrivateKeySize:
		return c, fmt.Errorf("%w: hotkey has %d bytes, want an ed25519 private key", ErrConfig, len(c.Hotkey))
	case c.Home == "":
		return c, fmt.Errorf("%w: Home is required (salts are kept there)", ErrConfig)
	case c.Dataset.Len() == 0:
		return c, fmt.Errorf("%w: empty dataset", ErrConfig)
	case c.Graded < 0 || c.Decoys < 0 || c.Concurrency < 0 || c.MinerTimeout < 0 || c.MaxResponse < 0:
		return c, fmt.Errorf("%w: negative count", ErrConfig)
	}
	d := DefaultDaemonConfig()
	if c.Graded == 0 && c.Decoys == 0 {
		c.Graded, c.Decoys = d.Graded, d.Decoys
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = time.Duration(d.RequestTimeout)
	}
	if c.LatencyTarget <= 0 {
		c.LatencyTarget = time.Duration(d.LatencyTarget)
	}
	if c.Concurrency == 0 {
		c.Concurrency = d.Concurrency
	}
	if c.Poll <= 0 {
		c.Poll = time.Duration(d.Poll)
	}
	if err := c.checkChallenges(); err != nil {
		return c, err
	}
	if c.MinerTimeout == 0 {
		c.MinerTimeout = time.Duration(c.Graded+c.Decoys)*c.LatencyTarget + c.RequestTimeout
	}
	if c.BlockTime < 0 {
		return c, fmt.Errorf("%w: negative block time", ErrConfig)
	}
	if c.MaxResponse == 0 {
		c.MaxResponse = 64 << 10
	}
	if c.EMAAlphaPPM == 0 {
		c.EMAAlphaPPM = 300_000
	}
	if c.EMAAlphaPPM > 1_000_000 {
		return c, fmt.Errorf("%w: ema alpha %d ppm > 1000000", ErrConfig, c.EMAAlphaPPM)
	}
	if c.ScoreWeights == (scoring.ScoreWeights{}) {
		c.ScoreWeights = scoring.DefaultScoreWeights()
	}
	if w := c.ScoreWeights; uint64(w.AccuracyPPM)+uint64(w.LatencyPPM)+uint64(w.AvailabilityPPM) != 1_000_000 {
		return c, fmt.Errorf("%w: score weights must sum to 1000000 ppm", ErrConfig)
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{
			Transport: &http.Transport{
				Proxy:                  nil,
				DialContext:            c.Endpoints.Dialer().DialContext,
				MaxIdleConnsPerHost:    2,
				IdleConnTimeout:        90 * time.Second,
				MaxResponseHeaderBytes: 16 << 10,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// checkChallenges is the one check of the challenge settings, for the
// engine (after its defaults) and for the command (DaemonConfig.Validate,
// before any default): at least one challenge, 0 < LatencyTarget <
// RequestTimeout, Concurrency at least 1, Poll positive, MinerTimeout not
// negative (0: computed). Errors name the command's keys.
func (c Config) checkChallenges() error {
	bad := func(key, why string) error { return fmt.Errorf("%w: %s: %s", ErrConfig, key, why) }
	switch {
	case c.Graded < 0 || c.Decoys < 0 || c.Graded+c.Decoys == 0:
		return bad("graded", "graded and decoys must be >= 0 with at least one challenge")
	case c.RequestTimeout <= 0 || c.LatencyTarget <= 0 || c.LatencyTarget >= c.RequestTimeout:
		return bad("latency-target", fmt.Sprintf("need 0 < latency-target < request-timeout, have %s and %s",
			c.LatencyTarget, c.RequestTimeout))
	case c.Concurrency < 1:
		return bad("concurrency", "must be at least 1")
	case c.Poll <= 0:
		return bad("poll", "must be positive")
	case c.MinerTimeout < 0:
		return bad("miner-timeout", "must not be negative")
	}
	return nil
}

// EndpointPolicy says which miner endpoints the engine dials: public
// addresses only by default; loopback (a devnet) and private ranges when
// the operator allows them. Cloud metadata addresses are always refused.
type EndpointPolicy = netguard.Policy
