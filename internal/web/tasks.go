package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/workflow"
)

// queueView is the clerk's work queue.
type queueView struct {
	Tasks     []application.Task
	Mine      bool
	Counts    application.QueueCounts
	DeptNames map[string]string
	StepNames map[string]string
	// ServiceNames names each task's service in the page's language, by
	// task ID.
	ServiceNames map[string]string
	// Depts are the departments a supervisor may narrow the queue to.
	Depts []org.Department
	// PrevURL and NextURL page through it ("" at either end).
	PrevURL, NextURL string
	query            url.Values
}

// URL is the queue's address with one parameter set to value (removed
// when ""), back on the first page unless the page is what changes. It
// drops limit, which the page does not take.
func (v queueView) URL(key, value string) string {
	q := url.Values{}
	for k, vs := range v.query {
		q[k] = vs
	}
	q.Del("limit")
	if key != "offset" {
		q.Del("offset")
	}
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return "/staff/tasks"
	}
	return "/staff/tasks?" + q.Encode()
}

// queuePageSize is how many tasks a page of the queue shows.
const queuePageSize = 50

// taskQueueFilter reads a work queue's filter from the query string: mine
// (1 or true; 0, false or absent for the whole queue), the department,
// the warning, q (tracking number or applicant), offset and, when
// withLimit, limit (else every page holds limit tasks). Every parameter
// that is wrong is reported at once, each on its own field.
func taskQueueFilter(req *request, limit int, withLimit bool) (application.QueueFilter, error) {
	q := req.r.URL.Query()
	f := application.QueueFilter{Department: q.Get("department"),
		Warning: application.Warning(q.Get("warning")), Query: q.Get("q"), Limit: limit}
	var e fielderr.Errors
	switch strings.ToLower(q.Get("mine")) {
	case "1", "true":
		f.Mine = true
	case "", "0", "false":
	default:
		e.Add("mine", "queue_mine_invalid")
	}
	if v := q.Get("offset"); v != "" {
		// A negative offset is left to the filter's own check below.
		if n, err := strconv.Atoi(v); err != nil {
			e.Add("offset", "queue_offset_invalid")
		} else {
			f.Offset = n
		}
	}
	if v := q.Get("limit"); withLimit && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			e.Add("limit", "queue_limit_range", 1, 200)
		} else {
			f.Limit = n
		}
	}
	e.Merge("", f.Validate())
	return f, e.Err()
}

func (s *Server) queuePage(req *request) error {
	v := queueView{}
	// The page pages by queuePageSize (see its links), so it takes no
	// limit.
	f, err := taskQueueFilter(req, queuePageSize, false)
	status := http.StatusOK
	var msgs map[string]string
	if err == nil {
		v.Tasks, v.Counts, err = s.Applications.QueuePage(req.ctx(), req.p, f)
	}
	if fe, ok := formErrors(req.lang, err); ok {
		status, msgs, v.Tasks = http.StatusUnprocessableEntity, fe, nil
	} else if err != nil {
		return err
	}
	v.Mine = f.Mine
	if v.DeptNames, v.Depts, err = s.deptNames(req.ctx(), req.lang); err != nil {
		return err
	}
	if !req.p.Can(identity.PermSupervise) {
		v.Depts = nil
	}
	if v.ServiceNames, err = s.taskServiceNames(req, v.Tasks); err != nil {
		return err
	}
	v.StepNames = map[string]string{}
	for _, t := range v.Tasks {
		v.StepNames[t.ID] = t.StepName
		if req.lang == "en" && t.StepNameEn != "" {
			v.StepNames[t.ID] = t.StepNameEn
		}
	}
	query := req.r.URL.Query()
	// The page's links leave out what could not be read, so that
	// following one does not answer 422 again.
	for field := range msgs {
		query.Del(field)
	}
	v.query = query
	if f.Offset > 0 {
		v.PrevURL = v.URL("offset", strconv.Itoa(max(f.Offset-queuePageSize, 0)))
	}
	if more(f, v.Counts, len(v.Tasks)) {
		v.NextURL = v.URL("offset", strconv.Itoa(f.Offset+queuePageSize))
	}
	form := map[string]string{}
	for k, vs := range query {
		if len(vs) > 0 {
			form[k] = vs[0]
		}
	}
	return s.renderPage(req, status, "queue", &page{Title: req.t("queue_title"), Data: v, Errors: msgs, Form: form})
}

// taskView is the page on which staff act on one task.
type taskView struct {
	Task    *application.Task
	App     *applicationView
	Actions []string
	// CanAct: the viewer may act on the task now (decide, attach
	// documents, return it).
	CanAct bool
	// HoldsRole: the viewer holds the step's role (and may act once
	// the task is theirs or unclaimed).
	HoldsRole bool
	// Signed: the viewer has signed this countersigned step and waits
	// for the other signers.
	Signed bool
	// Waiting: the application waits for the applicant's supplement, and
	// nobody acts on it until they answer.
	Waiting bool
	// CanAttach: the viewer may attach documents to the task, as
	// AttachDocument allows: whoever may take it while it is open, also
	// while a supplement is awaited (a note of a call with the applicant)
	// or after signing a countersigned step.
	CanAttach bool
	// CanHandOver: the viewer may hand the task over (to Colleagues).
	CanHandOver bool
	Colleagues  []*identity.Account
	Earlier     []string
	Documents   []application.Document
	// ItemRows is how many rows the supplement request's list has.
	ItemRows int
	// Placed counts the errors shown beside their fields; Loose are the
	// others (a closed task, a form the page no longer has), shown at
	// the top of the page.
	Placed int
	Loose  []string
	// Lookups maps a material verified from shared data to the index of
	// the case subject to look up (see lookupView), when the viewer may
	// look it up for this task.
	Lookups map[string]string
	// verifyLink makes a license's public verification link.
	verifyLink func(licenseID string) string
}

// supplementRows is how many rows a supplement request's list offers.
const supplementRows = 5

// placed reports whether the page shows an error on field beside the
// field, in the form it belongs to.
func (v *taskView) placed(field string) bool {
	itemsShown := v.Task.Kind == workflow.Accept || v.Task.Kind == workflow.Review
	switch {
	case field == "action":
		return v.CanAct
	case field == "file":
		return v.CanAttach
	case field == "opinion", field == "legal_basis":
		return v.CanAct && v.Task.Kind != workflow.Conclude
	case field == "items", strings.HasPrefix(field, "item."):
		return v.CanAct && itemsShown
	case field == "repeat_reason":
		return v.CanAct && itemsShown && v.App.App.SupplementCount > 0
	case field == "to_step", field == "reason":
		return v.CanAct && len(v.Earlier) > 0
	case field == "to", field == "handover_reason":
		return v.CanHandOver && len(v.Colleagues) > 0
	}
	return false
}

// sortErrors counts the errors the page shows beside their fields and
// lists the others, in a steady order.
func (v *taskView) sortErrors(msgs map[string]string) {
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v.placed(k) {
			v.Placed++
		} else {
			v.Loose = append(v.Loose, msgs[k])
		}
	}
}

// VerifyLink is the public verification page of a license, or "" when the
// platform has none configured.
func (v *taskView) VerifyLink(licenseID string) string {
	if v.verifyLink == nil || licenseID == "" {
		return ""
	}
	return v.verifyLink(licenseID)
}

func (s *Server) taskView(req *request) (*taskView, error) {
	t, a, err := s.Applications.Task(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	av, err := s.viewApplication(req, a)
	if err != nil {
		return nil, err
	}
	av.Staff = true
	v := &taskView{Task: t, App: av, verifyLink: s.LicenseLink, Lookups: map[string]string{}}
	if v.Documents, err = s.Applications.Documents(req.ctx(), req.p, a.ID); err != nil {
		return nil, err
	}
	// A material verified from shared data is one click from its lookup,
	// made through the audited exchange query like any other.
	if t.State == application.TaskOpen && req.p.CanIn(identity.PermExchangeQuery, t.DepartmentCode) {
		for _, f := range a.Fulfilments {
			if f.Source != application.FromData {
				continue
			}
			res, err := s.Exchange.Resource(req.ctx(), f.Resource)
			if err != nil {
				continue // the resource is gone: nothing to look up
			}
			switch {
			case res.SubjectKind == exchange.ByIDNumber:
				v.Lookups[f.RequirementCode] = "0"
			case a.OrganizationID != "":
				v.Lookups[f.RequirementCode] = "1"
			}
		}
	}
	v.HoldsRole = holds(req.p, t.Role, t.DepartmentCode)
	v.ItemRows = supplementRows
	open := t.State == application.TaskOpen
	v.Waiting = open && a.State == application.Supplement
	v.Signed = open && v.HoldsRole && t.Signers > 1 && t.SignedBy(req.p.Account.ID)
	v.Actions = application.Offered(req.p, t, a)
	v.CanAct = len(v.Actions) > 0
	v.CanAttach = open && v.HoldsRole && (t.Signers > 1 || t.AssigneeID == "" || t.AssigneeID == req.p.Account.ID)
	// Returning needs the task free or one's own, even on a countersigned
	// step (Return), where others may still sign.
	if v.CanAct && (t.AssigneeID == "" || t.AssigneeID == req.p.Account.ID) {
		v.Earlier = s.Applications.EarlierSteps(req.ctx(), a, t)
	}
	// A department admin hands tasks over without acting on them.
	v.CanHandOver = application.MayHandOver(req.p, t)
	if v.CanHandOver {
		if v.Colleagues, err = s.Applications.Colleagues(req.ctx(), req.p, t); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// title is the task page's title: the step, named in the page's language,
// and the tracking number.
func (v *taskView) title() string {
	name := v.App.StepNames[v.Task.StepID]
	if name == "" {
		name = v.Task.StepName
	}
	return name + " · " + v.Task.Number
}

func holds(p *identity.Principal, role, dept string) bool {
	for _, g := range p.Grants {
		if string(g.Role) == role && g.Department == dept {
			return true
		}
	}
	return false
}

func (s *Server) taskPage(req *request) error {
	v, err := s.taskView(req)
	if err != nil {
		return err
	}
	return s.render(req, http.StatusOK, "task", v.title(), v)
}

// renderTaskError shows the task page again with err's messages, each
// beside its field in the form that was posted, and those that have no
// field on the page at its top; opts adjust the view (the rows posted).
//
// An action that lost a race (the task was claimed, handed over or acted on
// since the page was opened) shows the page as it is now, with what was
// typed and, at its top, what happened: a bare error page used to throw
// the clerk's opinion away.
func (s *Server) renderTaskError(req *request, err error, form map[string]string, opts ...func(*taskView)) error {
	status := http.StatusUnprocessableEntity
	msgs, ok := formErrors(req.lang, err)
	if !ok {
		var he *httpError
		if !errors.As(appError(err), &he) || he.Code != http.StatusConflict {
			return appError(err)
		}
		key := he.Key
		if key == "changed_by_other" {
			key = "task_changed_since_opened"
		}
		msgs, status = map[string]string{"": req.t(key)}, http.StatusConflict
	}
	v, verr := s.taskView(req)
	if verr != nil {
		return verr
	}
	for _, o := range opts {
		o(v)
	}
	v.sortErrors(msgs)
	return s.renderPage(req, status, "task", &page{Title: v.title(), Data: v, Errors: msgs, Form: form})
}

func (s *Server) taskClaim(req *request) error {
	id := req.r.PathValue("id")
	if _, err := s.Applications.Claim(req.ctx(), req.p, id); err != nil {
		return s.renderTaskError(req, appError(err), nil)
	}
	s.setFlash(req, "task_claimed")
	return s.redirect(req, "/staff/tasks/"+id)
}

// maxItemRows is how many rows of a supplement request a form may post.
const maxItemRows = 50

// decisionFromForm reads a decision form. Supplement items come as rows
// item.<i>.what ("m:<code>" or "f:<field>") and item.<i>.reason; blank
// rows are left out, and rows gives the row each item came from.
//
// The revision the page was opened at guards against acting on a task that
// changed since; one that is not a revision is refused, as reading it as
// none would skip that guard.
func decisionFromForm(f url.Values) (d application.Decision, rows []int, err error) {
	d = application.Decision{
		Action: f.Get("action"), Opinion: f.Get("opinion"), LegalBasis: f.Get("legal_basis"),
		RepeatReason: f.Get("repeat_reason"),
	}
	if r := f.Get("revision"); r != "" {
		n, perr := strconv.Atoi(r)
		if perr != nil || n < 1 {
			err = fielderr.New("revision", "revision_invalid")
		}
		d.Revision = n
	}
	for i := 0; i < maxItemRows; i++ {
		what := f.Get("item." + itoa(i) + ".what")
		reason := f.Get("item." + itoa(i) + ".reason")
		if what == "" && strings.TrimSpace(reason) == "" {
			continue
		}
		it := application.SupplementItem{Reason: reason}
		switch {
		case strings.HasPrefix(what, "m:"):
			it.Material = what[2:]
		case strings.HasPrefix(what, "f:"):
			it.Field = what[2:]
		}
		d.Items = append(d.Items, it)
		rows = append(rows, i)
	}
	return d, rows, err
}

// itemErrorsToRows reports the errors of a decision's items (items[i],
// items[i].material, items[i].field, items[i].reason) on the form rows
// they came from: what was chosen on item.<row>.what, the reason on
// item.<row>.reason.
func itemErrorsToRows(err error, rows []int) error {
	for i, row := range rows {
		item, at := fmt.Sprintf("items[%d]", i), "item."+itoa(row)
		err = fielderr.Rename(err, item, at+".what")
		err = fielderr.Rename(err, item+".material", at+".what")
		err = fielderr.Rename(err, item+".field", at+".what")
		err = fielderr.Rename(err, item+".reason", at+".reason")
	}
	return err
}

func (s *Server) taskDecide(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	d, rows, err := decisionFromForm(req.r.PostForm)
	if err == nil {
		err = s.Applications.Act(req.ctx(), req.p, id, d)
	}
	if err != nil {
		form := formMap(req, "action", "opinion", "legal_basis", "repeat_reason")
		n := supplementRows
		for i := 0; i < maxItemRows; i++ {
			for _, k := range []string{"item." + itoa(i) + ".what", "item." + itoa(i) + ".reason"} {
				if v := req.r.PostFormValue(k); v != "" {
					form[k] = v
					n = max(n, i+1)
				}
			}
		}
		return s.renderTaskError(req, itemErrorsToRows(err, rows), form, func(v *taskView) { v.ItemRows = n })
	}
	s.setFlash(req, "decision_recorded")
	return s.redirect(req, "/staff/tasks")
}

func (s *Server) taskReturn(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if _, err := s.Applications.Return(req.ctx(), req.p, id, req.r.PostFormValue("to_step"), req.r.PostFormValue("reason")); err != nil {
		return s.renderTaskError(req, err, formMap(req, "to_step", "reason"))
	}
	s.setFlash(req, "task_returned")
	return s.redirect(req, "/staff/tasks")
}

func (s *Server) taskHandover(req *request) error {
	if err := s.parseForm(req); err != nil {
		return err
	}
	id := req.r.PathValue("id")
	if _, err := s.Applications.Handover(req.ctx(), req.p, id, req.r.PostFormValue("to"), req.r.PostFormValue("handover_reason")); err != nil {
		// The return form on the same page has a reason of its own.
		return s.renderTaskError(req, fielderr.Rename(err, "reason", "handover_reason"), formMap(req, "to", "handover_reason"))
	}
	s.setFlash(req, "task_handed_over")
	return s.redirect(req, "/staff/tasks")
}

// JSON API.

// taskList is the API's work queue: a page of it, its counts and where
// the next page starts.
type taskList struct {
	listResponse[application.Task]
	Counts     application.QueueCounts `json:"counts"`
	NextOffset *int                    `json:"next_offset,omitempty"`
}

// more reports whether a queue page of n tasks read with f has a next
// page. The counts are of the queue under every filter but the warning,
// so they tell whether a full page is the last.
func more(f application.QueueFilter, counts application.QueueCounts, n int) bool {
	matching := counts.Total
	switch f.Warning {
	case application.Yellow:
		matching = counts.Yellow
	case application.Red:
		matching = counts.Red
	}
	return n == f.Limit && f.Offset+n < matching
}

func (s *Server) apiQueue(req *request) error {
	f, err := taskQueueFilter(req, 200, true)
	if err != nil {
		return err
	}
	tasks, counts, err := s.Applications.QueuePage(req.ctx(), req.p, f)
	if err != nil {
		return err
	}
	out := taskList{listResponse: list(tasks), Counts: counts}
	if more(f, counts, len(tasks)) {
		next := f.Offset + f.Limit
		out.NextOffset = &next
	}
	writeJSON(req.w, http.StatusOK, out)
	return nil
}

func (s *Server) apiTask(req *request) error {
	t, a, err := s.Applications.Task(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return err
	}
	// Only someone who may act now is offered actions: not one who has
	// signed a countersigned step, nor anyone while the applicant's
	// supplement is awaited.
	actions := application.Offered(req.p, t, a)
	if actions == nil {
		actions = []string{}
	}
	writeJSON(req.w, http.StatusOK, map[string]any{"task": t, "application": a, "actions": actions})
	return nil
}

func (s *Server) apiClaim(req *request) error {
	t, err := s.Applications.Claim(req.ctx(), req.p, req.r.PathValue("id"))
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, t)
	return nil
}

func (s *Server) apiDecide(req *request) error {
	var d application.Decision
	if err := decodeJSON(req, &d); err != nil {
		return err
	}
	a, err := s.Applications.Decide(req.ctx(), req.p, req.r.PathValue("id"), d)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, a)
	return nil
}

func (s *Server) apiReturn(req *request) error {
	var in struct {
		ToStep string `json:"to_step"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	a, err := s.Applications.Return(req.ctx(), req.p, req.r.PathValue("id"), in.ToStep, in.Reason)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, a)
	return nil
}

func (s *Server) apiHandover(req *request) error {
	var in struct {
		To     string `json:"to"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(req, &in); err != nil {
		return err
	}
	t, err := s.Applications.Handover(req.ctx(), req.p, req.r.PathValue("id"), in.To, in.Reason)
	if err != nil {
		return appError(err)
	}
	writeJSON(req.w, http.StatusOK, t)
	return nil
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
