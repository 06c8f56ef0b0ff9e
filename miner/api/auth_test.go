package api

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

var (
	testSeed  = bytes.Repeat([]byte{7}, 32)
	testKey   = ed25519.NewKeyFromSeed(testSeed)
	testMiner = [32]byte{1, 2, 3}
	testNow   = time.Unix(1_700_000_000, 0)
)

func signed(t *testing.T, method, uri string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "http://miner.example"+uri, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	s := &Signer{ChainID: "vt-test", Key: testKey, Now: func() time.Time { return testNow }}
	if err := s.Sign(req, body, testMiner); err != nil {
		t.Fatal(err)
	}
	return req
}

func verifier() *Verifier {
	return &Verifier{ChainID: "vt-test", Miner: testMiner, Now: func() time.Time { return testNow }}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	body := []byte(`{"id":"a","epoch":3,"input":[1,2]}`)
	req := signed(t, "POST", "/v1/infer", body)
	a, err := verifier().VerifyRequest("POST", req.URL.RequestURI(), req.Header, body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Hotkey[:], testKey.Public().(ed25519.PublicKey)) || a.Timestamp != testNow.Unix() {
		t.Fatalf("auth %+v", a)
	}
	// Two signatures never share a nonce.
	req2 := signed(t, "POST", "/v1/infer", body)
	if req.Header.Get(HeaderNonce) == req2.Header.Get(HeaderNonce) {
		t.Fatal("nonce repeated")
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	body := []byte(`{"id":"a"}`)
	cases := []struct {
		name   string
		method string
		uri    string
		body   []byte
		mutate func(h http.Header, v *Verifier)
		want   error
	}{
		{"other method", "GET", "/v1/infer", body, nil, ErrBadSignature},
		{"other path", "POST", "/v1/info", body, nil, ErrBadSignature},
		{"query added", "POST", "/v1/infer?x=1", body, nil, ErrBadSignature},
		{"other body", "POST", "/v1/infer", []byte(`{"id":"b"}`), nil, ErrBadSignature},
		{"other chain", "POST", "/v1/infer", body, func(_ http.Header, v *Verifier) { v.ChainID = "vt-main" }, ErrBadSignature},
		{"other miner", "POST", "/v1/infer", body, func(_ http.Header, v *Verifier) { v.Miner[0] ^= 1 }, ErrWrongMiner},
		{"miner header rewritten", "POST", "/v1/infer", body, func(h http.Header, v *Verifier) {
			h.Set(HeaderMiner, strings.Repeat("ab", 32))
			v.Miner = [32]byte{0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab}
		}, ErrBadSignature},
		{"timestamp bumped", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Set(HeaderTimestamp, "1700000001") }, ErrBadSignature},
		{"nonce changed", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Set(HeaderNonce, strings.Repeat("00", 16)) }, ErrBadSignature},
		{"other key", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Set(HeaderHotkey, strings.Repeat("11", 32)) }, ErrBadSignature},
		{"stale", "POST", "/v1/infer", body, func(_ http.Header, v *Verifier) { v.Now = func() time.Time { return testNow.Add(61 * time.Second) } }, ErrStale},
		{"future", "POST", "/v1/infer", body, func(_ http.Header, v *Verifier) { v.Now = func() time.Time { return testNow.Add(-61 * time.Second) } }, ErrStale},
		{"narrow window", "POST", "/v1/infer", body, func(_ http.Header, v *Verifier) {
			v.Skew = 5 * time.Second
			v.Now = func() time.Time { return testNow.Add(6 * time.Second) }
		}, ErrStale},
		{"no headers", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) {
			for k := range h {
				delete(h, k)
			}
		}, ErrUnsigned},
		{"bad hex", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Set(HeaderSignature, strings.Repeat("zz", 64)) }, ErrBadHeader},
		{"short key", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Set(HeaderHotkey, "abcd") }, ErrBadHeader},
		{"doubled header", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Add(HeaderNonce, h.Get(HeaderNonce)) }, ErrBadHeader},
		{"negative timestamp", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Set(HeaderTimestamp, "-5") }, ErrBadHeader},
		{"huge timestamp", "POST", "/v1/infer", body, func(h http.Header, _ *Verifier) { h.Set(HeaderTimestamp, "99999999999999999999") }, ErrBadHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := signed(t, "POST", "/v1/infer", body)
			v := verifier()
			if tc.mutate != nil {
				tc.mutate(req.Header, v)
			}
			_, err := v.VerifyRequest(tc.method, tc.uri, req.Header, tc.body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSigningStringIsPinned(t *testing.T) {
	// The exact layout is part of the protocol (docs/miner-api.md): changing
	// it breaks every validator.
	got := string(SigningString("vt-1", [32]byte{0xff}, "post", "/v1/infer", []byte("abc"), 42, [16]byte{0x0a}))
	want := "veritensor/miner-request/v1\nvt-1\nff" + strings.Repeat("00", 31) + "\nPOST\n/v1/infer\n" +
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n42\n0a" + strings.Repeat("00", 15)
	if got != want {
		t.Fatalf("signing string\n%q\nwant\n%q", got, want)
	}
}

func FuzzParseAuth(f *testing.F) {
	f.Add(strings.Repeat("ab", 32), strings.Repeat("01", 32), "1700000000", strings.Repeat("cd", 16), strings.Repeat("ef", 64))
	f.Add("", "", "", "", "")
	f.Add("zz", "01", "-1", "x", "y")
	f.Add(strings.Repeat("AB", 32), strings.Repeat("01", 32), "00000000000000000001", strings.Repeat("cd", 16), strings.Repeat("ef", 64))
	v := verifier()
	f.Fuzz(func(t *testing.T, hot, miner, ts, nonce, sig string) {
		h := http.Header{}
		h.Set(HeaderHotkey, hot)
		h.Set(HeaderMiner, miner)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		a, err := ParseAuth(h)
		if err != nil {
			if !errors.Is(err, ErrBadHeader) && !errors.Is(err, ErrUnsigned) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if a.Timestamp < 0 {
			t.Fatalf("negative timestamp accepted: %d", a.Timestamp)
		}
		// A random signature must not verify.
		if _, err := v.VerifyRequest("POST", "/v1/infer", h, nil); err == nil {
			t.Fatalf("fuzzed headers verified: %+v", a)
		}
	})
}
