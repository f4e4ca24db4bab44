package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/segment"
	"github.com/tongban/tongban/internal/workflow"
)

// env is a server over a fresh database with the demo loaded.
type env struct {
	t   testing.TB
	srv *Server
	db  *db.DB
	log *bytes.Buffer
	// hotline are the hotline's dependencies, for loading demo tickets.
	hotline hotline.Deps
}

var (
	segOnce sync.Once
	seg     *segment.Segmenter
)

func sharedSegmenter(t testing.TB) *segment.Segmenter {
	segOnce.Do(func() {
		var err error
		if seg, err = segment.New(); err != nil {
			t.Fatal(err)
		}
	})
	return seg
}

func newEnv(t testing.TB, d *db.DB) *env { return newEnvWith(t, d, false) }

// newEnvWith is newEnv, with the demo applications filed when withApps is
// set.
func newEnvWith(t testing.TB, d *db.DB, withApps bool) *env {
	t.Helper()
	return newEnvOpts(t, d, envOptions{apps: withApps})
}

// envOptions vary the test server.
type envOptions struct {
	// apps files the demo applications.
	apps bool
	// fulfil makes applications take materials from licenses and shared
	// data: licenses from this source (or, with libraryLicenses, from
	// the license library the demo licenses are in), data under the
	// exchange's grants.
	fulfil          bool
	licenses        application.LicenseSource
	libraryLicenses bool
	// wrapLibrary, with libraryLicenses, stands between applications and
	// the library.
	wrapLibrary func(application.LicenseSource) application.LicenseSource
	// outbox has applications send their notices, as serve does.
	outbox bool
}

func newEnvOpts(t testing.TB, d *db.DB, o envOptions) *env {
	t.Helper()
	withApps := o.apps
	ctx := context.Background()
	cfg := &config.Config{Listen: "127.0.0.1:8080", DataDir: t.TempDir(), Lang: "zh-CN", TimeZone: "Asia/Shanghai", SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	orgs := org.NewStore(d)
	ids := identity.NewStore(d, time.Now)
	cat := catalog.NewStore(d, sharedSegmenter(t), time.Now)
	cals := calendar.NewStore(d, time.Now)
	if _, err := cals.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewLocal(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation(cfg.TimeZone)
	licenses := license.NewStore(license.Deps{DB: d, Identity: ids, Keys: license.NewKeyring(cfg.LicenseKeyDir(), "127.0.0.1:8080"), Location: loc, Now: time.Now})
	deps := application.Deps{DB: d, Catalog: cat, Processes: workflow.NewStore(d, ids, cat, time.Now), Calendar: cals,
		Blobs: blobs, Identity: ids, Org: orgs, Location: loc, Now: time.Now, UploadLimit: 1 << 20, Licenses: licenses}
	if o.outbox {
		deps.Notices = application.Outbox
	}
	var exchanges *exchange.Store
	if o.fulfil {
		exchanges = exchange.NewStore(exchange.Deps{DB: d, Identity: ids, Location: loc})
		deps.Held, deps.Grants = o.licenses, exchanges
		if o.libraryLicenses {
			deps.Held = licenses.ForApplications()
			if o.wrapLibrary != nil {
				deps.Held = o.wrapLibrary(deps.Held)
			}
		}
	}
	var demoApps *application.Deps
	if withApps {
		demoApps = &deps
	}
	if _, err := demo.Load(ctx, d, orgs, ids, cat, demoApps); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadLicenses(ctx, licenses, ids); err != nil {
		t.Fatal(err)
	}
	apps := application.NewStore(deps)
	hdeps := hotline.Deps{DB: d, Calendar: cals, Blobs: blobs, Location: loc, Now: time.Now, UploadLimit: 1 << 20}
	if err := demo.LoadHotline(ctx, hdeps, ids, false); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadConsultations(ctx, d, ids, cfg.Location); err != nil {
		t.Fatal(err)
	}
	keys, _, err := ledger.LoadOrCreateKeys(cfg.LedgerKeyFile(), cfg.LedgerOrigin)
	if err != nil {
		t.Fatal(err)
	}
	logBuf := &bytes.Buffer{}
	srv, err := New(Server{Config: cfg, DB: d, Exchange: exchanges, Ledger: &ledger.Log{DB: d, Keys: keys}, Catalog: cat, Identity: ids, Org: orgs, Applications: apps, Calendar: cals, Notify: notify.NewStore(d, time.Now), Hotline: hotline.NewStore(hdeps), Licenses: licenses, Log: slog.New(slog.NewTextHandler(&lockedWriter{w: logBuf}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, db: d, log: logBuf, hotline: hdeps}
}

// hotlineEnv is newEnv with the demo's hotline tickets filed.
func hotlineEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	e := newEnv(t, d)
	if err := demo.LoadHotline(context.Background(), e.hotline, e.srv.Identity, true); err != nil {
		t.Fatal(err)
	}
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// session returns a fresh session token for a demo username ("" for none).
func (e *env) session(username string) string {
	e.t.Helper()
	if username == "" {
		return ""
	}
	ctx := context.Background()
	a, err := e.srv.Identity.AccountByUsername(ctx, username)
	if err != nil {
		e.t.Fatalf("demo account %s: %v", username, err)
	}
	s, err := e.srv.Identity.CreateSession(ctx, a.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.Token
}

// do sends a request as the holder of token and returns the response.
func (e *env) do(method, target, token, contentType string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

func (e *env) get(target, token string) *httptest.ResponseRecorder {
	return e.do("GET", target, token, "", nil)
}

func (e *env) postForm(target, token string, form url.Values) *httptest.ResponseRecorder {
	return e.do("POST", target, token, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

func (e *env) sendJSON(method, target, token, body string) *httptest.ResponseRecorder {
	return e.do(method, target, token, "application/json", strings.NewReader(body))
}

// sqliteEnv returns a fresh SQLite env for one test.
func sqliteEnv(t *testing.T) *env { return newEnv(t, dbtest.SQLite(t)) }
