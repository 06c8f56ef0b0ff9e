package server

import (
	"context"
	"net/http"

	"github.com/veritensor/veritensor/miner/api"
)

// handleInferBatch serves POST /v2/infer: the checks of /v1/infer (with
// MaxBatchBody), one queued job per batch, one proof for its k inputs. A
// batch of k inputs costs k requests against the caller's rate limit (at
// most its burst), as k /v1/infer requests would: a permit buys no more
// proved inferences by batching them. It is one nonce of the replay quota.
func (s *Server) handleInferBatch(w http.ResponseWriter, r *http.Request) {
	var req api.BatchInferRequest
	var err error
	stake, _, ok := s.authenticate(w, r, s.cfg.MaxBatchBody, func(body []byte) int {
		req, err = api.DecodeBatchInferRequest(body, s.cfg.InputLen, s.cfg.Batch.Sizes())
		return len(req.Inputs) // 0 (so 1) for a bad body
	})
	if !ok {
		return
	}
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
	prove := func(ctx context.Context) (res result) {
		res.classes, res.proof, res.public, res.err = s.cfg.Batch.ProveBatch(ctx, req.Inputs, req.Epoch)
		return res
	}
	j := &job{stake: stake, epoch: req.Epoch, prove: prove, ctx: ctx, done: make(chan result, 1)}
	if res, ok := s.runJob(w, j); ok {
		writeJSON(w, http.StatusOK, api.BatchInferResponse{
			ID: req.ID, Epoch: req.Epoch, Classes: res.classes, Proof: res.proof, Public: res.public,
			ProveMillis: res.took.Milliseconds(),
		})
	}
}
