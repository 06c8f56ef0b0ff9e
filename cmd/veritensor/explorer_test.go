package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestExplorerFlags(t *testing.T) {
	if _, err := parseLinks([]string{"node0=http://127.0.0.1:26660/metrics"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"node0", "=http://x", "n=ftp://x"} {
		if _, err := parseLinks([]string{bad}); err == nil {
			t.Errorf("--metrics %q accepted", bad)
		}
	}
	for _, args := range [][]string{{"explorer", "extra"}, {"explorer", "--metrics", "nope"}, {"explorer", "--listen", "256.0.0.1:x"}} {
		app := newApp()
		app.Writer, app.ErrWriter = &bytes.Buffer{}, &bytes.Buffer{}
		if err := app.Run(append([]string{"veritensor"}, args...)); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// The explorer prints its URL (-o json) and serves until the context ends;
// with no node up, pages say so (503) and the status page answers.
func TestExplorerServes(t *testing.T) {
	app := newApp()
	out := &lockedBuffer{}
	app.Writer = out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"veritensor", "explorer", "--node", "tcp://127.0.0.1:1", "--listen", "127.0.0.1:0", "-o", "json"})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "}") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var start explorerStart
	if err := json.Unmarshal([]byte(out.String()), &start); err != nil || !strings.HasPrefix(start.URL, "http://127.0.0.1:") {
		t.Fatalf("start line %q: %v", out.String(), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
