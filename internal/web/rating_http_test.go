package web

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/rating"
)

func demoAppID(t *testing.T, d *db.DB, key string) string {
	t.Helper()
	var id string
	if err := d.Read().QueryRow(`SELECT id FROM applications WHERE idempotency_key = $1`, "demo:"+key).Scan(&id); err != nil {
		t.Fatalf("demo application %s: %v", key, err)
	}
	return id
}

// TestRatingHTTP rates through the API and the pages: field-level errors
// in the caller's language, only the applicant rates and only once, the
// text shown escaped, the rectification answered by its department only
// and called back by the citizen, and the public figures.
func TestRatingHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvWith(t, d, true)
		if err := demo.LoadHotline(context.Background(), e.hotline, e.srv.Identity, true); err != nil {
			t.Fatal(err)
		}
		zhang, lisi, wangwu := e.session("zhangsan"), e.session("lisi"), e.session("wangwu")
		scjg, zj, jiancha, rs := e.session("scjg-clerk"), e.session("zj-clerk"), e.session("jiancha"), e.session("rs-clerk")
		approved := demoAppID(t, d, "sole-trader-approved")
		api := "/api/v1/applications/" + approved + "/rating"

		// Field-level errors in the caller's language.
		rec := e.do("POST", api, zhang, "application/json", strings.NewReader(`{"level":"great","text":"`+strings.Repeat("长", 501)+`"}`), "Accept-Language", "en")
		if body := rec.Body.String(); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose one of the five levels") || !strings.Contains(body, "At most 500 characters") {
			t.Errorf("bad level and long text = %d %s", rec.Code, body)
		}
		rec = e.sendJSON("POST", "/api/v1/applications/"+demoAppID(t, d, "housing-loan-countersign")+"/rating", zhang, `{"level":"satisfied"}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "办结（工单办结）后才能评价") {
			t.Errorf("rating an open application = %d %s", rec.Code, rec.Body)
		}
		// Nobody but the applicant.
		if rec := e.sendJSON("POST", api, lisi, `{"level":"very_satisfied"}`); rec.Code != http.StatusNotFound {
			t.Errorf("another citizen rates = %d", rec.Code)
		}
		if rec := e.sendJSON("POST", api, scjg, `{"level":"very_satisfied"}`); rec.Code != http.StatusForbidden {
			t.Errorf("staff rate = %d", rec.Code)
		}

		text := `<script>alert("x")</script>材料要了三遍`
		rec = e.sendJSON("POST", api, zhang, `{"level":"very_unsatisfied","tags":["repeated_materials"],"text":`+jsonString(text)+`}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("rating = %d %s", rec.Code, rec.Body)
		}
		var r rating.Rating
		json.Unmarshal(rec.Body.Bytes(), &r)
		if r.Text != text || r.RectificationID == "" || !r.Mine {
			t.Fatalf("rating = %+v", r)
		}
		rec = e.sendJSON("POST", api, zhang, `{"level":"satisfied"}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "您已评价过") {
			t.Errorf("second rating = %d %s", rec.Code, rec.Body)
		}
		// The form refuses it too.
		rec = e.postForm("/applications/"+approved+"/rating", zhang, url.Values{"level": {"satisfied"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "您已评价过") {
			t.Errorf("second rating by form = %d", rec.Code)
		}
		rec = e.sendJSON("PUT", api, zhang, `{"level":"unsatisfied","tags":["overdue"],"text":`+jsonString(text)+`}`)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"amend_count":1`) {
			t.Errorf("amend = %d %s", rec.Code, rec.Body)
		}
		page := e.get("/applications/"+approved, zhang).Body.String()
		if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, "修改评价") {
			t.Error("the application page does not show the rating escaped with the amend form")
		}
		// The amend form starts from the rating given.
		if !strings.Contains(page, `value="unsatisfied" checked`) || !strings.Contains(page, `value="overdue" checked`) {
			t.Error("the amend form does not start from the rating given")
		}

		// The rectification: the department answers, nobody else.
		x := "/api/v1/rectifications/" + r.RectificationID
		if rec := e.get(x, lisi); rec.Code != http.StatusNotFound {
			t.Errorf("another citizen opens the rectification = %d", rec.Code)
		}
		if rec := e.get(x, zj); rec.Code != http.StatusNotFound {
			t.Errorf("another department opens it = %d", rec.Code)
		}
		if rec := e.get(x, scjg); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"mine":true`) {
			t.Errorf("the department opens it = %d", rec.Code)
		}
		list := e.get("/api/v1/rectifications?warning=red", jiancha)
		if list.Code != http.StatusOK || !strings.Contains(list.Body.String(), `"count":0`) {
			t.Errorf("supervisor's red list = %d %s", list.Code, list.Body)
		}
		if list := e.get("/api/v1/rectifications?state=open", jiancha); !strings.Contains(list.Body.String(), r.RectificationID) {
			t.Errorf("supervisor's open list lacks it: %s", list.Body)
		}
		if rec := e.get("/api/v1/rectifications?state=nonsense", jiancha); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("unknown state filter = %d", rec.Code)
		}
		if rec := e.sendJSON("POST", x+"/answer", jiancha, `{"cause":"a","action":"b"}`); rec.Code != http.StatusForbidden {
			t.Errorf("a supervisor answers = %d", rec.Code)
		}
		if rec := e.sendJSON("POST", x+"/answer", zj, `{"cause":"a","action":"b"}`); rec.Code != http.StatusNotFound {
			t.Errorf("another department answers = %d", rec.Code)
		}
		if rec := e.sendJSON("POST", x+"/callback", zhang, `{"satisfied":true}`); rec.Code != http.StatusConflict {
			t.Errorf("callback before the answer = %d", rec.Code)
		}
		rec = e.postForm("/rectifications/"+r.RectificationID+"/answer", scjg, url.Values{"cause": {""}, "action": {"已整改"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请写明问题原因") {
			t.Errorf("answer without a cause = %d", rec.Code)
		}
		rec = e.postForm("/rectifications/"+r.RectificationID+"/answer", scjg, url.Values{"cause": {"材料清单不清楚"}, "action": {"已修订办事指南"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("answer = %d %s", rec.Code, rec.Body)
		}
		if rec := e.sendJSON("POST", x+"/callback", scjg, `{"satisfied":true}`); rec.Code != http.StatusForbidden {
			t.Errorf("the department calls itself back = %d", rec.Code)
		}
		if rec := e.sendJSON("POST", x+"/callback", zhang, `{}`); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("callback without a verdict = %d", rec.Code)
		}
		rec = e.sendJSON("POST", x+"/callback", zhang, `{"satisfied":false,"comment":"还是要跑两趟"}`)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"callback_channel":"api"`) || !strings.Contains(rec.Body.String(), `"state":"closed"`) {
			t.Errorf("callback = %d %s", rec.Code, rec.Body)
		}

		// A closed ticket rated from its page; its department sees it.
		var praise string
		if err := d.Read().QueryRow(`SELECT id FROM tickets WHERE kind = 'praise' AND state = 'closed'`).Scan(&praise); err != nil {
			t.Fatal(err)
		}
		rec = e.postForm("/hotline/tickets/"+praise+"/rating", wangwu, url.Values{"level": {"very_satisfied"}, "tags": {"courteous", "one_visit"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("rating the ticket = %d %s", rec.Code, rec.Body)
		}
		if page := e.get("/hotline/tickets/"+praise, rs).Body.String(); !strings.Contains(page, "非常满意") || !strings.Contains(page, "一次办成") {
			t.Error("the department does not see the ticket's rating")
		}

		// The public figures.
		rec = e.get("/api/v1/figures", "")
		var f rating.Figures
		json.Unmarshal(rec.Body.Bytes(), &f)
		if rec.Code != http.StatusOK || f.Summary.Ratings.Total != 2 || f.Summary.Ratings.Unsatisfied != 1 || f.Summary.Rectifications.Done != 1 || f.Summary.Rectifications.Satisfied != 0 {
			t.Errorf("figures = %d %+v", rec.Code, f.Summary)
		}
		if page := e.get("/figures", ""); page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "50%") {
			t.Errorf("figures page = %d", page.Code)
		}
		if rec := e.get("/api/v1/rating-levels", ""); !strings.Contains(rec.Body.String(), "非常不满意") {
			t.Errorf("levels = %s", rec.Body)
		}
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRatingDemo checks the demo's ratings: bad ones under rectification
// that are overdue (red), due soon (yellow), and answered and called back;
// every rectification's page renders for a supervisor and its department
// in both languages, and the figures page shows them.
func TestRatingDemo(t *testing.T) {
	d := dbtest.SQLite(t)
	e := newEnvWith(t, d, true)
	ctx := t.Context()
	if err := demo.LoadHotline(ctx, e.hotline, e.srv.Identity, true); err != nil {
		t.Fatal(err)
	}
	loc := e.srv.Config.Location
	rdeps := rating.Deps{DB: d, Calendar: e.srv.Calendar, Location: loc}
	if err := demo.LoadRatings(ctx, e.hotline, rdeps, e.srv.Identity); err != nil {
		t.Fatal(err)
	}
	// Loading again adds nothing.
	if err := demo.LoadRatings(ctx, e.hotline, rdeps, e.srv.Identity); err != nil {
		t.Fatal(err)
	}
	sup := e.session("jiancha")
	p, err := e.srv.Identity.AccountByUsername(ctx, "jiancha")
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := e.srv.Identity.Principal(ctx, p.ID)
	all, err := e.srv.Ratings.Rectifications(ctx, pr, rating.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var red, yellow, closed, open int
	for _, x := range all {
		switch {
		case x.Warning == rating.Red:
			red++
		case x.Warning == rating.Yellow:
			yellow++
		}
		switch x.State {
		case rating.Closed:
			closed++
		case rating.Open:
			open++
		}
		for _, lang := range []string{"zh-CN", "en"} {
			if rec := e.do("GET", "/rectifications/"+x.ID, sup, "", nil, "Accept-Language", lang); rec.Code != 200 {
				t.Errorf("GET rectification %s (%s) as supervisor = %d", x.ID, lang, rec.Code)
			}
		}
	}
	if len(all) != 4 || red != 1 || yellow != 1 || closed != 1 || open != 3 {
		t.Errorf("demo rectifications: %d, red %d, yellow %d, closed %d, open %d", len(all), red, yellow, closed, open)
	}
	if all[0].Warning != rating.Red {
		t.Errorf("the supervisor's list does not start with the red one: %+v", all[0])
	}
	// The demo's one callback was satisfied: supervisors reviewing the
	// unsatisfied ones (复核) find none.
	if rec := e.get("/api/v1/rectifications?callback=satisfied", sup); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"count":1`) {
		t.Errorf("satisfied callbacks = %d %s", rec.Code, rec.Body)
	}
	if rec := e.get("/api/v1/rectifications?callback=unsatisfied", sup); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"count":0`) {
		t.Errorf("unsatisfied callbacks = %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/api/v1/rectifications?callback=maybe", sup, "", nil, "Accept-Language", "en"); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "either satisfied or not") {
		t.Errorf("unknown callback filter = %d %s", rec.Code, rec.Body)
	}
	if page := e.get("/staff/rectifications?callback=satisfied", sup).Body.String(); !strings.Contains(page, `class="callback-satisfied">满意整改结果`) || !strings.Contains(page, `<option value="satisfied" selected>`) {
		t.Error("the list filtered to satisfied callbacks does not show the verdict")
	}
	var n int
	d.Read().QueryRow(`SELECT COUNT(*) FROM ratings`).Scan(&n)
	if n != 6 {
		t.Errorf("demo ratings = %d, want 6", n)
	}
	for _, tc := range []struct{ user, path string }{
		{"jiancha", "/staff/rectifications"}, {"jiancha", "/staff/rectifications?warning=red"}, {"zj-clerk", "/staff/rectifications"},
		{"", "/figures"}, {"zhangsan", "/applications/" + demoAppID(t, d, "sole-trader-approved")},
	} {
		rec := e.get(tc.path, e.session(tc.user))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<main") {
			t.Errorf("GET %s as %q = %d", tc.path, tc.user, rec.Code)
		}
	}
	if page := e.get("/applications/"+demoAppID(t, d, "sole-trader-approved"), e.session("zhangsan")).Body.String(); !strings.Contains(page, `action="/applications/`) || !strings.Contains(page, "提交评价") {
		t.Error("zhangsan's approved registration is not left to rate")
	}
}

// TestFiguresConsultations: the public figures carry each department's
// consultations beside its ratings, with the adoption rate of its
// published reports, in the JSON and on the page.
func TestFiguresConsultations(t *testing.T) {
	e := sqliteEnv(t)
	want, err := e.srv.Consultations.Figures(t.Context())
	if err != nil || len(want) == 0 {
		t.Fatalf("the demo's consultation figures = %v, %v", want, err)
	}
	rec := e.get("/api/v1/figures", "")
	wantStatus(t, "figures", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "Figures")
	var got struct {
		Consultations []consultationFigures `json:"consultations"`
	}
	decodeResponse(t, rec, &got)
	if len(got.Consultations) != len(want) {
		t.Fatalf("figures list %d departments' consultations, want %d", len(got.Consultations), len(want))
	}
	answered := false
	for i, w := range want {
		g := got.Consultations[i]
		if g.Department != w.Department || g.Consultations != w.Consultations || g.Comments != w.Comments || g.Adopted != w.Adopted ||
			g.PartlyAdopted != w.PartlyAdopted || g.NotAdopted != w.NotAdopted || g.Closed != w.Closed {
			t.Errorf("figures for %s = %+v, want %+v", w.Department, g, w)
		}
		n := w.Adopted + w.PartlyAdopted + w.NotAdopted
		if n == 0 {
			if g.AdoptionRate != nil {
				t.Errorf("%s: adoption rate %v before any answer", w.Department, *g.AdoptionRate)
			}
			continue
		}
		answered = true
		if rate := math.Round(float64(w.Adopted+w.PartlyAdopted)*1000/float64(n)) / 10; g.AdoptionRate == nil || *g.AdoptionRate != rate {
			t.Errorf("%s: adoption rate %v, want %v", w.Department, g.AdoptionRate, rate)
		}
	}
	if !answered {
		t.Error("no demo consultation has a published adoption report")
	}
	page := e.get("/figures", "").Body.String()
	if !strings.Contains(page, `id="consultations"`) || !strings.Contains(page, "采纳率") {
		t.Error("the figures page has no consultations section")
	}
}

// TestMyRatingsPage: a person's ratings page lists what they rated, the
// level and their words (escaped), and links a bad rating's
// rectification; nobody else's ratings appear on it.
func TestMyRatingsPage(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	zhang, lisi := e.session("zhangsan"), e.session("lisi")
	if body := e.get("/ratings", lisi).Body.String(); !strings.Contains(body, "您还没有评价过") {
		t.Error("an empty ratings page does not say so")
	}
	approved := demoAppID(t, e.db, "sole-trader-approved")
	rec := e.sendJSON("POST", "/api/v1/applications/"+approved+"/rating", zhang, `{"level":"very_unsatisfied","text":"<b>跑了三次</b>"}`)
	wantStatus(t, "rating", rec, http.StatusCreated)
	var r rating.Rating
	decodeResponse(t, rec, &r)
	rec = e.get("/ratings", zhang)
	wantStatus(t, "my ratings", rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{r.ObjectNumber, "非常不满意", "&lt;b&gt;跑了三次&lt;/b&gt;", `href="/rectifications/` + r.RectificationID + `"`, `href="/applications/` + approved + `#rating"`} {
		if !strings.Contains(body, want) {
			t.Errorf("my ratings page lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>跑了三次</b>") {
		t.Error("the rating's text is not escaped")
	}
	if strings.Contains(e.get("/ratings", lisi).Body.String(), r.ObjectNumber) {
		t.Error("another person's ratings page shows zhangsan's rating")
	}
}
