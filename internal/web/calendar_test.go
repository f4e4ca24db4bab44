package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

type workdaysAnswer struct {
	From    string `json:"from"`
	Days    int    `json:"days"`
	Due     string `json:"due"`
	Covered bool   `json:"covered"`
}

func decodeBody[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func TestAPICalendarWorkdays(t *testing.T) {
	e := sqliteEnv(t)
	for _, tc := range []struct {
		query   string
		want    workdaysAnswer
		comment string
	}{
		{"from=2025-09-30&days=1", workdaysAnswer{"2025-09-30", 1, "2025-10-09", true}, "National Day 2025"},
		{"from=2025-09-30&days=3", workdaysAnswer{"2025-09-30", 3, "2025-10-11", true}, "make-up Saturday counts"},
		{"from=2026-02-13&days=1", workdaysAnswer{"2026-02-13", 1, "2026-02-14", true}, "Spring Festival make-up Saturday"},
		{"from=2026-02-13&days=6", workdaysAnswer{"2026-02-13", 6, "2026-02-28", true}, "Feb 15–23 off"},
		{"from=2026-02-16&days=0", workdaysAnswer{"2026-02-16", 0, "2026-02-16", true}, "zero days"},
		{"from=2026-12-30&days=5", workdaysAnswer{"2026-12-30", 5, "2027-01-06", false}, "2027 not entered"},
		{"from=+2025-09-30+&days=+1", workdaysAnswer{"2025-09-30", 1, "2025-10-09", true}, "spaces trimmed"},
	} {
		t.Run(tc.comment, func(t *testing.T) {
			rec := e.get("/api/v1/calendar/workdays?"+tc.query, "")
			if rec.Code != http.StatusOK {
				t.Fatalf("GET ?%s = %d: %s", tc.query, rec.Code, rec.Body)
			}
			if got := decodeBody[workdaysAnswer](t, rec.Body.Bytes()); got != tc.want {
				t.Errorf("GET ?%s = %+v, want %+v", tc.query, got, tc.want)
			}
		})
	}
}

func TestAPICalendarWorkdaysValidates(t *testing.T) {
	e := sqliteEnv(t)
	for _, tc := range []struct {
		query  string
		fields map[string]string // field -> code
	}{
		{"", map[string]string{"from": "required", "days": "required"}},
		{"from=2026-02-30&days=1", map[string]string{"from": "date_invalid"}},
		{"from=2026%2F02%2F14&days=1", map[string]string{"from": "date_invalid"}},
		{"from=1999-12-31&days=1", map[string]string{"from": "calendar_year_invalid"}},
		{"from=2026-02-13&days=-1", map[string]string{"days": "calendar_days_invalid"}},
		{"from=2026-02-13&days=3651", map[string]string{"days": "calendar_days_invalid"}},
		{"from=2026-02-13&days=five", map[string]string{"days": "calendar_days_invalid"}},
		{"from=2026-02-13&days=1.5", map[string]string{"days": "calendar_days_invalid"}},
		{"from=tomorrow&days=", map[string]string{"from": "date_invalid", "days": "required"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			rec := e.get("/api/v1/calendar/workdays?"+tc.query, "")
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("GET ?%s = %d, want 422: %s", tc.query, rec.Code, rec.Body)
			}
			body := decodeBody[apiError](t, rec.Body.Bytes())
			got := map[string]string{}
			for _, f := range body.Fields {
				got[f.Field] = f.Code
				if f.Message == "" || f.Message == f.Code {
					t.Errorf("field %s has no translated message: %+v", f.Field, f)
				}
			}
			if len(got) != len(tc.fields) {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
			for field, code := range tc.fields {
				if got[field] != code {
					t.Errorf("field %s = %q, want %q (all: %v)", field, got[field], code, got)
				}
			}
		})
	}
	// The messages speak the caller's language.
	zh := decodeBody[apiError](t, e.get("/api/v1/calendar/workdays?from=2026-02-13&days=4000", "").Body.Bytes())
	en := decodeBody[apiError](t, e.do("GET", "/api/v1/calendar/workdays?from=2026-02-13&days=4000", "", "", nil, "Accept-Language", "en").Body.Bytes())
	if len(zh.Fields) != 1 || !strings.Contains(zh.Fields[0].Message, "工作日数") || !strings.Contains(zh.Fields[0].Message, "3650") {
		t.Errorf("Chinese message = %+v", zh.Fields)
	}
	if len(en.Fields) != 1 || en.Fields[0].Message != "The number of working days must be a whole number from 0 to 3650." {
		t.Errorf("English message = %+v", en.Fields)
	}
}

type daysAnswer struct {
	Year    int  `json:"year"`
	Covered bool `json:"covered"`
	Items   []struct {
		Date, Kind, Name string
	} `json:"items"`
	Count int `json:"count"`
}

func TestAPICalendarDays(t *testing.T) {
	e := sqliteEnv(t)
	e.srv.Now = func() time.Time { return time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC) } // 2026-01-01 in Beijing
	got := decodeBody[daysAnswer](t, e.get("/api/v1/calendar/days?year=2026", "").Body.Bytes())
	if got.Year != 2026 || !got.Covered || got.Count != 39 || len(got.Items) != 39 {
		t.Fatalf("days of 2026 = year %d covered %v count %d", got.Year, got.Covered, got.Count)
	}
	if first := got.Items[0]; first.Date != "2026-01-01" || first.Kind != "holiday" || first.Name != "元旦" {
		t.Errorf("first day = %+v", first)
	}
	if strings.Contains(e.get("/api/v1/calendar/days?year=2026", "").Body.String(), "updated_by") {
		t.Error("the public list shows who edited a day")
	}
	if dflt := decodeBody[daysAnswer](t, e.get("/api/v1/calendar/days", "").Body.Bytes()); dflt.Year != 2026 {
		t.Errorf("without a year: year %d, want this year in the platform's time zone, 2026", dflt.Year)
	}
	if y := decodeBody[daysAnswer](t, e.get("/api/v1/calendar/days?year=2030", "").Body.Bytes()); y.Covered || y.Count != 0 || y.Items == nil {
		t.Errorf("2030 = %+v, want an empty, uncovered list", y)
	}
	for _, q := range []string{"year=26", "year=abc", "year=2100"} {
		rec := e.get("/api/v1/calendar/days?"+q, "")
		body := decodeBody[apiError](t, rec.Body.Bytes())
		if rec.Code != http.StatusUnprocessableEntity || len(body.Fields) != 1 || body.Fields[0].Code != "calendar_year_invalid" {
			t.Errorf("GET ?%s = %d %+v, want 422 calendar_year_invalid", q, rec.Code, body.Fields)
		}
	}
}

// TestAPIAdminCalendarEdit: an edit changes the public answer, on both
// databases.
func TestAPIAdminCalendarEdit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.session("admin")
		due := func() string {
			rec := e.get("/api/v1/calendar/workdays?from=2025-09-30&days=1", "")
			return decodeBody[workdaysAnswer](t, rec.Body.Bytes()).Due
		}
		rec := e.sendJSON("PUT", "/api/v1/admin/calendar/days/2025-10-09", admin, `{"kind":"holiday","name":"防汛"}`)
		if rec.Code != http.StatusOK {
			t.Fatalf("PUT = %d: %s", rec.Code, rec.Body)
		}
		if got := due(); got != "2025-10-10" {
			t.Errorf("after making 2025-10-09 a holiday, due = %s, want 2025-10-10", got)
		}
		if rec := e.do("DELETE", "/api/v1/admin/calendar/days/2025-10-09", admin, "", nil); rec.Code != http.StatusNoContent {
			t.Fatalf("DELETE = %d: %s", rec.Code, rec.Body)
		}
		if got := due(); got != "2025-10-09" {
			t.Errorf("after deleting, due = %s, want 2025-10-09", got)
		}
		if rec := e.do("DELETE", "/api/v1/admin/calendar/days/2025-10-09", admin, "", nil); rec.Code != http.StatusNotFound {
			t.Errorf("DELETE of an ordinary day = %d, want 404", rec.Code)
		}
		for _, tc := range []struct{ path, body, field, code string }{
			{"2025-10-10", `{"kind":"workday","name":"x"}`, "kind", "calendar_workday_on_weekday"},
			{"2025-10-10", `{"kind":"off","name":"x"}`, "kind", "calendar_kind_invalid"},
			{"2025-10-10", `{"kind":"holiday","name":""}`, "name", "required"},
			{"20251010", `{"kind":"holiday","name":"x"}`, "date", "date_invalid"},
			{"2025-10-10", `{"kind":"holiday","name":"x","extra":1}`, "extra", "json_unknown_field"},
			{"2025-10-10", `{"kind":"holiday","name":1}`, "name", "json_type_string"},
			{"2025-10-10", `{"kind":"holiday",`, "body", "json_truncated"},
			{"2025-10-10", `{"kind":"holiday"]`, "body", "json_syntax"},
			{"2025-10-10", ``, "body", "json_empty"},
			{"2025-10-10", `{"kind":"holiday","name":"x"} {}`, "body", "json_trailing"},
		} {
			rec := e.sendJSON("PUT", "/api/v1/admin/calendar/days/"+tc.path, admin, tc.body)
			body := decodeBody[apiError](t, rec.Body.Bytes())
			if rec.Code != http.StatusUnprocessableEntity || len(body.Fields) == 0 || body.Fields[0].Field != tc.field || body.Fields[0].Code != tc.code {
				t.Errorf("PUT %s %s = %d %+v, want 422 %s/%s", tc.path, tc.body, rec.Code, body.Fields, tc.field, tc.code)
			}
		}
		if rec := e.sendJSON("PUT", "/api/v1/admin/calendar/days/2025-10-09", e.session("scjg-admin"), `{"kind":"holiday","name":"x"}`); rec.Code != http.StatusForbidden {
			t.Errorf("PUT by a department admin = %d, want 403", rec.Code)
		}
		if got := due(); got != "2025-10-09" {
			t.Errorf("refused edits changed the answer: due = %s", got)
		}
	})
}

func TestAdminCalendarPage(t *testing.T) {
	e := sqliteEnv(t)
	e.srv.Now = func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	admin := e.session("admin")

	rec := e.get("/admin/calendar?year=2026", admin)
	page := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /admin/calendar = %d", rec.Code)
	}
	for _, want := range []string{"2026-02-14", "2026-02-28", "调休上班", "国务院办公厅通知", `href="/admin/calendar?year=2025"`, "2027 年的放假安排尚未录入"} {
		if !strings.Contains(page, want) {
			t.Errorf("calendar page lacks %q", want)
		}
	}
	if strings.Contains(page, "2026 年的放假安排尚未录入") {
		t.Error("calendar page says 2026 is missing")
	}
	if en := e.do("GET", "/admin/calendar?year=2026", admin, "", nil, "Accept-Language", "en").Body.String(); !strings.Contains(en, "Make-up workday") || !strings.Contains(en, "The holiday notice for 2027 has not been entered") {
		t.Error("the English calendar page is not in English")
	}

	// A year that is not one shows this year and says why, as the API
	// refuses it; it used to show this year as if asked for.
	for _, bad := range []string{"abc", "1999", "2100"} {
		rec = e.get("/admin/calendar?year="+bad, admin)
		page = rec.Body.String()
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="year-error"`) || !strings.Contains(page, "2026-02-14") {
			t.Errorf("year=%s: %d, year error shown %v", bad, rec.Code, strings.Contains(page, `id="year-error"`))
		}
	}
	if page := e.get("/admin/calendar", admin).Body.String(); strings.Contains(page, `id="year-error"`) {
		t.Error("the calendar page without a year says the year is wrong")
	}

	// A bad form comes back with the errors next to the fields.
	rec = e.postForm("/admin/calendar", admin, url.Values{"date": {"2027-02-10"}, "kind": {"workday"}, "name": {""}})
	page = rec.Body.String()
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad form = %d, want 422", rec.Code)
	}
	for _, want := range []string{`id="kind-err"`, "调休上班日只能是周六或周日", `id="name-err"`, `value="2027-02-10"`} {
		if !strings.Contains(page, want) {
			t.Errorf("re-rendered form lacks %q", want)
		}
	}

	// A good form saves the day and shows it in its year.
	rec = e.postForm("/admin/calendar", admin, url.Values{"date": {"2027-02-06"}, "kind": {"workday"}, "name": {"春节"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/calendar?year=2027" {
		t.Fatalf("good form = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if page := e.get("/admin/calendar?year=2027", admin).Body.String(); !strings.Contains(page, "2027-02-06") || !strings.Contains(page, "管理员修改于") {
		t.Error("the saved day is not on the 2027 page")
	}
	rec = e.postForm("/admin/calendar/2027-02-06/delete", admin, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("delete = %d", rec.Code)
	}
	if page := e.get("/admin/calendar?year=2027", admin).Body.String(); strings.Contains(page, "<time datetime=\"2027-02-06\"") {
		t.Error("the deleted day is still listed")
	}
	if staff := e.get("/staff", admin).Body.String(); !strings.Contains(staff, `href="/admin/calendar"`) {
		t.Error("the workbench does not link to the calendar")
	}
}
