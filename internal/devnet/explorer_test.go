package devnet

import (
	"context"
	"net/http"
	"testing"
)

// The devnet's explorer serves its status page (even with no node up) and
// stops when asked.
func TestStartExplorer(t *testing.T) {
	url, stop, err := startExplorer(context.Background(), "127.0.0.1:0", []string{"tcp://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(url + "status")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("status page: %v %v", res, err)
	}
	res.Body.Close()
	stop()
	if _, err := http.Get(url); err == nil {
		t.Fatal("explorer still serving after stop")
	}
	if _, _, err := startExplorer(context.Background(), "256.1.1.1:0", []string{"tcp://127.0.0.1:1"}); err == nil {
		t.Fatal("bad listen address accepted")
	}
}
