// Package netguard is the policy on the addresses a daemon dials on a
// stranger's say-so: the validator POSTs challenges to whatever endpoint a
// miner published on chain, so without a policy a miner could point it at
// the validator's own loopback services, its private network or a cloud
// metadata service (SSRF). A Policy refuses those ranges unless the
// operator allowed them, and its Dialer checks the address actually
// connected to (a net.Dialer Control hook), so a name that resolves to a
// public address when checked and to 127.0.0.1 when dialed (DNS
// rebinding) is refused too.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRefused marks an address the policy refuses.
var ErrRefused = errors.New("netguard: address refused")

// Policy says which non-public ranges may be dialed. The zero Policy dials
// public unicast addresses only.
type Policy struct {
	// AllowLoopback allows 127.0.0.0/8 and ::1 (a devnet on one machine).
	AllowLoopback bool `json:"allow_loopback"`
	// AllowPrivate allows RFC 1918, carrier-grade NAT (100.64.0.0/10),
	// IPv6 unique-local (fc00::/7) and link-local ranges (a private
	// network of miners). Cloud metadata addresses stay refused.
	AllowPrivate bool `json:"allow_private"`
}

// metadata are cloud instance-metadata and host-agent addresses: refused
// under every policy.
var metadata = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"), // AWS, GCP, Azure, OpenStack, DigitalOcean...
	netip.MustParsePrefix("169.254.170.2/32"),   // AWS ECS task metadata
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud
	netip.MustParsePrefix("168.63.129.16/32"),   // Azure wire server
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IMDS over IPv6
}

// private are the ranges AllowPrivate opens.
var private = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
}

// never are ranges no endpoint can be in: unspecified, "this network",
// multicast, reserved and broadcast, documentation and benchmarking ranges.
var never = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// CheckIP returns nil when p allows dialing ip, and an error wrapping
// ErrRefused naming the range otherwise.
func (p Policy) CheckIP(ip netip.Addr) error {
	ip = ip.Unmap()
	refuse := func(what, hint string) error {
		return fmt.Errorf("%w: %s is a %s address%s", ErrRefused, ip, what, hint)
	}
	if !ip.IsValid() {
		return fmt.Errorf("%w: no address", ErrRefused)
	}
	for _, m := range metadata {
		if m.Contains(ip) {
			return refuse("cloud metadata", "")
		}
	}
	for _, n := range never {
		if n.Contains(ip) {
			return refuse("reserved", "")
		}
	}
	if ip.IsLoopback() {
		if p.AllowLoopback {
			return nil
		}
		return refuse("loopback", " (allow-loopback-endpoints allows it, for a devnet)")
	}
	for _, n := range private {
		if n.Contains(ip) {
			if p.AllowPrivate {
				return nil
			}
			return refuse("private or link-local", " (allow-private-endpoints allows it)")
		}
	}
	return nil
}

// Control is a net.Dialer Control hook: it checks the address the socket
// is about to connect to.
func (p Policy) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrRefused, address, err)
	}
	return p.CheckIP(ap.Addr())
}

// Dialer is a net.Dialer that refuses, at connect time, every address p
// does not allow.
func (p Policy) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
}

// CheckURL checks that endpoint is a well-formed miner endpoint,
// http(s)://host:port with nothing else but an optional "/", and, when its
// host is an IP literal, that p allows it. Names are checked when dialed.
func (p Policy) CheckURL(endpoint string) error {
	host, err := ParseEndpoint(endpoint)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.CheckIP(ip)
	}
	return nil
}

// ParseEndpoint checks the form of a miner endpoint, http(s)://host:port
// with an optional trailing "/", and returns its host.
func ParseEndpoint(endpoint string) (host string, err error) {
	bad := func(why string) error {
		return fmt.Errorf("endpoint %.80q: %s; want http(s)://host:port", endpoint, why)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", bad("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("scheme must be http or https")
	case u.User != nil:
		return "", bad("user info is not allowed")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "", u.Opaque != "":
		return "", bad("no path, query or fragment allowed")
	case u.Hostname() == "":
		return "", bad("no host")
	}
	port := u.Port()
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strings.HasPrefix(port, "0") {
		return "", bad("needs a port 1-65535")
	}
	return u.Hostname(), nil
}
