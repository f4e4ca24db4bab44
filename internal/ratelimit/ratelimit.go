// Package ratelimit keeps floods off the platform with token buckets: each
// key (an account, an Open311 API key, a client address) has a bucket of
// N tokens that refills at N per period; a request takes one token, and
// when the bucket is empty it is refused with the time until the next
// token. Buckets live in the memory of one node (see docs/operations.md
// for why), are created on first use and forgotten once they are full
// again, so idle keys cost nothing.
package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is N requests per Per, with bursts of up to N. The zero Rate is
// unlimited.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

// String writes r as ParseRate reads it.
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return strconv.Itoa(r.N) + "/" + shortDuration(r.Per)
}

func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// ParseRate reads "N/DURATION" (such as "30/1m", "600/1h", "5/10s"; a
// bare unit means one of it: "30/m") or "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/DURATION, such as 30/1m, or off", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 || count > 1_000_000 {
		return Rate{}, fmt.Errorf("rate %q: want a count between 1 and 1000000", s)
	}
	per = strings.TrimSpace(per)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return Rate{}, fmt.Errorf("rate %q: want a period between 1s and 24h", s)
	}
	return Rate{N: count, Per: d}, nil
}

// The classes of limit. Each is one bucket per key.
const (
	// WriteAccount limits the writes (filing a ticket, commenting,
	// rating) of one signed-in account.
	WriteAccount = "write-account"
	// WriteAddress limits the writes of signed-in users from one client
	// address. It is loose on purpose: a whole district may share one
	// NAT address, and each of its people has their own account bucket.
	WriteAddress = "write-address"
	// AnonAddress limits the writes of visitors who are not signed in,
	// per client address.
	AnonAddress = "anon-address"
	// LoginAccount limits sign-in attempts for one account name, from
	// anywhere (password guessing against one person).
	LoginAccount = "login-account"
	// LoginAddress limits sign-in attempts from one client address, for
	// any account names (password spraying).
	LoginAddress = "login-address"
	// RegisterAddress limits account registrations from one address.
	RegisterAddress = "register-address"
	// Open311Key is the default limit of an Open311 API key; a key may
	// carry its own.
	Open311Key = "open311-key"
	// Open311Address limits Open311 requests without a valid key (the
	// public reads, and posts with a wrong key) per client address.
	Open311Address = "open311-address"
)

// Defaults are the limits unless configured otherwise.
var Defaults = Policy{
	WriteAccount:    {N: 20, Per: time.Minute},
	WriteAddress:    {N: 1200, Per: time.Minute},
	AnonAddress:     {N: 60, Per: time.Minute},
	LoginAccount:    {N: 10, Per: time.Minute},
	LoginAddress:    {N: 300, Per: time.Minute},
	RegisterAddress: {N: 100, Per: time.Hour},
	Open311Key:      {N: 600, Per: time.Minute},
	Open311Address:  {N: 300, Per: time.Minute},
}

// Policy is the rate of each class.
type Policy map[string]Rate

// Classes lists the known classes in order.
func Classes() []string {
	out := make([]string, 0, len(Defaults))
	for c := range Defaults {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Set reads "class=rate" into p, refusing unknown classes.
func (p Policy) Set(s string) error {
	class, rate, ok := strings.Cut(strings.TrimSpace(s), "=")
	class = strings.TrimSpace(class)
	if !ok {
		return fmt.Errorf("rate limit %q: want CLASS=N/DURATION", s)
	}
	if _, known := Defaults[class]; !known {
		return fmt.Errorf("rate limit %q: unknown class %q (known: %s)", s, class, strings.Join(Classes(), ", "))
	}
	r, err := ParseRate(rate)
	if err != nil {
		return err
	}
	p[class] = r
	return nil
}

// String writes the policy as a list Set reads back.
func (p Policy) String() string {
	var parts []string
	for _, c := range Classes() {
		if r, ok := p[c]; ok {
			parts = append(parts, c+"="+r.String())
		}
	}
	return strings.Join(parts, ";")
}

// Rate returns the class's rate: the policy's, else the default.
func (p Policy) Rate(class string) Rate {
	if r, ok := p[class]; ok {
		return r
	}
	return Defaults[class]
}

// bucket is one key's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
	rate   Rate
}

// Limiter holds the buckets of one node.
type Limiter struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

// New returns a Limiter on the clock now (time.Now when nil).
func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now, buckets: map[string]*bucket{}}
}

// ErrLimited is wrapped by a Refusal.
var ErrLimited = errors.New("ratelimit: too many requests")

// Refusal says which limit refused a request and when to try again.
type Refusal struct {
	Class      string
	RetryAfter time.Duration
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("ratelimit: %s: retry after %s", r.Class, r.RetryAfter)
}

func (r *Refusal) Unwrap() error { return ErrLimited }

// Check is one bucket a request draws from: the class, the key within it
// and the rate.
type Check struct {
	Class string
	Key   string
	Rate  Rate
}

// Allow takes one token from each check's bucket, or none when any of
// them is empty; then it returns a *Refusal naming the bucket that will be
// last to have a token again. Checks with an Off rate or an empty key
// always pass.
func (l *Limiter) Allow(checks ...Check) error {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var refusal *Refusal
	bs := make([]*bucket, len(checks))
	for i, c := range checks {
		if c.Rate.Off() || c.Key == "" {
			continue
		}
		id := c.Class + "\x00" + c.Key
		b := l.buckets[id]
		if b == nil || b.rate != c.Rate {
			b = &bucket{tokens: float64(c.Rate.N), last: now, rate: c.Rate}
			l.buckets[id] = b
		}
		b.refill(now)
		bs[i] = b
		if b.tokens < 1 {
			wait := time.Duration(math.Ceil((1 - b.tokens) / b.perNanosecond()))
			if refusal == nil || wait > refusal.RetryAfter {
				refusal = &Refusal{Class: c.Class, RetryAfter: wait}
			}
		}
	}
	if refusal != nil {
		return refusal
	}
	for _, b := range bs {
		if b != nil {
			b.tokens--
		}
	}
	return nil
}

func (b *bucket) perNanosecond() float64 { return float64(b.rate.N) / float64(b.rate.Per) }

func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(float64(b.rate.N), b.tokens+float64(d)*b.perNanosecond())
		b.last = now
	}
}

// sweep forgets, at most once a minute, the buckets that are full again:
// a fresh bucket would be the same.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for id, b := range l.buckets {
		b.refill(now)
		if b.tokens >= float64(b.rate.N) {
			delete(l.buckets, id)
		}
	}
}

// Len is the number of buckets held, for tests and metrics.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// Proxies are the reverse proxies whose X-Forwarded-For is believed.
type Proxies []netip.Prefix

// ParseProxies reads a comma- or space-separated list of addresses and
// CIDR prefixes ("10.0.0.0/8, 192.168.1.7").
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (ps Proxies) trusts(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddress returns the key a request's sender is limited under:
// the TCP peer's address, or, when the peer is a trusted proxy, the
// right-most address of X-Forwarded-For that is not a trusted proxy
// itself (the left part of the header is whatever the client wrote).
// IPv6 addresses count per /64, the block one subscriber usually has.
func (ps Proxies) ClientAddress(remoteAddr string, forwardedFor []string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if len(ps) > 0 && ps.trusts(a) {
		var hops []string
		for _, h := range forwardedFor {
			hops = append(hops, strings.Split(h, ",")...)
		}
		for i := len(hops) - 1; i >= 0; i-- {
			h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			a = h.Unmap()
			if !ps.trusts(a) {
				break
			}
		}
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
