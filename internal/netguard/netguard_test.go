package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/veritensor/veritensor/chain"
)

func TestCheckIP(t *testing.T) {
	cases := []struct {
		ip                     string
		public, loopback, priv bool // allowed with: nothing, AllowLoopback, AllowPrivate
	}{
		{"8.8.8.8", true, true, true},
		{"2606:4700::1111", true, true, true},
		{"127.0.0.1", false, true, false},
		{"127.8.9.10", false, true, false},
		{"::1", false, true, false},
		{"::ffff:127.0.0.1", false, true, false}, // IPv4-mapped
		{"10.1.2.3", false, false, true},
		{"172.16.0.1", false, false, true},
		{"192.168.1.1", false, false, true},
		{"100.64.0.1", false, false, true},
		{"fd12::1", false, false, true},
		{"169.254.1.1", false, false, true},
		{"fe80::1", false, false, true},
		{"169.254.169.254", false, false, false}, // metadata: never
		{"169.254.170.2", false, false, false},
		{"100.100.100.200", false, false, false},
		{"168.63.129.16", false, false, false},
		{"fd00:ec2::254", false, false, false},
		{"::ffff:169.254.169.254", false, false, false},
		{"0.0.0.0", false, false, false},
		{"::", false, false, false},
		{"224.0.0.1", false, false, false},
		{"255.255.255.255", false, false, false},
	}
	for _, c := range cases {
		ip := netip.MustParseAddr(c.ip)
		for _, p := range []struct {
			pol  Policy
			want bool
		}{{Policy{}, c.public}, {Policy{AllowLoopback: true}, c.loopback}, {Policy{AllowPrivate: true}, c.priv}} {
			err := p.pol.CheckIP(ip)
			if (err == nil) != p.want || (err != nil && !errors.Is(err, ErrRefused)) {
				t.Errorf("%s under %+v: %v, want allowed=%v", c.ip, p.pol, err, p.want)
			}
		}
	}
}

// TestDialerChecksTheConnectedAddress: a name is checked when dialed, on
// the address actually connected to, so "localhost" (or a rebinding name)
// cannot reach loopback under the default policy.
func TestDialerChecksTheConnectedAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	addr := net.JoinHostPort("localhost", itoa(port))
	if _, err := (Policy{}).Dialer().DialContext(context.Background(), "tcp", addr); !errors.Is(err, ErrRefused) {
		t.Fatalf("dial %s under the default policy: %v", addr, err)
	}
	if err := (Policy{}).CheckURL("http://" + addr); err != nil {
		t.Fatalf("a name passes the URL check (it is checked when dialed): %v", err)
	}
	c, err := Policy{AllowLoopback: true}.Dialer().DialContext(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		t.Fatalf("loopback allowed: %v", err)
	}
	c.Close()
}

func itoa(n int) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n)).String()[len("0.0.0.0:"):]
}

func TestParseEndpoint(t *testing.T) {
	for _, ok := range []string{"http://1.2.3.4:8091", "https://miner.example.com:443/", "http://[2606:4700::1]:80"} {
		if _, err := ParseEndpoint(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "x", "1.2.3.4:8091", "ftp://h:1", "http://h", "http://h:0", "http://h:65536",
		"http://u:p@h:1", "http://h:1/v1", "http://h:1?x", "http://h:1#x", "http://:1", "http://h:01", "http://[::1"} {
		if _, err := ParseEndpoint(bad); err == nil || !strings.Contains(err.Error(), "want http(s)://host:port") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzParseEndpoint: no input panics, and the validator's check agrees
// with the chain's serve check on every string.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"http://1.2.3.4:8091", "https://h:1/", "http://[::1]:1", "http://h:01", "http://%zz:1", "http://h:1?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ParseEndpoint(s)
		if cerr := chain.ValidEndpoint(s); (err == nil) != (cerr == nil) {
			t.Fatalf("%q: netguard %v, chain %v", s, err, cerr)
		}
		_ = Policy{}.CheckURL(s)
	})
}
