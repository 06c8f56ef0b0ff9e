package miner

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/chain"
	"github.com/veritensor/veritensor/chain/keys"
	"github.com/veritensor/veritensor/miner/fault"
)

func TestAdvertiseURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8091":  "http://127.0.0.1:8091",
		"0.0.0.0:8091":    "http://127.0.0.1:8091",
		"[::]:8091":       "http://127.0.0.1:8091",
		"10.1.2.3:1":      "http://10.1.2.3:1",
		"[2001:db8::1]:9": "http://[2001:db8::1]:9",
	} {
		if got := advertiseURL(in); got != want {
			t.Errorf("advertiseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPermitsOf(t *testing.T) {
	pub := func(b byte) []byte {
		seed := make([]byte, ed25519.SeedSize)
		seed[0] = b
		return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	}
	mg := chain.Metagraph{Neurons: []chain.NeuronInfo{
		{Neuron: chain.Neuron{UID: 0, HotkeyPub: pub(1), Stake: 500}, ValidatorPermit: true},
		{Neuron: chain.Neuron{UID: 1, HotkeyPub: pub(2), Stake: 900}},                             // staked, no permit
		{Neuron: chain.Neuron{UID: 2, HotkeyPub: pub(3)[:31], Stake: 100}, ValidatorPermit: true}, // malformed key
		{Neuron: chain.Neuron{UID: 3, HotkeyPub: pub(4), Stake: 7}, ValidatorPermit: true},
	}}
	got := PermitsOf(mg)
	if len(got) != 2 || got[[32]byte(pub(1))] != 500 || got[[32]byte(pub(4))] != 7 {
		t.Fatalf("permits %v", got)
	}
	if _, ok := got[[32]byte(pub(2))]; ok {
		t.Fatal("a UID without a permit may call")
	}
}

// Failures before any chain request: a bad config and a missing hotkey.
func TestRunDaemonRefusesBeforeTheChain(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Home, cfg.Model = t.TempDir(), "m.vtm"
	cfg.Behavior = "sneaky"
	if err := RunDaemon(context.Background(), cfg, DaemonHooks{}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "behavior") {
		t.Fatalf("bad behavior: %v", err)
	}
	cfg.Behavior = fault.Honest
	if err := RunDaemon(context.Background(), cfg, DaemonHooks{}); err == nil || !strings.Contains(err.Error(), `hotkey "hotkey"`) {
		t.Fatalf("missing hotkey: %v", err)
	}
}

// TestSetupDaemon: the setup stage reads the hotkey (its public key is what
// the proofs and the server are bound to) and the fault the config asks
// for, and touches no network.
func TestSetupDaemon(t *testing.T) {
	k := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	cfg := DefaultConfig()
	cfg.Home, cfg.Model = t.TempDir(), "m.vtm"
	if _, err := keys.Open(cfg.Home).Import("hotkey", k); err != nil {
		t.Fatal(err)
	}
	d, err := setupDaemon(cfg, DaemonHooks{})
	if err != nil {
		t.Fatal(err)
	}
	if d.pub != [32]byte(k.Public().(ed25519.PublicKey)) || d.fault != nil {
		t.Fatalf("pub %x, fault %v", d.pub, d.fault)
	}
	cfg.Behavior = fault.Offline
	if d, err = setupDaemon(cfg, DaemonHooks{}); err != nil || d.fault == nil || d.fault.Behavior() != fault.Offline {
		t.Fatalf("offline: %v %v", d, err)
	}
}
