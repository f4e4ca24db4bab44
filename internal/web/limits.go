package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/ratelimit"
)

// Rate limits (docs/operations.md#rate-limits). A signed-in person is
// limited by account, and only loosely by address, so a whole district
// behind one NAT address is not blocked by one flooder; visitors who are
// not signed in are limited by address; Open311 apps by API key, and
// requests without a valid key by address; sign-in attempts by account
// name and by address. Refusals are 429 with Retry-After.

// clientAddress is the address the request is limited under: the TCP peer,
// or the client a trusted proxy names in X-Forwarded-For.
func (s *Server) clientAddress(req *request) string {
	return s.Config.TrustedProxies.ClientAddress(req.r.RemoteAddr, req.r.Header.Values("X-Forwarded-For"))
}

// check is one bucket of class for key, at the configured rate.
func (s *Server) check(class, key string) ratelimit.Check {
	return ratelimit.Check{Class: class, Key: key, Rate: s.Config.RateLimits.Rate(class)}
}

// allow takes a token from every check's bucket, or answers 429 with
// Retry-After (whole seconds, at least 1) and the localized error_429
// message. The refusal is logged with its class, never the address or the
// account.
func (s *Server) allow(req *request, checks ...ratelimit.Check) error {
	err := s.Limiter.Allow(checks...)
	var ref *ratelimit.Refusal
	if !errors.As(err, &ref) {
		return err
	}
	secs := max(1, int(math.Ceil(ref.RetryAfter.Seconds())))
	req.w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.Log.Warn("rate limited", "request_id", req.id, "method", req.r.Method, "path", req.r.URL.Path, "class", ref.Class, "retry_after_s", secs)
	return &httpError{Code: http.StatusTooManyRequests, Key: "error_429", Err: err}
}

// writeChecks are the buckets a write draws from: a signed-in account's
// own and, loosely, its address's; a visitor's address's.
func (s *Server) writeChecks(req *request) []ratelimit.Check {
	addr := s.clientAddress(req)
	if req.p.Anonymous() {
		return []ratelimit.Check{s.check(ratelimit.AnonAddress, addr)}
	}
	return []ratelimit.Check{s.check(ratelimit.WriteAccount, req.p.Account.ID), s.check(ratelimit.WriteAddress, addr)}
}

// limit wraps a handler in a rate limit of a kind:
//
//   - "write": filing, commenting, rating: per account for people who are
//     signed in (and loosely per address), per address for visitors;
//   - "register": creating an account, per address.
//
// Use it in the route table: {post, "/x", perm, s.limit("write", s.x)}.
// Sign-in limits need the account name from the body, so the sign-in
// handlers call allow themselves.
func (s *Server) limit(kind string, h func(*request) error) func(*request) error {
	var checks func(req *request) []ratelimit.Check
	switch kind {
	case "write":
		checks = s.writeChecks
	case "register":
		checks = func(req *request) []ratelimit.Check {
			return []ratelimit.Check{s.check(ratelimit.RegisterAddress, s.clientAddress(req))}
		}
	default:
		panic("web: unknown rate limit kind " + strconv.Quote(kind))
	}
	return func(req *request) error {
		if err := s.allow(req, checks(req)...); err != nil {
			return err
		}
		return h(req)
	}
}

// loginChecks are the buckets of a sign-in attempt for username.
func (s *Server) loginChecks(req *request, username string) []ratelimit.Check {
	return []ratelimit.Check{s.check(ratelimit.LoginAccount, username), s.check(ratelimit.LoginAddress, s.clientAddress(req))}
}

// keyCheck is the bucket of an Open311 API key: at the key's own rate
// when it has one, else the open311-key class's.
func (s *Server) keyCheck(k *hotline.APIKey) ratelimit.Check {
	c := s.check(ratelimit.Open311Key, k.ID)
	if k.RateLimit != "" {
		if r, err := ratelimit.ParseRate(k.RateLimit); err == nil {
			c.Rate = r
		}
	}
	return c
}
