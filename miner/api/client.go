package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxResponse bounds the bytes Client reads from one answer.
const DefaultMaxResponse = 1 << 20

// ErrResponseTooLarge reports an answer over Client.MaxResponse bytes.
var ErrResponseTooLarge = errors.New("miner response too large")

// StatusError is a non-2xx answer from a miner.
type StatusError struct {
	// Status is the HTTP status code.
	Status int
	// Body is the decoded error body (Code and Message are empty when the
	// miner sent none).
	Body Error
	// RetryAfter is the miner's Retry-After hint (0 when absent).
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := e.Body.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Body.Code != "" {
		return fmt.Sprintf("miner answered %d %s: %s", e.Status, e.Body.Code, msg)
	}
	return fmt.Sprintf("miner answered %d: %s", e.Status, msg)
}

// Client calls one miner's API as a validator.
type Client struct {
	// BaseURL is the miner's endpoint, e.g. "http://10.0.0.5:8091".
	BaseURL string
	// Miner is the miner's hotkey: requests are addressed to it.
	Miner [32]byte
	// Signer signs every request.
	Signer *Signer
	// HTTP is the transport (a client with a 60 s timeout when nil);
	// per-call deadlines come from the context.
	HTTP *http.Client
	// MaxResponse bounds the bytes read from one answer
	// (DefaultMaxResponse when 0).
	MaxResponse int64
}

var defaultHTTP = &http.Client{Timeout: 60 * time.Second}

// Infer sends req to POST /v1/infer and returns the miner's answer. A
// non-2xx answer is a *StatusError. The caller verifies the proof.
func (c *Client) Infer(ctx context.Context, req InferRequest) (InferResponse, error) {
	var out InferResponse
	body, err := json.Marshal(req)
	if err != nil {
		return out, fmt.Errorf("infer: %w", err)
	}
	if err := c.do(ctx, http.MethodPost, PathInfer, body, &out); err != nil {
		return out, fmt.Errorf("infer %s: %w", req.ID, err)
	}
	return out, nil
}

// Info fetches GET /v1/info (signed like every call, though the miner does
// not require it).
func (c *Client) Info(ctx context.Context) (Info, error) {
	var out Info
	if err := c.do(ctx, http.MethodGet, PathInfo, nil, &out); err != nil {
		return out, fmt.Errorf("info: %w", err)
	}
	return out, nil
}

// Health calls GET /healthz; nil when the miner answers 200.
func (c *Client) Health(ctx context.Context) error {
	if err := c.do(ctx, http.MethodGet, PathHealth, nil, nil); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	if c.Signer == nil {
		return errors.New("client has no signer")
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := c.Signer.Sign(req, body, c.Miner); err != nil {
		return err
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	limit := c.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("%w: over %d bytes", ErrResponseTooLarge, limit)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Status: resp.StatusCode}
		_ = json.Unmarshal(data, &se.Body) // best effort: the status says enough
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 && s < 86400 {
			se.RetryAfter = time.Duration(s) * time.Second
		}
		return se
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	return nil
}
