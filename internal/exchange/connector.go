package exchange

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Record is what a connector found for a subject: the values of the asked
// fields and when the provider last updated them.
type Record struct {
	// Found is false when the provider holds nothing on the subject.
	Found     bool
	Values    map[string]string
	UpdatedAt time.Time
}

// Connector fetches a subject's fields of a resource from where the
// resource's data lives. There are two: [Registry] (tables inside
// Tongban) and [Provider] (a provider system over signed HTTP).
type Connector interface {
	Fetch(ctx context.Context, res *Resource, subject string, fields []string) (*Record, error)
}

// ErrProviderUnavailable is returned (wrapped) when a provider system does
// not answer in time or answers with an error: the query fails with a
// clear message and nothing is released or logged as an access.
var ErrProviderUnavailable = errors.New("exchange: provider system unavailable")

// Registry is the Connector for registries kept inside Tongban (the
// exchange_records table), such as the demo city's population register.
type Registry struct{ DB *db.DB }

// Fetch implements Connector.
func (g Registry) Fetch(ctx context.Context, res *Resource, subject string, fields []string) (*Record, error) {
	var data string
	var updated db.Time
	err := g.DB.Read().QueryRowContext(ctx, `SELECT data, updated_at FROM exchange_records WHERE resource_code = $1 AND subject = $2`,
		res.Code, subject).Scan(&data, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return &Record{Values: map[string]string{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: registry %s: %w", res.Code, err)
	}
	var all map[string]string
	if err := json.Unmarshal([]byte(data), &all); err != nil {
		return nil, fmt.Errorf("exchange: registry %s: %w", res.Code, err)
	}
	return &Record{Found: true, Values: pick(all, fields), UpdatedAt: updated.Time}, nil
}

// pick keeps the named fields of values, and only those.
func pick(values map[string]string, fields []string) map[string]string {
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		if v, ok := values[f]; ok {
			out[f] = v
		}
	}
	return out
}

// Provider is the Connector for provider systems reached over HTTP. Each
// request is a POST of a JSON [ProviderRequest] to the resource's
// ProviderURL, signed with Ed25519 (see [SignRequest]); the provider
// answers with a JSON [ProviderResponse]. A slow or failing provider gives
// ErrProviderUnavailable within Timeout; a failure to connect or a 502,
// 503 or 504 is retried once, since a lookup changes nothing.
type Provider struct {
	// Key signs requests; KeyID names it to the provider.
	Key   ed25519.PrivateKey
	KeyID string
	// Client defaults to an http.Client without redirects.
	Client *http.Client
	// Timeout bounds one lookup, retry included; default 5 seconds.
	Timeout time.Duration
	// Now is the clock of the signature's time; default time.Now.
	Now func() time.Time
}

// ProviderRequest is the body Tongban sends a provider system.
type ProviderRequest struct {
	Resource string   `json:"resource"`
	Subject  string   `json:"subject"`
	Fields   []string `json:"fields"`
}

// ProviderResponse is the body a provider system answers with.
type ProviderResponse struct {
	Found     bool              `json:"found"`
	Fields    map[string]string `json:"fields"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Fetch implements Connector.
func (p *Provider) Fetch(ctx context.Context, res *Resource, subject string, fields []string) (*Record, error) {
	if p == nil || p.Key == nil {
		return nil, fmt.Errorf("%w: no signing key configured", ErrProviderUnavailable)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := json.Marshal(ProviderRequest{Resource: res.Code, Subject: subject, Fields: fields})
	if err != nil {
		return nil, err
	}
	var last error
	for attempt := 0; attempt < 2; attempt++ {
		rec, retry, err := p.once(ctx, res, body, fields)
		if err == nil {
			return rec, nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func (p *Provider) once(ctx context.Context, res *Resource, body []byte, fields []string) (rec *Record, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, res.ProviderURL, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s: %v", ErrProviderUnavailable, res.Code, err)
	}
	req.Header.Set("Content-Type", "application/json")
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	SignRequest(req, body, p.KeyID, p.Key, now())
	client := p.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		// The error names the URL, never the subject (it is in the body).
		return nil, true, fmt.Errorf("%w: %s: %v", ErrProviderUnavailable, res.Code, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		retry := resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout
		return nil, retry, fmt.Errorf("%w: %s answered %d", ErrProviderUnavailable, res.Code, resp.StatusCode)
	}
	var pr ProviderResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&pr); err != nil {
		return nil, false, fmt.Errorf("%w: %s: bad answer: %v", ErrProviderUnavailable, res.Code, err)
	}
	// Only the asked fields are kept, whatever else the provider sent.
	return &Record{Found: pr.Found, Values: pick(pr.Fields, fields), UpdatedAt: pr.UpdatedAt}, false, nil
}

// The headers of a signed request.
const (
	HeaderKeyID     = "X-Tongban-Key"
	HeaderDate      = "X-Tongban-Date"
	HeaderSignature = "X-Tongban-Signature"
)

// signedString is what a request's signature covers: a version label, the
// method, the path with its query, the hex SHA-256 of the body and the
// time, one per line.
func signedString(method, path string, body []byte, date string) []byte {
	h := sha256.Sum256(body)
	return []byte("tongban-exchange-v1\n" + method + "\n" + path + "\n" + hex.EncodeToString(h[:]) + "\n" + date)
}

// SignRequest signs req (whose body is body) with key at time t: it sets
// X-Tongban-Key, X-Tongban-Date (RFC 3339, UTC) and X-Tongban-Signature,
// the standard base64 Ed25519 signature of
//
//	tongban-exchange-v1 \n METHOD \n PATH?QUERY \n hex(SHA-256(body)) \n DATE
func SignRequest(req *http.Request, body []byte, keyID string, key ed25519.PrivateKey, t time.Time) {
	date := t.UTC().Format(time.RFC3339)
	sig := ed25519.Sign(key, signedString(req.Method, req.URL.RequestURI(), body, date))
	req.Header.Set(HeaderKeyID, keyID)
	req.Header.Set(HeaderDate, date)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// ErrBadSignature is returned by VerifyRequest.
var ErrBadSignature = errors.New("exchange: bad request signature")

// VerifyRequest is what a provider system runs on a request from Tongban:
// it checks the signature over method, path, body hash and time with pub,
// and that the time is within skew of now (replays of old requests fail).
func VerifyRequest(req *http.Request, body []byte, pub ed25519.PublicKey, now time.Time, skew time.Duration) error {
	date := req.Header.Get(HeaderDate)
	t, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return fmt.Errorf("%w: no valid %s", ErrBadSignature, HeaderDate)
	}
	if d := now.Sub(t); d > skew || d < -skew {
		return fmt.Errorf("%w: time %s is more than %s from now", ErrBadSignature, date, skew)
	}
	sig, err := base64.StdEncoding.DecodeString(req.Header.Get(HeaderSignature))
	if err != nil || !ed25519.Verify(pub, signedString(req.Method, req.URL.RequestURI(), body, date), sig) {
		return ErrBadSignature
	}
	return nil
}

// LoadOrCreateKey reads the Ed25519 request-signing key from path (the
// base64 seed), creating it with mode 0600 when missing. The key ID is
// the first 16 hex digits of the SHA-256 of the public key.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		rand.Read(seed)
		b = []byte(base64.StdEncoding.EncodeToString(seed) + "\n")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, "", fmt.Errorf("exchange: write key: %w", err)
		}
	} else if err != nil {
		return nil, "", fmt.Errorf("exchange: read key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, "", fmt.Errorf("exchange: key file %s does not hold a base64 Ed25519 seed", path)
	}
	key := ed25519.NewKeyFromSeed(seed)
	return key, KeyID(key.Public().(ed25519.PublicKey)), nil
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}
