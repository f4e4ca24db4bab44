package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserHotlineCall: the 12345 operator takes a call on a phone-sized
// screen, sees the suggested department on the ticket at once and
// dispatches it; then the platform admin, on a desktop screen, adds a
// dispatch rule and issues an Open311 key, shown once.
func TestBrowserHotlineCall(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))

	b.signIn("rexian")
	b.do(
		inMenu(`nav a[href="/staff/hotline/call"]`),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/staff/hotline/call?category=FOOD"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/staff/hotline/call?category=FOOD"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#reporter_phone`)),
		chromedp.SetValue(chromedp.CSS(`#kind`), "complaint"),
		chromedp.SendKeys(chromedp.CSS(`#text`), "在滨江区江南大道一家面馆吃完后腹泻，怀疑食材变质。"),
		chromedp.SendKeys(chromedp.CSS(`#attr-shop`), "江南面馆"),
		chromedp.SendKeys(chromedp.CSS(`#address`), "临江市滨江区江南大道 120 号"),
		chromedp.SetValue(chromedp.CSS(`#division_code`), "339901"),
		chromedp.SendKeys(chromedp.CSS(`#reporter_name`), "孙八"),
		chromedp.SendKeys(chromedp.CSS(`#reporter_phone`), "13700001111"),
	)
	b.shot("hotline-call-mobile.png")
	b.do(chromedp.Submit(chromedp.CSS(`#reporter_phone`)), chromedp.WaitVisible(chromedp.CSS(`#dispatch`)))
	b.shot("hotline-call-filed-mobile.png")
	if got := b.text(`p.flash`); !strings.Contains(got, "建议派往滨江区市场监督管理局") {
		t.Errorf("flash = %q; want the suggested department", got)
	}
	sel, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#department_code`)))
	b.must(err)
	if sel != "BJSCJG" {
		t.Errorf("preselected department = %q, want BJSCJG", sel)
	}
	b.do(chromedp.Submit(chromedp.CSS(`#department_code`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if got := b.text(`dl.facts`); !strings.Contains(got, "待签收") {
		t.Errorf("after dispatch, facts = %q; want 待签收", got)
	}

	// The platform admin on a desktop screen.
	b.do(chromedp.EmulateViewport(1280, 900))
	b.signIn("admin")
	b.do(
		chromedp.Navigate(ts.URL+"/staff"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/hotline"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/admin/hotline"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rules`)),
		chromedp.SetValue(chromedp.CSS(`#rule-category`), "PRICE"),
		chromedp.SetValue(chromedp.CSS(`#rule-division`), "339902"),
		chromedp.SetValue(chromedp.CSS(`#rule-department`), "GA"),
		chromedp.Submit(chromedp.CSS(`#rule-department`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)
	if got := b.text(`#rules`); !strings.Contains(got, "价格欺诈") || !strings.Contains(got, "临江市公安局") {
		t.Errorf("rules = %q; want the new rule", got)
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#key-name`), "街道巡查 App"),
		chromedp.Submit(chromedp.CSS(`#key-name`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-key`)),
	)
	b.shot("hotline-admin-desktop.png")
	if got := b.text(`#new-key`); !strings.HasPrefix(got, "o311_") {
		t.Errorf("new key = %q", got)
	}
	b.do(chromedp.Navigate(ts.URL+"/admin/hotline/categories/POTHOLE"), chromedp.WaitVisible(chromedp.CSS(`fieldset.questions`)))
	b.shot("hotline-category-desktop.png")
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`input[name="attr.0.code"]`))); got != "size" {
		t.Errorf("first question of POTHOLE = %q, want size", got)
	}
}
