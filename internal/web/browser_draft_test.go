package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDraftKeepsTyped works on a company draft on a phone: what is
// typed into the form survives an upload and the removal of a file (the
// page used to reload with the draft as last saved); a number that does
// not parse stops the upload and is shown on its field with everything
// typed; a refused submission opens with the summary of its errors on the
// first screen, focused; and discarding asks first.
func TestBrowserDraftKeepsTyped(t *testing.T) {
	e := sqliteEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))
	pdf := filepath.Join(t.TempDir(), "章程.pdf")
	b.must(os.WriteFile(pdf, []byte(tinyPDF), 0o644))
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
		b.must(err)
		return v
	}
	value := func(sel string) string {
		t.Helper()
		return eval(`document.querySelector(` + "`" + sel + "`" + `).value`)
	}

	b.signIn("zhangsan")
	b.do(chromedp.Navigate(ts.URL+"/services/"+companyService), chromedp.WaitVisible(chromedp.CSS(`section.apply button`)),
		chromedp.Click(chromedp.CSS(`section.apply button`)), chromedp.WaitVisible(chromedp.CSS(`#f-公司名称`)))
	if got := eval(`String((document.querySelector(".save-first-hint") || {}).hidden)`); got != "true" {
		t.Error("with the script, the page still says to save before uploading")
	}

	// Typed, not saved, then a file uploaded.
	b.do(
		chromedp.SetValue(chromedp.CSS(`#f-公司名称`), "临江云帆科技有限公司"),
		chromedp.SetValue(chromedp.CSS(`#f-住所`), "临江市滨江区江南大道 1 号"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-m2`), []string{pdf}),
		chromedp.Click(chromedp.CSS(`#file-m2 ~ button`)),
		chromedp.WaitVisible(chromedp.CSS(`div.material:has(#file-m2) a[href*="/materials/"]`)),
	)
	if got := value(`#f-公司名称`) + " | " + value(`#f-住所`); got != "临江云帆科技有限公司 | 临江市滨江区江南大道 1 号" {
		t.Errorf("after the upload the form shows %q, want what was typed", got)
	}
	if got := b.text(`p.flash`); got != "材料已上传。" && !strings.Contains(got, "上传") {
		t.Errorf("after the upload the page says %q", got)
	}

	// Typed, then the file removed.
	b.do(
		chromedp.SetValue(chromedp.CSS(`#f-经营范围`), "软件开发"),
		chromedp.Click(chromedp.CSS(`div.material:has(#file-m2) form[action$="/delete"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`div.material:has(#file-m2) a[href*="/materials/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-经营范围`)),
	)
	if got := value(`#f-经营范围`) + " | " + value(`#f-公司名称`); got != "软件开发 | 临江云帆科技有限公司" {
		t.Errorf("after removing the file the form shows %q, want what was typed", got)
	}

	// A capital that is no number: the upload waits, the field says why,
	// and all typed is still there.
	b.do(
		chromedp.SetValue(chromedp.CSS(`#f-注册资本`), "一百"),
		chromedp.SetValue(chromedp.CSS(`#f-公司名称`), "临江云帆智能科技有限公司"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-m3`), []string{pdf}),
		chromedp.Click(chromedp.CSS(`#file-m3 ~ button`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-注册资本-err`)),
	)
	if got := value(`#f-注册资本`) + " | " + value(`#f-公司名称`) + " | " + value(`#f-经营范围`); got != "一百 | 临江云帆智能科技有限公司 | 软件开发" {
		t.Errorf("after the refused save the form shows %q, want what was typed", got)
	}

	// Submitted with fields and materials missing: the summary is on
	// the first screen and has the focus.
	b.do(
		chromedp.SetValue(chromedp.CSS(`#f-注册资本`), "100"),
		chromedp.Click(chromedp.CSS(`button[name="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#app-errors a[href="#material-m2"]`)),
	)
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	b.must(err)
	b.must(os.WriteFile(filepath.Join(b.dir, "app-submit-errors-first-screen-mobile.png"), shot, 0o644))
	if got := eval(`(() => { const r = document.querySelector("#app-errors").getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight / 2 ? "seen" : "at " + r.top; })()`); got != "seen" {
		t.Errorf("after the refused submission the summary is %s, want on the first screen", got)
	}
	if got := eval(`document.activeElement.id`); got != "app-errors" {
		t.Errorf("after the refused submission the focus is on %q, want the summary", got)
	}
	if got := b.text(`#app-errors p`); !strings.Contains(got, "处需要修改") {
		t.Errorf("the summary says %q", got)
	}
	// Its links lead to the fields.
	b.do(chromedp.Click(chromedp.CSS(`#app-errors a[href^="#f-"]`)))
	if got := eval(`(() => { const id = decodeURIComponent(location.hash.slice(1)); const r = document.getElementById(id).getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight ? "seen" : id + " at " + r.top; })()`); got != "seen" {
		t.Errorf("the summary's first field link leaves the field at %s", got)
	}

	// Discarding asks first; keeping goes back to the draft.
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/discard"] button`)), chromedp.WaitVisible(chromedp.CSS(`#discard-confirm`)))
	b.shot("app-discard-confirm-mobile.png")
	b.do(chromedp.Click(chromedp.CSS(`#discard-confirm a`)), chromedp.WaitVisible(chromedp.CSS(`#f-公司名称`)))
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/discard"] button`)), chromedp.WaitVisible(chromedp.CSS(`#discard-confirm`)),
		chromedp.Click(chromedp.CSS(`#discard-confirm button`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if got := eval(`location.pathname`); got != "/applications" {
		t.Errorf("after discarding, at %s", got)
	}
}
