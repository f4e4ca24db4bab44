package exchange_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/exchange"
)

// providerSystem is a provider system as a department would run it: it
// verifies Tongban's signature and answers from a map.
type providerSystem struct {
	pub      ed25519.PublicKey
	records  map[string]map[string]string
	delay    time.Duration
	failures atomic.Int32 // answer 503 this many times first
	calls    atomic.Int32
	refused  atomic.Int32
}

func (p *providerSystem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	if err := exchange.VerifyRequest(r, body, p.pub, time.Now(), 5*time.Minute); err != nil {
		p.refused.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if p.failures.Add(-1) >= 0 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if p.delay > 0 {
		select {
		case <-time.After(p.delay):
		case <-r.Context().Done():
			return
		}
	}
	var req exchange.ProviderRequest
	json.Unmarshal(body, &req)
	rec, ok := p.records[req.Subject]
	json.NewEncoder(w).Encode(exchange.ProviderResponse{Found: ok, Fields: rec, UpdatedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)})
}

func TestProviderSignsAndKeepsOnlyAskedFields(t *testing.T) {
	key, id, err := exchange.LoadOrCreateKey(filepath.Join(t.TempDir(), "exchange.key"))
	if err != nil {
		t.Fatal(err)
	}
	sys := &providerSystem{pub: key.Public().(ed25519.PublicKey), records: map[string]map[string]string{
		citizenID: {"insured": "是", "employer": "临江市味道餐饮有限公司", "salary": "8000"}}}
	srv := httptest.NewServer(sys)
	defer srv.Close()
	res := &exchange.Resource{Code: "RS-INSURANCE", Department: "RS", Source: exchange.FromProvider, ProviderURL: srv.URL + "/lookup"}
	p := &exchange.Provider{Key: key, KeyID: id, Timeout: time.Second}
	ctx := context.Background()

	rec, err := p.Fetch(ctx, res, citizenID, []string{"insured", "employer"})
	if err != nil || !rec.Found || len(rec.Values) != 2 || rec.Values["salary"] != "" {
		t.Fatalf("Fetch = %+v, %v; want insured and employer only", rec, err)
	}
	// A 503 is retried once.
	sys.failures.Store(1)
	if _, err := p.Fetch(ctx, res, citizenID, []string{"insured"}); err != nil {
		t.Errorf("Fetch after one 503 = %v, want a retried success", err)
	}
	// Another key's signature is refused by the provider.
	_, other, _ := ed25519.GenerateKey(nil)
	bad := &exchange.Provider{Key: other, KeyID: "other", Timeout: time.Second}
	if _, err := bad.Fetch(ctx, res, citizenID, []string{"insured"}); !errors.Is(err, exchange.ErrProviderUnavailable) || sys.refused.Load() != 1 {
		t.Errorf("Fetch with a foreign key = %v (refused %d), want the provider to refuse it", err, sys.refused.Load())
	}
	// A slow provider fails within the timeout.
	sys.delay = 5 * time.Second
	p.Timeout = 200 * time.Millisecond
	start := time.Now()
	if _, err := p.Fetch(ctx, res, citizenID, []string{"insured"}); !errors.Is(err, exchange.ErrProviderUnavailable) {
		t.Errorf("Fetch from a slow provider = %v, want ErrProviderUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Fetch from a slow provider took %v, want it cut off by the timeout", d)
	}
}

func TestVerifyRequest(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	now := time.Date(2026, 9, 28, 2, 0, 0, 0, time.UTC)
	body := []byte(`{"resource":"X","subject":"s","fields":["a"]}`)
	sign := func() *http.Request {
		r := httptest.NewRequest("POST", "http://provider.example/lookup?v=1", nil)
		exchange.SignRequest(r, body, "k", key, now)
		return r
	}
	if err := exchange.VerifyRequest(sign(), body, pub, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("VerifyRequest(signed) = %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(r *http.Request) ([]byte, time.Time)
	}{
		{"altered body", func(r *http.Request) ([]byte, time.Time) {
			return []byte(`{"resource":"X","subject":"t","fields":["a"]}`), now
		}},
		{"other path", func(r *http.Request) ([]byte, time.Time) { r.URL.Path = "/other"; return body, now }},
		{"other method", func(r *http.Request) ([]byte, time.Time) { r.Method = "PUT"; return body, now }},
		{"replayed later", func(r *http.Request) ([]byte, time.Time) { return body, now.Add(10 * time.Minute) }},
		{"changed date", func(r *http.Request) ([]byte, time.Time) {
			r.Header.Set(exchange.HeaderDate, now.Add(time.Second).Format(time.RFC3339))
			return body, now
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sign()
			b, at := tc.edit(r)
			if err := exchange.VerifyRequest(r, b, pub, at, 5*time.Minute); !errors.Is(err, exchange.ErrBadSignature) {
				t.Errorf("VerifyRequest = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestQueryThroughProvider(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		_, key, _ := ed25519.GenerateKey(nil)
		sys := &providerSystem{pub: key.Public().(ed25519.PublicKey), records: map[string]map[string]string{citizenID: {"insured": "是", "months": "96"}}}
		srv := httptest.NewServer(sys)
		defer srv.Close()
		f.s = exchange.NewStore(exchange.Deps{DB: d, Identity: f.ids, Now: f.clock.now, Location: shanghai,
			Provider: &exchange.Provider{Key: key, KeyID: "k", Timeout: time.Second}})
		f.put(t, exchange.Resource{Code: "RS-INSURANCE", Department: "MZ", Name: "社会保险参保信息", SubjectKind: exchange.ByIDNumber,
			SharingClass: exchange.Unconditional, UpdateFrequency: exchange.Monthly, Source: exchange.FromProvider, ProviderURL: srv.URL,
			Fields: []exchange.Field{{Name: "insured", Label: "参保状态", Sensitivity: exchange.Personal}, {Name: "months", Label: "缴费月数", Sensitivity: exchange.Personal}}})
		if _, _, err := f.s.Request(ctx, f.p["scjg-admin"], exchange.RequestInput{Resource: "RS-INSURANCE", Fields: []string{"insured"},
			Purpose: "核验参保", LegalBasis: "《社会保险法》"}); err != nil {
			t.Fatal(err)
		}
		ans, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "RS-INSURANCE", Subject: citizenID, Application: f.app})
		if err != nil || len(ans.Fields) != 1 || ans.Fields["insured"] != "是" || ans.Provenance.Source != exchange.FromProvider {
			t.Fatalf("Query = %+v, %v", ans, err)
		}
		// A refused query never reaches the provider.
		calls := sys.calls.Load()
		_, err = f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "RS-INSURANCE", Subject: citizenID, Application: f.app, Fields: []string{"months"}})
		var ref *exchange.Refusal
		if !errors.As(err, &ref) || sys.calls.Load() != calls {
			t.Errorf("Query(months) = %v with %d provider calls, want a refusal and none", err, sys.calls.Load()-calls)
		}
		// A provider that is down: a clear error, and no access logged.
		srv.Close()
		before := len(accessLog(t, d))
		if _, err := f.s.Query(ctx, f.p["scjg-clerk"], exchange.QueryInput{Resource: "RS-INSURANCE", Subject: citizenID, Application: f.app}); !errors.Is(err, exchange.ErrProviderUnavailable) {
			t.Errorf("Query with the provider down = %v", err)
		}
		if after := len(accessLog(t, d)); after != before {
			t.Errorf("access log grew from %d to %d on a failed fetch", before, after)
		}
	})
}
