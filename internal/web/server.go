// Package web is Tongban's HTTP surface: server-rendered HTML pages for
// people and a JSON API under /api/v1 for programs, two thin skins over the
// same domain calls. routes.go lists every route with the permission it
// needs; nothing is reachable that the table does not grant.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/consultation"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/metrics"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/ratelimit"
	"github.com/tongban/tongban/internal/rating"
	"github.com/tongban/tongban/internal/workflow"
)

// Server holds the dependencies of the HTTP handlers.
type Server struct {
	Config *config.Config
	// Metrics counts and times the requests; nil: not measured.
	Metrics *metrics.Metrics
	DB      *db.DB
	Catalog *catalog.Store
	// Applications runs applications and their tasks.
	Applications *application.Store
	Identity     *identity.Store
	Org          *org.Store
	Calendar     *calendar.Store
	Notify       *notify.Store
	// Hotline runs the 12345 hotline and its Open311 API.
	Hotline *hotline.Store
	// Ratings keeps service ratings (好差评), their rectifications and
	// the public figures; New makes one over DB and Calendar when it is
	// nil.
	Ratings *rating.Store
	// Processes keeps process definitions; New makes one over DB (with
	// Identity and Catalog answering validation) when it is nil.
	Processes *workflow.Store
	// Exchange runs data sharing between departments; New makes one over
	// DB (without provider systems) when it is nil.
	Exchange *exchange.Store
	// Consultations runs consultations on draft policies; New makes one
	// over DB in the configured time zone when it is nil.
	Consultations *consultation.Store
	// Licenses issues, lists and verifies electronic licenses; New makes
	// one over DB (keys under <DataDir>/license-keys) when it is nil.
	Licenses *license.Store
	// Ledger serves the public log and receipts; nil serves none (the
	// /ledger/ routes answer 404).
	Ledger *ledger.Log
	// LicenseLink makes the public verification page's path of an
	// electronic license from its ID, linked from the task page of an
	// application with a material taken from that license; New links the
	// page the license's QR code opens when it is nil.
	LicenseLink func(licenseID string) string
	// Limiter keeps this node's rate-limit buckets; New makes one on
	// Now when it is nil.
	Limiter *ratelimit.Limiter
	Log     *slog.Logger
	Now     func() time.Time

	pages   *pageSet
	static  *staticFiles
	handler http.Handler
	routes  []route

	// figCache keeps the last public figures document.
	figCache *figuresCache
	// svcNamesEn keeps the English names of published service versions.
	svcNamesEn *serviceNamesEn
	// mux routes requests; pageOf asks it which paths are pages.
	mux *http.ServeMux
}

// postedFrom returns the path of the page a form posted in r was on, for
// the page shown in answer to it (a form with errors) to link there, for
// instance to switch language: linking the post's own path led to a 404.
// Browsers name the page in Referer (the platform's Referrer-Policy is
// same-origin); without one it is guessed from the path (pageOf).
func (s *Server) postedFrom(r *http.Request) string {
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && ref.Path != "" {
		if p := localPath(ref.Path); p == ref.Path {
			return p
		}
	}
	return s.pageOf(r.URL.Path)
}

// pageOf guesses the page a form posted to path p was on: p itself when it
// has a GET route (a form that posts to its own page), else the nearest
// path above it that has one (/staff/tasks/ID for /staff/tasks/ID/decision),
// else "/". A guess: the route above may not be the form's page (a
// create form posting to its list) or a page at all (a download).
func (s *Server) pageOf(p string) string {
	for p != "/" && p != "." && p != "" {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}}
		if _, pattern := s.mux.Handler(r); pattern != "" && pattern != "/" && !strings.HasPrefix(pattern, "GET /api/") {
			return p
		}
		p = path.Dir(p)
	}
	return "/"
}

// Session cookie and language cookie names.
const (
	sessionCookie = "tongban_session"
	langCookie    = "tongban_lang"
)

// New builds a Server and its handler.
func New(s Server) (*Server, error) {
	srv := &s
	if srv.Now == nil {
		srv.Now = time.Now
	}
	if srv.Notify == nil {
		// The inbox needs nothing but the database.
		srv.Notify = notify.NewStore(srv.DB, srv.Now)
	}
	if srv.Processes == nil {
		srv.Processes = workflow.NewStore(srv.DB, srv.Identity, srv.Catalog, srv.Now)
	}
	if srv.Exchange == nil {
		srv.Exchange = exchange.NewStore(exchange.Deps{DB: srv.DB, Identity: srv.Identity, Now: srv.Now, Location: srv.Config.Location})
	}
	if srv.Limiter == nil {
		srv.Limiter = ratelimit.New(srv.Now)
	}
	if srv.Consultations == nil {
		srv.Consultations = consultation.NewStore(srv.DB, srv.Config.Location, srv.Now)
	}
	if srv.Licenses == nil {
		srv.Licenses = license.NewStore(license.Deps{DB: srv.DB, Identity: srv.Identity, Keys: license.NewKeyring(srv.Config.LicenseKeyDir(), "tongban"),
			Now: srv.Now, Location: srv.Config.Location})
	}
	if srv.LicenseLink == nil {
		// A material taken from a license links to the page its QR code
		// opens, which any clerk may see.
		lic := srv.Licenses
		srv.LicenseLink = func(id string) string {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			path, err := lic.CheckPath(ctx, id)
			if err != nil {
				return ""
			}
			return path
		}
	}
	if srv.Ratings == nil {
		srv.Ratings = rating.NewStore(rating.Deps{DB: srv.DB, Calendar: srv.Calendar, Location: srv.Config.Location, Now: srv.Now})
	}
	srv.figCache = &figuresCache{}
	srv.svcNamesEn = &serviceNamesEn{}
	var err error
	if srv.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if srv.pages, err = loadPages(srv); err != nil {
		return nil, err
	}
	srv.routes = srv.routeTable()
	mux := http.NewServeMux()
	for _, rt := range srv.routes {
		mux.Handle(rt.Method+" "+rt.Pattern, srv.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		req := srv.newRequest(w, r)
		srv.fail(req, notFound())
	})
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(srv.Config.BaseURL); err != nil {
		return nil, err
	}
	// Open311 apps may run in a browser on another site (the answers
	// carry Access-Control-Allow-Origin: *). A post there is
	// authenticated by the API key in its body alone, never by the
	// session cookie, so another site can forge nothing with it.
	for _, p := range []string{"POST /open311/v2/requests.json", "POST /open311/v2/requests.xml"} {
		cop.AddInsecureBypassPattern(p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := srv.newRequest(w, r)
		srv.fail(req, &httpError{Code: http.StatusForbidden, Key: "error_403", Err: errors.New("cross-origin request refused")})
	}))
	srv.mux = mux
	srv.handler = srv.base(cop.Handler(mux))
	return srv, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

type ctxKey int

const requestIDKey ctxKey = 1

// base adds the request ID, security headers, panic recovery and the access
// log. The log line carries the path only: never the query string, which
// could hold a search a person typed, and never form values.
func (s *Server) base(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", "request_id", id, "method", r.Method, "path", r.URL.Path, "panic", p)
				if sw.status == 0 {
					http.Error(sw, "internal error "+id, http.StatusInternalServerError)
				}
			}
			took := time.Since(start)
			// The mux has set the pattern it matched on r.
			s.Metrics.Request(r.Pattern, sw.code(), took)
			if !strings.HasPrefix(r.URL.Path, "/static/") {
				s.Log.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.code(), "duration_ms", took.Milliseconds())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// request is what a handler gets: the writer, the request, the principal
// and the language.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	p    *identity.Principal
	lang i18n.Lang
	id   string
	api  bool
}

func (req *request) ctx() context.Context { return req.r.Context() }

func (req *request) t(key string, args ...any) string { return i18n.T(req.lang, key, args...) }

func (s *Server) newRequest(w http.ResponseWriter, r *http.Request) *request {
	id, _ := r.Context().Value(requestIDKey).(string)
	req := &request{w: w, r: r, id: id, api: strings.HasPrefix(r.URL.Path, "/api/")}
	req.lang = s.language(r)
	if c, err := r.Cookie(sessionCookie); err == nil {
		if p, err := s.Identity.ResolveSession(r.Context(), c.Value); err == nil {
			req.p = p
		}
	}
	if req.p == nil {
		req.p = &identity.Principal{}
	}
	return req
}

// language picks the UI language: the lang cookie, else Accept-Language,
// else the platform default.
func (s *Server) language(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	def, _ := i18n.Parse(s.Config.Lang)
	if h := r.Header.Get("Accept-Language"); h != "" {
		return i18n.FromAcceptLanguage(h, def)
	}
	return def
}

// wrap turns a route into an http.Handler that authorizes before running
// the handler, and renders whatever error it returns.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := s.newRequest(w, r)
		if rt.Perm != Public {
			if req.p.Anonymous() {
				s.fail(req, &httpError{Code: http.StatusUnauthorized, Key: "error_401"})
				return
			}
			if !req.p.Can(rt.Perm) {
				s.fail(req, forbidden())
				return
			}
		}
		if err := rt.h(req); err != nil {
			s.fail(req, err)
		}
	})
}
