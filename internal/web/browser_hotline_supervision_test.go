package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserSupervisionHotline signs a supervisor in on a phone-sized
// screen, filters the 12345 tickets down to the overdue ones, opens one
// and finds its ledger stamps. Screenshots are saved.
func TestBrowserSupervisionHotline(t *testing.T) {
	e := hotlineEnv(t, dbtest.SQLite(t))
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	ctx := newBrowser(t, 390, 844)
	dir := artifactDir(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(err)
		must(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	must(chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "jiancha"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "demo2026"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(ts.URL+"/staff"),
		chromedp.Click(chromedp.CSS(`a[href="/supervision/hotline"]`)),
		chromedp.WaitVisible(chromedp.CSS(`select#warning`)),
	))
	shot("supervision-hotline-mobile.png")
	must(chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`select#warning`), "red"),
		chromedp.Submit(chromedp.CSS(`select#warning`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.row-red a`)),
	))
	rows, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.cards tbody`)))
	must(err)
	shot("supervision-hotline-red-mobile.png")
	if !strings.Contains(rows, "红牌") {
		t.Errorf("the overdue filter shows %q", rows)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`tr.row-red a`)),
		chromedp.WaitVisible(chromedp.CSS(`section.stamps`)),
	))
	stamps, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`section.stamps`)))
	must(err)
	shot("ticket-stamps-mobile.png")
	if !strings.Contains(stamps, "派单") || !strings.Contains(stamps, "受理") {
		t.Errorf("the ticket's stamps read %q", stamps)
	}

	// A platform admin gives the demo app's key its own rate limit.
	must(chromedp.Do(ctx,
		inMenu(`form[action="/logout"] button`),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)),
	))
	t.Log("signed out")
	must(chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "demo2026"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)),
	))
	t.Log("signed in as admin")
	must(chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/admin/hotline#keys"),
		chromedp.WaitVisible(chromedp.CSS(`#keys`)),
	))
	must(chromedp.Do(ctx,
		chromedp.WaitReady(chromedp.CSS(`input[name="rate_limit"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name="rate_limit"]`), "1200/1m"),
		chromedp.Submit(chromedp.CSS(`input[name="rate_limit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#keys`)),
	))
	keys, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(`#keys`)))
	must(err)
	must(os.WriteFile(filepath.Join(dir, "admin-hotline-key-rate-mobile.png"), keys, 0o644))
	rate, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name="rate_limit"]`)))
	must(err)
	if rate != "1200/1m" {
		t.Errorf("the key's rate reads %q after saving, want 1200/1m", rate)
	}
}
