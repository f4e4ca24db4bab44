package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
)

// exchangeError turns the exchange's refusals and provider failures into
// their public answers: a refused lookup is 403 (429 over the rate) with
// the reason as the error code, a provider system that did not answer in
// time is 504.
func exchangeError(err error) error {
	var ref *exchange.Refusal
	switch {
	case errors.As(err, &ref):
		code := http.StatusForbidden
		if ref.Reason == exchange.ReasonRate {
			code = http.StatusTooManyRequests
		}
		return &httpError{Code: code, Key: "exchange_refused_" + ref.Reason, Err: err}
	case errors.Is(err, exchange.ErrProviderUnavailable):
		return &httpError{Code: http.StatusGatewayTimeout, Key: "exchange_provider_unavailable", Err: err}
	}
	return err
}

// departmentNames maps department codes to names in the reader's
// language (deptNames), for pages where a name is a nicety: when they
// cannot be read the page shows codes instead of failing.
func (s *Server) departmentNames(req *request) map[string]string {
	names, _, err := s.deptNames(req.ctx(), req.lang)
	if err != nil {
		s.Log.Warn("department names", "request_id", req.id, "err", err)
		return map[string]string{}
	}
	return names
}

// JSON API.

func (s *Server) apiExchangeResources(req *request) error {
	out, err := s.Exchange.Resources(req.ctx())
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiExchangeResource(req *request) error {
	r, err := s.Exchange.Resource(req.ctx(), req.r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, r)
	return nil
}

func (s *Server) apiExchangePutResource(req *request) error {
	var r exchange.Resource
	if err := decodeJSON(req, &r); err != nil {
		return err
	}
	r.Code = req.r.PathValue("code")
	out, err := s.Exchange.PutResource(req.ctx(), req.p, r)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, out)
	return nil
}

func (s *Server) apiExchangeRequests(req *request) error {
	out, err := s.Exchange.Requests(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

// requestResult is a request with the grant it led to, if any.
type requestResult struct {
	Request *exchange.AccessRequest `json:"request"`
	Grant   *exchange.Grant         `json:"grant,omitempty"`
}

func (s *Server) apiExchangeRequest(req *request) error {
	var in exchange.RequestInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	r, g, err := s.Exchange.Request(req.ctx(), req.p, in)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusCreated, requestResult{r, g})
	return nil
}

func (s *Server) apiExchangeDecide(req *request) error {
	var in struct {
		Approve bool   `json:"approve"`
		Reason  string `json:"reason"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	r, g, err := s.Exchange.Decide(req.ctx(), req.p, req.r.PathValue("id"), in.Approve, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, requestResult{r, g})
	return nil
}

func (s *Server) apiExchangeGrants(req *request) error {
	out, err := s.Exchange.Grants(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiExchangeRevoke(req *request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	g, err := s.Exchange.Revoke(req.ctx(), req.p, req.r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, g)
	return nil
}

// apiExchangeQuery looks a subject up. The subject is in the body, never
// in the URL, so it reaches no access log.
func (s *Server) apiExchangeQuery(req *request) error {
	var in exchange.QueryInput
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	ans, err := s.Exchange.Query(req.ctx(), req.p, in)
	if err != nil {
		return exchangeError(err)
	}
	writeJSON(req.w, http.StatusOK, ans)
	return nil
}

// logFilter reads a supervisor's filter from the query string: department,
// provider, resource, outcome, case (a tracking number), from and to
// (dates, inclusive, in the platform's time zone).
func (s *Server) logFilter(req *request) (exchange.LogFilter, error) {
	q := req.r.URL.Query()
	f := exchange.LogFilter{Department: q.Get("department"), Provider: q.Get("provider"), Resource: q.Get("resource"),
		Outcome: q.Get("outcome"), Case: q.Get("case"), Limit: atoiDefault(q.Get("limit"), 200)}
	if f.Outcome != "" && f.Outcome != "answered" && f.Outcome != "refused" {
		return f, badRequest(errors.New("outcome"))
	}
	for _, b := range []struct {
		name string
		to   *time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if v := q.Get(b.name); v != "" {
			d, err := time.ParseInLocation("2006-01-02", v, s.Config.Location)
			if err != nil {
				return f, badRequest(err)
			}
			*b.to = d.AddDate(0, 0, b.add)
		}
	}
	return f, nil
}

func (s *Server) apiExchangeLog(req *request) error {
	f, err := s.logFilter(req)
	if err != nil {
		return err
	}
	out, err := s.Exchange.Log(req.ctx(), req.p, f)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiExchangePatterns(req *request) error {
	days := atoiDefault(req.r.URL.Query().Get("days"), 30)
	if days < 1 || days > 366 {
		return badRequest(errors.New("days"))
	}
	out, err := s.Exchange.Patterns(req.ctx(), req.p, s.Now().AddDate(0, 0, -days))
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

func (s *Server) apiMyData(req *request) error {
	out, err := s.Exchange.MyData(req.ctx(), req.p)
	if err != nil {
		return err
	}
	writeJSON(req.w, http.StatusOK, list(out))
	return nil
}

// Pages.

// accessView is one use of a person's data in plain words.
type accessView struct {
	*exchange.Access
	When, Text string
}

func (s *Server) accessViews(req *request, list []*exchange.Access) []accessView {
	names := s.departmentNames(req)
	out := make([]accessView, 0, len(list))
	for _, x := range list {
		resource, fields := x.ResourceName, strings.Join(x.FieldLabels, "、")
		if req.lang == i18n.EN {
			if x.ResourceNameEn != "" {
				resource = x.ResourceNameEn
			}
			fields = strings.Join(x.FieldLabelsEn, ", ")
		}
		role := req.t("role_" + x.Role)
		entry := "mydata_entry"
		if x.CaseKind == exchange.CaseTicket {
			entry = "mydata_entry_ticket"
		}
		text := req.t(entry, names[x.Department], role, x.Case, x.Purpose, x.SubjectName, resource, fields, names[x.Provider])
		out = append(out, accessView{Access: x, When: x.At.In(s.Config.Location).Format("2006-01-02 15:04"), Text: text})
	}
	return out
}

func (s *Server) myDataPage(req *request) error {
	list, err := s.Exchange.MyData(req.ctx(), req.p)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "my_data", req.t("mydata_title"), s.accessViews(req, list))
}

type supervisionDataView struct {
	Log      []*exchange.Access
	When     map[string]string
	Patterns []*exchange.Pattern
	Names    map[string]string
	Filter   exchange.LogFilter
}

func (s *Server) supervisionDataPage(req *request) error {
	f, err := s.logFilter(req)
	if err != nil {
		return err
	}
	v := supervisionDataView{Filter: f, Names: s.departmentNames(req), When: map[string]string{}}
	if v.Log, err = s.Exchange.Log(req.ctx(), req.p, f); err != nil {
		return err
	}
	for _, x := range v.Log {
		v.When[x.ID] = x.At.In(s.Config.Location).Format("2006-01-02 15:04:05")
	}
	if v.Patterns, err = s.Exchange.Patterns(req.ctx(), req.p, s.Now().AddDate(0, 0, -30)); err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "supervision_data", req.t("exchange_log_title"), v)
}

type exchangeView struct {
	Resources []*exchange.Resource
	Grants    []*exchange.Grant
	Requests  []*exchange.AccessRequest
	Names     map[string]string
	// Manage lists the departments the viewer manages exchange for.
	Manage []string
	// ManageAll is true for platform admins.
	ManageAll bool
	Now       time.Time
}

func (s *Server) exchangeView(req *request) (*exchangeView, error) {
	v := &exchangeView{Names: s.departmentNames(req), Now: s.Now()}
	var err error
	if v.Resources, err = s.Exchange.Resources(req.ctx()); err != nil {
		return nil, err
	}
	if v.Grants, err = s.Exchange.Grants(req.ctx(), req.p); err != nil {
		return nil, err
	}
	v.Manage, v.ManageAll = req.p.Departments(identity.PermExchangeManage)
	if len(v.Manage) > 0 || v.ManageAll {
		if v.Requests, err = s.Exchange.Requests(req.ctx(), req.p); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// CanDecide reports whether the viewer decides for the provider dept.
func (v *exchangeView) CanDecide(dept string) bool {
	return v.ManageAll || slices.Contains(v.Manage, dept)
}

func (s *Server) staffExchangePage(req *request) error {
	v, err := s.exchangeView(req)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "staff_exchange", req.t("exchange_title"), v)
}

// exchangeFormFailed re-renders the exchange page with a form's errors.
func (s *Server) exchangeFormFailed(req *request, err error) error {
	errs, ok := formErrors(req.lang, err)
	if !ok {
		return err
	}
	v, verr := s.exchangeView(req)
	if verr != nil {
		return verr
	}
	form := map[string]string{}
	for k := range req.r.PostForm {
		form[k] = req.r.PostForm.Get(k)
	}
	return s.renderPage(req, http.StatusUnprocessableEntity, "staff_exchange", &page{Title: req.t("exchange_title"), Data: v, Errors: errs, Form: form})
}

func (s *Server) staffExchangeRequest(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	f := req.r.PostForm
	fields := strings.FieldsFunc(f.Get("fields"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })
	in := exchange.RequestInput{Resource: f.Get("resource"), Department: f.Get("department_code"), Fields: fields,
		Purpose: f.Get("purpose"), LegalBasis: f.Get("legal_basis"), Days: atoiDefault(f.Get("days"), 0), RatePerHour: atoiDefault(f.Get("rate_per_hour"), 0)}
	r, _, err := s.Exchange.Request(req.ctx(), req.p, in)
	if err != nil {
		return s.exchangeFormFailed(req, err)
	}
	if r.State == exchange.Granted {
		s.setFlash(req, "exchange_flash_granted")
	} else {
		s.setFlash(req, "exchange_flash_requested")
	}
	return s.redirect(req, "/staff/exchange")
}

func (s *Server) staffExchangeDecide(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	approve := req.r.PostFormValue("approve") == "1"
	if _, _, err := s.Exchange.Decide(req.ctx(), req.p, req.r.PathValue("id"), approve, req.r.PostFormValue("reason")); err != nil {
		return s.exchangeFormFailed(req, err)
	}
	s.setFlash(req, "exchange_flash_decided")
	return s.redirect(req, "/staff/exchange")
}

func (s *Server) staffExchangeRevoke(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	if _, err := s.Exchange.Revoke(req.ctx(), req.p, req.r.PathValue("id"), req.r.PostFormValue("reason")); err != nil {
		return s.exchangeFormFailed(req, err)
	}
	s.setFlash(req, "exchange_flash_revoked")
	return s.redirect(req, "/staff/exchange")
}

// lookupView is the lookup page of a case (a task's application or a
// hotline ticket): the grants the case's department may use, the case's
// subjects (masked), and an answer.
type lookupView struct {
	// Back links to the case; CaseTitle names it; Action is where the
	// form posts.
	Back, CaseTitle, Action, Lead string
	// CaseLabel names the kind of case: 办件 or 工单.
	CaseLabel string
	Grants    []*exchange.Grant
	Resources map[string]*exchange.Resource
	// Subjects are masked; the form sends their index, so no ID number
	// travels in the page or the form.
	Subjects []string
	// NoSubject says why there is nobody to look up (a protected or
	// anonymous reporter, a caller without an account).
	NoSubject string
	Answer    *exchange.Answer
	// FetchedAt is when the answer was read, in the platform's time zone.
	FetchedAt string
	Resource  *exchange.Resource
	Names     map[string]string
	Refusal   string
}

// caseGrants fills in the live grants of the case's department.
func (s *Server) caseGrants(req *request, v *lookupView, dept string) error {
	grants, err := s.Exchange.Grants(req.ctx(), req.p)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, g := range grants {
		if g.Department == dept && g.Active(now) {
			v.Grants = append(v.Grants, g)
			if _, ok := v.Resources[g.Resource]; !ok {
				if v.Resources[g.Resource], err = s.Exchange.Resource(req.ctx(), g.Resource); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// lookupSubjects masks a case's subjects for the page.
func lookupSubjects(req *request, subjects []string, person string) []string {
	var out []string
	for _, sub := range subjects {
		if idcheck.IDNumber(sub) == nil {
			out = append(out, req.t(person, idcheck.MaskIDNumber(sub)))
		} else {
			out = append(out, req.t("lookup_subject_org", sub))
		}
	}
	return out
}

// taskLookup is the lookup page's view for a task, with the case to query
// for and its subjects.
func (s *Server) taskLookup(req *request) (*lookupView, exchange.QueryInput, []string, error) {
	var in exchange.QueryInput
	t, a, err := s.Applications.Task(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return nil, in, nil, err
	}
	if !req.p.CanIn(identity.PermExchangeQuery, t.DepartmentCode) {
		return nil, in, nil, notFound()
	}
	c, err := application.LoadCase(req.ctx(), s.DB.Read(), a.ID)
	if err != nil {
		return nil, in, nil, err
	}
	v := &lookupView{Back: "/staff/tasks/" + t.ID, CaseTitle: a.Number + " · " + a.ServiceName, Action: "/staff/tasks/" + t.ID + "/lookup", Lead: req.t("lookup_lead"), CaseLabel: req.t("lookup_case_application"),
		Resources: map[string]*exchange.Resource{}, Names: s.departmentNames(req), Subjects: lookupSubjects(req, c.Subjects, "lookup_subject_person")}
	if err := s.caseGrants(req, v, t.DepartmentCode); err != nil {
		return nil, in, nil, err
	}
	in.Application = a.ID
	if t.State != application.TaskOpen {
		// Data is looked up for a step being taken: a closed one offers
		// no lookup, and takes none (no subject to look up).
		v.NoSubject = req.t("lookup_task_closed")
		return v, in, nil, nil
	}
	return v, in, c.Subjects, nil
}

// ticketLookup is the lookup page's view for a hotline ticket: only for
// staff of the department handling it, and only its reporter, unless the
// reporter is protected.
func (s *Server) ticketLookup(req *request) (*lookupView, exchange.QueryInput, []string, error) {
	var in exchange.QueryInput
	t, err := s.Hotline.Get(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return nil, in, nil, err
	}
	c, err := hotline.LoadCase(req.ctx(), s.DB.Read(), t.ID)
	if err != nil {
		return nil, in, nil, err
	}
	if !c.Handling(t.DepartmentCode) || !req.p.CanIn(identity.PermExchangeQuery, t.DepartmentCode) {
		return nil, in, nil, notFound()
	}
	v := &lookupView{Back: "/hotline/tickets/" + t.ID, CaseTitle: req.t("hotline_ticket_title", t.Number) + " · " + t.CategoryName,
		Action: "/hotline/tickets/" + t.ID + "/lookup", Lead: req.t("lookup_lead_ticket"), CaseLabel: req.t("lookup_case_ticket"), Resources: map[string]*exchange.Resource{}, Names: s.departmentNames(req)}
	subjects := c.Subjects
	switch {
	case c.Protection != hotline.Public:
		v.NoSubject, subjects = req.t("lookup_reporter_protected"), nil
	case len(subjects) == 0:
		v.NoSubject = req.t("lookup_reporter_no_account")
	}
	v.Subjects = lookupSubjects(req, subjects, "lookup_subject_reporter")
	if err := s.caseGrants(req, v, t.DepartmentCode); err != nil {
		return nil, in, nil, err
	}
	in.Ticket = t.ID
	return v, in, subjects, nil
}

type lookupCase func(req *request) (*lookupView, exchange.QueryInput, []string, error)

func (s *Server) lookupPage(load lookupCase) func(*request) error {
	return func(req *request) error {
		v, _, _, err := load(req)
		if err != nil {
			return err
		}
		return s.render(req, http.StatusOK, "task_lookup", req.t("lookup_title"), v)
	}
}

func (s *Server) lookupSubmit(load lookupCase) func(*request) error {
	return func(req *request) error {
		v, in, subjects, err := load(req)
		if err != nil {
			return err
		}
		if err := s.parseForm(req); err != nil {
			return err
		}
		i, err := strconv.Atoi(req.r.PostFormValue("subject"))
		if err != nil || i < 0 || i >= len(subjects) {
			return badRequest(errors.New("subject"))
		}
		code := req.r.PostFormValue("resource")
		in.Resource, in.Subject, in.Fields = code, subjects[i], req.r.PostForm["fields"]
		ans, err := s.Exchange.Query(req.ctx(), req.p, in)
		status := http.StatusOK
		var ref *exchange.Refusal
		switch {
		case errors.As(err, &ref):
			status = http.StatusForbidden
			if ref.Reason == exchange.ReasonRate {
				status = http.StatusTooManyRequests
			}
			v.Refusal = req.t("exchange_refused_" + ref.Reason)
		case err != nil:
			if errs, ok := formErrors(req.lang, err); ok {
				return s.renderPage(req, http.StatusUnprocessableEntity, "task_lookup", &page{Title: req.t("lookup_title"), Data: v, Errors: errs})
			}
			return exchangeError(err)
		default:
			v.Answer = ans
			v.FetchedAt = ans.Provenance.FetchedAt.In(s.Config.Location).Format("2006-01-02 15:04")
			v.Resource, _ = s.Exchange.Resource(req.ctx(), code)
		}
		return s.render(req, status, "task_lookup", req.t("lookup_title"), v)
	}
}
