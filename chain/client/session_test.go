package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/veritensor/veritensor/chain"
)

func TestNewSession(t *testing.T) {
	if _, err := NewSession("127.0.0.1:1", 3, make([]byte, 10), Options{}); !errors.Is(err, ErrHotkey) {
		t.Fatalf("short key: %v, want ErrHotkey", err)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	s, err := NewSession("127.0.0.1:1", 3, key, Options{Fee: 9})
	if err != nil {
		t.Fatal(err)
	}
	pub, addr := s.Hotkey()
	if s.Addr() != "tcp://127.0.0.1:1" || s.SubnetID() != 3 || s.Options().Fee != 9 || s.Options().Retries != 3 ||
		[32]byte(key.Public().(ed25519.PublicKey)) != pub || addr != chain.AddressFromPubKey(key.Public().(ed25519.PublicKey)) {
		t.Fatalf("session %s subnet %d options %+v hotkey %x %s", s.Addr(), s.SubnetID(), s.Options(), pub, addr)
	}
}

// TestWaitChainIDBacksOff: with no node, WaitChainID retries with a doubling
// wait from 1 s and returns ctx's error when ctx ends.
func TestWaitChainIDBacksOff(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	s, err := NewSession("127.0.0.1:1", 0, key, Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var waits []time.Duration
	_, err = s.WaitChainID(ctx, func(_ error, d time.Duration) {
		waits = append(waits, d)
		cancel() // end during the first wait
	})
	if !errors.Is(err, context.Canceled) || len(waits) != 1 || waits[0] != time.Second {
		t.Fatalf("err %v, waits %v; want context.Canceled after one 1s wait", err, waits)
	}
}
