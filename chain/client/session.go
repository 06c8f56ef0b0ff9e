package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/veritensor/veritensor/chain"
)

// ErrNotRegistered reports that a daemon's hotkey holds no UID on its
// subnet. The miner and the validator return it (miner.ErrNotRegistered and
// validator.ErrNotRegistered are this value).
var ErrNotRegistered = errors.New("hotkey not registered on the subnet")

// ErrHotkey reports a signing key that is not an ed25519 private key.
var ErrHotkey = errors.New("hotkey is not an ed25519 private key")

// Session is a Client bound to one subnet and one signing hotkey, with the
// retry policy of Options: the part of a daemon's chain client that the
// miner (miner.ChainClient) and the validator (validator.ChainClient) share.
// It is safe for concurrent use.
type Session struct {
	c      *Client
	addr   string
	subnet uint16
	key    ed25519.PrivateKey
	pub    [32]byte
	signer chain.Address
	opts   Options
}

// NewSession connects to the node at addr (its CometBFT RPC,
// "tcp://127.0.0.1:26657" or "http://..."; tcp:// when no scheme is given;
// no request is made yet) for subnet, signing with hotkey. A key of the
// wrong size wraps ErrHotkey.
func NewSession(addr string, subnet uint16, hotkey ed25519.PrivateKey, opts Options) (*Session, error) {
	if len(hotkey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: it has %d bytes", ErrHotkey, len(hotkey))
	}
	c, err := New(addr) // New reads the address as given
	if err != nil {
		return nil, err
	}
	if !strings.Contains(addr, "://") {
		addr = "tcp://" + addr
	}
	pub := hotkey.Public().(ed25519.PublicKey)
	s := &Session{c: c, addr: addr, subnet: subnet, key: hotkey, signer: chain.AddressFromPubKey(pub),
		opts: opts.WithDefaults()}
	copy(s.pub[:], pub)
	return s, nil
}

// Client is the underlying chain client.
func (s *Session) Client() *Client { return s.c }

// Addr is the node's RPC address, with its scheme.
func (s *Session) Addr() string { return s.addr }

// SubnetID is the subnet this session works on.
func (s *Session) SubnetID() uint16 { return s.subnet }

// Hotkey is the signing hotkey's public key and address.
func (s *Session) Hotkey() ([32]byte, chain.Address) { return s.pub, s.signer }

// Key is the signing hotkey.
func (s *Session) Key() ed25519.PrivateKey { return s.key }

// Options are the session's options, defaults filled in.
func (s *Session) Options() Options { return s.opts }

// Retry runs f with the session's retry policy (see Retry).
func (s *Session) Retry(ctx context.Context, f func() error) error {
	return Retry(ctx, s.opts.Retries, s.opts.RetryBackoff, f)
}

// ChainID asks the node for its chain ID (cached after the first answer),
// retrying like every read.
func (s *Session) ChainID(ctx context.Context) (string, error) {
	var id string
	err := s.Retry(ctx, func() (err error) { id, err = s.c.ChainID(ctx); return err })
	return id, err
}

// WaitChainID asks the node for its chain ID until it answers or ctx ends
// (then it returns ctx.Err()): the daemons' start-up wait for their node.
// It waits 1 s after the first failure, doubling up to 30 s; onRetry, if
// not nil, hears each failure and the wait before the next try.
func (s *Session) WaitChainID(ctx context.Context, onRetry func(err error, wait time.Duration)) (string, error) {
	b := Backoff{Min: time.Second, Max: 30 * time.Second}
	for {
		id, err := s.ChainID(ctx)
		if err == nil {
			return id, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		wait := b.Next()
		if onRetry != nil {
			onRetry(err, wait)
		}
		if err := Sleep(ctx, wait); err != nil {
			return "", err
		}
	}
}
