package ceremonyverify

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/internal/ceremonydir"
)

// TestFetchChecksHashes: a file is accepted only if its bytes hash to what
// the chain recorded, from a local directory or over HTTP; a served file
// with other bytes (a swapped transcript file) is refused and not cached.
func TestFetchChecksHashes(t *testing.T) {
	good, bad := []byte("transcript file"), []byte("another file")
	h := chain.Hash32(sha256.Sum256(good))
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, ceremonydir.FileName(h)), good, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if p, err := fetch(context.Background(), nil, cache, src, h); err != nil || p != filepath.Join(src, ceremonydir.FileName(h)) {
		t.Fatalf("local: %q %v", p, err)
	}
	if _, err := fetch(context.Background(), nil, cache, src, sha256.Sum256(bad)); !errors.Is(err, ErrFetch) {
		t.Fatalf("missing local file: %v", err)
	}
	serve := good
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/c/"+ceremonydir.FileName(h) {
			http.NotFound(w, r)
			return
		}
		w.Write(serve)
	}))
	defer srv.Close()
	serve = bad
	if _, err := fetch(context.Background(), srv.Client(), cache, srv.URL+"/c", h); !errors.Is(err, ErrFetch) {
		t.Fatalf("swapped file over HTTP: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "files", ceremonydir.FileName(h))); err == nil {
		t.Fatal("a file with the wrong hash was cached")
	}
	serve = good
	p, err := fetch(context.Background(), srv.Client(), cache, srv.URL+"/c/", h)
	if err != nil || p != filepath.Join(cache, "files", ceremonydir.FileName(h)) {
		t.Fatalf("HTTP: %q %v", p, err)
	}
	srv.Close()
	if _, err := fetch(context.Background(), nil, cache, "http://127.0.0.1:1/c", h); err != nil {
		t.Fatalf("cached download: %v", err)
	}
}
