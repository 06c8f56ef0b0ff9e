package node

import (
	"os"
	"strings"
	"testing"

	cfg "github.com/cometbft/cometbft/config"
)

// TestCometConfigToml: a home with config.toml takes every CometBFT setting
// from it (node.json's listen addresses are read back from it); without one,
// node.json's safe p2p defaults apply unless p2p_loopback is set.
func TestCometConfigToml(t *testing.T) {
	home := t.TempDir()
	c := DefaultConfig()
	base := baseCometConfig(home, c)
	if !base.P2P.AddrBookStrict || base.P2P.AllowDuplicateIP {
		t.Fatal("real-host defaults must be strict")
	}
	c.P2PLoopback = true
	if lb := baseCometConfig(home, c); lb.P2P.AddrBookStrict || !lb.P2P.AllowDuplicateIP {
		t.Fatal("loopback networks need relaxed p2p checks")
	}
	c.P2PLoopback = false
	if err := WriteCometConfig(home, c, func(cc *cfg.Config) {
		cc.P2P.Seeds = "abc@203.0.113.1:26656"
		cc.P2P.ExternalAddress = "203.0.113.5:26656"
	}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(CometConfigFile(home))
	if !strings.Contains(string(b), "# ") || !strings.Contains(string(b), `external_address = "203.0.113.5:26656"`) {
		t.Fatal("config.toml is not CometBFT's commented template with our settings")
	}
	edited := strings.Replace(string(b), `laddr = "tcp://127.0.0.1:26657"`, `laddr = "tcp://127.0.0.1:46657"`, 1)
	edited = strings.Replace(edited, "prometheus = false", "prometheus = true", 1)
	if err := os.WriteFile(CometConfigFile(home), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	got := c
	cc, err := cometConfig(home, &got)
	if err != nil {
		t.Fatal(err)
	}
	if cc.P2P.Seeds != "abc@203.0.113.1:26656" || cc.RPC.ListenAddress != "tcp://127.0.0.1:46657" || !cc.P2P.AddrBookStrict {
		t.Fatalf("toml not honoured: %+v %+v", cc.P2P, cc.RPC.ListenAddress)
	}
	if got.RPCListen != "tcp://127.0.0.1:46657" || !got.Prometheus {
		t.Fatalf("node.json view not updated from config.toml: %+v", got)
	}
}
