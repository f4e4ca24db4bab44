package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"mime"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticFiles serves embedded assets at content-hash URLs, so they can be
// cached forever and a new release never serves a stale file.
type staticFiles struct {
	hash  map[string]string // name -> hash
	files map[string][]byte
}

func loadStatic() (*staticFiles, error) {
	sf := &staticFiles{hash: map[string]string{}, files: map[string][]byte{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		sf.hash[name] = hex.EncodeToString(sum[:6])
		sf.files[name] = b
		return nil
	})
	return sf, err
}

func (sf *staticFiles) url(name string) string {
	return "/static/" + sf.hash[name] + "/" + name
}

func (s *Server) serveStatic(req *request) error {
	name := req.r.PathValue("name")
	b, ok := s.static.files[name]
	if !ok || s.static.hash[name] != req.r.PathValue("hash") {
		return notFound()
	}
	h := req.w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	req.w.Write(b)
	return nil
}

// pageSet holds one parsed template per page, each with the layout.
type pageSet struct {
	pages map[string]*template.Template
}

func loadPages(s *Server) (*pageSet, error) {
	funcs := template.FuncMap{
		"asset": s.static.url,
		"join":  strings.Join,
		"add":   func(a, b int) int { return a + b },
		// dict packs a form field's parameters: the page, the field
		// name, its label key, input type and autocomplete hint.
		"dict": func(p *page, name, label, typ, auto string) map[string]any {
			return map[string]any{"page": p, "name": name, "label": label, "type": typ, "auto": auto}
		},
		// item pairs the page with one element, for a sub-template that
		// renders the element (a list item, a node of a tree that
		// recurses) and still needs the page's translations.
		"item": func(p *page, v any) map[string]any {
			return map[string]any{"page": p, "item": v}
		},
		// processArgs and stepDict pack the parameters of the process
		// partial (_process.html).
		"processArgs": func(p *page, v *processView) map[string]any { return map[string]any{"page": p, "view": v} },
		"stepDict":    func(p *page, st processStep) map[string]any { return map[string]any{"page": p, "step": st} },
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		// fieldDict and progressDict pack the arguments of the
		// application partials in _app.html.
		"fieldDict": func(p *page, f formField) map[string]any {
			return map[string]any{"page": p, "field": f}
		},
		"progressDict": func(p *page, v *applicationView) map[string]any {
			return map[string]any{"page": p, "view": v}
		},
		// maskLicense shows a license number, masked when it is an ID
		// number (a resident ID card's number is its holder's).
		"maskLicense": func(n string) string {
			if idcheck.IDNumber(n) == nil {
				return idcheck.MaskIDNumber(n)
			}
			return n
		},
		// licenseFieldLines writes a license's field mapping for the
		// service editor: "license field = form field", one per line.
		"licenseFieldLines": func(m map[string]string) string {
			var b strings.Builder
			for _, k := range slices.Sorted(maps.Keys(m)) {
				b.WriteString(k + " = " + m[k] + "\n")
			}
			return b.String()
		},
		// localTime shows an instant in the platform's time zone.
		"localTime": func(v any) string {
			var t time.Time
			switch v := v.(type) {
			case time.Time:
				t = v
			case *time.Time:
				if v == nil {
					return ""
				}
				t = *v
			case string: // as the ledger's entries carry it
				p, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					return v
				}
				t = p
			default:
				return fmt.Sprint(v)
			}
			return t.In(s.Config.Location).Format("2006-01-02 15:04")
		},
		// deref follows a pointer (such as an optional rate or
		// verdict); nil stays nil.
		"deref": func(v any) any {
			rv := reflect.ValueOf(v)
			if rv.Kind() != reflect.Pointer {
				return v
			}
			if rv.IsNil() {
				return nil
			}
			return rv.Elem().Interface()
		},
		// list makes a list of strings, for ranging over choices.
		"list": func(v ...string) []string { return v },
		"contains": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
	}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Files named _*.html are partials that every page may use.
	files := []string{"templates/layout.html"}
	for _, e := range entries {
		if strings.HasPrefix(path.Base(e), "_") {
			files = append(files, e)
		}
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(path.Base(e), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, append(files, e)...)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		ps.pages[name] = t
	}
	return ps, nil
}

// page is the data every template gets. Data is the page's own content.
type page struct {
	Lang   i18n.Lang
	User   *identity.Principal
	Title  string
	Flash  string
	Path   string
	Query  string
	Data   any
	Form   map[string]string
	Errors map[string]string
	Status int
	// Unread is the signed-in user's count of unread notices, for the
	// header.
	Unread int
}

// T translates a message key in the page's language.
func (p *page) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }

// Can reports whether the viewer holds a permission (for showing links).
func (p *page) Can(perm string) bool { return p.User.Can(identity.Permission(perm)) }

// Other is the language to offer in the switcher.
func (p *page) Other() string {
	if p.Lang == i18n.EN {
		return "zh-CN"
	}
	return "en"
}

// FieldError returns the translated error for a form field, or "".
func (p *page) FieldError(field string) string { return p.Errors[field] }

// Value returns a submitted form value, to refill a form after an error.
func (p *page) Value(field string) string { return p.Form[field] }

func (s *Server) render(req *request, status int, name, title string, data any) error {
	return s.renderPage(req, status, name, &page{Title: title, Data: data})
}

func (s *Server) renderPage(req *request, status int, name string, pg *page) error {
	t, ok := s.pages.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	pg.Lang = req.lang
	pg.User = req.p
	pg.Path = req.r.URL.Path
	if req.r.Method != http.MethodGet && req.r.Method != http.MethodHead {
		pg.Path = s.postedFrom(req.r)
	}
	pg.Status = status
	if pg.Flash == "" {
		pg.Flash = s.takeFlash(req)
	}
	if !req.p.Anonymous() {
		// A badge is not worth failing the page for.
		n, err := s.Notify.Unread(req.ctx(), req.p.Account.ID)
		if err != nil {
			s.Log.Warn("unread notices", "request_id", req.id, "err", err)
		}
		pg.Unread = n
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, pg); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := req.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", string(req.lang))
	if !req.p.Anonymous() {
		h.Set("Cache-Control", "no-store")
	}
	req.w.WriteHeader(status)
	req.w.Write(buf.Bytes())
	return nil
}

func (s *Server) renderError(req *request, code int, msg string) {
	err := s.renderPage(req, code, "error", &page{Title: req.t("error_title"), Data: msg})
	if err != nil {
		s.Log.Error("render error page", "request_id", req.id, "err", err)
		http.Error(req.w, msg, code)
	}
}

// formErrors converts a validation error into translated per-field
// messages for re-rendering a form; ok is false for other errors.
func formErrors(l i18n.Lang, err error) (map[string]string, bool) {
	inv, ok := err.(*fielderr.Invalid)
	if !ok {
		return nil, false
	}
	m := map[string]string{}
	for _, f := range inv.Fields {
		if _, dup := m[f.Field]; !dup {
			m[f.Field] = i18n.T(l, f.Key, f.Params...)
		}
	}
	return m, true
}

// flash messages travel in a short-lived cookie across a redirect.
const flashCookie = "tongban_flash"

func (s *Server) setFlash(req *request, key string, args ...any) {
	http.SetCookie(req.w, &http.Cookie{Name: flashCookie, Value: encodeFlash(req.t(key, args...)), Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Config.SecureCookies})
}

func (s *Server) takeFlash(req *request) string {
	c, err := req.r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(req.w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Config.SecureCookies})
	return decodeFlash(c.Value)
}

func encodeFlash(s string) string { return hex.EncodeToString([]byte(s)) }

func decodeFlash(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) > 600 {
		return ""
	}
	return string(b)
}

func (s *Server) redirect(req *request, to string) error {
	http.Redirect(req.w, req.r, to, http.StatusSeeOther)
	return nil
}
