package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClientBoundsAndErrors runs the client against a misbehaving miner
// (an injected fault): oversized answers, error bodies, Retry-After.
func TestClientBoundsAndErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/info", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"hotkey":"` + strings.Repeat("a", 2000) + `"}`))
	})
	mux.HandleFunc("/v1/infer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"code":"busy","error":"queue full"}`))
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderSignature) == "" {
			w.WriteHeader(500)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &Client{BaseURL: srv.URL + "/", Signer: &Signer{ChainID: "c", Key: testKey}, MaxResponse: 1000}
	ctx := context.Background()
	if _, err := c.Info(ctx); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("info: %v", err)
	}
	_, err := c.Infer(ctx, InferRequest{ID: "r", Input: []int8{1}})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 503 || se.Body.Code != CodeBusy || se.RetryAfter != 3*time.Second {
		t.Fatalf("infer: %v (%+v)", err, se)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatalf("health (signed): %v", err)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Health(ctx2); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}
