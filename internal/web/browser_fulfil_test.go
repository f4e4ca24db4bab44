package web

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// TestBrowserRestaurant is the restaurant scenario on a phone: wangwu
// applies for 食品经营许可 for his company with a license library that holds
// the company's business license and his ID card. The page tells him
// which materials need no upload and why, the form starts with the
// company's name and credit code, read only; he uploads the two plans and
// files. The market regulator's clerk sees where each material came from.
func TestBrowserRestaurant(t *testing.T) {
	r := newRestaurant(t, dbtest.SQLite(t))
	ts := httptest.NewServer(r.e.srv)
	defer ts.Close()
	r.e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	pdf := filepath.Join(t.TempDir(), "布局图.pdf")
	b.must(os.WriteFile(pdf, []byte(demo.TinyPDF), 0o644))
	b.do(chromedp.EmulateViewport(390, 844))

	b.signIn("wangwu")
	b.do(
		chromedp.Navigate(ts.URL+"/services/SCJG-001"),
		chromedp.WaitVisible(chromedp.CSS(`section.apply button`)),
		chromedp.SetValue(chromedp.CSS(`#organization_id`), r.orgID),
		chromedp.Click(chromedp.CSS(`section.apply button`)),
		chromedp.WaitVisible(chromedp.CSS(`#file-m4`)),
	)
	b.shot("fulfil-draft-mobile.png")
	if got := b.text(`#materials`); strings.Count(got, "无需上传：已从电子证照库调取") != 3 || !strings.Contains(got, "3 项材料无需上传") {
		t.Errorf("materials = %q, want three taken from licenses and the summary", got)
	}
	name, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById('f-经营者名称').value + '|' + document.getElementById('f-经营者名称').readOnly`))
	b.must(err)
	if name != r.orgName+"|true" {
		t.Errorf("经营者名称 = %q, want the company's name, read only", name)
	}
	for i, m := range []string{"m4", "m5"} {
		b.do(
			chromedp.SetUploadFiles(chromedp.CSS(`#file-`+m), []string{pdf}),
			chromedp.Click(chromedp.CSS(`#file-`+m+` ~ button`)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#materials div.material:nth-of-type(%d) a[href*="/materials/"]`, i+4))),
		)
	}
	for _, f := range []struct{ id, value string }{
		{"经营场所地址", "临江市滨江区江南大道 88 号一层"},
		{"经营面积", "45"},
		{"主体业态", "餐饮服务经营者"},
		{"食品安全管理人员", "赵敏"},
	} {
		b.do(chromedp.SetValue(chromedp.CSS(`#f-`+f.id), f.value))
	}
	b.do(chromedp.Click(chromedp.CSS(`input[name="f.经营项目"][value="热食类食品制售"]`)))
	b.do(chromedp.Click(chromedp.CSS(`button[name="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`dl.facts strong`)))
	number := b.text(`dl.facts strong`)
	if !regexp.MustCompile(`^SCJG[0-9]{13}$`).MatchString(number) {
		t.Fatalf("tracking number = %q", number)
	}
	b.shot("fulfil-submitted-mobile.png")
	if got := b.text(`#materials`); strings.Count(got, "无需上传") != 4 {
		t.Errorf("filed materials = %q, want m1 to m3 and m6 marked as needing no upload", got)
	}

	b.signIn("scjg-clerk")
	href := b.queueLink(number)
	if href == "" {
		t.Fatalf("%s is not in the intake queue", number)
	}
	b.do(chromedp.Navigate(ts.URL+href), chromedp.WaitVisible(chromedp.CSS(`#decide`)))
	b.shot("fulfil-task-mobile.png")
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('a.verify-license').length`)); n != 3 {
		t.Errorf("%d license verification links on the task page, want 3", n)
	}

	// The supervisor's report counts the two required uploads avoided.
	b.signIn("jiancha")
	b.do(chromedp.Navigate(ts.URL+"/supervision/avoided-uploads"), chromedp.WaitVisible(chromedp.CSS(`#avoided-total`)))
	b.shot("fulfil-avoided-mobile.png")
	if got := b.text(`#avoided-total`); got != "2" {
		t.Errorf("uploads avoided = %q, want 2", got)
	}
}
