package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/workflow"
)

// draftJSON returns the draft of a service as the admin API gives it, as
// a generic JSON object to edit.
func draftJSON(t *testing.T, e *env, token, code string) map[string]any {
	t.Helper()
	rec := e.get("/api/v1/admin/services/"+code, token)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET service %s = %d: %s", code, rec.Code, rec.Body)
	}
	var entry struct {
		Draft map[string]any `json:"draft"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &entry); err != nil {
		t.Fatal(err)
	}
	return entry.Draft
}

// dropFormField removes a field from a draft's form and license mapping.
func dropFormField(draft map[string]any, field string) {
	form := draft["form_schema"].(map[string]any)
	delete(form["properties"].(map[string]any), field)
	if req, ok := form["required"].([]any); ok {
		form["required"] = slices.DeleteFunc(req, func(x any) bool { return x == field })
	}
	if li, ok := draft["issues_license"].(map[string]any); ok {
		fields, _ := li["fields"].(map[string]any)
		for k, v := range fields {
			if v == field {
				delete(fields, k)
			}
		}
	}
}

// fieldMessages sends a JSON body and returns the 422's field messages.
func fieldMessages(t *testing.T, e *env, method, target, token, body, lang string) map[string]string {
	t.Helper()
	rec := e.do(method, target, token, "application/json", strings.NewReader(body), "Accept-Language", lang)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("%s %s (%s) = %d, want 422: %.300s", method, target, lang, rec.Code, rec.Body)
	}
	var ae apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &ae); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range ae.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestServiceAPIKeepsProcessConditions is the audit's walk: the food
// business service's admin drops 经营面积, which the fire-safety review's
// condition tests, or moves a service to a process whose condition its
// form cannot answer. Both are refused with the field and the step named,
// in Chinese and English; nothing changes, and the process stays editable.
func TestServiceAPIKeepsProcessConditions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.session("scjg-admin")

		draft := draftJSON(t, e, admin, "SCJG-001")
		before := mustJSON(t, draft)
		dropFormField(draft, "经营面积")
		body := mustJSON(t, draft)
		for _, tc := range []struct{ lang, field, step string }{
			{"zh-CN", "“经营面积”", "“消防安全审查”"},
			{"en", "“经营面积”", "“Fire safety review”"},
		} {
			msg := fieldMessages(t, e, "PUT", "/api/v1/admin/services/SCJG-001", admin, body, tc.lang)["form_schema"]
			if !strings.Contains(msg, tc.field) || !strings.Contains(msg, tc.step) || !strings.Contains(msg, "SCJG-001") {
				t.Errorf("PUT without 经营面积 (%s): form_schema = %q, want the field %s and the step %s named", tc.lang, msg, tc.field, tc.step)
			}
		}
		if after := mustJSON(t, draftJSON(t, e, admin, "SCJG-001")); after != before {
			t.Errorf("the refused PUT changed the draft")
		}
		rec := e.do("POST", "/api/v1/admin/services/SCJG-001/publish", admin, "", nil)
		var pub catalog.Service
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &pub) != nil || pub.Version != 1 {
			t.Errorf("publish after the refused PUT = %d %s; want version 1 unchanged", rec.Code, rec.Body)
		}

		// SCJG-002 onto XF-001, whose condition tests 申请方式.
		biz := draftJSON(t, e, admin, "SCJG-002")
		biz["process"] = "XF-001"
		msgs := fieldMessages(t, e, "PUT", "/api/v1/admin/services/SCJG-002", admin, mustJSON(t, biz), "zh-CN")
		if m := msgs["form_schema"]; !strings.Contains(m, "“申请方式”") || !strings.Contains(m, "XF-001") || !strings.Contains(m, "“现场消防安全检查”") {
			t.Errorf("PUT SCJG-002 onto XF-001: form_schema = %q, want 申请方式 and the inspection step named", m)
		}
		if p := draftJSON(t, e, admin, "SCJG-002")["process"]; p != "SCJG-002" {
			t.Errorf("SCJG-002's process after the refused PUT = %v", p)
		}

		// The process's owner is not locked out.
		good := foodProcess(t, e, func(d *workflow.Definition) { d.Steps[1].Days = 3 })
		if rec := e.sendJSON("PUT", "/api/v1/admin/processes/SCJG-001", admin, good); rec.Code != http.StatusOK {
			t.Errorf("PUT process SCJG-001 after the refused service edits = %d: %s", rec.Code, rec.Body)
		}
	})
}

// serviceForm writes a service as the admin editor's form posts it.
func serviceForm(svc catalog.Service) url.Values {
	g := svc.Guide
	f := url.Values{
		"code": {svc.Code}, "name": {svc.Name}, "name_en": {svc.NameEn}, "kind": {string(svc.Kind)},
		"department_code": {svc.DepartmentCode}, "depth": {string(svc.Depth)}, "summary": {svc.Summary},
		"keywords": {strings.Join(svc.Keywords, " ")}, "process": {svc.Process}, "conditions": {g.Conditions},
		"guide.statutory_days": {strconv.Itoa(g.StatutoryDays)}, "guide.promised_days": {strconv.Itoa(g.PromisedDays)},
		"guide.visits_required": {strconv.Itoa(g.VisitsRequired)}, "result": {g.Result},
		"contact_phone": {g.ContactPhone}, "complaint_phone": {g.ComplaintPhone}, "form_schema": {string(svc.FormSchema)},
	}
	for _, a := range svc.Audience {
		f.Add("audience", string(a))
	}
	on := func(k string, b bool) {
		if b {
			f.Set(k, "on")
		}
	}
	on("fees_free", g.Fees.Free)
	for i, lb := range g.LegalBasis {
		p := fmt.Sprintf("lb.%d.", i)
		f.Set(p+"name", lb.Name)
		f.Set(p+"article", lb.Article)
	}
	for i, m := range g.Materials {
		p := fmt.Sprintf("m.%d.", i)
		for k, v := range map[string]string{"code": m.Code, "name": m.Name, "form": string(m.Form), "condition": m.Condition, "notes": m.Notes,
			"license_type": m.LicenseType, "data_resource": m.DataResource, "count": strconv.Itoa(m.Count)} {
			f.Set(p+k, v)
		}
		on(p+"required", m.Required)
		on(p+"online_form", m.OnlineForm)
	}
	for i, it := range g.Fees.Items {
		p := fmt.Sprintf("fee.%d.", i)
		f.Set(p+"name", it.Name)
		f.Set(p+"amount", it.Amount)
		f.Set(p+"basis", it.Basis)
	}
	for i, l := range g.Locations {
		p := fmt.Sprintf("loc.%d.", i)
		f.Set(p+"name", l.Name)
		f.Set(p+"address", l.Address)
		f.Set(p+"hours", l.Hours)
	}
	for i, q := range g.FAQs {
		p := fmt.Sprintf("faq.%d.", i)
		f.Set(p+"q", q.Q)
		f.Set(p+"a", q.A)
	}
	if li := svc.IssuesLicense; li != nil {
		f.Set("license_type", li.Type)
		var lines []string
		for k, v := range li.Fields {
			lines = append(lines, k+" = "+v)
		}
		f.Set("license_fields", strings.Join(lines, "\n"))
		on("license_replaces", li.Replaces)
	}
	return f
}

// fieldErrorOf returns the text of the error paragraph the editor shows
// after a field's input, unescaped.
func fieldErrorOf(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	j := strings.Index(rest, `<p class="field-error">`)
	if j < 0 || strings.Contains(rest[:j], "</fieldset>") {
		return ""
	}
	rest = rest[j+len(`<p class="field-error">`):]
	if k := strings.Index(rest, "</p>"); k >= 0 {
		rest = rest[:k]
	}
	return html.UnescapeString(rest)
}

// textareaOf returns the text in a textarea, unescaped.
func textareaOf(page, id string) string {
	i := strings.Index(page, `<textarea id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	rest = rest[strings.Index(rest, ">")+1:]
	if k := strings.Index(rest, "</textarea>"); k >= 0 {
		rest = rest[:k]
	}
	return html.UnescapeString(rest)
}

// TestServiceEditorKeepsProcessConditions: the same in the HTML editor.
// Saving the form without 经营面积 shows the error at the form schema and
// keeps what was typed; a draft saved before the rule is not published.
func TestServiceEditorKeepsProcessConditions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.session("scjg-admin")
		var food catalog.Service
		if err := json.Unmarshal([]byte(mustJSON(t, draftJSON(t, e, admin, "SCJG-001"))), &food); err != nil {
			t.Fatal(err)
		}
		// The form as it is saves (the form writer is faithful).
		if rec := e.postForm("/admin/services/SCJG-001", admin, serviceForm(food)); rec.Code != http.StatusSeeOther {
			t.Fatalf("saving SCJG-001 unchanged = %d: %s", rec.Code, fieldErrorOf(rec.Body.String(), "form_schema"))
		}
		before := mustJSON(t, draftJSON(t, e, admin, "SCJG-001"))

		draft := draftJSON(t, e, admin, "SCJG-001")
		dropFormField(draft, "经营面积")
		var noArea catalog.Service
		if err := json.Unmarshal([]byte(mustJSON(t, draft)), &noArea); err != nil {
			t.Fatal(err)
		}
		rec := e.postForm("/admin/services/SCJG-001", admin, serviceForm(noArea))
		page := rec.Body.String()
		msg := fieldErrorOf(page, "form_schema")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, "“经营面积”") || !strings.Contains(msg, "“消防安全审查”") {
			t.Errorf("saving without 经营面积 = %d, error at the form schema %q; want 422 naming the field and the step", rec.Code, msg)
		}
		if got := textareaOf(page, "form_schema"); got != string(noArea.FormSchema) {
			t.Errorf("the editor shows the form schema %q, want it as typed: %q", got, noArea.FormSchema)
		}
		if after := mustJSON(t, draftJSON(t, e, admin, "SCJG-001")); after != before {
			t.Errorf("the refused save changed the draft")
		}

		// A draft saved before the rule, straight in the database.
		noArea.Version = 0
		if _, err := d.Write().ExecContext(t.Context(), `UPDATE services SET draft = $1 WHERE code = $2`, mustJSON(t, noArea), "SCJG-001"); err != nil {
			t.Fatal(err)
		}
		rec = e.do("POST", "/admin/services/SCJG-001/publish", admin, "application/x-www-form-urlencoded", nil, "Accept-Language", "en")
		msg = fieldErrorOf(rec.Body.String(), "form_schema")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, "“经营面积”") || !strings.Contains(msg, "“Fire safety review”") {
			t.Errorf("publishing a draft without 经营面积 = %d, error at the form schema %q; want 422 naming the field and the step", rec.Code, msg)
		}
		if v, err := e.srv.Catalog.PublishedVersion(t.Context(), "SCJG-001"); err != nil || v != 1 {
			t.Errorf("live version after the refused publish = %d, %v; want 1", v, err)
		}
	})
}
