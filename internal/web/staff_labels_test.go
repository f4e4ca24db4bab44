package web

import (
	"html/template"
	"net/http"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/i18n"
)

// TestStaffPagesLabelTheServiceName: the department admin's workbench and
// the catalog editor head the service's name as the service's, not as a
// material's (材料名称 / Material), as they did.
func TestStaffPagesLabelTheServiceName(t *testing.T) {
	e := sqliteEnv(t)
	admin := e.session("scjg-admin")
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		code := template.HTMLEscapeString(i18n.T(lang, "service_code"))
		name := template.HTMLEscapeString(i18n.T(lang, "service_name"))
		material := template.HTMLEscapeString(i18n.T(lang, "material_name"))
		column := func(label string) string {
			return `<th scope="col">` + code + `</th><th scope="col">` + label + `</th>`
		}
		for _, c := range []struct{ target, want, not string }{
			{"/staff", column(name), column(material)},
			{"/admin/services", column(name), column(material)},
			// The form's material rows keep their label.
			{"/admin/services/new", `<label for="name">` + name + `</label>`, `<label for="name">` + material + `</label>`},
		} {
			rec := e.do("GET", c.target, admin, "", nil, "Accept-Language", string(lang))
			wantStatus(t, c.target, rec, http.StatusOK)
			page := rec.Body.String()
			if !strings.Contains(page, c.want) {
				t.Errorf("%s (%s) lacks %s", c.target, lang, c.want)
			}
			if strings.Contains(page, c.not) {
				t.Errorf("%s (%s) still labels the service's name %q", c.target, lang, material)
			}
		}
	}
}

// TestWorkbenchLimitsHaveTheirUnit: the workbench's promised limits read
// "5 个工作日" / "5 working days", not a bare number.
func TestWorkbenchLimitsHaveTheirUnit(t *testing.T) {
	e := sqliteEnv(t)
	admin := e.session("scjg-admin")
	for _, tc := range []struct{ lang, unit string }{{"zh-CN", " 个工作日</td>"}, {"en", " working days</td>"}} {
		page := e.do("GET", "/staff", admin, "", nil, "Accept-Language", tc.lang).Body.String()
		if !strings.Contains(page, tc.unit) || strings.Contains(page, "</td><td>5</td>") {
			t.Errorf("%s: the workbench's promised limits have no unit", tc.lang)
		}
	}
}
