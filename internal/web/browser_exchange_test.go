package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserExchange walks data sharing as its users do, on a
// phone-sized screen: the market regulator's clerk, taking in wangwu's
// fruit shop application, follows 查询共享数据 from the task and looks up
// his household data under the grant from the police; wangwu then finds
// that lookup on 谁用了我的数据 in plain words; the regulator's admin asks
// the civil affairs bureau for marriage data, and its admin grants it on
// /staff/exchange.
func TestBrowserExchange(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))
	_, taskID := e.fruitShop()

	// The clerk looks the applicant up from the task page.
	b.signIn("scjg-clerk")
	b.do(
		chromedp.Navigate(ts.URL+"/staff/tasks/"+taskID),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/lookup"]`)),
		chromedp.Click(chromedp.CSS(`a[href$="/lookup"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/lookup"] button[type="submit"]`)),
	)
	if got := b.text(`main`); !strings.Contains(got, "户籍人口信息") || strings.Contains(got, e.idNumber("wangwu")) {
		t.Errorf("lookup page = %q; want the household grant and no full ID number", got)
	}
	b.do(
		chromedp.SetValue(chromedp.CSS(`#resource`), "GA-HOUSEHOLD"),
		chromedp.Click(chromedp.CSS(`form[action$="/lookup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.lookup-answer`)),
	)
	b.shot("exchange-lookup-mobile.png")
	if got := b.text(`section.lookup-answer`); !strings.Contains(got, "临江市临江区望江路 66 号 2 幢 1201 室") || !strings.Contains(got, "数据来源：临江市公安局") {
		t.Errorf("answer = %q; want the household address and where it came from", got)
	}

	// wangwu sees that lookup at once, in plain words, without the
	// clerk's name.
	b.signIn("wangwu")
	b.do(
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitReady(chromedp.CSS(`nav a[href="/my-data"]`)),
		inMenu(`nav a[href="/my-data"]`),
		chromedp.WaitVisible(chromedp.CSS(`ul.data-uses li`)),
	)
	b.shot("exchange-my-data-mobile.png")
	got := b.text(`ul.data-uses`)
	if !strings.Contains(got, "临江市市场监督管理局的受理人员在办理办件") || !strings.Contains(got, "查询了王五的户籍人口信息（姓名、") || !strings.Contains(got, "户籍地址") ||
		!strings.Contains(got, "数据来自临江市公安局") || strings.Contains(got, "刘受理") {
		t.Errorf("谁用了我的数据 = %q; want the clerk's lookup in plain words", got)
	}

	// The regulator's admin asks civil affairs for marriage data.
	b.signIn("scjg-admin")
	b.do(
		chromedp.Navigate(ts.URL+"/staff/exchange"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/staff/exchange/requests"]`)),
		chromedp.SetValue(chromedp.CSS(`#resource`), "MZ-MARRIAGE"),
		chromedp.SendKeys(chromedp.CSS(`#fields`), "marital_status, spouse_name"),
		chromedp.SendKeys(chromedp.CSS(`#purpose`), "核验夫妻共同经营个体工商户的婚姻关系"),
		chromedp.SendKeys(chromedp.CSS(`#legal_basis`), "《促进个体工商户发展条例》第十条"),
		chromedp.SendKeys(chromedp.CSS(`#days`), "180"),
	)
	b.shot("exchange-request-mobile.png")
	b.do(chromedp.Submit(chromedp.CSS(`#days`)), chromedp.WaitVisible(chromedp.CSS(`p.flash, p.form-error`)))
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('p.form-error').length`)); n > 0 {
		t.Fatalf("request refused: %q", b.text(`main`))
	}
	if got := b.text(`p.flash`); !strings.Contains(got, "已提交") && !strings.Contains(got, "待") {
		t.Logf("flash after the request: %q", got)
	}
	pendingRow := `[...document.querySelectorAll('tr[id^="request-"]')].find(tr => tr.textContent.includes("MZ-MARRIAGE") && tr.textContent.includes("核验夫妻共同经营"))`
	state, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(`+pendingRow+` || {textContent: ""}).textContent`))
	b.must(err)
	if !strings.Contains(state, "待审核") && !strings.Contains(state, "待") {
		t.Errorf("the new request's row = %q; want it pending", state)
	}

	// The civil affairs admin grants it.
	b.signIn("mz-admin")
	b.do(chromedp.Navigate(ts.URL+"/staff/exchange"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(`+pendingRow+` || {id: ""}).id`))
	b.must(err)
	if id == "" {
		t.Fatalf("civil affairs does not see SCJG's request")
	}
	b.shot("exchange-decide-mobile.png")
	b.do(
		chromedp.Click(chromedp.CSS(`#`+id+` button[name="approve"][value="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)

	// The regulator now holds the grant.
	b.signIn("scjg-admin")
	b.do(chromedp.Navigate(ts.URL+"/staff/exchange"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	grant, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`([...document.querySelectorAll('tr[id^="grant-"]')].find(tr => tr.textContent.includes("MZ-MARRIAGE") && tr.textContent.includes("市场监督管理局")) || {textContent: ""}).textContent`))
	b.must(err)
	if !strings.Contains(grant, "marital_status, spouse_name") || !strings.Contains(grant, "核验夫妻共同经营个体工商户的婚姻关系") {
		t.Errorf("SCJG's grant row = %q; want the granted fields and purpose", grant)
	}
	b.shot("exchange-granted-mobile.png")
}
