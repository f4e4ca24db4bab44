package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/org"
)

// scjgForm is the department form for SCJG as the edit page fills it in,
// with changes applied.
func scjgForm(t *testing.T, e *env, change map[string]string) url.Values {
	t.Helper()
	d, err := e.srv.Org.Department(t.Context(), "SCJG")
	if err != nil {
		t.Fatal(err)
	}
	f := url.Values{}
	for k, v := range departmentValues(d) {
		f.Set(k, v)
	}
	for k, v := range change {
		f.Set(k, v)
	}
	return f
}

// TestAdminOrgPages covers the organisation pages: the tree, the edit
// forms filled in, saving, and field errors that keep what was typed.
func TestAdminOrgPages(t *testing.T) {
	e := sqliteEnv(t)
	admin := e.session("admin")

	t.Run("tree", func(t *testing.T) {
		rec := e.get("/admin/org", admin)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /admin/org = %d", rec.Code)
		}
		body := rec.Body.String()
		city, district := strings.Index(body, `id="div-339900"`), strings.Index(body, `id="div-339901"`)
		scjg, bjscjg := strings.Index(body, `id="dept-SCJG"`), strings.Index(body, `id="dept-BJSCJG"`)
		if city < 0 || district < 0 || scjg < 0 || bjscjg < 0 {
			t.Fatalf("tree lacks the city, a district or their departments:\n%s", body)
		}
		// The district sits inside the city's item, after the city's own
		// departments; the district's department inside the district.
		if !(city < scjg && scjg < district && district < bjscjg) {
			t.Errorf("tree order: city %d, SCJG %d, district %d, BJSCJG %d", city, scjg, district, bjscjg)
		}
		for _, want := range []string{"临江市", "滨江区", "临江市市场监督管理局", `href="/admin/org/departments/SCJG"`, `href="/admin/org/divisions/339901"`, "0571-86701200"} {
			if !strings.Contains(body, want) {
				t.Errorf("/admin/org lacks %q", want)
			}
		}
		en := e.do("GET", "/admin/org", admin, "", nil, "Accept-Language", "en").Body.String()
		if !strings.Contains(en, "Linjiang Administration for Market Regulation") || !strings.Contains(en, "District") {
			t.Error("/admin/org in English lacks English names or levels")
		}
	})

	t.Run("edit form is filled in", func(t *testing.T) {
		body := e.get("/admin/org/departments/SCJG", admin).Body.String()
		for _, want := range []string{`value="0571-86701200"`, `value="临江市市场监督管理局"`, `<option value="339900" selected>`, "负责全市市场主体登记注册"} {
			if !strings.Contains(body, want) {
				t.Errorf("department form lacks %q", want)
			}
		}
		body = e.get("/admin/org/divisions/339901", admin).Body.String()
		for _, want := range []string{`value="滨江区"`, `<option value="district" selected>`, `<option value="339900" selected>`} {
			if !strings.Contains(body, want) {
				t.Errorf("division form lacks %q", want)
			}
		}
	})

	t.Run("unknown codes are 404", func(t *testing.T) {
		for _, tc := range []struct{ method, target string }{
			{"GET", "/admin/org/departments/NOPE"},
			{"POST", "/admin/org/departments/NOPE"},
			{"GET", "/admin/org/divisions/999999"},
			{"POST", "/admin/org/divisions/999999"},
		} {
			rec := e.do(tc.method, tc.target, admin, "application/x-www-form-urlencoded", strings.NewReader(scjgForm(t, e, nil).Encode()))
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s = %d, want 404", tc.method, tc.target, rec.Code)
			}
		}
		if _, err := e.srv.Org.Department(t.Context(), "NOPE"); err == nil {
			t.Error("POST to an unknown department created it")
		}
	})

	t.Run("save a department", func(t *testing.T) {
		rec := e.postForm("/admin/org/departments/SCJG", admin, scjgForm(t, e, map[string]string{"phone": "0571-88880000", "code": "HACK"}))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/org#dept-SCJG" {
			t.Fatalf("save = %d to %q: %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
		}
		d, _ := e.srv.Org.Department(t.Context(), "SCJG")
		if d.Phone != "0571-88880000" || d.Name != "临江市市场监督管理局" {
			t.Errorf("after save SCJG = %+v", d)
		}
		if _, err := e.srv.Org.Department(t.Context(), "HACK"); err == nil {
			t.Error("the code field of an edit form created another department")
		}
		if !strings.Contains(e.get("/departments/SCJG", "").Body.String(), "0571-88880000") {
			t.Error("the public department page does not show the new phone")
		}
	})

	t.Run("field errors in Chinese and English keep what was typed", func(t *testing.T) {
		for _, tc := range []struct{ lang, msg string }{{"zh-CN", "行政区划不存在。"}, {"en", "Unknown division."}} {
			form := scjgForm(t, e, map[string]string{"division_code": "999999", "address": "新地址 8 号"})
			rec := e.do("POST", "/admin/org/departments/SCJG", admin, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "Accept-Language", tc.lang)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%s: save with unknown division = %d, want 422", tc.lang, rec.Code)
			}
			body := rec.Body.String()
			want := `<p class="field-error" id="division_code-err">` + tc.msg + `</p>`
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %s", tc.lang, want)
			}
			if !strings.Contains(body, `value="新地址 8 号"`) {
				t.Errorf("%s: the typed address is lost", tc.lang)
			}
		}
		if d, _ := e.srv.Org.Department(t.Context(), "SCJG"); d.Address == "新地址 8 号" {
			t.Error("a refused save changed the department")
		}
	})

	t.Run("create a department", func(t *testing.T) {
		form := url.Values{"code": {"bad"}, "name": {"临江市数据资源管理局"}, "division_code": {"339900"}, "phone": {"12"}, "position": {"x"}}
		rec := e.do("POST", "/admin/org/departments", admin, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "Accept-Language", "en")
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("create with bad fields = %d, want 422", rec.Code)
		}
		body := rec.Body.String()
		for _, want := range []string{"Department codes are 2–16 capital letters and digits.", "Enter a valid phone number.", "Enter a number.", `value="临江市数据资源管理局"`, `value="bad"`} {
			if !strings.Contains(body, want) {
				t.Errorf("create form lacks %q", want)
			}
		}
		form.Set("code", "SCJG")
		form.Set("phone", "")
		form.Set("position", "")
		rec = e.postForm("/admin/org/departments", admin, form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "该编码已被使用。") {
			t.Fatalf("create with a taken code = %d, want 422 with code_taken", rec.Code)
		}
		if d, _ := e.srv.Org.Department(t.Context(), "SCJG"); d.Name != "临江市市场监督管理局" {
			t.Fatalf("creating with a taken code overwrote SCJG: %+v", d)
		}
		form.Set("code", "SJZY")
		form.Set("parent_code", "SCJG")
		rec = e.postForm("/admin/org/departments", admin, form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create = %d: %s", rec.Code, rec.Body.String())
		}
		if d, err := e.srv.Org.Department(t.Context(), "SJZY"); err != nil || d.ParentCode != "SCJG" {
			t.Fatalf("created department = %+v, %v", d, err)
		}
		if !strings.Contains(e.get("/admin/org", admin).Body.String(), `id="dept-SJZY"`) {
			t.Error("the new department is not on /admin/org")
		}
	})

	t.Run("divisions", func(t *testing.T) {
		form := url.Values{"code": {"339903"}, "name": {"江北区"}, "name_en": {"Jiangbei District"}, "level": {"district"}, "parent_code": {"339900"}}
		if rec := e.postForm("/admin/org/divisions", admin, form); rec.Code != http.StatusSeeOther {
			t.Fatalf("create division = %d: %s", rec.Code, rec.Body.String())
		}
		if v, err := e.srv.Org.Division(t.Context(), "339903"); err != nil || v.ParentCode != "339900" {
			t.Fatalf("created division = %+v, %v", v, err)
		}
		// The city may not move under one of its own districts.
		edit := url.Values{"name": {"临江市"}, "level": {"city"}, "parent_code": {"339903"}}
		rec := e.do("POST", "/admin/org/divisions/339900", admin, "application/x-www-form-urlencoded", strings.NewReader(edit.Encode()), "Accept-Language", "en")
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("city under its district = %d, want 422", rec.Code)
		}
		if !strings.Contains(rec.Body.String(), `id="parent_code-err">The parent division must be of a higher level.`) {
			t.Errorf("no parent error next to the field:\n%s", rec.Body.String())
		}
		rec = e.postForm("/admin/org/divisions", admin, url.Values{"code": {"12"}, "name": {""}, "level": {"district"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad division = %d, want 422", rec.Code)
		}
		for _, want := range []string{"行政区划代码应为 6 位或 9 位数字。", `id="name-err">此项必填。`, `value="12"`} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("division form lacks %q", want)
			}
		}
		edit = url.Values{"name": {"临江市"}, "name_en": {"Linjiang City"}, "level": {"city"}}
		if rec := e.postForm("/admin/org/divisions/339900", admin, edit); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit division = %d: %s", rec.Code, rec.Body.String())
		}
		if v, _ := e.srv.Org.Division(t.Context(), "339900"); v.NameEn != "Linjiang City" {
			t.Errorf("after edit, name_en = %q", v.NameEn)
		}
	})

	t.Run("linked from the workbench", func(t *testing.T) {
		if !strings.Contains(e.get("/staff", admin).Body.String(), `href="/admin/org"`) {
			t.Error("the platform admin's workbench has no link to /admin/org")
		}
		if strings.Contains(e.get("/staff", e.session("scjg-admin")).Body.String(), `href="/admin/org"`) {
			t.Error("a department admin's workbench links to /admin/org")
		}
	})

	t.Run("department admins are turned away", func(t *testing.T) {
		tok := e.session("scjg-admin")
		if rec := e.postForm("/admin/org/departments/SCJG", tok, scjgForm(t, e, map[string]string{"phone": "12345"})); rec.Code != http.StatusForbidden {
			t.Errorf("dept admin POST = %d, want 403", rec.Code)
		}
		if d, _ := e.srv.Org.Department(t.Context(), "SCJG"); d.Phone == "12345" {
			t.Error("a department admin changed the department")
		}
	})
}

// TestDivisionTreeSurvivesLoops: every division is shown once, even if
// stored parents formed a loop.
func TestDivisionTreeSurvivesLoops(t *testing.T) {
	divs := []org.Division{{Code: "1"}, {Code: "2", ParentCode: "1"}, {Code: "3", ParentCode: "4"}, {Code: "4", ParentCode: "3"}}
	roots := divisionTree(divs, nil)
	seen := map[string]int{}
	var walk func(ns []*divisionNode)
	walk = func(ns []*divisionNode) {
		for _, n := range ns {
			seen[n.Division.Code]++
			walk(n.Children)
		}
	}
	walk(roots)
	for _, d := range divs {
		if seen[d.Code] != 1 {
			t.Errorf("division %s shown %d times, want once", d.Code, seen[d.Code])
		}
	}
	if len(roots) != 2 || roots[0].Division.Code != "1" || len(roots[0].Children) != 1 {
		t.Errorf("roots = %v", roots)
	}
}
