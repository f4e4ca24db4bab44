package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserLicense walks the electronic license on a phone-sized
// screen: 张三 opens his wallet and his identity card, makes a share link;
// the link, opened signed out, says the card is genuine and valid with the
// ID number masked; the issuing department revokes the card with a
// reason; the same link then says it is revoked and why. Screenshots are
// saved.
func TestBrowserLicense(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))

	b.signIn("zhangsan")
	b.do(inMenu(`nav a[href="/licenses"]`), chromedp.WaitVisible(chromedp.CSS(`.license-list`)))
	b.shot("license-wallet-mobile.png")
	wallet := b.text(`main`)
	for _, want := range []string{"居民身份证", "结婚证"} {
		if !strings.Contains(wallet, want) {
			t.Errorf("wallet = %q, want %s", wallet, want)
		}
	}
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('.license-card a')].find(a => a.textContent.includes('居民身份证')).getAttribute('href')`))
	b.must(err)
	b.do(chromedp.Navigate(ts.URL+href), chromedp.WaitVisible(chromedp.CSS(`#share-create`)))
	if got := b.text(`#license-state`); got != "有效" {
		t.Errorf("state = %q, want 有效", got)
	}
	b.do(
		chromedp.SetValue(chromedp.CSS(`#expires_in`), "1h"),
		chromedp.Click(chromedp.CSS(`#share-create`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-share`)),
	)
	b.shot("license-share-mobile.png")
	link, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`#new-share`), "href"))
	b.must(err)

	// Anyone with the link, signed out.
	b.do(inMenu(`form[action="/logout"] button`), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	b.do(chromedp.Navigate(link.Value), chromedp.WaitVisible(chromedp.CSS(`#outcome`)))
	b.shot("license-verify-valid-mobile.png")
	outcome, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`#outcome`), "data-outcome"))
	b.must(err)
	page := b.text(`main`)
	if outcome.Value != "valid" || !strings.Contains(page, "真实有效") || !strings.Contains(page, "339***********") {
		t.Errorf("shared page: outcome %q, text %q; want genuine and valid with the ID number masked", outcome.Value, page)
	}
	if strings.Contains(page, e.idNumber("zhangsan")) || strings.Contains(page, "春晓路") {
		t.Error("the shared page shows the full ID number or the unprinted address")
	}

	// The public security bureau revokes the card.
	b.signIn("ga-approver")
	b.do(chromedp.Navigate(ts.URL+href), chromedp.WaitVisible(chromedp.CSS(`#state-submit`)),
		chromedp.Click(chromedp.CSS(`input[value="revoke"]`)),
		chromedp.SendKeys(chromedp.CSS(`#reason`), "已办理换领，原证作废。"),
		chromedp.Click(chromedp.CSS(`#state-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#license-reason`)),
	)
	if got := b.text(`#license-state`); got != "已吊销" {
		t.Errorf("after revoking, state = %q", got)
	}
	b.do(inMenu(`form[action="/logout"] button`), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	b.do(chromedp.Navigate(link.Value), chromedp.WaitVisible(chromedp.CSS(`#outcome`)))
	b.shot("license-verify-revoked-mobile.png")
	outcome, err = chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`#outcome`), "data-outcome"))
	b.must(err)
	if reason := b.text(`#verdict-reason`); outcome.Value != "revoked" || !strings.Contains(reason, "已办理换领，原证作废。") {
		t.Errorf("after revocation the link says %q, reason %q; want revoked with the reason", outcome.Value, reason)
	}

	// The market regulator's admin: issued licenses and the types.
	b.signIn("scjg-admin")
	b.do(inMenu(`nav a[href="/staff/licenses"]`), chromedp.WaitVisible(chromedp.CSS(`main .license-list`)))
	b.shot("license-staff-mobile.png")
	if got := b.text(`main .license-list`); !strings.Contains(got, "SCJG-YYZZ-") || strings.Contains(got, "GA-SFZ-") {
		t.Errorf("scjg-admin's issued licenses = %q, want SCJG's only", got)
	}
	b.do(chromedp.Navigate(ts.URL+"/admin/license-types/food_business_license"), chromedp.WaitVisible(chromedp.CSS(`#fields`)))
	b.shot("license-types-mobile.png")
}
