package server

import (
	"context"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/miner/api"
)

// TestInfoBackend: /v1/info says what the miner proves on, "cpu" by
// default, and the GPU's name for the ICICLE backend.
func TestInfoBackend(t *testing.T) {
	for _, tc := range []struct{ backend, device, want string }{
		{"", "", "cpu"},
		{"icicle-gpu", "NVIDIA H200", "icicle-gpu"},
	} {
		ts := start(t, func(c *Config) { c.Backend, c.BackendDevice = tc.backend, tc.device })
		c := &api.Client{BaseURL: ts.url, Miner: testMiner, Signer: &api.Signer{ChainID: testChain, Key: high}}
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.Backend != tc.want || info.BackendDevice != tc.device {
			t.Errorf("backend %q device %q, want %q %q", info.Backend, info.BackendDevice, tc.want, tc.device)
		}
		raw := get(t, ts.url+api.PathInfo)
		if !strings.Contains(raw, `"backend":"`+tc.want+`"`) {
			t.Errorf("/v1/info body lacks the backend: %s", raw)
		}
	}
}
