package api

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed request.
const (
	HeaderHotkey    = "X-Veritensor-Hotkey"    // caller's hotkey, 64 hex chars (ed25519 public key)
	HeaderMiner     = "X-Veritensor-Miner"     // addressed miner's hotkey, 64 hex chars
	HeaderTimestamp = "X-Veritensor-Timestamp" // unix seconds, decimal
	HeaderNonce     = "X-Veritensor-Nonce"     // 16 random bytes, 32 hex chars
	HeaderSignature = "X-Veritensor-Signature" // ed25519 signature of SigningString, 128 hex chars
)

// DomainTag starts every signing string so a request signature can never
// be mistaken for a transaction or another protocol's signature.
const DomainTag = "veritensor/miner-request/v1"

// DefaultSkew is the default accepted difference between a request's
// timestamp and the miner's clock.
const DefaultSkew = 60 * time.Second

// Authentication errors. The server maps ErrUnsigned, ErrBadHeader,
// ErrBadSignature, ErrStale and ErrWrongMiner to 401.
var (
	ErrUnsigned     = errors.New("request is not signed")
	ErrBadHeader    = errors.New("malformed authentication header")
	ErrBadSignature = errors.New("bad signature")
	ErrStale        = errors.New("timestamp outside the accepted window")
	ErrWrongMiner   = errors.New("request addressed to another miner")
)

// Auth is the parsed authentication of one request.
type Auth struct {
	Hotkey    [32]byte // caller's ed25519 public key
	Miner     [32]byte // addressed miner's hotkey
	Timestamp int64    // unix seconds
	Nonce     [16]byte // random, unique per caller within the window
	Signature [64]byte
}

// SigningString is the exact byte string a caller signs: lines joined by
// '\n' (no trailing newline) of DomainTag, chainID, hex(miner), the upper-case
// method, the request URI (path and query, as sent), hex(sha256(body)), the
// decimal timestamp and hex(nonce).
func SigningString(chainID string, miner [32]byte, method, uri string, body []byte, ts int64, nonce [16]byte) []byte {
	h := sha256.Sum256(body)
	return []byte(strings.Join([]string{
		DomainTag,
		chainID,
		hex.EncodeToString(miner[:]),
		strings.ToUpper(method),
		uri,
		hex.EncodeToString(h[:]),
		strconv.FormatInt(ts, 10),
		hex.EncodeToString(nonce[:]),
	}, "\n"))
}

// Signer signs validators' requests to miners.
type Signer struct {
	// ChainID is the chain the request is meant for.
	ChainID string
	// Key is the validator's hotkey.
	Key ed25519.PrivateKey
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Rand is the nonce source (crypto/rand when nil).
	Rand io.Reader
}

// Sign sets the authentication headers of req, whose body is body, for the
// miner with hotkey miner.
func (s *Signer) Sign(req *http.Request, body []byte, miner [32]byte) error {
	if len(s.Key) != ed25519.PrivateKeySize {
		return fmt.Errorf("sign request: private key has %d bytes, want %d", len(s.Key), ed25519.PrivateKeySize)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	rnd := rand.Reader
	if s.Rand != nil {
		rnd = s.Rand
	}
	var nonce [16]byte
	if _, err := io.ReadFull(rnd, nonce[:]); err != nil {
		return fmt.Errorf("sign request: nonce: %w", err)
	}
	ts := now().Unix()
	msg := SigningString(s.ChainID, miner, req.Method, req.URL.RequestURI(), body, ts, nonce)
	sig := ed25519.Sign(s.Key, msg)
	pub := s.Key.Public().(ed25519.PublicKey)
	req.Header.Set(HeaderHotkey, hex.EncodeToString(pub))
	req.Header.Set(HeaderMiner, hex.EncodeToString(miner[:]))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, hex.EncodeToString(nonce[:]))
	req.Header.Set(HeaderSignature, hex.EncodeToString(sig))
	return nil
}

// ParseAuth reads the authentication headers without checking the
// signature. ErrUnsigned when none is present; ErrBadHeader (wrapped, naming
// the header) when one is missing or malformed.
func ParseAuth(h http.Header) (Auth, error) {
	var a Auth
	if h.Get(HeaderHotkey) == "" && h.Get(HeaderSignature) == "" {
		return a, ErrUnsigned
	}
	if err := hexHeader(h, HeaderHotkey, a.Hotkey[:]); err != nil {
		return a, err
	}
	if err := hexHeader(h, HeaderMiner, a.Miner[:]); err != nil {
		return a, err
	}
	if err := hexHeader(h, HeaderNonce, a.Nonce[:]); err != nil {
		return a, err
	}
	if err := hexHeader(h, HeaderSignature, a.Signature[:]); err != nil {
		return a, err
	}
	ts := h.Get(HeaderTimestamp)
	if ts == "" || len(ts) > 19 || strings.TrimLeft(ts, "0123456789") != "" {
		return a, fmt.Errorf("%w: %s must be unix seconds in decimal", ErrBadHeader, HeaderTimestamp)
	}
	v, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return a, fmt.Errorf("%w: %s: %v", ErrBadHeader, HeaderTimestamp, err)
	}
	a.Timestamp = v
	return a, nil
}

// hexHeader decodes header name as exactly len(dst) bytes of hex.
func hexHeader(h http.Header, name string, dst []byte) error {
	v := h.Values(name)
	if len(v) != 1 {
		return fmt.Errorf("%w: want exactly one %s header, got %d", ErrBadHeader, name, len(v))
	}
	if len(v[0]) != 2*len(dst) {
		return fmt.Errorf("%w: %s must be %d hex characters", ErrBadHeader, name, 2*len(dst))
	}
	if _, err := hex.Decode(dst, []byte(v[0])); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadHeader, name, err)
	}
	return nil
}

// Verifier checks requests addressed to one miner.
type Verifier struct {
	// ChainID is the chain the miner serves on.
	ChainID string
	// Miner is the miner's hotkey; requests addressed to another are
	// refused (a validator's request cannot be replayed to a second miner).
	Miner [32]byte
	// Skew is the accepted |timestamp - now| (DefaultSkew when 0).
	Skew time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// CheckFresh checks everything but the signature: the headers parse, the
// request is addressed to this miner and the timestamp is within Skew of
// now. Servers call it before reading the body, then Verify.
func (v *Verifier) CheckFresh(h http.Header) (Auth, error) {
	a, err := ParseAuth(h)
	if err != nil {
		return a, err
	}
	if a.Miner != v.Miner {
		return a, fmt.Errorf("%w: this miner is %x", ErrWrongMiner, v.Miner)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.Skew
	if skew <= 0 {
		skew = DefaultSkew
	}
	d := now().Unix() - a.Timestamp
	if d < 0 {
		d = -d
	}
	if d > int64(skew/time.Second) || d < 0 { // d < 0: overflow of -MinInt64
		return a, fmt.Errorf("%w: timestamp %d is %d s from the miner's clock (window %s)", ErrStale, a.Timestamp, d, skew)
	}
	return a, nil
}

// Verify checks the signature of a fresh request: a from CheckFresh, the
// request's method, URI and full body.
func (v *Verifier) Verify(a Auth, method, uri string, body []byte) error {
	msg := SigningString(v.ChainID, a.Miner, method, uri, body, a.Timestamp, a.Nonce)
	if !ed25519.Verify(a.Hotkey[:], msg, a.Signature[:]) {
		return ErrBadSignature
	}
	return nil
}

// VerifyRequest is CheckFresh then Verify in one call, for callers that
// already hold the body.
func (v *Verifier) VerifyRequest(method, uri string, h http.Header, body []byte) (Auth, error) {
	a, err := v.CheckFresh(h)
	if err != nil {
		return a, err
	}
	return a, v.Verify(a, method, uri, body)
}
