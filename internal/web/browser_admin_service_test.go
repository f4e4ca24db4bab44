package web

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/catalog"
)

// TestBrowserServiceEditorKeepsLicense: the platform admin opens a
// service in the editor and saves it unchanged; the license the service
// issues (type, field mapping) and the material filed as the online form
// survive. Then a malformed mapping line is refused, naming the line, and
// the re-issue switch is saved.
func TestBrowserServiceEditorKeepsLicense(t *testing.T) {
	e := sqliteEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 1280, 900), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(1280, 900))
	draft := func() catalog.Service {
		t.Helper()
		var doc string
		if err := e.db.Read().QueryRowContext(t.Context(), `SELECT draft FROM services WHERE code = 'SCJG-002'`).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		var s catalog.Service
		if err := json.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := draft()
	if before.IssuesLicense == nil || len(before.IssuesLicense.Fields) == 0 || !before.Guide.Materials[0].OnlineForm {
		t.Fatalf("SCJG-002 draft = %+v, %+v; want a license with fields and m1 as the online form", before.IssuesLicense, before.Guide.Materials)
	}

	b.signIn("admin")
	b.do(
		chromedp.Navigate(ts.URL+"/admin/services/SCJG-002"),
		chromedp.WaitVisible(chromedp.CSS(`#license_type`)),
		chromedp.Click(chromedp.CSS(`form.editor > button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)
	after := draft()
	if after.IssuesLicense == nil || after.IssuesLicense.Type != before.IssuesLicense.Type || len(after.IssuesLicense.Fields) != len(before.IssuesLicense.Fields) ||
		after.IssuesLicense.Replaces || !after.Guide.Materials[0].OnlineForm {
		t.Fatalf("after saving unchanged: license %+v, m1 %+v; want %+v and m1 the online form", after.IssuesLicense, after.Guide.Materials[0], before.IssuesLicense)
	}
	for k, v := range before.IssuesLicense.Fields {
		if after.IssuesLicense.Fields[k] != v {
			t.Errorf("license field %s = %q after saving, want %q", k, after.IssuesLicense.Fields[k], v)
		}
	}

	// A line without "=" is refused with its number; nothing is saved.
	b.do(
		chromedp.SetValue(chromedp.CSS(`#license_fields`), "entity_name = 个体工商户名称\noops"),
		chromedp.Click(chromedp.CSS(`form.editor > button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#license_fields[aria-invalid="true"]`)),
	)
	b.shot("admin-service-license-error.png")
	if msg := b.text(`#license_fields + p.field-error`); !strings.Contains(msg, "第 2 行") {
		t.Errorf("error next to the mapping = %q, want it to name line 2", msg)
	}
	if li := draft().IssuesLicense; li == nil || len(li.Fields) != len(before.IssuesLicense.Fields) {
		t.Errorf("after the refused save the license is %+v, want it as it was", li)
	}
	// Fix it and switch re-issuing on.
	b.do(
		chromedp.SetValue(chromedp.CSS(`#license_fields`), "entity_name = 个体工商户名称\naddress = 经营场所"),
		chromedp.Click(chromedp.CSS(`input[name="license_replaces"]`)),
		chromedp.Click(chromedp.CSS(`form.editor > button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)
	li := draft().IssuesLicense
	if li == nil || !li.Replaces || len(li.Fields) != 2 || li.Fields["address"] != "经营场所" {
		t.Errorf("after the fix: license %+v, want two fields and re-issuing", li)
	}
}
