package web

import (
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/i18n"
)

// TestQueueFilterReportsEveryBadParameter: a queue asked for with several
// bad parameters is told of each, on its own field, over the API and on
// the page. Before, a bad offset hid the bad warning (and the search).
func TestQueueFilterReportsEveryBadParameter(t *testing.T) {
	e := sqliteEnv(t)
	clerk := e.session("scjg-clerk")
	query := "warning=purple&offset=abc&mine=yes&limit=0&q=" + strings.Repeat("长", 51)
	want := map[string]string{"warning": "queue_warning_invalid", "offset": "queue_offset_invalid", "mine": "queue_mine_invalid",
		"limit": "queue_limit_range", "q": "text_too_long"}
	rec := e.get("/api/v1/tasks?"+query, clerk)
	wantStatus(t, "queue ?"+query, rec, http.StatusUnprocessableEntity)
	matchesOpenAPI(t, rec, "Error")
	codes, _ := fieldCodes(t, rec)
	for field, code := range want {
		if codes[field] != code {
			t.Errorf("API: %s is %q, want %q (all: %v)", field, codes[field], code, codes)
		}
	}
	if len(codes) != len(want) {
		t.Errorf("API reports %v, want %v", codes, want)
	}
	// A negative offset, too, beside a bad warning.
	rec = e.get("/api/v1/tasks?warning=purple&offset=-3", clerk)
	wantStatus(t, "queue ?warning=purple&offset=-3", rec, http.StatusUnprocessableEntity)
	if codes, _ := fieldCodes(t, rec); len(codes) != 2 || codes["warning"] != "queue_warning_invalid" || codes["offset"] != "queue_offset_invalid" {
		t.Errorf("?warning=purple&offset=-3 reports %v", codes)
	}

	// The page, which takes no limit, says the rest.
	rec = e.get("/staff/tasks?"+query, clerk)
	wantStatus(t, "queue page ?"+query, rec, http.StatusUnprocessableEntity)
	page := rec.Body.String()
	for field, code := range want {
		if field == "limit" {
			continue
		}
		var args []any
		if field == "q" {
			args = []any{50}
		}
		if msg := template.HTMLEscapeString(i18n.T(i18n.ZH, code, args...)); !strings.Contains(page, msg) {
			t.Errorf("the page does not say %q for %s", msg, field)
		}
	}
}

// TestQueueWarningMessageMatchesWhatItTakes: the message for a bad
// warning names only what the queue takes, and every choice of the
// page's warning filter is taken. Before, it offered "all", which is a
// 422.
func TestQueueWarningMessageMatchesWhatItTakes(t *testing.T) {
	e := sqliteEnv(t)
	clerk := e.session("scjg-clerk")
	page := e.get("/staff/tasks", clerk).Body.String()
	sel := regexp.MustCompile(`(?s)<select name="warning">(.*?)</select>`).FindStringSubmatch(page)
	if sel == nil {
		t.Fatal("the queue page has no warning filter")
	}
	opts := regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(sel[1], -1)
	if len(opts) != 3 {
		t.Fatalf("warning options %v, want any, yellow and red", opts)
	}
	for _, o := range opts {
		for _, target := range []string{"/api/v1/tasks?warning=" + o[1], "/staff/tasks?warning=" + o[1]} {
			wantStatus(t, target, e.get(target, clerk), http.StatusOK)
		}
	}
	for _, v := range []string{"all", "any", "purple"} {
		rec := e.get("/api/v1/tasks?warning="+v, clerk)
		wantStatus(t, "?warning="+v, rec, http.StatusUnprocessableEntity)
		if codes, _ := fieldCodes(t, rec); codes["warning"] != "queue_warning_invalid" {
			t.Errorf("?warning=%s: %v", v, codes)
		}
	}
	for _, c := range []struct {
		lang i18n.Lang
		not  []string
	}{{i18n.ZH, []string{"全部"}}, {i18n.EN, []string{" all", "all."}}} {
		msg := i18n.T(c.lang, "queue_warning_invalid")
		for _, w := range c.not {
			if strings.Contains(msg, w) {
				t.Errorf("%s: %q offers %q, which the queue does not take", c.lang, msg, w)
			}
		}
	}
}

// TestQueuePageWithBadFilterShowsNoCounts: a queue page that could not be
// read shows the error and the filter form, but no counts or "nothing to
// do" as if they were the queue's.
func TestQueuePageWithBadFilterShowsNoCounts(t *testing.T) {
	e := sqliteEnv(t)
	clerk := e.session("scjg-clerk")
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		rec := e.do("GET", "/staff/tasks?warning=purple", clerk, "", nil, "Accept-Language", string(lang))
		wantStatus(t, "queue page ?warning=purple", rec, http.StatusUnprocessableEntity)
		page := rec.Body.String()
		if !strings.Contains(page, template.HTMLEscapeString(i18n.T(lang, "queue_warning_invalid"))) || !strings.Contains(page, `id="queue-filter"`) {
			t.Errorf("%s: the page lacks the error or the filter form", lang)
		}
		for _, not := range []string{`id="queue-counts"`, template.HTMLEscapeString(i18n.T(lang, "queue_empty")), template.HTMLEscapeString(i18n.T(lang, "queue_counts", 0))} {
			if strings.Contains(page, not) {
				t.Errorf("%s: the page with a bad filter shows %q", lang, not)
			}
		}
	}
	// Its links leave out what could not be read: following one is no
	// 422 again.
	page := e.get("/staff/tasks?warning=purple&q=SCJG", clerk).Body.String()
	if strings.Contains(page, "purple") || !strings.Contains(page, "q=SCJG") {
		t.Errorf("the links of a page with a bad warning: purple kept %v, q kept %v", strings.Contains(page, "purple"), strings.Contains(page, "q=SCJG"))
	}
}

// TestQueuePageTakesNoLimit: the page shows 50 tasks a page and pages by
// 50, so a limit in its address is no error, and its links leave it out.
// Before, limit=0 was a 422 while any good limit was ignored.
func TestQueuePageTakesNoLimit(t *testing.T) {
	e := sqliteEnv(t)
	clerk := e.session("scjg-clerk")
	for _, limit := range []string{"0", "abc", "5", "500"} {
		rec := e.get("/staff/tasks?warning=red&limit="+limit, clerk)
		wantStatus(t, "queue page ?limit="+limit, rec, http.StatusOK)
		if page := rec.Body.String(); strings.Contains(page, "limit=") || !strings.Contains(page, `id="queue-counts"`) {
			t.Errorf("?limit=%s: the page links keep the limit, or show no counts", limit)
		}
	}
	// The API still takes one.
	rec := e.get("/api/v1/tasks?limit=0", clerk)
	wantStatus(t, "API ?limit=0", rec, http.StatusUnprocessableEntity)
}

// TestQueueMineMessageIsForPeople: a bad mine is told on the field mine
// in words a person reads, naming the filter as the page does, not the
// parameter.
func TestQueueMineMessageIsForPeople(t *testing.T) {
	e := sqliteEnv(t)
	clerk := e.session("scjg-clerk")
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		rec := e.do("GET", "/api/v1/tasks?mine=yes", clerk, "", nil, "Accept-Language", string(lang))
		wantStatus(t, "?mine=yes", rec, http.StatusUnprocessableEntity)
		codes, msgs := fieldCodes(t, rec)
		msg := msgs["mine"]
		if codes["mine"] != "queue_mine_invalid" || !strings.Contains(msg, i18n.T(lang, "queue_mine")) {
			t.Errorf("%s: mine = %q %q, want queue_mine_invalid naming %q", lang, codes["mine"], msg, i18n.T(lang, "queue_mine"))
		}
		if strings.Contains(msg, "mine") || strings.Contains(msg, "true") {
			t.Errorf("%s: %q speaks of the parameter, not the filter", lang, msg)
		}
	}
}
