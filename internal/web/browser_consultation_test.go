package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserConsultation walks a consultation on a phone-sized screen: a
// citizen selects a passage of a section in the draft and comments on it,
// and the comment appears with the passage quoted; the department's admin
// hides another comment for a reason of the comment policy, which the
// public then sees in its place; the closed consultation shows its
// adoption report.
func TestBrowserConsultation(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	open, closed := demoConsultations(t, e)
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))

	// A citizen selects 可回收物、有害垃圾 in section 2.
	b.signIn("zhangsan")
	b.do(chromedp.Navigate(ts.URL+"/consultations/"+open), chromedp.WaitVisible(chromedp.CSS(`#s-2 .body`)))
	const passage = "可回收物、有害垃圾"
	sel, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const node = document.querySelector('#s-2 .body').firstChild;
		const i = node.textContent.indexOf(%q);
		const r = document.createRange();
		r.setStart(node, i);
		r.setEnd(node, i + %d);
		const s = window.getSelection();
		s.removeAllRanges();
		s.addRange(r);
		document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
		return s.toString();
	})()`, passage, len([]rune(passage)))))
	b.must(err)
	if sel != passage {
		t.Fatalf("selected %q, want %q", sel, passage)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(`#s-2 .quote-btn`)))
	b.shot("consultation-select-mobile.png")
	b.do(chromedp.Click(chromedp.CSS(`#s-2 .quote-btn`)))
	section, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#section`)))
	b.must(err)
	quoted, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#passage`)))
	b.must(err)
	if section != "2" || quoted != passage {
		t.Fatalf("the form has section %q, passage %q; want 2 and %q", section, quoted, passage)
	}
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#text`), "建议把有害垃圾的投放点设在社区服务中心，方便老人。"),
		chromedp.Submit(chromedp.CSS(`#text`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)
	mine := b.text(`li.comment.mine:last-child`)
	b.shot("consultation-commented-mobile.png")
	if !strings.Contains(mine, passage) || !strings.Contains(mine, "社区服务中心") || !strings.Contains(mine, "张*") || !strings.Contains(mine, "第 2 条") {
		t.Errorf("the new comment reads %q", mine)
	}

	// The department's admin hides wangwu's comment on section 5.
	b.signIn("zj-admin")
	b.do(chromedp.Navigate(ts.URL+"/staff/consultations/"+open), chromedp.WaitVisible(chromedp.CSS(`#moderations`)))
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`([...document.querySelectorAll('li.comment')].find(li => li.textContent.includes('罚款标准')) || {}).id || ""`))
	b.must(err)
	if id == "" {
		t.Fatal("the comment on fines is not on the department's page")
	}
	cid := strings.TrimPrefix(id, "c-")
	b.do(
		chromedp.Click(chromedp.CSS(`#`+id+` details summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#reason-`+cid)),
		chromedp.SetValue(chromedp.CSS(`#reason-`+cid), "off_topic"),
		chromedp.SendKeys(chromedp.CSS(`#note-`+cid), "演示：隐藏并说明理由"),
		chromedp.Click(chromedp.CSS(`#`+id+` details form button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	)
	b.shot("consultation-moderated-mobile.png")
	if rec := b.text(`#moderations`); !strings.Contains(rec, "演示：隐藏并说明理由") {
		t.Errorf("the moderation record reads %q", rec)
	}
	b.signIn("zhangsan")
	b.do(chromedp.Navigate(ts.URL+"/consultations/"+open), chromedp.WaitVisible(chromedp.CSS(`#`+id)))
	if got := b.text(`#` + id); !strings.Contains(got, "此意见因「与征求意见稿无关」已隐藏") || strings.Contains(got, "罚款标准") {
		t.Errorf("the hidden comment reads %q in public", got)
	}

	// The closed consultation shows its adoption report.
	b.do(chromedp.Navigate(ts.URL+"/consultations/"+closed), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	b.shot("consultation-report-mobile.png")
	report := b.text(`#report`)
	for _, want := range []string{"意见采纳情况", "明厨亮灶的方式和过渡期", "采纳"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report reads %q, want %q", report, want)
		}
	}
	if answers := b.text(`#comments`); !strings.Contains(answers, "部分采纳") || !strings.Contains(answers, "不予采纳") {
		t.Errorf("the comments do not show their answers: %q", answers)
	}
}
