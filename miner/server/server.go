package server

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/veritensor/veritensor/miner/api"
)

// Server is the miner's HTTP server. Create it with New, run it with Serve
// (or mount Handler), stop it with Shutdown.
type Server struct {
	cfg      Config
	verifier *api.Verifier
	replay   *replayCache
	callers  *limiter
	ips      *limiter
	pool     *pool
	metrics  *metrics
	hw       *cachedHW
	handler  http.Handler

	draining atomic.Bool
	// proveEWMA is a moving average of proving time in nanoseconds, for
	// Retry-After hints.
	proveEWMA atomic.Int64

	mu   sync.Mutex
	http *http.Server
}

// New builds a server and starts its proving workers.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		verifier: &api.Verifier{ChainID: cfg.ChainID, Miner: cfg.Miner, Skew: cfg.Skew, Now: cfg.Now},
		replay:   newReplayCache(cfg.ReplayCap),
		callers:  newLimiter(cfg.CallerRate, cfg.CallerBurst, 4096),
		ips:      newLimiter(cfg.IPRate, cfg.IPBurst, 65536),
	}
	s.hw = &cachedHW{sample: cfg.Hardware}
	s.metrics = newMetrics(s.hw.get)
	s.pool = newPool(cfg.Prover, cfg.Workers, cfg.QueueCap,
		func(depth, proving int) {
			s.metrics.queue.Set(float64(depth))
			s.metrics.proving.Set(float64(proving))
		},
		s.observeProof)

	mux := http.NewServeMux()
	mux.HandleFunc("POST "+api.PathInfer, s.handleInfer)
	if cfg.Batch != nil {
		mux.HandleFunc("POST "+api.PathInferBatch, s.handleInferBatch)
	}
	mux.HandleFunc("GET "+api.PathInfo, s.handleInfo)
	mux.HandleFunc("GET "+api.PathHealth, s.handleHealth)
	mux.Handle("GET "+api.PathMetrics, promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == api.PathInfer, r.URL.Path == api.PathInfo, r.URL.Path == api.PathHealth, r.URL.Path == api.PathMetrics,
			r.URL.Path == api.PathInferBatch && cfg.Batch != nil:
			writeError(w, http.StatusMethodNotAllowed, api.CodeMethod, r.Method+" is not allowed on "+r.URL.Path)
		default:
			writeError(w, http.StatusNotFound, api.CodeNotFound, "no such endpoint: "+r.URL.Path)
		}
	})
	s.handler = s.count(s.limitIP(mux))
	return s, nil
}

// Handler is the server's routes with their middleware, for mounting on
// any listener.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on l until Shutdown; it returns nil after a
// Shutdown and the listener's error otherwise.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.http == nil {
		s.http = &http.Server{
			Handler:           s.handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      s.cfg.RequestTimeout + 30*time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    16 << 10,
		}
	}
	hs := s.http
	s.mu.Unlock()
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops taking requests (new ones get 503 while listeners close),
// waits for the requests in flight, including their proofs, then stops the
// workers. If ctx ends first it returns ctx's error; accepted proofs still
// run to completion in the background.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	hs := s.http
	s.mu.Unlock()
	var err error
	if hs != nil {
		err = hs.Shutdown(ctx)
	}
	s.pool.close()
	if werr := s.pool.wait(ctx); err == nil {
		err = werr
	}
	return err
}

// QueueDepth is the number of requests waiting for a worker and the number
// being proved now.
func (s *Server) QueueDepth() (queued, proving int) { return s.pool.depth() }

func (s *Server) observeProof(took time.Duration, err error) {
	switch {
	case err == nil:
		s.metrics.proofs.WithLabelValues("ok").Inc()
		s.metrics.proveDur.Observe(took.Seconds())
		old := s.proveEWMA.Load()
		if old == 0 {
			s.proveEWMA.Store(int64(took))
		} else {
			s.proveEWMA.Store(old + (int64(took)-old)/8)
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		s.metrics.proofs.WithLabelValues("timeout").Inc()
	default:
		s.metrics.proofs.WithLabelValues("error").Inc()
		s.cfg.Logger.Warn("proof failed", "err", err)
	}
}

// retryAfter estimates when a worker frees up: the average proof time
// times the queue's length per worker, in whole seconds within 1..60.
func (s *Server) retryAfter() time.Duration {
	q, _ := s.pool.depth()
	est := time.Duration(s.proveEWMA.Load()) * time.Duration(q/s.cfg.Workers+1)
	return min(max(est, time.Second), time.Minute)
}

func (s *Server) handleInfer(w http.ResponseWriter, r *http.Request) {
	stake, body, ok := s.authenticate(w, r, s.cfg.MaxBody, nil)
	if !ok {
		return
	}
	req, err := api.DecodeInferRequest(body, s.cfg.InputLen)
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, err.Error())
		return
	}
	if s.draining.Load() {
		writeRetry(w, http.StatusServiceUnavailable, api.CodeBusy, "miner is shutting down", s.retryAfter())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	j := &job{stake: stake, input: req.Input, epoch: req.Epoch, ctx: ctx, done: make(chan result, 1)}
	if res, ok := s.runJob(w, j); ok {
		writeJSON(w, http.StatusOK, api.InferResponse{
			ID: req.ID, Epoch: req.Epoch, Class: res.class, Proof: res.proof, Public: res.public,
			ProveMillis: res.took.Milliseconds(),
		})
	}
}

// runJob queues j and waits for its result; on any failure it answers and
// returns ok=false.
func (s *Server) runJob(w http.ResponseWriter, j *job) (res result, ok bool) {
	ctx := j.ctx
	switch err := s.pool.submit(j); {
	case errors.Is(err, errClosed):
		writeRetry(w, http.StatusServiceUnavailable, api.CodeBusy, "miner is shutting down", s.retryAfter())
		return res, false
	case err != nil:
		writeRetry(w, http.StatusServiceUnavailable, api.CodeBusy, "proving queue is full", s.retryAfter())
		return res, false
	}
	select {
	case res = <-j.done:
	case <-ctx.Done():
		s.pool.cancel(j)
		res = result{err: ctx.Err()}
	}
	switch {
	case res.err == nil:
		return res, true
	case errors.Is(res.err, errBusy):
		writeRetry(w, http.StatusServiceUnavailable, api.CodeBusy, "displaced from the proving queue by a higher-stake validator", s.retryAfter())
	case errors.Is(res.err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, api.CodeTimeout, fmt.Sprintf("proof did not finish within %s", s.cfg.RequestTimeout))
	case errors.Is(res.err, context.Canceled):
		// The caller went away; nobody reads this answer.
		writeError(w, 499, api.CodeTimeout, "request cancelled")
	case errors.Is(res.err, api.ErrBadInput):
		writeError(w, http.StatusBadRequest, api.CodeBadRequest, res.err.Error())
	default:
		writeError(w, http.StatusInternalServerError, api.CodeInternal, "proving failed: "+res.err.Error())
	}
	return res, false
}

// authenticate runs the checks before the queue and returns the caller's
// stake and the body; it answers and returns ok=false on the first failure.
// cost, when not nil, is what the signed body costs against the caller's
// rate limit in requests (the inputs it asks to prove); nil is 1.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, maxBody int64, cost func(body []byte) int) (stake uint64, body []byte, ok bool) {
	a, err := s.verifier.CheckFresh(r.Header)
	if err != nil {
		writeError(w, http.StatusUnauthorized, api.CodeUnauthorized, err.Error())
		return 0, nil, false
	}
	stake, ok = s.cfg.Permits.Permit(a.Hotkey)
	if !ok {
		writeError(w, http.StatusForbidden, api.CodeForbidden,
			fmt.Sprintf("hotkey %s is not a validator with a permit on subnet %d", hex.EncodeToString(a.Hotkey[:]), s.cfg.Subnet))
		return 0, nil, false
	}
	body, err = readBody(w, r, maxBody)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, api.CodeTooLarge, fmt.Sprintf("body over %d bytes", maxBody))
		} else {
			writeError(w, http.StatusBadRequest, api.CodeBadRequest, "reading body: "+err.Error())
		}
		return 0, nil, false
	}
	if err := s.verifier.Verify(a, r.Method, r.URL.RequestURI(), body); err != nil {
		writeError(w, http.StatusUnauthorized, api.CodeUnauthorized, err.Error()+" (see docs/miner-api.md for the signing string)")
		return 0, nil, false
	}
	// The per-caller rate limit comes before the replay cache, so requests
	// over a caller's rate never take a place in it; a nonce already there
	// is refused before the rate limit, so that whoever replays a captured
	// request (anyone on its path) spends none of its signer's allowance.
	now := s.cfg.Now()
	var key replayKey
	copy(key[:32], a.Hotkey[:])
	copy(key[32:], a.Nonce[:])
	if s.replay.has(key, now.Unix()) {
		writeError(w, http.StatusConflict, api.CodeReplay, "nonce "+hex.EncodeToString(a.Nonce[:])+" was already used: sign every request afresh")
		return 0, nil, false
	}
	n := 1
	if cost != nil {
		// A caller without a token left is refused before its body is
		// decoded (the cost of a request over the limit stays a read and
		// a signature check).
		if ok, wait := s.callers.ready(string(a.Hotkey[:]), now); !ok {
			writeRetry(w, http.StatusTooManyRequests, api.CodeRateLimited, "rate limit for this hotkey exceeded", wait)
			return 0, nil, false
		}
		n = cost(body)
	}
	if ok, wait := s.callers.allowN(string(a.Hotkey[:]), n, now); !ok {
		writeRetry(w, http.StatusTooManyRequests, api.CodeRateLimited, "rate limit for this hotkey exceeded", wait)
		return 0, nil, false
	}
	switch err := s.replay.add(key, a.Timestamp+int64(s.cfg.Skew/time.Second)+1, now.Unix()); {
	case errors.Is(err, errReplay):
		writeError(w, http.StatusConflict, api.CodeReplay, "nonce "+hex.EncodeToString(a.Nonce[:])+" was already used: sign every request afresh")
		return 0, nil, false
	case err != nil:
		writeRetry(w, http.StatusTooManyRequests, api.CodeRateLimited,
			fmt.Sprintf("this hotkey has %d requests in the replay window (its quota)", s.cfg.ReplayCap), time.Second)
		return 0, nil, false
	}
	return stake, body, true
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	h := s.hw.get()
	var sizes []int
	if s.cfg.Batch != nil {
		sizes = s.cfg.Batch.Sizes()
	}
	writeJSON(w, http.StatusOK, api.Info{BatchSizes: sizes,
		Hotkey: hex.EncodeToString(s.cfg.Miner[:]), ChainID: s.cfg.ChainID, Subnet: s.cfg.Subnet,
		ModelCommitment: s.cfg.ModelCommitment, CircuitID: s.cfg.CircuitID, Scheme: s.cfg.Scheme, InputLen: s.cfg.InputLen,
		Workers: s.cfg.Workers, QueueCap: s.cfg.QueueCap, Hardware: h, HardwareSummary: h.Canonical(),
		Backend: s.cfg.Backend, BackendDevice: s.cfg.BackendDevice, Version: s.cfg.Version,
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	q, p := s.pool.depth()
	if s.draining.Load() {
		writeError(w, http.StatusServiceUnavailable, api.CodeBusy, "shutting down")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "queued": q, "proving": p})
}

// limitIP rate-limits every request by remote IP before anything else.
func (s *Server) limitIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if ok, wait := s.ips.allow(host, s.cfg.Now()); !ok {
			writeRetry(w, http.StatusTooManyRequests, api.CodeRateLimited, "rate limit for this address exceeded", wait)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// count records every answer in requests_total by path and code.
func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		path := r.URL.Path
		switch path {
		case api.PathInfer, api.PathInferBatch, api.PathInfo, api.PathHealth, api.PathMetrics:
		default:
			path = "other" // bounded label cardinality
		}
		s.metrics.requests.WithLabelValues(path, fmt.Sprint(rec.code)).Inc()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.written {
		r.code, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	writeJSON(w, code, api.Error{Code: errCode, Message: msg})
}

// writeRetry answers with a Retry-After header of at least one second.
func writeRetry(w http.ResponseWriter, code int, errCode, msg string, after time.Duration) {
	secs := int64(math.Ceil(after.Seconds()))
	w.Header().Set("Retry-After", fmt.Sprint(max(secs, 1)))
	writeError(w, code, errCode, msg)
}
