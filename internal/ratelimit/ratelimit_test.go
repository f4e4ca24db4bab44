package ratelimit

import (
	"errors"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBucketRefillsAtItsRate(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	l := New(c.now)
	r := Rate{N: 3, Per: time.Minute}
	for i := range 3 {
		if err := l.Allow(Check{WriteAccount, "alice", r}); err != nil {
			t.Fatalf("request %d: %v, want allowed (burst of 3)", i+1, err)
		}
	}
	err := l.Allow(Check{WriteAccount, "alice", r})
	var ref *Refusal
	if !errors.As(err, &ref) || !errors.Is(err, ErrLimited) {
		t.Fatalf("4th request: %v, want a refusal", err)
	}
	if ref.Class != WriteAccount || ref.RetryAfter != 20*time.Second {
		t.Errorf("refusal = %+v, want write-account after 20s (one token per 20s)", ref)
	}
	// Another key has its own bucket.
	if err := l.Allow(Check{WriteAccount, "bob", r}); err != nil {
		t.Errorf("bob: %v, want allowed", err)
	}
	c.advance(19 * time.Second)
	if err := l.Allow(Check{WriteAccount, "alice", r}); err == nil {
		t.Error("after 19s: allowed, want refused")
	}
	c.advance(time.Second)
	if err := l.Allow(Check{WriteAccount, "alice", r}); err != nil {
		t.Errorf("after 20s: %v, want allowed", err)
	}
	if err := l.Allow(Check{WriteAccount, "alice", r}); err == nil {
		t.Error("second request after 20s: allowed, want refused")
	}
	c.advance(time.Hour)
	for i := range 3 {
		if err := l.Allow(Check{WriteAccount, "alice", r}); err != nil {
			t.Fatalf("after an hour, request %d: %v; the bucket holds at most 3", i+1, err)
		}
	}
	if err := l.Allow(Check{WriteAccount, "alice", r}); err == nil {
		t.Error("after an hour, 4th request allowed: the bucket must not save more than N")
	}
}

// A request drawing on two buckets takes from neither when one is empty,
// so a refused request does not use up the other.
func TestAllowAllOrNothing(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	l := New(c.now)
	account := Rate{N: 2, Per: time.Minute}
	address := Rate{N: 5, Per: time.Minute}
	// Four people behind one NAT address, each under their own account.
	for _, who := range []string{"a", "b"} {
		for range 2 {
			if err := l.Allow(Check{WriteAccount, who, account}, Check{WriteAddress, "203.0.113.9", address}); err != nil {
				t.Fatalf("%s: %v", who, err)
			}
		}
	}
	// a is out of account tokens: refused, and the address keeps its token.
	err := l.Allow(Check{WriteAccount, "a", account}, Check{WriteAddress, "203.0.113.9", address})
	var ref *Refusal
	if !errors.As(err, &ref) || ref.Class != WriteAccount {
		t.Fatalf("a's 3rd = %v, want refused by write-account", err)
	}
	if err := l.Allow(Check{WriteAccount, "c", account}, Check{WriteAddress, "203.0.113.9", address}); err != nil {
		t.Fatalf("c: %v, want allowed (the address has 1 token left)", err)
	}
	err = l.Allow(Check{WriteAccount, "d", account}, Check{WriteAddress, "203.0.113.9", address})
	if !errors.As(err, &ref) || ref.Class != WriteAddress || ref.RetryAfter != 12*time.Second {
		t.Fatalf("d = %v, want refused by write-address for 12s", err)
	}
	// Off rates and empty keys never refuse.
	for range 100 {
		if err := l.Allow(Check{WriteAccount, "a", Rate{}}, Check{WriteAddress, "", address}); err != nil {
			t.Fatalf("off rate: %v", err)
		}
	}
}

func TestSweepForgetsFullBuckets(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	l := New(c.now)
	r := Rate{N: 10, Per: time.Minute}
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(Check{AnonAddress, k, r})
	}
	c.advance(2 * time.Minute)
	l.Allow(Check{AnonAddress, "d", r})
	if n := l.Len(); n != 1 {
		t.Errorf("after two idle minutes %d buckets are kept, want 1 (only d's)", n)
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"30/1m", Rate{30, time.Minute}, true},
		{"30/m", Rate{30, time.Minute}, true},
		{"600/1h", Rate{600, time.Hour}, true},
		{"5/10s", Rate{5, 10 * time.Second}, true},
		{"off", Rate{}, true},
		{"30", Rate{}, false},
		{"0/1m", Rate{}, false},
		{"-1/1m", Rate{}, false},
		{"5/1ms", Rate{}, false},
		{"5/48h", Rate{}, false},
		{"x/1m", Rate{}, false},
	} {
		got, err := ParseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, ok %t", tc.in, got, err, tc.want, tc.ok)
		}
	}
	p := Policy{}
	if err := p.Set("login-account=5/1m"); err != nil || p.Rate(LoginAccount) != (Rate{5, time.Minute}) {
		t.Errorf("Set login-account = %v, %v", p.Rate(LoginAccount), err)
	}
	if p.Rate(WriteAccount) != Defaults[WriteAccount] {
		t.Errorf("unset class = %v, want the default", p.Rate(WriteAccount))
	}
	if err := p.Set("nonsense=5/1m"); err == nil {
		t.Error("unknown class accepted")
	}
	if got := p.String(); got != "login-account=5/1m" {
		t.Errorf("String = %q", got)
	}
}

func TestClientAddress(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		proxies Proxies
		remote  string
		xff     []string
		want    string
	}{
		{"no proxy trusted: the header is ignored", nil, "198.51.100.4:5000", []string{"1.2.3.4"}, "198.51.100.4"},
		{"peer not trusted: the header is ignored", proxies, "198.51.100.4:5000", []string{"1.2.3.4"}, "198.51.100.4"},
		{"trusted proxy: the client it saw", proxies, "10.1.2.3:443", []string{"203.0.113.5"}, "203.0.113.5"},
		{"spoofed left part is skipped", proxies, "10.1.2.3:443", []string{"6.6.6.6, 203.0.113.5"}, "203.0.113.5"},
		{"chain of trusted proxies", proxies, "10.1.2.3:443", []string{"203.0.113.5, 192.0.2.7", "10.9.9.9"}, "203.0.113.5"},
		{"garbage stops the walk", proxies, "10.1.2.3:443", []string{"203.0.113.5, nonsense"}, "10.1.2.3"},
		{"IPv6 per /64", nil, "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6", nil, "[::ffff:198.51.100.4]:80", nil, "198.51.100.4"},
	} {
		if got := tc.proxies.ClientAddress(tc.remote, tc.xff); got != tc.want {
			t.Errorf("%s: ClientAddress(%q, %q) = %q, want %q", tc.name, tc.remote, tc.xff, got, tc.want)
		}
	}
	if _, err := ParseProxies("10.0.0.0/8, nope"); err == nil {
		t.Error("ParseProxies accepted nope")
	}
}
