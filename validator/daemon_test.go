package validator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/internal/task"
)

// TestDaemonConfigLayers: defaults, then the file, then Set (the flags);
// unknown keys and bad values are named errors.
func TestDaemonConfigLayers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "validator.json")
	file := `{"home": "/srv/v", "subnet": 7, "node": "tcp://10.0.0.5:26657", "graded": 5,
		"request-timeout": "30s", "tx-timeout": 90, "metrics-listen": ""}`
	if err := os.WriteFile(p, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadDaemonConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultDaemonConfig()
	if c.Home != "/srv/v" || c.Subnet != 7 || c.Graded != 5 || c.Decoys != d.Decoys || c.Hotkey != "hotkey" ||
		time.Duration(c.RequestTimeout) != 30*time.Second || time.Duration(c.TxTimeout) != 90*time.Second || c.MetricsListen != "" {
		t.Fatalf("loaded %+v", c)
	}
	for k, v := range map[string]string{"subnet": "9", "graded": "2", "request-timeout": "1m", "hotkey": "v1", "dataset": "mnist-7x7"} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if c.Subnet != 9 || c.Graded != 2 || time.Duration(c.RequestTimeout) != time.Minute || c.Hotkey != "v1" || c.Dataset != "mnist-7x7" {
		t.Fatalf("after Set: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"subnet", "70000"}, {"graded", "x"}, {"poll", "soon"}, {"colour", "red"}} {
		if err := c.Set(kv[0], kv[1]); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("Set(%s, %s): %v", kv[0], kv[1], err)
		}
	}
	if err := os.WriteFile(p, []byte(`{"subnet": 1, "subnt": 2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDaemonConfig(p); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "subnt") {
		t.Fatalf("unknown key: %v", err)
	}
	bad := []func(*DaemonConfig){
		func(c *DaemonConfig) { c.Dataset = "cifar" },
		func(c *DaemonConfig) { c.Hotkey = "" },
		func(c *DaemonConfig) { c.LatencyTarget = c.RequestTimeout },
		func(c *DaemonConfig) { c.Graded, c.Decoys = 0, 0 },
		func(c *DaemonConfig) { c.MetricsListen = "nocolon" },
		func(c *DaemonConfig) { c.Concurrency = 0 },
	}
	for i, mut := range bad {
		c := DefaultDaemonConfig()
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("bad config %d accepted: %v", i, err)
		}
	}
}

// TestDaemonWithoutNode: with no node listening, reads fail with an error
// after their retries (no hang, no panic), the subscription is refused, and
// the daemon keeps retrying, serving /metrics, until it is stopped; then it
// returns nil.
func TestDaemonWithoutNode(t *testing.T) {
	dead := deadEndpoint(t)
	cc, err := NewChainClient(strings.Replace(dead, "http://", "tcp://", 1), 0, key(9),
		ChainOptions{Retries: 2, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cc.Head(ctx); err == nil {
		t.Fatal("Head without a node succeeded")
	}
	if _, err := cc.Snapshot(ctx); err == nil {
		t.Fatal("Snapshot without a node succeeded")
	}
	if _, err := cc.SubscribeBlocks(ctx); err == nil {
		t.Fatal("subscription without a node succeeded")
	}
	if err := cc.CommitWeights(ctx, [32]byte{1}); err == nil || errors.Is(err, ErrRejected) {
		t.Fatalf("commit without a node: %v (must be transient, not rejected)", err)
	}

	home := t.TempDir()
	if _, err := keys.Open(home).Import("hotkey", key(9)); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultDaemonConfig()
	cfg.Home, cfg.Node, cfg.MetricsListen = home, dead, "127.0.0.1:0"
	dctx, stop := context.WithCancel(ctx)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- RunDaemon(dctx, cfg, DaemonHooks{OnMetrics: func(a string) { addr <- a }})
	}()
	// The node is never reached, so the engine (and its metrics) never
	// start; the daemon waits, retrying.
	select {
	case err := <-done:
		t.Fatalf("daemon returned without a node: %v", err)
	case a := <-addr:
		t.Fatalf("metrics served before the chain ID was known: %s", a)
	case <-time.After(2500 * time.Millisecond):
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop")
	}
	// A missing key is a clear error before anything else.
	cfg.Hotkey = "nokey"
	if err := RunDaemon(ctx, cfg, DaemonHooks{}); err == nil || !strings.Contains(err.Error(), "nokey") {
		t.Fatalf("missing hotkey: %v", err)
	}
}

// TestConfigAgreesWithDaemonConfig: the engine's Config takes the command's
// defaults (DefaultDaemonConfig) for its zero challenge settings, and both
// reject the same settings with the same named error. A latency target at or
// over the request timeout is an error in both: the engine used to halve it
// silently while the command rejected it.
func TestConfigAgreesWithDaemonConfig(t *testing.T) {
	base := Config{Hotkey: key(1), Home: t.TempDir(), Chain: &fakeChain{}, Submitter: submitter{},
		Dataset: &task.Samples{Inputs: [][]int8{{0}}, Labels: []uint32{0}}}
	got, err := base.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultDaemonConfig().engineConfig()
	if got.Graded != want.Graded || got.Decoys != want.Decoys || got.RequestTimeout != want.RequestTimeout ||
		got.LatencyTarget != want.LatencyTarget || got.Concurrency != want.Concurrency || got.Poll != want.Poll {
		t.Fatalf("engine defaults %+v differ from the command's %+v", got, want)
	}
	for _, tc := range []struct {
		name   string
		engine func(*Config)
		cmd    func(*DaemonConfig)
	}{
		{"latency target equal to the request timeout",
			func(c *Config) { c.RequestTimeout, c.LatencyTarget = 5*time.Second, 5*time.Second },
			func(c *DaemonConfig) {
				c.RequestTimeout, c.LatencyTarget = Duration(5*time.Second), Duration(5*time.Second)
			}},
		{"latency target over the request timeout",
			func(c *Config) { c.RequestTimeout, c.LatencyTarget = time.Second, 3*time.Second },
			func(c *DaemonConfig) {
				c.RequestTimeout, c.LatencyTarget = Duration(time.Second), Duration(3*time.Second)
			}},
		{"default latency target over a short request timeout",
			func(c *Config) { c.RequestTimeout = time.Second },
			func(c *DaemonConfig) { c.RequestTimeout = Duration(time.Second) }},
		{"negative decoys",
			func(c *Config) { c.Decoys = -1 },
			func(c *DaemonConfig) { c.Decoys = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.engine(&c)
			if _, err := New(c); !errors.Is(err, ErrConfig) {
				t.Errorf("engine accepted it: %v", err)
			}
			d := DefaultDaemonConfig()
			tc.cmd(&d)
			if err := d.Validate(); !errors.Is(err, ErrConfig) {
				t.Errorf("command accepted it: %v", err)
			}
		})
	}
}
