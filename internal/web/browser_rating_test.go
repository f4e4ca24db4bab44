package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserRatingLoop walks a bad rating through its rectification on a
// phone-sized screen: zhangsan rates his concluded sole-trader
// registration 非常不满意 with a tag and a comment; the market regulator's
// clerk finds the rectification in the list and answers it; zhangsan
// says he is satisfied in the callback; the public figures page, opened
// without signing in, counts the rating, the rectification done on time
// and the satisfied callback.
func TestBrowserRatingLoop(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))
	var appID string
	if err := e.db.Read().QueryRow(`SELECT id FROM applications WHERE idempotency_key = 'demo:sole-trader-approved'`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	appURL := ts.URL + "/applications/" + appID

	// The applicant rates the concluded application.
	b.signIn("zhangsan")
	b.do(chromedp.Navigate(appURL), chromedp.WaitVisible(chromedp.CSS(`#rating form`)))
	comment := `跑了三趟 <b>才办成</b>`
	b.do(
		chromedp.Click(chromedp.CSS(`#rating input[name="level"][value="very_unsatisfied"]`)),
		chromedp.Click(chromedp.CSS(`#rating input[name="tags"][value="repeated_visits"]`)),
		chromedp.SendKeys(chromedp.CSS(`#rating-text`), comment),
	)
	b.shot("rating-form-mobile.png")
	b.do(chromedp.Click(chromedp.CSS(`#rating button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	b.shot("rating-given-mobile.png")
	got := b.text(`#rating`)
	for _, want := range []string{"非常不满意", "多次跑腿", comment, "整改进度"} {
		if !strings.Contains(got, want) {
			t.Errorf("rating section = %q, want %q", got, want)
		}
	}
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rating b').length`)); n != 0 {
		t.Error("the comment's markup was rendered, not shown as text")
	}
	rectURL, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#rating a[href^="/rectifications/"]').pathname`))
	b.must(err)
	// Still within the amendment period: the form offers to amend.
	if got := b.text(`#rating button[type="submit"]`); got != "修改评价" {
		t.Errorf("after rating, the button says %q, want 修改评价", got)
	}

	// The department's clerk finds it in the list and answers.
	b.signIn("scjg-clerk")
	b.do(chromedp.Navigate(ts.URL+"/staff/rectifications"), chromedp.WaitVisible(chromedp.CSS(`table.cards`)))
	b.shot("rectifications-mobile.png")
	if got := b.text(`table.cards`); !strings.Contains(got, "待整改") || !strings.Contains(got, "非常不满意") {
		t.Errorf("rectification list = %q", got)
	}
	b.do(
		chromedp.Navigate(ts.URL+rectURL),
		chromedp.WaitVisible(chromedp.CSS(`#answer`)),
		chromedp.SendKeys(chromedp.CSS(`#cause`), "窗口未一次性告知所需材料"),
		chromedp.SendKeys(chromedp.CSS(`#action`), "已约谈窗口人员，材料清单上墙并在网上公布"),
	)
	if got := b.text(`main`); strings.Contains(got, "zhangsan") || strings.Contains(got, "张三") {
		t.Errorf("the department sees who rated: %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`#answer button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if got := b.text(`dl.facts`); !strings.Contains(got, "已整改，待回访") {
		t.Errorf("after answering, facts = %q", got)
	}

	// The citizen is satisfied with the rectification.
	b.signIn("zhangsan")
	b.do(chromedp.Navigate(ts.URL+rectURL), chromedp.WaitVisible(chromedp.CSS(`#callback`)))
	b.shot("rectification-callback-mobile.png")
	if got := b.text(`main`); !strings.Contains(got, "材料清单上墙") {
		t.Errorf("the citizen does not see the answer: %q", got)
	}
	b.do(
		chromedp.Click(chromedp.CSS(`#callback input[name="satisfied"][value="yes"]`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "态度很好"),
		chromedp.Click(chromedp.CSS(`#callback button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)
	if got := b.text(`dl.facts`); !strings.Contains(got, "已回访") {
		t.Errorf("after the callback, facts = %q", got)
	}

	// Anyone sees the figures.
	b.do(inMenu(`form[action="/logout"] button`), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	b.do(chromedp.Navigate(ts.URL+"/figures"), chromedp.WaitVisible(chromedp.CSS(`#summary`)))
	b.shot("figures-mobile.png")
	sum := b.text(`#summary`)
	for _, want := range []string{"评价数\n1", "满意率\n0%", "非常不满意\n1", "已整改 1 / 1，按期 1", "回访满意 1 / 1"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary = %q, want %q", sum, want)
		}
	}
	row, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#departments tbody tr')].map(r => r.innerText).find(t => t.includes('市场监督管理局') && !t.includes('滨江区')) || ""`))
	b.must(err)
	if !strings.Contains(row, "已整改 1 / 1，按期 1") {
		t.Errorf("market regulator's row = %q", row)
	}
}
