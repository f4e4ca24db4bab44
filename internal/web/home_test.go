package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestHomeShowsWhatWaitsForTheApplicant: a signed-in applicant's home page
// lists the applications waiting for them (a supplement to answer, a draft
// to submit, a result to rate) and nothing else; a rated one drops off;
// nobody else sees such a list.
func TestHomeShowsWhatWaitsForTheApplicant(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	d := e.db
	number := func(key string) string {
		t.Helper()
		var n string
		if err := d.Read().QueryRow(`SELECT COALESCE(number, '') FROM applications WHERE idempotency_key = $1`, "demo:"+key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	todo := func(token string) string {
		t.Helper()
		rec := e.get("/", token)
		wantStatus(t, "home", rec, http.StatusOK)
		body := rec.Body.String()
		i := strings.Index(body, `id="todo"`)
		if i < 0 {
			return ""
		}
		return body[i : i+strings.Index(body[i:], "</section>")]
	}
	zhang := e.session("zhangsan")
	got := todo(zhang)
	for _, want := range []string{number("childcare-supplement"), "需要补正材料", number("sole-trader-approved"), "请评价本次服务"} {
		if !strings.Contains(got, want) {
			t.Errorf("zhangsan's list lacks %q:\n%s", want, got)
		}
	}
	for _, in := range []string{"housing-loan-countersign", "licence-change-decide", "medical-filing-withdrawn"} {
		if n := number(in); strings.Contains(got, n) {
			t.Errorf("zhangsan's list shows %s (%s), which waits for nobody but the departments", n, in)
		}
	}
	if strings.Index(got, number("childcare-supplement")) > strings.Index(got, number("sole-trader-approved")) {
		t.Error("the supplement, whose clock waits for the applicant, is not listed first")
	}
	if got := todo(e.session("lisi")); !strings.Contains(got, "草稿尚未提交") || !strings.Contains(got, "最低生活保障") {
		t.Errorf("lisi's list lacks the draft:\n%s", got)
	}

	// Rated: no longer asked for.
	rec := e.sendJSON("POST", "/api/v1/applications/"+demoAppID(t, d, "sole-trader-approved")+"/rating", zhang, `{"level":"very_satisfied"}`)
	wantStatus(t, "rating", rec, http.StatusCreated)
	if got := todo(zhang); strings.Contains(got, number("sole-trader-approved")) {
		t.Errorf("after rating, the list still asks for it:\n%s", got)
	}

	for _, who := range []string{"", "scjg-clerk", "jiancha"} {
		if got := todo(e.session(who)); got != "" {
			t.Errorf("%q sees a list of applications waiting for them:\n%s", who, got)
		}
	}
}
