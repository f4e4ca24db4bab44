package web

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/i18n"
)

// formOf is the HTML of the form on page that posts to action, or "".
func formOf(page, action string) string {
	i := strings.Index(page, `action="`+action+`"`)
	if i < 0 {
		return ""
	}
	f := page[i:]
	return f[:strings.Index(f, "</form>")]
}

// taskErrors is the error block at the top of a task page, or "".
func taskErrors(page string) string {
	i := strings.Index(page, `id="task-errors"`)
	if i < 0 {
		return ""
	}
	b := page[i:]
	return b[:strings.Index(b, "</div>")]
}

// taskJSON reads GET /api/v1/tasks/{id} as the holder of token.
func taskJSON(t *testing.T, e *env, id, token string) (application.Task, application.Application, []string) {
	t.Helper()
	var got struct {
		Task        application.Task        `json:"task"`
		Application application.Application `json:"application"`
		Actions     []string                `json:"actions"`
	}
	rec := e.get("/api/v1/tasks/"+id, token)
	wantStatus(t, "GET task", rec, http.StatusOK)
	decodeResponse(t, rec, &got)
	return got.Task, got.Application, got.Actions
}

// openTaskOf is the open task of an application, as staff see it.
func openTaskOf(t *testing.T, a application.Application) application.Task {
	t.Helper()
	for _, tk := range a.Tasks {
		if tk.State == application.TaskOpen {
			return tk
		}
	}
	t.Fatalf("application %s has no open task: %+v", a.Number, a.Tasks)
	return application.Task{}
}

// postDocument posts a file to a task's documents on the page.
func postDocument(e *env, id, token string, lang i18n.Lang) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "现场核查.pdf")
	fw.Write([]byte(tinyPDF))
	mw.Close()
	return e.do("POST", "/staff/tasks/"+id+"/documents", token, mw.FormDataContentType(), &body, "Accept-Language", string(lang))
}

// TestTaskPageErrorsStayWithTheirForm: an error of a form on the task page
// is told beside its field in that form, with the summary at the top of
// the page rather than in the decision form; a supplement request's rows
// come back as typed, each row's errors under it. Before, the summary sat
// in the decision form whatever failed, the return form's error had no
// aria-invalid, the rows came back blank and their errors landed on the
// wrong row or nowhere.
func TestTaskPageErrorsStayWithTheirForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		clerk := e.session("scjg-clerk")
		id := intakeTask(t, e)
		decision := "/staff/tasks/" + id + "/decision"
		for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
			// Row 0 blank; row 1 a material without its reason; row 2 a
			// reason without what it is about; row 3 a material the
			// service does not have.
			form := neturl.Values{"action": {"supplement"},
				"item.1.what": {"m:m1"}, "item.1.reason": {""},
				"item.2.what": {""}, "item.2.reason": {"看不清 <b>"},
				"item.3.what": {"m:nosuch"}, "item.3.reason": {"第三行"}}
			rec := e.do("POST", decision, clerk, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "Accept-Language", string(lang))
			wantStatus(t, "supplement request with bad rows ("+string(lang)+")", rec, http.StatusUnprocessableEntity)
			page := rec.Body.String()
			f := formOf(page, decision)
			rows := strings.Split(f, `<div class="row-fields">`)[1:]
			if len(rows) < 4 {
				t.Fatalf("%s: the supplement request has %d rows: %s", lang, len(rows), f)
			}
			want := []struct{ selected, reason, err string }{
				{"", `value=""`, ""},
				{`<option value="m:m1" selected>`, `value=""`, i18n.T(lang, "supplement_reason_required")},
				{"", `value="看不清 &lt;b&gt;"`, i18n.T(lang, "supplement_item_empty")},
				{"", `value="第三行"`, i18n.T(lang, "material_unknown")},
			}
			for i, w := range want {
				r := rows[i]
				if w.selected != "" && !strings.Contains(r, w.selected) {
					t.Errorf("%s: row %d lost what was chosen: %s", lang, i, r)
				}
				if !strings.Contains(r, w.reason) {
					t.Errorf("%s: row %d lost its reason, want %s: %s", lang, i, w.reason, r)
				}
				if w.err == "" {
					if strings.Contains(r, "field-error") {
						t.Errorf("%s: blank row %d shows an error: %s", lang, i, r)
					}
				} else if !strings.Contains(r, w.err) || !strings.Contains(r, `aria-invalid="true"`) {
					t.Errorf("%s: row %d does not show %q beside its field: %s", lang, i, w.err, r)
				}
			}
			if top := taskErrors(page); !strings.Contains(top, i18n.T(lang, "form_has_errors", 3)) || strings.Contains(f, "form-error") {
				t.Errorf("%s: the summary should be at the top of the page, outside the forms: top %q", lang, top)
			}
		}

		// A return without its reason is told in the return form.
		rec := e.sendJSON("POST", "/api/v1/tasks/"+id+"/decision", clerk, `{"action":"accept"}`)
		wantStatus(t, "accept", rec, http.StatusOK)
		var a application.Application
		decodeResponse(t, rec, &a)
		next := openTaskOf(t, a)
		staff := e.session("scjg-" + next.Role)
		ret := "/staff/tasks/" + next.ID + "/return"
		rec = e.postForm(ret, staff, neturl.Values{"to_step": {"accept"}, "reason": {" "}})
		wantStatus(t, "return without a reason", rec, http.StatusUnprocessableEntity)
		page := rec.Body.String()
		f := formOf(page, ret)
		msg := i18n.T(i18n.ZH, "return_reason_required")
		if !strings.Contains(f, `aria-invalid="true" aria-describedby="reason-err"`) || !strings.Contains(f, `<p class="field-error" id="reason-err" role="alert">`+msg) {
			t.Errorf("the return form does not mark its reason as wrong: %s", f)
		}
		if !strings.Contains(f, `<option value="accept" selected>`) {
			t.Errorf("the step returned to was not kept: %s", f)
		}
		if d := formOf(page, "/staff/tasks/"+next.ID+"/decision"); d == "" || strings.Contains(d, "form-error") || strings.Contains(d, msg) {
			t.Errorf("the return's error shows in the decision form: %s", d)
		}
		if top := taskErrors(page); !strings.Contains(top, i18n.T(i18n.ZH, "form_has_errors", 1)) {
			t.Errorf("no summary at the top of the page: %q", top)
		}
	})
}

// TestTaskPageWhileWaitingForSupplement: while a supplement request is
// open nobody is offered a decision or return, but told that the step
// waits for the applicant with its clock stopped; staff read the state in
// their own words. Before, the forms stayed, each refusing what was sent,
// and in English staff read "Awaiting your supplement". Documents may
// still be attached (a note of a call with the applicant), on the page as
// through the API, which took them while the page offered no form.
func TestTaskPageWhileWaitingForSupplement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		clerk := e.session("scjg-clerk")
		id := intakeTask(t, e)
		rec := e.sendJSON("POST", "/api/v1/tasks/"+id+"/decision", clerk, `{"action":"supplement","items":[{"material":"m1","reason":"不清晰"}]}`)
		wantStatus(t, "ask for a supplement", rec, http.StatusOK)
		if _, _, actions := taskJSON(t, e, id, clerk); len(actions) != 0 {
			t.Errorf("the API offers %v while the supplement is awaited", actions)
		}
		for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
			rec := e.do("GET", "/staff/tasks/"+id, clerk, "", nil, "Accept-Language", string(lang))
			wantStatus(t, "task page", rec, http.StatusOK)
			page := rec.Body.String()
			for _, action := range []string{"decision", "return"} {
				if formOf(page, "/staff/tasks/"+id+"/"+action) != "" {
					t.Errorf("%s: the %s form is offered while the supplement is awaited", lang, action)
				}
			}
			if formOf(page, "/staff/tasks/"+id+"/documents") == "" {
				t.Errorf("%s: the clerk who asked is not offered to attach a document while the supplement is awaited", lang)
			}
			if !strings.Contains(page, html.EscapeString(i18n.T(lang, "task_waiting_supplement"))) {
				t.Errorf("%s: the page does not say it waits for the applicant", lang)
			}
			state := "<dt>" + i18n.T(lang, "app_state") + "</dt><dd>" + html.EscapeString(i18n.T(lang, "app_state_supplement_staff")) + "</dd>"
			if !strings.Contains(page, state) {
				t.Errorf("%s: the state is not told in staff's words, want %s", lang, state)
			}
			// The timeline too speaks to staff, not to the applicant.
			if yours := html.EscapeString(i18n.T(lang, "app_state_supplement")); strings.Contains(page, "→ "+yours) {
				t.Errorf("%s: the timeline tells staff %q", lang, yours)
			}
		}
		wantStatus(t, "attach a document while waiting", postDocument(e, id, clerk, i18n.ZH), http.StatusSeeOther)
		// One of the department without the step's role is offered none.
		if page := e.get("/staff/tasks/"+id, e.session("scjg-reviewer")).Body.String(); formOf(page, "/staff/tasks/"+id+"/documents") != "" {
			t.Errorf("a reviewer is offered to attach a document to an intake step")
		}
		if !strings.Contains(i18n.T(i18n.EN, "app_state_supplement_staff"), "applicant") {
			t.Errorf("the English staff wording does not name the applicant")
		}
	})
}

// TestDeptAdminHandsOverOnThePage: a department admin of the task's
// department is offered the hand-over form, not the decision; before, the
// page said only that they could look.
func TestDeptAdminHandsOverOnThePage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		admin := e.session("scjg-admin")
		id := intakeTask(t, e)
		rec := e.get("/staff/tasks/"+id, admin)
		wantStatus(t, "task page as the department admin", rec, http.StatusOK)
		page := rec.Body.String()
		f := formOf(page, "/staff/tasks/"+id+"/handover")
		if f == "" || !strings.Contains(f, "刘受理") {
			t.Errorf("the department admin is not offered the hand-over to 刘受理: %q", f)
		}
		if formOf(page, "/staff/tasks/"+id+"/decision") != "" {
			t.Errorf("the department admin is offered the decision")
		}
		// The note above says they may hand it over, not only look; one
		// who may do neither is told they may look.
		if n := notYours(page); !strings.HasSuffix(n, "您可以查看，或在下方将其转交他人。") {
			t.Errorf("the department admin's note: %q", n)
		}
		other := e.get("/staff/tasks/"+id, e.session("scjg-approver")).Body.String()
		if n := notYours(other); !strings.HasSuffix(n, "办理，您可以查看。") || formOf(other, "/staff/tasks/"+id+"/handover") != "" {
			t.Errorf("an approver's note on the intake step: %q", n)
		}
	})
}

// notYours returns the text of the task page's note to one who may not act.
func notYours(page string) string {
	m := regexp.MustCompile(`(?s)id="not-yours">(.*?)</p>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestTaskPageOfDemoApplications: on a countersigned step one who signed
// is offered neither the decision (page and API) nor as whom to hand it
// to; a concluded task's page links its decision letter, whose back link
// goes where the viewer may go; claiming or attaching to it tells why
// not on the task page. Before, the signer was offered approve and deny,
// the letter was not linked and led staff back to a page they may not
// open, a claim gave a bare error page and an attachment no error at all.
func TestTaskPageOfDemoApplications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvWith(t, d, true)
		signer, other := e.session("gjj-approver"), e.session("gjj-approver2")
		var queue struct {
			Items []application.Task `json:"items"`
		}
		decodeResponse(t, e.get("/api/v1/tasks", other), &queue)
		var tk application.Task
		for _, q := range queue.Items {
			if q.Signers > 1 {
				tk = q
			}
		}
		if tk.ID == "" {
			t.Fatalf("the demo's countersigned loan decision is not in gjj-approver2's queue: %+v", queue.Items)
		}
		page := "/staff/tasks/" + tk.ID
		if _, _, actions := taskJSON(t, e, tk.ID, signer); len(actions) != 0 {
			t.Errorf("the API offers %v to one who signed", actions)
		}
		if _, _, actions := taskJSON(t, e, tk.ID, other); len(actions) != 2 {
			t.Errorf("the API offers %v to the one who has not signed", actions)
		}
		body := e.get(page, signer).Body.String()
		if formOf(body, page+"/decision") != "" || !strings.Contains(body, i18n.T(i18n.ZH, "task_signed_waiting", 2, 1)) {
			t.Errorf("one who signed is offered the decision, or not told they wait for the others")
		}
		body = e.get(page, other).Body.String()
		if formOf(body, page+"/decision") == "" {
			t.Errorf("the one who has not signed is not offered the decision")
		}
		signerAcc, err := e.srv.Identity.AccountByUsername(t.Context(), "gjj-approver")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(body, `<option value="`+signerAcc.ID+`"`) {
			t.Errorf("the hand-over list offers one who signed")
		}
		rec := e.postForm(page+"/handover", other, neturl.Values{"to": {signerAcc.ID}, "handover_reason": {"出差"}})
		wantStatus(t, "hand over to one who signed", rec, http.StatusUnprocessableEntity)
		if top := taskErrors(rec.Body.String()); !strings.Contains(top+rec.Body.String(), i18n.T(i18n.ZH, "handover_target_signed")) {
			t.Errorf("handing over to one who signed is not told why")
		}

		// 张三's concluded sole-trader registration.
		zhang := e.session("zhangsan")
		var mine struct {
			Items []application.Application `json:"items"`
		}
		decodeResponse(t, e.get("/api/v1/applications", zhang), &mine)
		var app application.Application
		for _, a := range mine.Items {
			if a.State == application.Concluded && a.ServiceCode == "SCJG-002" {
				app = a
			}
		}
		if app.ID == "" {
			t.Fatalf("the demo's concluded SCJG-002 application for 张三 is missing")
		}
		clerk := e.session("scjg-clerk")
		_, full, _ := taskJSON(t, e, firstTask(t, e, app.ID, zhang), clerk)
		last := full.Tasks[len(full.Tasks)-1]
		taskPage := "/staff/tasks/" + last.ID
		body = e.get(taskPage, clerk).Body.String()
		if !strings.Contains(body, `href="/applications/`+app.ID+`/letter"`) {
			t.Errorf("the concluded task's page does not link the decision letter")
		}
		letter := e.get("/applications/"+app.ID+"/letter", clerk)
		wantStatus(t, "letter as staff", letter, http.StatusOK)
		if lb := letter.Body.String(); strings.Contains(lb, `href="/applications/`+app.ID+`"`) || !strings.Contains(lb, `href="/staff/tasks/`) {
			t.Errorf("the letter's back link does not lead staff where they may go")
		}
		lb := e.get("/applications/"+app.ID+"/letter", zhang).Body.String()
		if !strings.Contains(lb, `href="/applications/`+app.ID+`"`) {
			t.Errorf("the letter's back link does not lead the applicant to their application")
		}

		for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
			rec := e.do("POST", taskPage+"/claim", clerk, "application/x-www-form-urlencoded", nil, "Accept-Language", string(lang))
			wantStatus(t, "claim a closed task ("+string(lang)+")", rec, http.StatusUnprocessableEntity)
			if top := taskErrors(rec.Body.String()); !strings.Contains(top, i18n.T(lang, "task_closed")) {
				t.Errorf("%s: claiming a closed task does not say it is closed on the task page: %q", lang, top)
			}
			rec = postDocument(e, last.ID, clerk, lang)
			wantStatus(t, "attach to a closed task ("+string(lang)+")", rec, http.StatusUnprocessableEntity)
			if top := taskErrors(rec.Body.String()); !strings.Contains(top, i18n.T(lang, "task_closed")) {
				t.Errorf("%s: attaching to a closed task does not say it is closed: %q", lang, top)
			}
		}
	})
}

// firstTask is the ID of an application's first task, read as its
// applicant.
func firstTask(t *testing.T, e *env, appID, token string) string {
	t.Helper()
	var a application.Application
	rec := e.get("/api/v1/applications/"+appID, token)
	wantStatus(t, "GET application", rec, http.StatusOK)
	decodeResponse(t, rec, &a)
	if len(a.Tasks) == 0 {
		t.Fatalf("application %s has no tasks", appID)
	}
	return a.Tasks[0].ID
}

// TestNoWarningWhileTheClockIsStopped: a task marked yellow before a
// supplement stopped its clock shows no mark while it waits (no deadline
// runs), on its page, in the queue and in the queue's counts; a closed
// task shows neither a mark nor "clock stopped". Both read "Yellow: due
// soon" beside a stopped or finished clock.
func TestNoWarningWhileTheClockIsStopped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		clerk := e.session("scjg-clerk")
		id := intakeTask(t, e)
		if _, err := d.Write().Exec(`UPDATE tasks SET warning = 'yellow' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		warned := func(what string) {
			t.Helper()
			page := e.get("/staff/tasks/"+id, clerk).Body.String()
			if !strings.Contains(page, `<span class="warn warn-yellow"`) {
				t.Fatalf("%s: the marked task's page shows no mark", what)
			}
		}
		warned("before the request")
		rec := e.sendJSON("POST", "/api/v1/tasks/"+id+"/decision", clerk, `{"action":"supplement","items":[{"material":"m1","reason":"不清晰"}]}`)
		wantStatus(t, "ask for a supplement", rec, http.StatusOK)
		for _, target := range []string{"/staff/tasks/" + id, "/staff/tasks"} {
			if page := e.get(target, clerk).Body.String(); strings.Contains(page, `<span class="warn warn-yellow"`) || strings.Contains(page, `row-yellow`) {
				t.Errorf("%s shows a yellow mark while the clock is stopped", target)
			}
		}
		var queue listResponse[application.Task]
		var counts struct {
			Counts application.QueueCounts `json:"counts"`
		}
		rec = e.get("/api/v1/tasks?warning=yellow", clerk)
		decodeResponse(t, rec, &queue)
		decodeResponse(t, e.get("/api/v1/tasks", clerk), &counts)
		if queue.Count != 0 || counts.Counts.Yellow != 0 {
			t.Errorf("while the clock is stopped the queue lists %d yellow tasks and counts %d", queue.Count, counts.Counts.Yellow)
		}

		// A closed task: no mark, and no stopped clock.
		closed := intakeTask(t, e)
		if _, err := d.Write().Exec(`UPDATE tasks SET warning = 'yellow' WHERE id = $1`, closed); err != nil {
			t.Fatal(err)
		}
		rec = e.sendJSON("POST", "/api/v1/tasks/"+closed+"/decision", clerk, `{"action":"refuse","opinion":"不属于本机关职权范围","legal_basis":"《行政许可法》第三十二条"}`)
		wantStatus(t, "refuse", rec, http.StatusOK)
		page := e.get("/staff/tasks/"+closed, clerk).Body.String()
		if strings.Contains(page, `<span class="warn warn-yellow"`) || strings.Contains(page, i18n.T(i18n.ZH, "clock_stopped")) {
			t.Errorf("a closed task's page shows a mark or a stopped clock")
		}
		// Nor does its lookup page offer a lookup the exchange refuses.
		lookup := e.get("/staff/tasks/"+closed+"/lookup", clerk)
		wantStatus(t, "lookup page of a closed task", lookup, http.StatusOK)
		if lp := lookup.Body.String(); formOf(lp, "/staff/tasks/"+closed+"/lookup") != "" || !strings.Contains(lp, i18n.T(i18n.ZH, "lookup_task_closed")) {
			t.Errorf("the lookup page of a closed task offers the lookup, or does not say why not")
		}
		if rec := e.postForm("/staff/tasks/"+closed+"/lookup", clerk, neturl.Values{"subject": {"0"}, "resource": {"GA-HOUSEHOLD"}}); rec.Code != http.StatusBadRequest {
			t.Errorf("a lookup posted for a closed task = %d, want 400", rec.Code)
		}
	})
}
