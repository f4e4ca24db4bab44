package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/application"
)

// TestBrowserCalendarEditMovesDeadlines: the platform admin enters a
// holiday on the admin calendar page, on a phone-sized screen, over a
// deadline already set; at the next warning scan the deadline moves, and
// the applicant's timeline says from which date to which.
func TestBrowserCalendarEditMovesDeadlines(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL

	zhang := e.session("zhangsan")
	a := fileApplication(t, e, zhang)
	rec := e.sendJSON("POST", "/api/v1/tasks/"+a.Tasks[0].ID+"/decision", e.session("scjg-clerk"), `{"action":"accept"}`)
	wantStatus(t, "accept", rec, http.StatusOK)
	decodeResponse(t, rec, &a)
	was := a.StatutoryDue

	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))
	b.signIn("admin")
	b.do(
		chromedp.Navigate(ts.URL+"/admin/calendar"),
		chromedp.WaitVisible(chromedp.CSS(`#date`)),
		chromedp.SetValue(chromedp.CSS(`#date`), was),
		chromedp.SetValue(chromedp.CSS(`#kind`), "holiday"),
		chromedp.SendKeys(chromedp.CSS(`#name`), "防汛"),
		chromedp.Submit(chromedp.CSS(`#name`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)
	b.shot("calendar-admin-saved-mobile.png")
	if got := b.text(`p.flash`); !strings.Contains(got, "期限将在下次预警扫描") {
		t.Errorf("the admin is not told deadlines will be recounted: %q", got)
	}
	if st, err := e.srv.Applications.ScanWarnings(t.Context()); err != nil || st.Recounted == 0 {
		t.Fatalf("scan: %+v %v", st, err)
	}
	var now application.Application
	decodeResponse(t, e.get("/api/v1/applications/"+a.ID, zhang), &now)
	if now.StatutoryDue <= was {
		t.Fatalf("statutory deadline %s after %s became a holiday", now.StatutoryDue, was)
	}

	b.signIn("zhangsan")
	b.do(chromedp.Navigate(ts.URL+"/applications/"+a.ID), chromedp.WaitVisible(chromedp.CSS(`#timeline`)))
	b.do(chromedp.ScrollIntoView(chromedp.CSS(`#timeline`)))
	b.shot("calendar-recount-mobile.png")
	timeline := b.text(`#timeline`)
	for _, want := range []string{"工作日历调整，期限重新计算", "法定期限：" + was + " → " + now.StatutoryDue} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline does not say %q:\n%s", want, timeline)
		}
	}
	if got := b.text(`main dl`); !strings.Contains(got, now.StatutoryDue) {
		t.Errorf("the summary does not give the new statutory deadline %s:\n%s", now.StatutoryDue, got)
	}
}
