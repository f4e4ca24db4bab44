package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// browserUser drives one browser tab on a phone-sized screen through the
// pages, signing in and out as the demo people.
type browserUser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

func (b *browserUser) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

func (b *browserUser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.must(chromedp.Do(b.ctx, actions...))
}

func (b *browserUser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	b.must(err)
	return v
}

func (b *browserUser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	b.must(err)
	b.must(os.WriteFile(filepath.Join(b.dir, name), png, 0o644))
}

// signIn signs out whoever is signed in, then signs in as username.
func (b *browserUser) signIn(username string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(`footer`)))
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action="/logout"]').length`)); n > 0 {
		b.do(inMenu(`form[action="/logout"] button`), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	}
	b.do(
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), username),
		chromedp.SendKeys(chromedp.CSS(`#password`), demo.Password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)),
	)
}

// queueLink returns the link of the open task of the application with the
// tracking number in the signed-in staff member's queue, or "".
func (b *browserUser) queueLink(number string) string {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+"/staff/tasks"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`([...document.querySelectorAll('table.cards a')].find(a => a.textContent.trim() === %q) || {}).pathname || ""`, number)))
	b.must(err)
	return href
}

// decide opens the task of the application in the queue and records the
// action with an opinion.
func (b *browserUser) decide(number, action, opinion, shot string) {
	b.t.Helper()
	href := b.queueLink(number)
	if href == "" {
		b.t.Fatalf("%s is not in the queue", number)
	}
	b.do(
		chromedp.Navigate(b.base+href),
		chromedp.WaitVisible(chromedp.CSS(`#decide`)),
		chromedp.Click(chromedp.CSS(`#decide input[name="action"][value="`+action+`"]`)),
	)
	if opinion != "" {
		b.do(chromedp.SendKeys(chromedp.CSS(`#opinion`), opinion))
	}
	if shot != "" {
		b.shot(shot)
	}
	b.do(chromedp.Click(chromedp.CSS(`#decide button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
}

// TestBrowserJointApproval walks a building permit (建筑工程施工许可, a joint
// approval of housing and construction with fire and rescue) from
// application to decision letter on a phone-sized screen, over the demo
// city with its demo applications: the business's agent applies with
// uploads; intake asks for a supplement; the agent answers it; intake
// accepts; both departments review at the same time; the approver
// approves, intake concludes, and the agent reads the letter. It runs on
// both databases (the screenshots of the PostgreSQL run go to postgres/).
func TestBrowserJointApproval(t *testing.T) {
	dbtest.Each(t, browserJointApproval)
}

func browserJointApproval(t *testing.T, d *db.DB) {
	e := newEnvWith(t, d, true)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	dir := artifactDir(t)
	if d.Dialect == db.Postgres {
		dir = filepath.Join(dir, "postgres")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: dir}
	files := t.TempDir()
	pdf, png := filepath.Join(files, "申请表.pdf"), filepath.Join(files, "扫描件.png")
	b.must(os.WriteFile(pdf, []byte(demo.TinyPDF), 0o644))
	b.must(os.WriteFile(png, demo.TinyPNG(), 0o644))
	b.do(chromedp.EmulateViewport(390, 844))

	// The agent of 临江市味道餐饮有限公司 applies for the building permit.
	b.signIn("wangwu")
	b.do(chromedp.Navigate(ts.URL+"/services/ZJ-001"), chromedp.WaitVisible(chromedp.CSS(`section.apply button`)))
	b.shot("app-guide-mobile.png")
	if got := b.text(`section.apply`); !strings.Contains(got, "临江市味道餐饮有限公司") {
		t.Errorf("apply section = %q, want the business to apply for", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`section.apply button`)), chromedp.WaitVisible(chromedp.CSS(`#file-m1`)))
	appURL, err := chromedp.Run(b.ctx, chromedp.Location())
	b.must(err)
	if !strings.Contains(appURL, "/applications/") {
		t.Fatalf("after applying, at %s, want the draft's page", appURL)
	}
	// The file pickers speak the page's language, whatever the browser's,
	// and name the file chosen.
	if got := b.text(`#file-m1 + label.file-pick`); got != "选择文件\n未选择文件" {
		t.Errorf("m1's file picker reads %q, want 选择文件 and 未选择文件", got)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#file-m1`), []string{pdf}))
	if got := b.text(`#file-m1 + label .file-pick-chosen`); got != "申请表.pdf" {
		t.Errorf("with a file chosen, m1's picker reads %q, want 申请表.pdf", got)
	}
	b.shot("app-file-chosen-mobile.png")
	// A file dropped on the picker goes to the input, as on the browser's.
	dropped, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(function () {
		var dt = new DataTransfer();
		dt.items.add(new File(["%PDF-1.4"], "拖入的申请表.pdf", {type: "application/pdf"}));
		document.querySelector("#file-m2 + label").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return document.querySelector("#file-m2").files[0].name;
	})()`))
	b.must(err)
	if got := b.text(`#file-m2 + label .file-pick-chosen`); dropped != "拖入的申请表.pdf" || got != dropped {
		t.Errorf("after a drop, m2's input holds %q and its picker reads %q, want the dropped file", dropped, got)
	}
	for i, m := range []string{"m1", "m2", "m3", "m4", "m5", "m6"} {
		file := pdf
		if i%2 == 1 {
			file = png
		}
		b.do(
			chromedp.SetUploadFiles(chromedp.CSS(`#file-`+m), []string{file}),
			chromedp.Click(chromedp.CSS(`#file-`+m+` ~ button`)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#materials div.material:nth-of-type(%d) a[href*="/materials/"]`, i+1))),
		)
	}
	for _, f := range []struct{ id, value string }{
		{"项目名称", "味道餐饮中央厨房建设项目"},
		{"项目代码", "2026-339900-47-01-123456"},
		{"建设地址", "临江市滨江区江南大道 88 号"},
		{"建筑面积", "3200"},
		{"合同价格", "1850"},
		{"结构类型", "框架结构"},
		{"施工单位名称", "临江市第一建筑工程有限公司"},
		{"施工单位统一社会信用代码", "91339900MA2H7K3P1X"},
		{"计划开工日期", "2027-03-01"},
	} {
		b.do(chromedp.SetValue(chromedp.CSS(`#f-`+f.id), f.value))
	}
	b.shot("app-draft-mobile.png")
	b.do(chromedp.Click(chromedp.CSS(`button[name="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`dl.facts strong`)))
	number := b.text(`dl.facts strong`)
	b.shot("app-submitted-mobile.png")
	if !regexp.MustCompile(`^ZJ[0-9]{13}$`).MatchString(number) {
		t.Fatalf("tracking number = %q, want ZJ, the date and a sequence", number)
	}
	if got := b.text(`dl.facts`); !strings.Contains(got, "待受理") {
		t.Errorf("after submitting, facts = %q, want 待受理", got)
	}

	// Intake asks for a clearer construction contract.
	b.signIn("zj-clerk")
	href := b.queueLink(number)
	if href == "" {
		t.Fatalf("%s is not in the intake queue", number)
	}
	b.do(
		chromedp.Navigate(ts.URL+href),
		chromedp.WaitVisible(chromedp.CSS(`#decide`)),
		chromedp.Click(chromedp.CSS(`#decide input[name="action"][value="supplement"]`)),
		chromedp.SetValue(chromedp.CSS(`select[name="item.0.what"]`), "m:m3"),
		chromedp.SendKeys(chromedp.CSS(`input[name="item.0.reason"]`), "施工合同缺少盖章页"),
	)
	b.shot("app-task-supplement-mobile.png")
	b.do(chromedp.Click(chromedp.CSS(`#decide button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))

	// The agent sees the request and that the clock stopped, uploads the
	// contract again and sends the answer.
	b.signIn("wangwu")
	b.do(chromedp.Navigate(appURL), chromedp.WaitVisible(chromedp.CSS(`#supplement`)))
	b.shot("app-supplement-mobile.png")
	if got := b.text(`#supplement`); !strings.Contains(got, "施工合同缺少盖章页") {
		t.Errorf("supplement request = %q, want the clerk's reason", got)
	}
	if got := b.text(`dl.facts`); !strings.Contains(got, "补正期间暂停计时") || !strings.Contains(got, "待补正") {
		t.Errorf("while waiting, facts = %q, want 待补正 and the clock stopped", got)
	}
	if got := b.text(`#steps`); !strings.Contains(got, "补正期间暂停计时") {
		t.Errorf("while waiting, steps = %q, want the clock stopped", got)
	}
	b.do(
		chromedp.SetUploadFiles(chromedp.CSS(`#file-m3`), []string{pdf}),
		chromedp.Click(chromedp.CSS(`#file-m3 ~ button`)),
		chromedp.WaitVisible(chromedp.CSS(`#materials div.material:nth-of-type(3) li:nth-child(2) a`)),
		chromedp.SendKeys(chromedp.CSS(`#note`), "已补充盖章页"),
		chromedp.Click(chromedp.CSS(`form[action$="/supplement"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#supplement`)),
	)
	b.shot("app-supplement-answered-mobile.png")
	if got := b.text(`dl.facts`); strings.Contains(got, "补正期间暂停计时") || !strings.Contains(got, "待受理") {
		t.Errorf("after answering, facts = %q, want 待受理 and no stopped clock", got)
	}
	if got := b.text(`#steps`); strings.Contains(got, "补正期间暂停计时") || !regexp.MustCompile(`20[0-9]{2}-[0-9]{2}-[0-9]{2}`).MatchString(got) {
		t.Errorf("after answering, steps = %q, want a deadline again", got)
	}

	// Intake accepts; both departments find their review at the same time.
	b.signIn("zj-clerk")
	b.decide(number, "accept", "", "")
	b.signIn("xf-reviewer")
	if b.queueLink(number) == "" {
		t.Fatalf("%s is not in the fire review queue after acceptance", number)
	}
	b.shot("app-queue-xf-mobile.png")
	b.signIn("zj-approver")
	if b.queueLink(number) == "" {
		t.Fatalf("%s is not in the construction review queue while the fire review is open", number)
	}
	b.shot("app-queue-zj-mobile.png")
	b.decide(number, "pass", "施工图审查合格，资金已落实。", "app-task-review-mobile.png")
	b.signIn("xf-reviewer")
	b.decide(number, "pass", "消防设计符合规范要求。", "")
	b.signIn("zj-approver")
	b.decide(number, "approve", "符合施工许可条件，准予许可。", "")
	b.signIn("zj-clerk")
	b.decide(number, "conclude", "", "")

	// The agent sees the application concluded and reads the letter.
	b.signIn("wangwu")
	b.do(chromedp.Navigate(appURL), chromedp.WaitVisible(chromedp.CSS(`#timeline`)))
	b.shot("app-concluded-mobile.png")
	if got := b.text(`dl.facts`); !strings.Contains(got, "已办结") || !strings.Contains(got, "准予") {
		t.Errorf("concluded facts = %q, want 已办结 · 准予", got)
	}
	// Each step's line in the timeline says by when it was due.
	opened := 0
	for _, line := range strings.Split(b.text(`#timeline`), "\n") {
		if !strings.Contains(line, "环节开始") {
			continue
		}
		opened++
		if !regexp.MustCompile(`办理期限 20[0-9]{2}-[0-9]{2}-[0-9]{2}`).MatchString(line) {
			t.Errorf("timeline line %q does not give the step's deadline", line)
		}
	}
	if opened < 5 {
		t.Errorf("the timeline shows %d steps opening, want intake, two reviews, decision and conclusion", opened)
	}
	b.do(chromedp.Click(chromedp.CSS(`a[href$="/letter"]`)), chromedp.WaitVisible(chromedp.CSS(`article.letter`)))
	b.shot("app-letter-mobile.png")
	if got := b.text(`article.letter`); !strings.Contains(got, number) || !strings.Contains(got, "临江市味道餐饮有限公司") {
		t.Errorf("letter = %q, want the tracking number and the applicant", got)
	}
}
