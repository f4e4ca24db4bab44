package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/rating"
)

func (s *Server) healthz(req *request) error {
	req.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	req.w.Write([]byte("ok\n"))
	return nil
}

// readyz answers 200 only when the database answers and its schema is
// current, so a load balancer sends no traffic to a node that cannot serve.
func (s *Server) readyz(req *request) error {
	req.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.DB.Ping(req.ctx()); err != nil {
		s.Log.Warn("not ready: database", "err", err)
		req.w.WriteHeader(http.StatusServiceUnavailable)
		req.w.Write([]byte("database unavailable\n"))
		return nil
	}
	if err := s.DB.CheckSchema(req.ctx()); err != nil {
		req.w.WriteHeader(http.StatusServiceUnavailable)
		req.w.Write([]byte("schema out of date\n"))
		return nil
	}
	req.w.Write([]byte("ready\n"))
	return nil
}

// deptNames maps department codes to names in the request's language.
func (s *Server) deptNames(ctx context.Context, l i18n.Lang) (map[string]string, []org.Department, error) {
	depts, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]string, len(depts))
	for _, d := range depts {
		m[d.Code] = d.Name
		if l == i18n.EN && d.NameEn != "" {
			m[d.Code] = d.NameEn
		}
	}
	return m, depts, nil
}

type homeData struct {
	LifeEvents []catalog.Theme
	Business   []catalog.Theme
	Popular    []catalog.Summary
	DeptNames  map[string]string
	// Todo lists the signed-in applicant's applications that wait for
	// them: a supplement to answer, a draft to submit, a result to rate.
	Todo []todoItem
}

// todoItem is one application waiting for its applicant, and for what:
// "supplement", "draft" or "rate".
type todoItem struct {
	App  *application.Application
	What string
	// ServiceName names the application's service in the page's
	// language.
	ServiceName string
}

// rateChecks caps how many concluded applications the home page asks the
// ratings about.
const rateChecks = 5

// applicantTodo lists what waits for the signed-in applicant, most urgent
// first: supplements (their clock is stopped until answered), drafts, and
// concluded applications not rated yet.
func (s *Server) applicantTodo(req *request) ([]todoItem, error) {
	if req.p.Anonymous() || !req.p.Can(identity.PermApply) {
		return nil, nil
	}
	apps, err := s.Applications.Mine(req.ctx(), req.p)
	if err != nil {
		return nil, err
	}
	var supplements, drafts, rate []todoItem
	checked := 0
	for _, a := range apps {
		switch {
		case a.State == application.Supplement:
			supplements = append(supplements, todoItem{App: a, What: "supplement"})
		case a.State == application.Draft:
			drafts = append(drafts, todoItem{App: a, What: "draft"})
		case (a.State == application.Concluded || a.State == application.Refused) && s.Ratings != nil && checked < rateChecks:
			checked++
			ok, err := s.Ratings.CanRate(req.ctx(), req.p, rating.ApplicationObject, a.ID)
			if err != nil {
				return nil, err
			}
			if ok {
				rate = append(rate, todoItem{App: a, What: "rate"})
			}
		}
	}
	todo := slices.Concat(supplements, drafts, rate)
	waiting := make([]*application.Application, len(todo))
	for i, t := range todo {
		waiting[i] = t.App
	}
	names, err := s.appServiceNames(req, waiting)
	if err != nil {
		return nil, err
	}
	for i := range todo {
		todo[i].ServiceName = names[todo[i].App.ID]
	}
	return todo, nil
}

func (s *Server) homePage(req *request) error {
	themes, err := s.Catalog.Themes(req.ctx())
	if err != nil {
		return err
	}
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		return err
	}
	d := homeData{DeptNames: names}
	for _, t := range themes {
		if t.Kind == catalog.LifeEvent {
			d.LifeEvents = append(d.LifeEvents, t)
		} else {
			d.Business = append(d.Business, t)
		}
	}
	all, err := s.Catalog.List(req.ctx(), catalog.Filter{})
	if err != nil {
		return err
	}
	if len(all) > 8 {
		all = all[:8]
	}
	if err := s.englishNames(req, all); err != nil {
		return err
	}
	d.Popular = all
	if d.Todo, err = s.applicantTodo(req); err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "home", req.t("site_name"), d)
}

type searchData struct {
	Query     string
	Hits      []catalog.Hit
	DeptNames map[string]string
	Error     string
}

func (s *Server) searchPage(req *request) error {
	q := strings.TrimSpace(req.r.URL.Query().Get("q"))
	d := searchData{Query: q}
	var err error
	if d.DeptNames, _, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return err
	}
	status := http.StatusOK
	if q != "" {
		d.Hits, err = s.Catalog.Search(req.ctx(), q, 20)
		if fe, ok := formErrors(req.lang, err); ok {
			d.Error, status = fe["q"], http.StatusUnprocessableEntity
		} else if err != nil {
			return err
		}
		for i := range d.Hits {
			h := &d.Hits[i]
			if h.Name, err = s.serviceName(req, h.Code, h.Version, h.Name); err != nil {
				return err
			}
		}
	}
	pg := &page{Title: req.t("search_results", q), Data: d, Query: q}
	return s.renderPage(req, status, "search", pg)
}

type servicesData struct {
	Services  []catalog.Summary
	DeptNames map[string]string
	Depts     []org.Department
	Filter    catalog.Filter
	Kinds     []catalog.Kind
}

func (s *Server) filterFrom(req *request) (catalog.Filter, error) {
	q := req.r.URL.Query()
	f := catalog.Filter{Department: q.Get("department"), Kind: catalog.Kind(q.Get("kind")), Audience: catalog.Audience(q.Get("audience"))}
	if f.Kind != "" && !oneOfKind(f.Kind) {
		return f, &httpError{Code: http.StatusBadRequest, Key: "kind_invalid"}
	}
	if f.Audience != "" && f.Audience != catalog.Person && f.Audience != catalog.Organization {
		return f, &httpError{Code: http.StatusBadRequest, Key: "audience_invalid"}
	}
	return f, nil
}

func oneOfKind(k catalog.Kind) bool {
	for _, x := range catalog.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func (s *Server) servicesPage(req *request) error {
	f, err := s.filterFrom(req)
	if err != nil {
		return err
	}
	d := servicesData{Filter: f, Kinds: catalog.Kinds}
	if d.DeptNames, d.Depts, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return err
	}
	if d.Services, err = s.Catalog.List(req.ctx(), f); err != nil {
		return err
	}
	if err := s.englishNames(req, d.Services); err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "services", req.t("all_services"), d)
}

type guideData struct {
	Service    *catalog.Service
	Department org.Department
	FormFields []formField
	// Orgs are the organizations the viewer may apply for.
	Orgs    []*identity.Organization
	Process *processView
	// Drafts are the viewer's drafts of this service, to carry on with
	// rather than start another.
	Drafts []*application.Application
	// ApplyError says why applying did not start a draft.
	ApplyError string
}

func (s *Server) guidePage(req *request) error {
	return s.renderGuide(req, req.r.PathValue("code"), http.StatusOK, "")
}

// renderGuide shows the guide of the published service code, with
// applyError beside the apply button when applying failed.
func (s *Server) renderGuide(req *request, code string, status int, applyError string) error {
	svc, err := s.Catalog.Published(req.ctx(), code)
	if err != nil {
		return err
	}
	dept, err := s.Org.Department(req.ctx(), svc.DepartmentCode)
	if err != nil {
		return err
	}
	if req.lang == i18n.EN && dept.NameEn != "" {
		dept.Name = dept.NameEn
	}
	d := guideData{Service: svc, Department: dept, FormFields: schemaFields(svc.FormSchema), ApplyError: applyError}
	def, err := s.serviceProcess(req, svc.Process)
	if err != nil {
		return err
	}
	if def != nil {
		if d.Process, err = s.viewProcess(req, def, "process"); err != nil {
			return err
		}
	}
	if req.p.Can(identity.PermOrgAct) && svc.HasAudience(catalog.Organization) {
		if d.Orgs, err = s.Identity.Organizations(req.ctx(), req.p.Account.ID); err != nil {
			return err
		}
	}
	if req.p.Can(identity.PermApply) {
		if d.Drafts, err = s.Applications.Drafts(req.ctx(), req.p, svc.Code); err != nil {
			return err
		}
	}
	title := svc.Name
	if req.lang == i18n.EN && svc.NameEn != "" {
		title = svc.NameEn
	}
	return s.render(req, status, "guide", title, d)
}

type themeData struct {
	Theme    *catalog.Theme
	Services []*catalog.Service
	Notes    []string
}

func (s *Server) themePage(req *request) error {
	t, err := s.Catalog.Theme(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	d := themeData{Theme: t}
	for _, st := range t.Steps {
		svc, err := s.Catalog.Published(req.ctx(), st.ServiceCode)
		if errors.Is(err, db.ErrNotFound) {
			continue // withdrawn services drop out of the path
		}
		if err != nil {
			return err
		}
		d.Services = append(d.Services, svc)
		d.Notes = append(d.Notes, st.Note)
	}
	title := t.Name
	if req.lang == i18n.EN && t.NameEn != "" {
		title = t.NameEn
	}
	return s.render(req, http.StatusOK, "theme", title, d)
}

type departmentsData struct {
	Departments []org.Department
	Counts      map[string]int
}

func (s *Server) departmentsPage(req *request) error {
	depts, err := s.Org.Departments(req.ctx())
	if err != nil {
		return err
	}
	counts, err := s.Catalog.Counts(req.ctx())
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "departments", req.t("nav_departments"), departmentsData{depts, counts})
}

type departmentData struct {
	Department org.Department
	Services   []catalog.Summary
}

func (s *Server) departmentPage(req *request) error {
	d, err := s.Org.Department(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	if req.lang == i18n.EN && d.NameEn != "" {
		d.Name = d.NameEn
	}
	list, err := s.Catalog.List(req.ctx(), catalog.Filter{Department: d.Code})
	if err != nil {
		return err
	}
	if err := s.englishNames(req, list); err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "department", d.Name, departmentData{d, list})
}

// setLanguage stores the language choice in a cookie and goes back to the
// page the visitor came from (only a local path is accepted).
func (s *Server) setLanguage(req *request) error {
	l, ok := i18n.Parse(req.r.PathValue("lang"))
	if !ok {
		return &httpError{Code: http.StatusBadRequest, Key: "lang_invalid"}
	}
	http.SetCookie(req.w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.Config.SecureCookies, HttpOnly: true})
	return s.redirect(req, localPath(req.r.URL.Query().Get("next")))
}

// localPath returns p if it is a path on this site, else "/": redirects
// never lead off-site.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
