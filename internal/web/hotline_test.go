package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/hotline"
)

// ticketFromAPI decodes a ticket answer.
func ticketFromAPI(t *testing.T, code int, body string, want int) *hotline.Ticket {
	t.Helper()
	if code != want {
		t.Fatalf("status %d, want %d: %s", code, want, body)
	}
	var tk hotline.Ticket
	if err := json.Unmarshal([]byte(body), &tk); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return &tk
}

// TestHotlineLifecycle follows a reported problem through the pages and
// the API: filed by a citizen, dispatched, signed for, answered, called
// back unsatisfied and reopened, answered again and closed.
func TestHotlineLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		citizen, dispatcher, zj, ga := e.session("zhangsan"), e.session("rexian"), e.session("zj-clerk"), e.session("ga-clerk")

		// The form asks the category's questions.
		page := e.get("/hotline/new?category=POTHOLE", citizen)
		if page.Code != 200 || !strings.Contains(page.Body.String(), `name="attribute[size]"`) {
			t.Fatalf("GET /hotline/new?category=POTHOLE = %d", page.Code)
		}
		// A required question left out: the form again, nothing stored.
		form := url.Values{"category_code": {"POTHOLE"}, "kind": {"complaint"}, "text": {"路口有大坑 <script>alert(1)</script>"}, "address": {"江南大道 1 号"}}
		rec := e.postForm("/hotline/tickets", citizen, form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请从列表中选择") && !strings.Contains(rec.Body.String(), "必填") {
			t.Errorf("filing without the required attribute = %d", rec.Code)
		}
		if n := countTickets(t, d); n != 0 {
			t.Fatalf("a rejected filing stored %d tickets", n)
		}
		form.Set("attribute[size]", "large")
		rec = e.postForm("/hotline/tickets", citizen, form)
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/hotline/tickets/") {
			t.Fatalf("filing = %d %s", rec.Code, rec.Body)
		}
		id := strings.TrimPrefix(loc, "/hotline/tickets/")
		body := e.get(loc, citizen).Body.String()
		if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
			t.Error("the ticket page does not escape the text")
		}

		// The dispatcher sees it with the suggested department.
		q := e.get("/staff/hotline/dispatch", dispatcher).Body.String()
		if !strings.Contains(q, "/hotline/tickets/"+id) || !strings.Contains(q, "临江市住房和城乡建设局") {
			t.Errorf("the dispatch queue lacks the ticket with its suggestion")
		}
		if rec := e.get("/hotline/tickets/"+id, ga); rec.Code != http.StatusNotFound {
			t.Errorf("another department opens an undispatched ticket: %d", rec.Code)
		}
		rec = e.postForm("/hotline/tickets/"+id+"/dispatch", dispatcher, url.Values{"department_code": {"NOPE"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("dispatch to an unknown department = %d", rec.Code)
		}
		rec = e.postForm("/hotline/tickets/"+id+"/dispatch", dispatcher, url.Values{"department_code": {"ZJ"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("dispatch = %d %s", rec.Code, rec.Body)
		}

		// The department signs and replies; another department cannot.
		if rec := e.postForm("/hotline/tickets/"+id+"/sign", ga, nil); rec.Code != http.StatusNotFound {
			t.Errorf("another department signs = %d", rec.Code)
		}
		if !strings.Contains(e.get("/staff/hotline", zj).Body.String(), "/hotline/tickets/"+id) {
			t.Error("the department queue lacks the dispatched ticket")
		}
		if rec := e.postForm("/hotline/tickets/"+id+"/sign", zj, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("sign = %d %s", rec.Code, rec.Body)
		}
		if rec := e.postForm("/hotline/tickets/"+id+"/sign", zj, nil); rec.Code != http.StatusConflict {
			t.Errorf("signing twice = %d, want 409", rec.Code)
		}
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+id+"/reply", zj, `{"reply":""}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"reply"`) {
			t.Errorf("an empty reply = %d %s", rec.Code, rec.Body)
		}
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+id+"/reply", zj, `{"reply":"已安排修补。"}`)
		if tk := ticketFromAPI(t, rec.Code, rec.Body.String(), 200); tk.State != hotline.Replied {
			t.Fatalf("after the reply: %s", tk.State)
		}

		// The citizen is not satisfied: reopened for the same department.
		body = e.get("/hotline/tickets/"+id, citizen).Body.String()
		if !strings.Contains(body, `action="/hotline/tickets/`+id+`/callback"`) || !strings.Contains(body, "已安排修补。") {
			t.Fatal("the reporter's page lacks the reply and the callback form")
		}
		if rec := e.postForm("/hotline/tickets/"+id+"/callback", zj, url.Values{"solved": {"yes"}, "satisfaction": {"satisfied"}}); rec.Code != http.StatusForbidden {
			t.Errorf("the department answers the callback = %d, want 403", rec.Code)
		}
		rec = e.postForm("/hotline/tickets/"+id+"/callback", citizen, url.Values{"solved": {"no"}, "satisfaction": {"unsatisfied"}, "comment": {"坑还在"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("callback = %d %s", rec.Code, rec.Body)
		}
		rec = e.get("/api/v1/hotline/tickets/"+id, citizen)
		tk := ticketFromAPI(t, rec.Code, rec.Body.String(), 200)
		if tk.State != hotline.Handling || tk.ReopenCount != 1 || tk.DepartmentCode != "ZJ" {
			t.Fatalf("after an unsatisfied callback: %s, reopened %d, %s", tk.State, tk.ReopenCount, tk.DepartmentCode)
		}

		// Answered again and closed through the API.
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+id+"/reply", zj, `{"reply":"已重新铺设路面。"}`)
		ticketFromAPI(t, rec.Code, rec.Body.String(), 200)
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+id+"/callback", citizen, `{"solved":true,"satisfaction":"satisfied"}`)
		if tk := ticketFromAPI(t, rec.Code, rec.Body.String(), 200); tk.State != hotline.Closed {
			t.Fatalf("after a satisfied callback: %s", tk.State)
		}
		rec = e.get("/api/v1/hotline/tickets", citizen)
		var mine struct{ Items []hotline.Ticket }
		if json.Unmarshal(rec.Body.Bytes(), &mine) != nil || len(mine.Items) != 1 || mine.Items[0].ID != id {
			t.Errorf("my tickets = %s", rec.Body)
		}
		body = e.get("/hotline/tickets/"+id, citizen).Body.String()
		for _, want := range []string{"已办结", "回访未解决或不满意，重新办理", "已安排修补。"} {
			if !strings.Contains(body, want) {
				t.Errorf("the closed ticket's page lacks %q", want)
			}
		}
	})
}

// TestHotlineProtectedReporter: the department never sees a protected
// reporter; a supervisor reveals them with a reason, which is logged; a
// dispatcher's override and a supervisor's urging go through the API.
func TestHotlineProtectedReporter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		reporter, dispatcher, scjg, sup := e.session("wangwu"), e.session("rexian"), e.session("scjg-clerk"), e.session("jiancha")
		rec := e.sendJSON("POST", "/api/v1/hotline/tickets", reporter,
			`{"kind":"report","category_code":"FOOD","text":"后厨使用过期食材","protection":"protected","attributes":{"shop":"江南小馆"}}`)
		tk := ticketFromAPI(t, rec.Code, rec.Body.String(), http.StatusCreated)
		if tk.ReporterName != "王五" || tk.SuggestedDepartment != "SCJG" {
			t.Fatalf("the reporter's own view: %+v", tk)
		}
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets", reporter, `{"category_code":"FOOD","text":"x","lat":91,"lon":0}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"lat"`) {
			t.Errorf("latitude 91 = %d %s", rec.Code, rec.Body)
		}

		rec = e.get("/api/v1/hotline/dispatch", dispatcher)
		if !strings.Contains(rec.Body.String(), tk.ID) || strings.Contains(rec.Body.String(), "王五") {
			t.Errorf("the dispatch queue: %d %s", rec.Code, rec.Body)
		}
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+tk.ID+"/dispatch", dispatcher, `{"department_code":"GA","note":"涉嫌犯罪"}`)
		if d := ticketFromAPI(t, rec.Code, rec.Body.String(), 200); d.Events[len(d.Events)-1].Action != "dispatched_override" {
			t.Errorf("an override is logged as %q", d.Events[len(d.Events)-1].Action)
		}
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+tk.ID+"/return", e.session("ga-clerk"), `{"reason":"食品安全归市场监管"}`)
		ticketFromAPI(t, rec.Code, rec.Body.String(), 200)
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+tk.ID+"/dispatch", dispatcher, `{}`)
		ticketFromAPI(t, rec.Code, rec.Body.String(), 200)

		// The department sees no name, on the page or in the API.
		rec = e.get("/api/v1/hotline/tickets/"+tk.ID, scjg)
		if h := ticketFromAPI(t, rec.Code, rec.Body.String(), 200); !h.IdentityHidden || h.ReporterName != "" || h.ReporterPhone != "" {
			t.Errorf("the department's view shows the reporter: %+v", h)
		}
		if body := e.get("/hotline/tickets/"+tk.ID, scjg).Body.String(); strings.Contains(body, "王五") || strings.Contains(body, "13800000003") {
			t.Error("the department's page shows the reporter")
		}

		// A supervisor urges, then reveals with a reason.
		rec = e.sendJSON("POST", "/api/v1/hotline/tickets/"+tk.ID+"/urge", sup, `{"note":"请加快核查"}`)
		if u := ticketFromAPI(t, rec.Code, rec.Body.String(), 200); u.UrgeCount != 1 {
			t.Errorf("urge count %d", u.UrgeCount)
		}
		if rec := e.postForm("/hotline/tickets/"+tk.ID+"/reveal", sup, url.Values{"reason": {""}}); rec.Code != http.StatusUnprocessableEntity || strings.Contains(rec.Body.String(), "王五") {
			t.Errorf("a reveal without a reason = %d", rec.Code)
		}
		rec = e.postForm("/hotline/tickets/"+tk.ID+"/reveal", sup, url.Values{"reason": {"核实举报线索"}})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "王五") {
			t.Fatalf("reveal = %d", rec.Code)
		}
		rec = e.get("/api/v1/hotline/tickets/"+tk.ID, scjg)
		h := ticketFromAPI(t, rec.Code, rec.Body.String(), 200)
		if last := h.Events[len(h.Events)-1]; last.Action != "revealed" || last.Note != "核实举报线索" || last.ActorName != "周监察" {
			t.Errorf("the reveal is logged as %+v", last)
		}
		if rec := e.sendJSON("POST", "/api/v1/hotline/tickets/"+tk.ID+"/reveal", e.session("admin"), `{"reason":"x"}`); rec.Code != http.StatusForbidden {
			t.Errorf("a platform admin reveals = %d, want 403", rec.Code)
		}
	})
}

// TestHotlineDemo: the demo's tickets are in every state, with late ones
// warned, and the pages of each role render them.
func TestHotlineDemo(t *testing.T) {
	e := hotlineEnv(t, dbtest.SQLite(t))
	ctx := t.Context()
	all, err := e.srv.Hotline.PublicList(ctx, hotline.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	states, warnings, reopened := map[hotline.State]int{}, map[hotline.Warning]int{}, 0
	kinds := map[hotline.Kind]bool{}
	for _, tk := range all {
		states[tk.State]++
		warnings[tk.Warning]++
		kinds[tk.Kind] = true
		if tk.ReopenCount > 0 {
			reopened++
		}
	}
	for _, s := range []hotline.State{hotline.Dispatching, hotline.Dispatched, hotline.Handling, hotline.Replied, hotline.Closed, hotline.Merged} {
		if states[s] == 0 {
			t.Errorf("the demo has no %s ticket: %v", s, states)
		}
	}
	if warnings[hotline.Red] == 0 || warnings[hotline.Yellow] == 0 || reopened == 0 || len(kinds) < 5 {
		t.Errorf("the demo lacks red %d, yellow %d, reopened %d or kinds %v", warnings[hotline.Red], warnings[hotline.Yellow], reopened, kinds)
	}
	for _, tc := range []struct{ user, path string }{
		{"zhangsan", "/hotline/tickets"}, {"rexian", "/staff/hotline/dispatch"}, {"ga-clerk", "/staff/hotline?state=dispatched"},
		{"jiancha", "/staff/hotline?state=handling"}, {"zhangsan", "/hotline/new"},
	} {
		rec := e.get(tc.path, e.session(tc.user))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<main") {
			t.Errorf("GET %s as %s = %d", tc.path, tc.user, rec.Code)
		}
	}
	// Every demo ticket's page renders for a supervisor, in both languages.
	sup := e.session("jiancha")
	for _, tk := range all {
		for _, lang := range []string{"zh-CN", "en"} {
			rec := e.do("GET", "/hotline/tickets/"+tk.ID, sup, "", nil, "Accept-Language", lang)
			if rec.Code != 200 {
				t.Errorf("GET ticket %s (%s) as supervisor = %d", tk.Number, lang, rec.Code)
			}
		}
	}
}

// TestTicketDeadlineFollowsCalendar: the admin makes a waiting ticket's
// deadline a day off; after the next scan its reporter reads the new
// deadline and why it moved, on the ticket page and in its stamps.
func TestTicketDeadlineFollowsCalendar(t *testing.T) {
	e := hotlineEnv(t, dbtest.SQLite(t))
	id := e.demoTicket("小区楼下烧烤店")
	zhangsan := e.session("zhangsan")
	before := ticketFromAPI(t, http.StatusOK, e.get("/api/v1/hotline/tickets/"+id, zhangsan).Body.String(), http.StatusOK)
	if before.DueDate == "" {
		t.Fatalf("the demo ticket has no deadline: %+v", before)
	}
	rec := e.sendJSON("PUT", "/api/v1/admin/calendar/days/"+before.DueDate, e.session("admin"), `{"kind":"holiday","name":"防汛"}`)
	wantStatus(t, "make the deadline a holiday", rec, http.StatusOK)
	if st, err := e.srv.Hotline.ScanWarnings(t.Context()); err != nil || st.Recounted == 0 {
		t.Fatalf("scan: %+v %v", st, err)
	}
	after := ticketFromAPI(t, http.StatusOK, e.get("/api/v1/hotline/tickets/"+id, zhangsan).Body.String(), http.StatusOK)
	if after.DueDate <= before.DueDate {
		t.Fatalf("deadline %s after %s became a holiday", after.DueDate, before.DueDate)
	}
	page := e.get("/hotline/tickets/"+id, zhangsan).Body.String()
	for _, want := range []string{"工作日历调整，办理期限重新计算", before.DueDate + " → " + after.DueDate, "工作日历调整，期限重新计算"} {
		if !strings.Contains(page, want) {
			t.Errorf("the ticket page does not say %q", want)
		}
	}
}
