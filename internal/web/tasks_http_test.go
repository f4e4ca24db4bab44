package web

import (
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
)

// intakeTask files an application for applyService as zhangsan and returns
// its intake task's ID.
func intakeTask(t *testing.T, e *env) string {
	t.Helper()
	a := fileApplication(t, e, e.session("zhangsan"))
	for _, tk := range a.Tasks {
		if tk.StepID == "accept" && tk.State == application.TaskOpen {
			return tk.ID
		}
	}
	t.Fatalf("no open intake task: %+v", a.Tasks)
	return ""
}

// TestNoHandoverToOneselfHTTP: handing a task over to oneself is a 422 on
// field to, in the caller's language, and the task page's 转交给 list
// offers the colleagues but not oneself. Before, it was handed over,
// logged and announced, and the list began with oneself.
func TestNoHandoverToOneselfHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		ctx := t.Context()
		other, err := e.srv.Identity.Seed(ctx, identity.Account{Kind: identity.KindStaff, Username: "scjg-clerk2", Name: "林受理", DepartmentCode: "SCJG"},
			demo.Password, []identity.RoleGrant{{Role: identity.Clerk, Department: "SCJG"}})
		if err != nil {
			t.Fatal(err)
		}
		me, err := e.srv.Identity.AccountByUsername(ctx, "scjg-clerk")
		if err != nil {
			t.Fatal(err)
		}
		clerk := e.session("scjg-clerk")
		id := intakeTask(t, e)

		page := e.get("/staff/tasks/"+id, clerk)
		wantStatus(t, "task page", page, http.StatusOK)
		body := page.Body.String()
		if !strings.Contains(body, `<option value="`+other.ID+`">`) || strings.Contains(body, `<option value="`+me.ID+`">`) {
			t.Errorf("the 转交给 list should offer %s (林受理) and not the viewer %s", other.ID, me.ID)
		}

		for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
			rec := e.do("POST", "/api/v1/tasks/"+id+"/handover", clerk, "application/json", strings.NewReader(`{"to":"`+me.ID+`","reason":"x"}`), "Accept-Language", string(lang))
			wantStatus(t, "handover to oneself ("+string(lang)+")", rec, http.StatusUnprocessableEntity)
			matchesOpenAPI(t, rec, "Error")
			codes, msgs := fieldCodes(t, rec)
			if codes["to"] != "handover_to_self" || msgs["to"] != i18n.T(lang, "handover_to_self") {
				t.Errorf("handover to oneself (%s): to %q %q, want handover_to_self", lang, codes["to"], msgs["to"])
			}
		}
		// On the page, a hand-over without its reason is told so under
		// the hand-over form, not under the return form beside it, and
		// the chosen colleague stays chosen.
		rec := e.postForm("/staff/tasks/"+id+"/handover", clerk, neturl.Values{"to": {other.ID}, "handover_reason": {" "}})
		wantStatus(t, "hand over without a reason on the page", rec, http.StatusUnprocessableEntity)
		page2 := rec.Body.String()
		want := i18n.T(i18n.ZH, "handover_reason_required")
		handover := page2[strings.Index(page2, `action="/staff/tasks/`+id+`/handover"`):]
		handover = handover[:strings.Index(handover, "</form>")]
		if !strings.Contains(handover, want) || strings.Count(page2, want) != 1 {
			t.Errorf("the missing hand-over reason is not shown (once) in the hand-over form: %s", handover)
		}
		if !strings.Contains(handover, `<option value="`+other.ID+`" selected>`) {
			t.Errorf("the chosen colleague was lost: %s", handover)
		}
		var task struct {
			Task        application.Task        `json:"task"`
			Application application.Application `json:"application"`
		}
		decodeResponse(t, e.get("/api/v1/tasks/"+id, clerk), &task)
		if task.Task.AssigneeID != "" {
			t.Errorf("after a refused handover the task is assigned to %q", task.Task.AssigneeID)
		}
		for _, ev := range task.Application.Events {
			if ev.Action == "handed_over" {
				t.Errorf("a refused handover was logged")
			}
		}
	})
}

// TestClaimAndHandoverNameTheStepHTTP: POST .../claim and .../handover
// answer the task with its step's Chinese and English names, as GET
// /api/v1/tasks/{id} does; they used to answer "step_name":"".
func TestClaimAndHandoverNameTheStepHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		other, err := e.srv.Identity.Seed(t.Context(), identity.Account{Kind: identity.KindStaff, Username: "scjg-clerk2", Name: "林受理", DepartmentCode: "SCJG"},
			demo.Password, []identity.RoleGrant{{Role: identity.Clerk, Department: "SCJG"}})
		if err != nil {
			t.Fatal(err)
		}
		clerk := e.session("scjg-clerk")
		id := intakeTask(t, e)
		var got struct {
			Task application.Task `json:"task"`
		}
		decodeResponse(t, e.get("/api/v1/tasks/"+id, clerk), &got)
		want := got.Task
		if want.StepName == "" || want.StepNameEn == "" {
			t.Fatalf("GET task names its step %q / %q; the demo's process should give both", want.StepName, want.StepNameEn)
		}
		for _, c := range []struct{ what, url, body string }{
			{"claim", "/api/v1/tasks/" + id + "/claim", ""},
			{"handover", "/api/v1/tasks/" + id + "/handover", `{"to":"` + other.ID + `","reason":"出差"}`},
		} {
			rec := e.do("POST", c.url, clerk, "application/json", strings.NewReader(c.body))
			wantStatus(t, c.what, rec, http.StatusOK)
			matchesOpenAPI(t, rec, "Task")
			var tk application.Task
			decodeResponse(t, rec, &tk)
			if tk.StepName != want.StepName || tk.StepNameEn != want.StepNameEn || tk.Number != want.Number {
				t.Errorf("%s answers step %q / %q, number %q; want %q / %q, %q", c.what, tk.StepName, tk.StepNameEn, tk.Number, want.StepName, want.StepNameEn, want.Number)
			}
		}
	})
}

// TestQueueMineHTTP: GET /api/v1/tasks takes mine as 1/0/true/false and
// answers anything else with a 422 on mine; mine=true used to be ignored
// silently, listing the whole queue. The limit's error has a code of the
// queue's own (it borrowed the hotline's).
func TestQueueMineHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		clerk := e.session("scjg-clerk")
		claimed, open := intakeTask(t, e), intakeTask(t, e)
		wantStatus(t, "claim", e.do("POST", "/api/v1/tasks/"+claimed+"/claim", clerk, "", nil), http.StatusOK)
		ids := func(query string) []string {
			t.Helper()
			rec := e.get("/api/v1/tasks?"+query, clerk)
			wantStatus(t, "queue ?"+query, rec, http.StatusOK)
			var l listResponse[application.Task]
			decodeResponse(t, rec, &l)
			var out []string
			for _, tk := range l.Items {
				out = append(out, tk.ID)
			}
			return out
		}
		for _, q := range []string{"mine=1", "mine=true", "mine=TRUE"} {
			if got := ids(q); !slices.Equal(got, []string{claimed}) {
				t.Errorf("?%s lists %v, want the claimed task %s alone", q, got, claimed)
			}
		}
		for _, q := range []string{"", "mine=0", "mine=false"} {
			if got := ids(q); !slices.Contains(got, claimed) || !slices.Contains(got, open) {
				t.Errorf("?%s lists %v, want both %s and %s", q, got, claimed, open)
			}
		}
		for _, c := range []struct{ query, field, code string }{
			{"mine=yes", "mine", "queue_mine_invalid"},
			{"mine=2", "mine", "queue_mine_invalid"},
			{"limit=500", "limit", "queue_limit_range"},
		} {
			for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
				rec := e.do("GET", "/api/v1/tasks?"+c.query, clerk, "", nil, "Accept-Language", string(lang))
				wantStatus(t, "queue ?"+c.query, rec, http.StatusUnprocessableEntity)
				matchesOpenAPI(t, rec, "Error")
				codes, msgs := fieldCodes(t, rec)
				var args []any
				if c.field == "limit" {
					args = []any{1, 200}
				}
				if codes[c.field] != c.code || msgs[c.field] != i18n.T(lang, c.code, args...) {
					t.Errorf("?%s (%s): %s %q %q, want %s", c.query, lang, c.field, codes[c.field], msgs[c.field], c.code)
				}
			}
		}
		// The page says what is wrong, too.
		rec := e.get("/staff/tasks?mine=yes", clerk)
		wantStatus(t, "queue page ?mine=yes", rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), i18n.T(i18n.ZH, "queue_mine_invalid")) {
			t.Error("the queue page does not say what is wrong with mine")
		}
	})
}

// TestStaleDecisionKeepsWhatWasTyped: a decision posted from a page opened
// before the task changed (here, claimed in another tab) saves nothing
// and shows the task as it is now, with the opinion typed and, at the
// top, that it changed since; it used to be a bare error page that threw
// the opinion away. A revision that is not one is refused rather than
// read as none, which skipped the check.
func TestStaleDecisionKeepsWhatWasTyped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		requireApplyService(t, e)
		clerk := e.session("scjg-clerk")
		id := intakeTask(t, e)
		opened, _, _ := taskJSON(t, e, id, clerk)
		wantStatus(t, "claim in another tab", e.postForm("/staff/tasks/"+id+"/claim", clerk, neturl.Values{}), http.StatusSeeOther)

		opinion := "申请材料中的经营场所证明与登记住所不一致，不予受理。"
		form := neturl.Values{"action": {"refuse"}, "opinion": {opinion}, "legal_basis": {"《促进个体工商户发展条例》第十条"}, "revision": {strconv.Itoa(opened.Revision)}}
		rec := e.postForm("/staff/tasks/"+id+"/decision", clerk, form)
		wantStatus(t, "stale decision", rec, http.StatusConflict)
		page := rec.Body.String()
		if top := taskErrors(page); !strings.Contains(top, "此环节在您打开页面后有了变动") {
			t.Errorf("the stale decision's page does not say the step changed: %q", top)
		}
		f := formOf(page, "/staff/tasks/"+id+"/decision")
		if !strings.Contains(f, opinion) || !strings.Contains(f, "第十条") {
			t.Errorf("the decision form lost what was typed: %q", f)
		}
		now, _, _ := taskJSON(t, e, id, clerk)
		if now.State != application.TaskOpen || !strings.Contains(f, `name="revision" value="`+strconv.Itoa(now.Revision)+`"`) {
			t.Errorf("after the stale decision: task %s, form %q; want it open and the form at revision %d", now.State, f, now.Revision)
		}

		for _, bad := range []string{"abc", "0", "-1"} {
			form.Set("revision", bad)
			rec = e.postForm("/staff/tasks/"+id+"/decision", clerk, form)
			wantStatus(t, "revision="+bad, rec, http.StatusUnprocessableEntity)
			if top := taskErrors(rec.Body.String()); !strings.Contains(top, "页面版本号无效") {
				t.Errorf("revision=%s: %q", bad, top)
			}
		}
		if after, _, _ := taskJSON(t, e, id, clerk); after.State != application.TaskOpen || after.Revision != now.Revision {
			t.Errorf("a decision with a bad revision changed the task: %s rev %d", after.State, after.Revision)
		}
	})
}

// TestLanguageLinkAfterAFailedPost: a page shown in answer to a form with
// errors links the language switch to the page the form was on; it
// linked the post's own path, which has no page (404), and the switch
// lost the page.
func TestLanguageLinkAfterAFailedPost(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	clerk := e.session("scjg-clerk")
	id := intakeTask(t, e)
	for _, tc := range []struct {
		name, target, token string
		form                neturl.Values
		want                string
	}{
		{"decision", "/staff/tasks/" + id + "/decision", clerk, neturl.Values{"action": {"refuse"}}, "/staff/tasks/" + id},
		{"sign-in", "/login", "", neturl.Values{"username": {"nobody"}, "password": {"wrong-password-1"}}, "/login"},
		// A browser names the page in Referer: the new-service form posts
		// to the list's path.
		{"new service", "/admin/services", e.session("admin"), neturl.Values{"code": {"x"}}, "/admin/services/new"},
	} {
		var rec *httptest.ResponseRecorder
		if tc.name == "new service" {
			rec = e.do("POST", tc.target, tc.token, "application/x-www-form-urlencoded", strings.NewReader(tc.form.Encode()), "Referer", "http://example.com/admin/services/new")
		} else {
			rec = e.postForm(tc.target, tc.token, tc.form)
		}
		if rec.Code < 400 {
			t.Fatalf("%s: %d, want an error page", tc.name, rec.Code)
		}
		link := regexp.MustCompile(`href="/lang/en\?next=([^"]*)"`).FindStringSubmatch(rec.Body.String())
		var next string
		if link != nil {
			next, _ = neturl.QueryUnescape(link[1])
		}
		if next != tc.want {
			t.Errorf("%s: the language link is %v, want next=%s", tc.name, link, tc.want)
			continue
		}
		if got := e.get(next, tc.token); got.Code != http.StatusOK {
			t.Errorf("%s: the link's page answers %d", tc.name, got.Code)
		}
	}
}
