package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
)

// TestSupervisionAveragesStatedStatutoryLimits: the supervisors' catalog
// overview averages the statutory limits of the published services that
// state one; a service with statutory_days 0 (none stated, or done on
// the spot) is left out, and a department with no stated limit shows
// "—" (null in the API), not 0. Before, those services counted as 0
// days and pulled the averages down, to 0 for some departments.
func TestSupervisionAveragesStatedStatutoryLimits(t *testing.T) {
	e := sqliteEnv(t)
	jiancha := e.session("jiancha")
	entries, err := e.srv.Catalog.Entries(t.Context(), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	// The published services' stated limits, and how many state none,
	// by department.
	type sum struct{ days, stated, unstated int }
	want := map[string]*sum{}
	for _, en := range entries {
		if en.Status != catalog.Published {
			continue
		}
		s := want[en.Service.DepartmentCode]
		if s == nil {
			s = &sum{}
			want[en.Service.DepartmentCode] = s
		}
		if d := en.Service.Guide.StatutoryDays; d > 0 {
			s.days += d
			s.stated++
		} else {
			s.unstated++
		}
	}
	mixed, none := false, false
	for _, s := range want {
		mixed = mixed || s.stated > 0 && s.unstated > 0
		none = none || s.stated == 0
	}
	if !mixed || !none {
		t.Fatal("the demo no longer has a department publishing services with and without a statutory limit, and one publishing only services without: the test proves nothing")
	}

	rec := e.get("/api/v1/supervision/catalog", jiancha)
	wantStatus(t, "supervision catalog", rec, http.StatusOK)
	matchesOpenAPI(t, rec, "SupervisionList")
	var got listResponse[struct {
		Department string   `json:"department_code"`
		Statutory  *float64 `json:"avg_statutory_days"`
	}]
	decodeResponse(t, rec, &got)
	for _, r := range got.Items {
		s := want[r.Department]
		if s == nil || s.stated == 0 {
			if r.Statutory != nil {
				t.Errorf("%s states no statutory limit, yet averages %v", r.Department, *r.Statutory)
			}
			continue
		}
		w := round1(float64(s.days) / float64(s.stated))
		if r.Statutory == nil {
			t.Errorf("%s: average statutory limit null, want %v (%d stated, %d not)", r.Department, w, s.stated, s.unstated)
		} else if *r.Statutory != w {
			t.Errorf("%s: average statutory limit %v, want %v (%d stated, %d not)", r.Department, *r.Statutory, w, s.stated, s.unstated)
		}
	}
	// The page shows the same, and a dash where there is none.
	page := e.get("/supervision", jiancha).Body.String()
	cells := regexp.MustCompile(`<td data-label="法定办结时限">([^<]*)</td>`).FindAllStringSubmatch(page, -1)
	if len(cells) != len(got.Items) {
		t.Fatalf("the page has %d statutory cells for %d departments", len(cells), len(got.Items))
	}
	for i, r := range got.Items {
		w := "—"
		if r.Statutory != nil {
			w = fmt.Sprint(*r.Statutory)
		}
		if strings.TrimSpace(cells[i][1]) != w {
			t.Errorf("the page shows %q for %s, want %q", cells[i][1], r.Department, w)
		}
	}
}

// TestSupervisionNamesDepartmentsInEnglish: the supervisors' catalog
// overview names the departments in the page's language.
func TestSupervisionNamesDepartmentsInEnglish(t *testing.T) {
	e := sqliteEnv(t)
	jiancha := e.session("jiancha")
	for _, tc := range []struct{ lang, want, not string }{
		{"en", "Linjiang Administration for Market Regulation", "<td data-label=\"Department\">临江市市场监督管理局</td>"},
		{"zh-CN", "临江市市场监督管理局", "Linjiang Administration for Market Regulation"},
	} {
		rec := e.do("GET", "/supervision", jiancha, "", nil, "Accept-Language", tc.lang)
		wantStatus(t, "supervision ("+tc.lang+")", rec, http.StatusOK)
		if page := rec.Body.String(); !strings.Contains(page, tc.want) || strings.Contains(page, tc.not) {
			t.Errorf("%s: the overview does not name the departments in the page's language", tc.lang)
		}
	}
}
