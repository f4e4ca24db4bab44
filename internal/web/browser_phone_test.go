package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserPhoneFit opens the pages people read on a phone (390 px wide)
// and checks that everything fits the screen: no page scrolls sideways,
// no table hides columns behind a sideways scroll and no column is
// squeezed to a character or two a line. Lists are
// cards there, each cell labelled; before, 我的办件 squeezed the service
// name to one character a line and cut off the time.
func TestBrowserPhoneFit(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))

	// overflow lists what is wider than the screen on the page now shown.
	overflow := func() []string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
			const out = [];
			const root = document.documentElement;
			if (root.scrollWidth > window.innerWidth + 1) out.push("page " + root.scrollWidth + "px");
			document.querySelectorAll(".table-wrap").forEach((w, i) => {
				if (w.scrollWidth > w.clientWidth + 1) {
					const h = w.closest("section")?.querySelector("h2")?.textContent || "table " + (i + 1);
					out.push(h.trim() + " " + w.scrollWidth + "px in " + w.clientWidth + "px");
				}
			});
			// A column squeezed to a character or two a line.
			document.querySelectorAll("td").forEach(td => {
				const text = td.textContent.trim();
				if (text.length >= 4 && td.offsetParent !== null && td.getBoundingClientRect().width < 48) {
					out.push("cell " + JSON.stringify(text.slice(0, 12)) + " squeezed to " + Math.round(td.getBoundingClientRect().width) + "px");
				}
			});
			return out;
		})()`))
		b.must(err)
		return v
	}
	check := func(who, path, wait string) {
		t.Helper()
		b.do(chromedp.Navigate(ts.URL+path), chromedp.WaitVisible(chromedp.CSS(wait)))
		if bad := overflow(); len(bad) > 0 {
			name := strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(who + path)
			b.shot("phone-fit" + name + ".png")
			t.Errorf("%s %s on a phone does not fit: %s", who, path, strings.Join(bad, "; "))
		}
	}
	// label reads the label a card shows before the first cell holding text.
	label := func(cellText string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
			const td = [...document.querySelectorAll("table.cards td")].find(td => td.textContent.includes(%q));
			return td ? getComputedStyle(td, "::before").content : "";
		})()`, cellText)))
		b.must(err)
		return v
	}

	// Anyone.
	check("public", "/", "#q")
	check("public", "/services/SCJG-004", "#materials")
	if got := label("变更登记申请书"); got != `"材料名称"` {
		t.Errorf("guide material card labels its name %s, want \"材料名称\"", got)
	}
	check("public", "/figures", "#departments")
	check("public", "/departments", "main h1")
	check("public", "/consultations", "main h1")

	if rec := e.sendJSON("POST", "/api/v1/applications/"+demoAppID(t, e.db, "sole-trader-approved")+"/rating", e.session("zhangsan"),
		`{"level":"unsatisfied","text":"材料要了两遍，窗口排队很久"}`); rec.Code != 201 {
		t.Fatalf("rating = %d %s", rec.Code, rec.Body)
	}
	b.signIn("zhangsan")
	check("zhangsan", "/ratings", "table.cards")
	check("zhangsan", "/applications", "table.cards")
	if got := label("住房公积金个人住房贷款"); got != `"事项"` {
		t.Errorf("my applications card labels the service %s, want \"事项\"", got)
	}
	appHref, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`([...document.querySelectorAll("table.cards a")].find(a => a.closest("tr").textContent.includes("住房公积金个人住房贷款")) || {}).pathname || ""`))
	b.must(err)
	if appHref == "" {
		t.Fatal("the joint-approval demo application is not in zhangsan's list")
	}
	check("zhangsan", appHref, "#timeline")
	check("zhangsan", "/notices", "main h1")
	check("zhangsan", "/licenses", "main h1")
	check("zhangsan", "/my-data", "main h1")
	check("zhangsan", "/hotline/tickets", "main h1")

	b.signIn("scjg-clerk")
	check("scjg-clerk", "/staff/tasks", "main h1")
	check("scjg-clerk", "/staff", "main h1")
	check("scjg-clerk", "/staff/exchange", "main h1")
	check("scjg-clerk", "/staff/licenses", "main h1")
	check("scjg-clerk", "/staff/rectifications", "main h1")

	b.signIn("jiancha")
	check("jiancha", "/supervision", "main h1")
	check("jiancha", "/supervision/avoided-uploads", "main h1")
	check("jiancha", "/supervision/supplements", "main h1")
	check("jiancha", "/supervision/data-access", "main h1")
	check("jiancha", "/supervision/hotline", "main h1")

	// Admins, who may well be on a phone too.
	b.signIn("admin")
	for _, path := range []string{"/admin/calendar", "/admin/catalog", "/admin/hotline", "/admin/license-types", "/admin/org",
		"/admin/services", "/admin/services/SCJG-004", "/admin/processes/SCJG-004", "/admin/staff", "/admin/synonyms"} {
		check("admin", path, "main h1")
	}

	b.signIn("rexian")
	check("rexian", "/staff/hotline", "main h1")
	check("rexian", "/staff/hotline/dispatch", "main h1")
}
