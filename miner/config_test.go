package miner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultConfigIsValidOnceModelIsSet(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "model") {
		t.Fatalf("default without model: %v", err)
	}
	c.Model = "m.bin"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Workers < 1 || c.Queue != 4*c.Workers {
		t.Fatalf("workers %d queue %d", c.Workers, c.Queue)
	}
}

func TestLoadConfigFormatsAndFlagOverride(t *testing.T) {
	js := write(t, "miner.json", `{"home":"/tmp/h","subnet":3,"model":"m.bin","listen":"127.0.0.1:9000",
		"node":"http://10.0.0.1:26657","workers":2,"queue":5,"request-timeout":"45s","clock-skew":30}`)
	kv := write(t, "miner.toml", `# miner config
home = "/tmp/h"
subnet = 3
model = "m.bin"   
listen = 127.0.0.1:9000 # trailing comment
node = "http://10.0.0.1:26657"
workers = 2
queue = 5
request-timeout = 45s
clock-skew = 30s
`)
	for _, p := range []string{js, kv} {
		c, err := LoadConfig(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if c.Home != "/tmp/h" || c.Subnet != 3 || c.Model != "m.bin" || c.Listen != "127.0.0.1:9000" || c.Workers != 2 ||
			c.Queue != 5 || time.Duration(c.RequestTimeout) != 45*time.Second || time.Duration(c.ClockSkew) != 30*time.Second {
			t.Fatalf("%s: %+v", p, c)
		}
		// Keys the file left out keep their defaults.
		if time.Duration(c.ShutdownTimeout) != time.Minute || c.RateBurst != 20 {
			t.Fatalf("%s: defaults lost: %+v", p, c)
		}
		// Flags override the file.
		if err := c.Set("workers", "7"); err != nil || c.Workers != 7 {
			t.Fatalf("override: %v %d", err, c.Workers)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		sc := c.ServerConfig()
		if sc.Workers != 7 || sc.QueueCap != 5 || sc.Skew != 30*time.Second || sc.Subnet != 3 {
			t.Fatalf("server config %+v", sc)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	files := map[string]string{
		"unknown json key": `{"modle":"x"}`,
		"unknown kv key":   "modle = x\n",
		"no equals":        "model\n",
		"bad number":       "workers = many\n",
		"bad duration":     "request-timeout = soon\n",
		"bad json":         `{"home":`,
		"bad quote":        `model = "a\q"` + "\n",
	}
	for name, text := range files {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadConfig(write(t, "c", text)); !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrConfig) {
		t.Fatalf("missing file: %v", err)
	}
	invalid := map[string]func(*Config){
		"workers":         func(c *Config) { c.Workers = 0 },
		"queue":           func(c *Config) { c.Queue = 0 },
		"listen":          func(c *Config) { c.Listen = "nowhere" },
		"node":            func(c *Config) { c.Node = "10.0.0.1:26657" },
		"node ":           func(c *Config) { c.Node = "http://10.0.0.1:26657,10.0.0.2:26657" },
		"clock-skew":      func(c *Config) { c.ClockSkew = Duration(time.Millisecond) },
		"request-timeout": func(c *Config) { c.RequestTimeout = 0 },
		"max-body":        func(c *Config) { c.MaxBody = 10 },
		"home":            func(c *Config) { c.Home = "" },
	}
	for key, mod := range invalid {
		c := DefaultConfig()
		c.Model = "m"
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), strings.TrimSpace(key)) {
			t.Errorf("%s: %v", key, err)
		}
	}
	// Several node addresses (failover) are valid when each one is.
	c := DefaultConfig()
	c.Model = "m"
	c.Node = "http://10.0.0.1:26657, tcp://10.0.0.2:26657"
	if err := c.Validate(); err != nil {
		t.Errorf("node list: %v", err)
	}
}

func TestBehaviorConfigKeys(t *testing.T) {
	base := DefaultConfig()
	base.Model = "m.vtm"
	victim := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		set  map[string]string
		want string // "" valid, else the key named in the error
	}{
		{map[string]string{}, ""},
		{map[string]string{"behavior": "lazy"}, ""},
		{map[string]string{"behavior": "offline"}, ""},
		{map[string]string{"behavior": "sneaky"}, "behavior"},
		{map[string]string{"behavior": "forger"}, "forge-model"},
		{map[string]string{"behavior": "forger", "forge-model": "f.vtm"}, ""},
		{map[string]string{"behavior": "copycat"}, "copy-hotkey"},
		{map[string]string{"behavior": "copycat", "copy-hotkey": victim[:62]}, "copy-hotkey"},
		{map[string]string{"behavior": "copycat", "copy-hotkey": victim}, ""},
		{map[string]string{"hotkey": ""}, "hotkey"},
		{map[string]string{"advertise": "ftp://x"}, "advertise"},
		{map[string]string{"advertise": "http://203.0.113.7:8091", "refresh": "1s", "poll": "1s", "tx-timeout": "5s", "fee": "7", "keys-dir": "/k"}, ""},
		{map[string]string{"refresh": "0s"}, "tx-timeout"},
	} {
		c := base
		for k, v := range tc.set {
			if err := c.Set(k, v); err != nil {
				t.Fatalf("%v: set %s: %v", tc.set, k, err)
			}
		}
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.set, err)
		case tc.want != "" && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want+":")):
			t.Errorf("%v: %v, want an error naming %s", tc.set, err, tc.want)
		}
	}
	// The subnet ID is a uint16, as on chain: 65536 is refused when set.
	c := base
	if err := c.Set("subnet", "65536"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "subnet") {
		t.Errorf("subnet 65536: %v, want ErrConfig naming subnet", err)
	}
	for _, k := range ConfigKeys { // every key is settable
		if err := c.Set(k, "1"); err != nil && !strings.Contains(err.Error(), k) {
			t.Errorf("key %s: %v", k, err)
		}
	}
}
