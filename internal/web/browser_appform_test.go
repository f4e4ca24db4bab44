package web

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestBrowserApplicationForm fills in 有限责任公司设立登记 on a phone: the
// shareholders' 出资方式 is chosen from a list in every row, a row added
// by the script starts blank, a NaN typed as the registered capital is
// refused on that field with everything typed still there, and the saved
// draft keeps every row. Then the same pages, and the staff's, in English.
func TestBrowserApplicationForm(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	b := &browserUser{t: t, ctx: newBrowser(t, 390, 844), base: ts.URL, dir: artifactDir(t)}
	b.do(chromedp.EmulateViewport(390, 844))
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
		b.must(err)
		return v
	}
	strs := func(js string) []string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](js))
		b.must(err)
		return v
	}
	fits := func(what string) {
		t.Helper()
		if w := eval(`String(document.documentElement.scrollWidth - window.innerWidth)`); w != "0" && !strings.HasPrefix(w, "-") {
			t.Errorf("%s scrolls sideways by %spx on a phone", what, w)
		}
	}
	// rows reads the shareholder rows: name, amount, way of each.
	rows := func() [][]string {
		t.Helper()
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#f-股东 [data-row]")].map((r, i) =>
			["名称", "认缴出资额", "出资方式"].map(c => { const el = r.querySelector('[name="f.股东.' + i + '.' + c + '"]'); return el ? el.value : "missing"; }))`))
		b.must(err)
		return v
	}

	b.signIn("zhangsan")
	b.do(chromedp.Navigate(ts.URL+"/services/"+companyService), chromedp.WaitVisible(chromedp.CSS(`section.apply button`)),
		chromedp.Click(chromedp.CSS(`section.apply button`)), chromedp.WaitVisible(chromedp.CSS(`#f-股东`)))
	if got := strs(`[...document.querySelector("#f-股东 [data-row]").querySelectorAll("label > span")].map(s => s.textContent.trim())`); !reflect.DeepEqual(got, []string{"股东姓名或名称 *", "认缴出资额（万元） *", "出资方式 *"}) {
		t.Errorf("a shareholder row's columns read %q, want each marked required, in the schema's order", got)
	}
	if got := strs(`[...document.querySelectorAll('select[name="f.股东.0.出资方式"] option')].map(o => o.textContent)`); !reflect.DeepEqual(got, []string{"请选择", "货币", "实物", "知识产权", "土地使用权", "股权", "债权"}) {
		t.Errorf("出资方式 offers %q", got)
	}
	b.do(
		chromedp.SetValue(chromedp.CSS(`#f-公司名称`), "临江云帆科技有限公司"),
		chromedp.SetValue(chromedp.CSS(`#f-注册资本`), "NaN"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.0.名称"]`), "张三"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.0.认缴出资额"]`), "60"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.0.出资方式"]`), "货币"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.1.名称"]`), "李四"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.1.认缴出资额"]`), "30"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.1.出资方式"]`), "实物"),
	)
	// The script adds a third row, blank though the last one chose 实物.
	b.do(chromedp.Click(chromedp.CSS(`#f-股东 button[data-add-row]`)), chromedp.WaitVisible(chromedp.CSS(`[name="f.股东.2.出资方式"]`)))
	if got := rows(); !reflect.DeepEqual(got, [][]string{{"张三", "60", "货币"}, {"李四", "30", "实物"}, {"", "", ""}}) {
		t.Errorf("after adding a row the rows are %q, want the new one blank", got)
	}
	b.do(
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.2.名称"]`), "王五"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.2.认缴出资额"]`), "10"),
		chromedp.SetValue(chromedp.CSS(`[name="f.股东.2.出资方式"]`), "知识产权"),
	)
	b.shot("appform-rows-mobile.png")
	fits("the draft form")

	// Saving with NaN as the capital: said on that field, nothing lost.
	b.do(chromedp.Click(chromedp.CSS(`button[name="save"]`)), chromedp.WaitVisible(chromedp.CSS(`#f-注册资本-err`)))
	b.do(chromedp.ScrollIntoView(chromedp.CSS(`#f-注册资本`)))
	b.shot("appform-number-error-mobile.png")
	if got := b.text(`#f-注册资本-err`); got != "请填写数字。" {
		t.Errorf("the capital says %q, want 请填写数字。", got)
	}
	if n := eval(`String(document.querySelectorAll("#form .field-error").length)`); n != "1" {
		t.Errorf("%s fields marked, want the capital alone", n)
	}
	if got := eval(`document.querySelector("#f-注册资本").value + " " + document.querySelector("#f-公司名称").value`); got != "NaN 临江云帆科技有限公司" {
		t.Errorf("after the refused save the form shows %q", got)
	}
	if got := rows()[:3]; !reflect.DeepEqual(got, [][]string{{"张三", "60", "货币"}, {"李四", "30", "实物"}, {"王五", "10", "知识产权"}}) {
		t.Errorf("after the refused save the rows are %q", got)
	}
	b.do(chromedp.SetValue(chromedp.CSS(`#f-注册资本`), "100"), chromedp.Click(chromedp.CSS(`button[name="save"]`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	draft := eval(`location.pathname`)
	if got := rows(); len(got) != 5 || !reflect.DeepEqual(got[:3], [][]string{{"张三", "60", "货币"}, {"李四", "30", "实物"}, {"王五", "10", "知识产权"}}) {
		t.Errorf("the saved draft's rows are %q, want the three and two blank", got)
	}

	// In English: the service by its English name, the choices and
	// markers as in Chinese.
	b.do(chromedp.Navigate(ts.URL+"/lang/en?next="+draft), chromedp.WaitVisible(chromedp.CSS(`#f-股东`)))
	if got := b.text(`main h1`); got != "Incorporation of a Limited Liability Company" {
		t.Errorf("in English the draft is headed %q", got)
	}
	b.shot("appform-en-mobile.png")
	b.do(chromedp.Navigate(ts.URL+"/applications"), chromedp.WaitVisible(chromedp.CSS(`table.cards`)))
	b.shot("applications-en-mobile.png")
	if got := strs(`[...document.querySelectorAll('td[data-label="Service"]')].map(td => td.textContent).filter(s => /\p{Script=Han}/u.test(s))`); len(got) > 0 {
		t.Errorf("in English my applications name services in Chinese: %q", got)
	}
	fits("my applications in English")
	b.do(chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#todo`)))
	b.do(chromedp.ScrollIntoView(chromedp.CSS(`#todo`)))
	b.shot("home-todo-en-mobile.png")
	if got := strs(`[...document.querySelectorAll("#todo li a")].map(a => a.textContent).filter(s => /\p{Script=Han}/u.test(s))`); len(got) > 0 {
		t.Errorf("in English the waiting list names services in Chinese: %q", got)
	}

	// The approver of the housing loan, in English.
	b.signIn("gjj-approver")
	b.do(chromedp.Navigate(ts.URL+"/lang/en?next=/staff/tasks"), chromedp.WaitVisible(chromedp.CSS(`table.cards`)))
	b.shot("queue-en-mobile.png")
	fits("the work queue in English")
	if got := b.text(`table.cards td[data-label="Service"]`); got != "Housing Provident Fund Mortgage Loan" {
		t.Errorf("in English the queue names the service %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`table.cards a`)), chromedp.WaitVisible(chromedp.CSS(`dl.form-values`)))
	b.do(chromedp.ScrollIntoView(chromedp.CSS(`dl.form-values`)))
	b.shot("task-en-mobile.png")
	fits("the task page in English")
	if got := b.text(`dl.form-values div:last-child`); got != "配偶是否共同申请\nNo" && got != "配偶是否共同申请 No" {
		t.Errorf("in English the task page answers %q, want No", got)
	}
}
