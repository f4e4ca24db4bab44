package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/org"
)

// The supervisors' ticket list (电子监察): tickets of every department,
// filtered and keyset-paginated, as a page and through the API.

// superviseFilter reads the list's filters from the query string.
func superviseFilter(req *request) hotline.SuperviseFilter {
	q := req.r.URL.Query()
	f := hotline.SuperviseFilter{State: hotline.State(q.Get("state")), Kind: hotline.Kind(q.Get("kind")), Category: q.Get("category_code"),
		Department: q.Get("department_code"), Division: q.Get("division_code"), Warning: q.Get("warning"), From: q.Get("from"), To: q.Get("to"),
		Number: q.Get("q"), After: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // reported as out of range
		}
		f.Limit = n
	}
	return f
}

type supervisionHotlineData struct {
	Filter     hotline.SuperviseFilter
	Page       *hotline.SupervisePage
	Categories []hotline.Category
	Depts      []org.Department
	DeptNames  map[string]string
	Divisions  []org.Division
	States     []hotline.State
	Kinds      []hotline.Kind
	// NextURL is the link to the following page and FirstURL to the
	// first, with the same filters.
	NextURL, FirstURL string
	// Filed is each ticket's filing time in the platform's zone.
	Filed map[string]string
}

func (s *Server) supervisionHotlinePage(req *request) error {
	f := superviseFilter(req)
	v := &supervisionHotlineData{Filter: f, States: []hotline.State{hotline.Dispatching, hotline.Dispatched, hotline.Handling, hotline.Replied, hotline.Closed, hotline.Merged},
		Kinds: hotline.Kinds, Filed: map[string]string{}}
	var err error
	if v.Categories, err = s.Hotline.Categories(req.ctx()); err != nil {
		return err
	}
	if v.DeptNames, v.Depts, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return err
	}
	if v.Divisions, err = s.Org.Divisions(req.ctx()); err != nil {
		return err
	}
	status := http.StatusOK
	var msgs map[string]string
	v.Page, err = s.Hotline.Supervise(req.ctx(), req.p, f)
	if fe, ok := formErrors(req.lang, err); ok {
		status, msgs, v.Page = http.StatusUnprocessableEntity, fe, &hotline.SupervisePage{}
	} else if err != nil {
		return err
	}
	loc := s.Config.Location
	if loc == nil {
		loc = time.UTC
	}
	for _, t := range v.Page.Tickets {
		v.Filed[t.ID] = t.CreatedAt.In(loc).Format("2006-01-02 15:04")
	}
	q := req.r.URL.Query()
	if q.Has("after") {
		q.Del("after")
		v.FirstURL = "/supervision/hotline?" + q.Encode()
	}
	if v.Page.Next != "" {
		q.Set("after", v.Page.Next)
		v.NextURL = "/supervision/hotline?" + q.Encode()
	}
	form := map[string]string{}
	for k, vs := range req.r.URL.Query() {
		if len(vs) > 0 {
			form[k] = vs[0]
		}
	}
	return s.renderPage(req, status, "supervision_hotline", &page{Title: req.t("hotline_supervision_title"), Data: v, Errors: msgs, Form: form})
}

func (s *Server) apiSupervisionHotline(req *request) error {
	f := superviseFilter(req)
	p, err := s.Hotline.Supervise(req.ctx(), req.p, f)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, p)
	return nil
}
