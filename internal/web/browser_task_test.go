package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/i18n"
)

// TestBrowserSupplementRowsComeBack: in Chromium, a supplement request
// with a row missing its reason, one missing what it is about and a blank
// row between them comes back with every row as typed and each error
// under its own row, in Chinese and in English. Before, every row came
// back blank and the errors stood under the wrong row or nowhere.
func TestBrowserSupplementRowsComeBack(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))
	b.signIn("scjg-clerk")
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		id := intakeTask(t, e)
		if lang == i18n.EN {
			b.do(chromedp.Navigate(ts.URL + "/lang/en"))
		}
		b.do(
			chromedp.Navigate(ts.URL+"/staff/tasks/"+id),
			chromedp.WaitVisible(chromedp.CSS(`#decide`)),
			chromedp.Click(chromedp.CSS(`#decide input[name="action"][value="supplement"]`)),
			chromedp.SetValue(chromedp.CSS(`select[name="item.0.what"]`), "m:m1"),
			chromedp.SetValue(chromedp.CSS(`select[name="item.2.what"]`), "m:m3"),
			chromedp.SendKeys(chromedp.CSS(`input[name="item.2.reason"]`), "副本缺页"),
			chromedp.SendKeys(chromedp.CSS(`input[name="item.3.reason"]`), "照片模糊"),
			chromedp.Click(chromedp.CSS(`#decide button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#decide .field-error`)),
		)
		b.shot("task-supplement-errors-" + string(lang) + ".png")
		row := func(i int) (what, reason, errs string) {
			v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
				const r = document.querySelectorAll('#decide .row-fields')[`+itoa(i)+`];
				return [r.querySelector('select').value, r.querySelector('input').value,
					[...r.querySelectorAll('.field-error')].map(p => p.textContent).join('|')];
			})()`))
			b.must(err)
			return v[0], v[1], v[2]
		}
		for i, w := range []struct{ what, reason, err string }{
			{"m:m1", "", i18n.T(lang, "supplement_reason_required")},
			{"", "", ""},
			{"m:m3", "副本缺页", ""},
			{"", "照片模糊", i18n.T(lang, "supplement_item_empty")},
		} {
			what, reason, errs := row(i)
			if what != w.what || reason != w.reason || errs != w.err {
				t.Errorf("%s: row %d came back %q %q with errors %q; want %q %q %q", lang, i, what, reason, errs, w.what, w.reason, w.err)
			}
		}
		top, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector('#task-errors') || {}).textContent || ""`))
		b.must(err)
		if got := top; !strings.Contains(got, i18n.T(lang, "form_has_errors", 2)) {
			t.Errorf("%s: the summary at the top reads %q", lang, got)
		}
	}
}
