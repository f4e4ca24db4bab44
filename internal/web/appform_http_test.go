package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// companyService is the demo's 有限责任公司设立登记: a number field
// (注册资本) and a table of shareholders (股东) whose 出资方式 is chosen
// from a list.
const companyService = "SCJG-003"

// newDraft creates a draft of the service as the holder of token and
// returns its ID.
func newDraft(t *testing.T, e *env, token, service string) string {
	t.Helper()
	rec := e.sendJSON("POST", "/api/v1/applications", token, `{"service_code":"`+service+`"}`)
	wantStatus(t, "create a draft of "+service, rec, http.StatusCreated)
	var a application.Application
	decodeResponse(t, rec, &a)
	return a.ID
}

// storedApp reads an application as the API answers it, with its form
// decoded.
func storedApp(t *testing.T, e *env, token, id string) (application.Application, map[string]any) {
	t.Helper()
	rec := e.get("/api/v1/applications/"+id, token)
	wantStatus(t, "GET application", rec, http.StatusOK)
	var a application.Application
	decodeResponse(t, rec, &a)
	var form map[string]any
	if err := json.Unmarshal(a.Form, &form); err != nil {
		t.Fatalf("stored form %s: %v", a.Form, err)
	}
	return a, form
}

// shownError returns the message shown under a form field of an
// application page ("" for none).
func shownError(page, field string) string {
	m := regexp.MustCompile(`<p class="field-error" id="f-` + regexp.QuoteMeta(field) + `-err">([^<]*)</p>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// TestFormNumberNotANumber types what strconv reads as a number but JSON
// has none for (NaN, infinities), and what does not parse at all, into
// the number fields of the application form: saving says so on that
// field alone, shows again all that was typed and leaves the draft as it
// was; submitting says so among the form's other mistakes, in the
// reader's language.
func TestFormNumberNotANumber(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	id := newDraft(t, e, zhang, companyService)
	typed := url.Values{"revision": {"1"}, "save": {"1"}, "f.公司名称": {"临江测试科技有限公司"}, "f.注册资本": {"100"},
		"f.股东.0.名称": {"张三"}, "f.股东.0.认缴出资额": {"50"}, "f.股东.0.出资方式": {"货币"}}
	wantStatus(t, "save the draft", e.postForm("/applications/"+id, zhang, typed), http.StatusSeeOther)
	saved, form := storedApp(t, e, zhang, id)
	if form["注册资本"] != 100.0 || form["公司名称"] != "临江测试科技有限公司" {
		t.Fatalf("saved form = %v", form)
	}
	typed.Set("revision", "2")

	for _, tc := range []struct{ field, input, value string }{
		{"f.注册资本", "注册资本", "NaN"},
		{"f.注册资本", "注册资本", "nan"},
		{"f.注册资本", "注册资本", "inf"},
		{"f.注册资本", "注册资本", "Infinity"},
		{"f.注册资本", "注册资本", "-Inf"},
		{"f.注册资本", "注册资本", "1e400"},
		{"f.注册资本", "注册资本", "0x1p4"},
		{"f.注册资本", "注册资本", "一百"},
		{"f.股东.0.认缴出资额", "股东", "NaN"},
	} {
		rec := e.postForm("/applications/"+id, zhang, with(typed, tc.field, tc.value))
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("saving %s=%s: %d, want 422", tc.field, tc.value, rec.Code)
			continue
		}
		page := html.UnescapeString(rec.Body.String())
		if got := shownError(page, tc.input); got != "请填写数字。" {
			t.Errorf("saving %s=%s: the field says %q, want 请填写数字。", tc.field, tc.value, got)
		}
		if n := strings.Count(page, `class="field-error" id="f-`); n != 1 {
			t.Errorf("saving %s=%s: %d fields marked, want that one", tc.field, tc.value, n)
		}
		for _, want := range []string{`name="` + tc.field + `" value="` + tc.value + `"`, `value="临江测试科技有限公司"`, `value="张三"`, `<option selected>货币</option>`} {
			if !strings.Contains(page, want) {
				t.Errorf("saving %s=%s: the page does not show again %s", tc.field, tc.value, want)
			}
		}
		if a, got := storedApp(t, e, zhang, id); a.Revision != saved.Revision || !reflect.DeepEqual(got, form) {
			t.Errorf("saving %s=%s changed the draft to %v (revision %d), want it as it was: %v", tc.field, tc.value, got, a.Revision, form)
		}
	}

	// In English, with one field to correct.
	rec := e.do("POST", "/applications/"+id, zhang, "application/x-www-form-urlencoded",
		strings.NewReader(with(typed, "f.注册资本", "NaN").Encode()), "Accept-Language", "en")
	wantStatus(t, "saving NaN in English", rec, http.StatusUnprocessableEntity)
	page := rec.Body.String()
	if got := shownError(page, "注册资本"); got != "Enter a number." {
		t.Errorf("in English the field says %q, want Enter a number.", got)
	}
	if !strings.Contains(page, "1 field needs attention; see the marked field.") {
		t.Error("in English the page does not say that 1 field needs attention")
	}

	// Submitting: the number is reported as such among the other
	// mistakes, and nothing typed counts as missing.
	sub := with(typed, "f.注册资本", "Infinity", "f.住所", "临江市滨江区江南大道 1 号")
	sub.Del("save")
	sub.Set("submit", "1")
	rec = e.do("POST", "/applications/"+id, zhang, "application/x-www-form-urlencoded", strings.NewReader(sub.Encode()), "Accept-Language", "en")
	wantStatus(t, "submitting Infinity", rec, http.StatusUnprocessableEntity)
	page = html.UnescapeString(rec.Body.String())
	if got := shownError(page, "注册资本"); got != "Enter a number." {
		t.Errorf("submitting, 注册资本 says %q, want Enter a number.", got)
	}
	for _, f := range []string{"公司名称", "住所", "股东"} {
		if got := shownError(page, f); got != "" {
			t.Errorf("submitting, %s (filled in) says %q", f, got)
		}
	}
	if got := shownError(page, "经营范围"); got != "This field is required." {
		t.Errorf("submitting, 经营范围 (left empty) says %q, want This field is required.", got)
	}
	for _, want := range []string{`value="Infinity"`, `value="临江测试科技有限公司"`, `value="临江市滨江区江南大道 1 号"`, `value="张三"`} {
		if !strings.Contains(page, want) {
			t.Errorf("submitting, the page does not show again %s", want)
		}
	}
	if a, got := storedApp(t, e, zhang, id); a.State != application.Draft || got["公司名称"] != "临江测试科技有限公司" || got["住所"] != "临江市滨江区江南大道 1 号" {
		t.Errorf("after the failed submission the draft is %s with %v, want a draft keeping what was typed", a.State, got)
	}

	// A whole number (the loan's term in years) is asked for as such.
	loan := newDraft(t, e, zhang, "GJJ-002")
	for _, v := range []string{"2.5", "NaN", "inf"} {
		rec := e.postForm("/applications/"+loan, zhang, url.Values{"revision": {"1"}, "save": {"1"}, "f.贷款期限": {v}, "f.贷款金额": {"60"}})
		if got := shownError(rec.Body.String(), "贷款期限"); rec.Code != http.StatusUnprocessableEntity || got != "请填写整数。" {
			t.Errorf("saving a term of %s: %d, the field says %q; want 422 and 请填写整数。", v, rec.Code, got)
		}
	}
}

// TestSupplementNumberNotANumber answers a supplement request for the
// registered capital with NaN: the answer is refused on that field, shown
// again, and the form keeps its value until a number comes.
func TestSupplementNumberNotANumber(t *testing.T) {
	e := sqliteEnv(t)
	zhang, clerk := e.session("zhangsan"), e.session("scjg-clerk")
	id := askSupplement(t, e, zhang, clerk, `[{"field":"注册资本","reason":"注册资本与章程不一致"}]`)

	rec := e.postForm("/applications/"+id+"/supplement", zhang, url.Values{"f.注册资本": {"NaN"}, "note": {"已更正"}})
	wantStatus(t, "answer NaN", rec, http.StatusUnprocessableEntity)
	page := rec.Body.String()
	if got := shownError(page, "注册资本"); got != "请填写数字。" {
		t.Errorf("answering NaN, the field says %q, want 请填写数字。", got)
	}
	if !strings.Contains(page, `name="f.注册资本" value="NaN"`) {
		t.Error("answering NaN, the page does not show it again")
	}
	if b, form := storedApp(t, e, zhang, id); b.State != application.Supplement || form["注册资本"] != 100.0 {
		t.Errorf("after answering NaN the application is %s with 注册资本 %v, want still waiting, with 100", b.State, form["注册资本"])
	}
	wantStatus(t, "answer 120", e.postForm("/applications/"+id+"/supplement", zhang, url.Values{"f.注册资本": {"120"}}), http.StatusSeeOther)
	if b, form := storedApp(t, e, zhang, id); b.State == application.Supplement || form["注册资本"] != 120.0 || form["公司名称"] != "临江测试科技有限公司" {
		t.Errorf("after answering 120 the application is %s with %v", b.State, form)
	}
}

// TestFormTableChoices: a column of a table chosen from a list is a list
// to choose from in every row, blank until chosen, and required columns
// are marked as required fields are; the choice comes back selected.
func TestFormTableChoices(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	id := newDraft(t, e, zhang, companyService)
	page := e.get("/applications/"+id, zhang).Body.String()
	choices := "请选择 货币 实物 知识产权 土地使用权 股权 债权"
	for i := range blankRows {
		sel := regexp.MustCompile(`(?s)<select name="f\.股东\.` + strconv.Itoa(i) + `\.出资方式">(.*?)</select>`).FindStringSubmatch(page)
		if sel == nil {
			t.Fatalf("row %d: 出资方式 is not a list to choose from", i)
		}
		if !strings.Contains(sel[1], `<option value="">请选择</option>`) {
			t.Errorf("row %d: 出资方式 has no empty choice: %s", i, sel[1])
		}
		if got := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(sel[1], " ")), " "); got != choices {
			t.Errorf("row %d: 出资方式 offers %q, want %q", i, got, choices)
		}
	}
	if strings.Contains(page, `<input name="f.股东.0.出资方式"`) {
		t.Error("出资方式 is still a text box")
	}
	// Each column is labelled in the schema's order, the required ones
	// marked.
	row := regexp.MustCompile(`(?s)<div class="row-fields" data-row>(.*?)</div>`).FindStringSubmatch(page)
	if row == nil {
		t.Fatal("no table row")
	}
	var labels []string
	for _, m := range regexp.MustCompile(`<label><span>([^<]*)(<abbr title="此项必填。">\*</abbr>)?</span>`).FindAllStringSubmatch(row[1], -1) {
		labels = append(labels, strings.TrimSpace(m[1])+map[bool]string{true: " *"}[m[2] != ""])
	}
	if want := []string{"股东姓名或名称 *", "认缴出资额（万元） *", "出资方式 *"}; !reflect.DeepEqual(labels, want) {
		t.Errorf("the row's columns read %q, want %q", labels, want)
	}

	form := url.Values{"revision": {"1"}, "save": {"1"}, "f.股东.0.名称": {"张三"}, "f.股东.0.认缴出资额": {"60"}, "f.股东.0.出资方式": {"实物"},
		"f.股东.1.名称": {"李四"}, "f.股东.1.认缴出资额": {"40"}, "f.股东.1.出资方式": {"货币"}}
	wantStatus(t, "save the shareholders", e.postForm("/applications/"+id, zhang, form), http.StatusSeeOther)
	page = e.get("/applications/"+id, zhang).Body.String()
	for _, want := range []string{`<select name="f.股东.0.出资方式">`, `<option selected>实物</option>`, `<select name="f.股东.1.出资方式">`, `<option selected>货币</option>`, `<select name="f.股东.3.出资方式">`} {
		if !strings.Contains(page, want) {
			t.Errorf("after saving, the page lacks %s", want)
		}
	}
}

// TestTaskPageYesNo: the clerk reads a yes/no answer as 是/否 (Yes/No),
// never as a raw true or false.
func TestTaskPageYesNo(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	approver := e.session("gjj-approver")
	task := housingLoanTask(t, e, approver)
	zh := e.get("/staff/tasks/"+task.ID, approver).Body.String()
	if !strings.Contains(zh, "<dt>配偶是否共同申请</dt><dd>否</dd>") {
		t.Error("the task page does not answer 配偶是否共同申请 with 否")
	}
	en := e.do("GET", "/staff/tasks/"+task.ID, approver, "", nil, "Accept-Language", "en").Body.String()
	if !strings.Contains(en, "<dt>配偶是否共同申请</dt><dd>No</dd>") {
		t.Error("in English the task page does not answer 配偶是否共同申请 with No")
	}
	for _, page := range []string{zh, en} {
		if strings.Contains(page, "<dd>false</dd>") || strings.Contains(page, "<dd>true</dd>") {
			t.Error("the task page shows a raw true or false")
		}
	}
}

// housingLoanTask finds the demo's housing loan (住房公积金个人住房贷款,
// where the spouse does not apply too) in the approver's queue.
func housingLoanTask(t *testing.T, e *env, approver string) application.Task {
	t.Helper()
	var queue listResponse[application.Task]
	decodeResponse(t, e.get("/api/v1/tasks", approver), &queue)
	for _, x := range queue.Items {
		if x.ServiceName == "住房公积金个人住房贷款" {
			return x
		}
	}
	t.Fatalf("no housing loan task for gjj-approver in %+v", queue.Items)
	return application.Task{}
}

// TestServiceNamesInEnglish: in English, the pages of applications and
// tasks name the service by its English name, as the guides do, where the
// service has one; in Chinese by the name the application keeps.
func TestServiceNamesInEnglish(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	approver, zhang := e.session("gjj-approver"), e.session("zhangsan")
	task := housingLoanTask(t, e, approver)
	en := func(path, token string) string {
		t.Helper()
		rec := e.do("GET", path, token, "", nil, "Accept-Language", "en")
		wantStatus(t, "GET "+path+" in English", rec, http.StatusOK)
		return rec.Body.String()
	}

	page := en("/staff/tasks/"+task.ID, approver)
	if !strings.Contains(page, "<dd>Housing Provident Fund Mortgage Loan (v1)</dd>") || strings.Contains(page, "住房公积金个人住房贷款") {
		t.Error("in English the task page does not name the service in English alone")
	}
	if !strings.Contains(page, "<title>Loan approval (two signatures) · "+task.Number) {
		t.Errorf("in English the task page's title is not the English step's: %s", regexp.MustCompile(`<title>[^<]*`).FindString(page))
	}
	if !strings.Contains(e.get("/staff/tasks/"+task.ID, approver).Body.String(), "<dd>住房公积金个人住房贷款 (v1)</dd>") {
		t.Error("in Chinese the task page does not name the service in Chinese")
	}
	queue := en("/staff/tasks", approver)
	if !strings.Contains(queue, `data-label="Service">Housing Provident Fund Mortgage Loan</td>`) || strings.Contains(queue, "住房公积金个人住房贷款") {
		t.Error("in English the work queue does not name the service in English")
	}
	if !strings.Contains(e.get("/staff/tasks", approver).Body.String(), `data-label="事项">住房公积金个人住房贷款</td>`) {
		t.Error("in Chinese the work queue does not name the service in Chinese")
	}

	list := en("/applications", zhang)
	if !strings.Contains(list, `data-label="Service">Housing Provident Fund Mortgage Loan</td>`) || strings.Contains(list, "住房公积金个人住房贷款") {
		t.Error("in English my applications do not name the service in English")
	}
	if han := regexp.MustCompile(`data-label="Service">[^<]*\p{Han}[^<]*`).FindString(list); han != "" {
		t.Errorf("in English my applications name a service in Chinese: %s", han)
	}
	if !strings.Contains(e.get("/applications", zhang).Body.String(), ">住房公积金个人住房贷款</td>") {
		t.Error("in Chinese my applications do not name the service in Chinese")
	}
	app := en("/applications/"+task.ApplicationID, zhang)
	if !strings.Contains(app, "<h1>Housing Provident Fund Mortgage Loan</h1>") || !strings.Contains(app, "<title>Housing Provident Fund Mortgage Loan") {
		t.Error("in English the application page does not name the service in English")
	}
	todo := regexp.MustCompile(`(?s)<section id="todo".*?</section>`).FindString(en("/", zhang))
	if !strings.Contains(todo, "<li") || regexp.MustCompile(`· [^<]*\p{Han}`).MatchString(todo) {
		t.Errorf("in English the home page's waiting list names a service in Chinese: %s", todo)
	}

	// A version published without an English name is named in Chinese.
	ctx := t.Context()
	acc, err := e.srv.Identity.AccountByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := e.srv.Identity.Principal(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := e.srv.Catalog.Entry(ctx, admin, applyService)
	if err != nil {
		t.Fatal(err)
	}
	svc := entry.Service
	svc.NameEn = ""
	if _, err := e.srv.Catalog.UpdateDraft(ctx, admin, applyService, svc); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Catalog.Publish(ctx, admin, applyService); err != nil {
		t.Fatal(err)
	}
	a := fileApplication(t, e, zhang)
	row := regexp.MustCompile(`(?s)>` + a.Number + `</a></td>\s*<td data-label="Service">([^<]*)</td>`).FindStringSubmatch(en("/applications", zhang))
	if row == nil || row[1] != svc.Name {
		t.Errorf("in English my applications name %s's service %v, want %s", a.Number, row, svc.Name)
	}
	if got := regexp.MustCompile(`<h1>[^<]*</h1>`).FindString(en("/applications/"+a.ID, zhang)); got != "<h1>"+svc.Name+"</h1>" {
		t.Errorf("in English %s's page is headed %s, want %s", a.Number, got, svc.Name)
	}
	row = regexp.MustCompile(`(?s)>` + a.Number + `</a></td>\s*<td data-label="Service">([^<]*)</td>`).FindStringSubmatch(en("/staff/tasks", e.session("scjg-clerk")))
	if row == nil || row[1] != svc.Name {
		t.Errorf("in English the work queue names %s's service %v, want %s", a.Number, row, svc.Name)
	}
}

// TestFormFullWidthDigits: digits typed in full width with a Chinese input
// method (１２０, ５０．５) are read as the numbers they are; they were
// refused as "not a number".
func TestFormFullWidthDigits(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	id := newDraft(t, e, zhang, companyService)
	typed := url.Values{"revision": {"1"}, "save": {"1"}, "f.公司名称": {"临江测试科技有限公司"}, "f.注册资本": {"１２０"},
		"f.股东.0.名称": {"张三"}, "f.股东.0.认缴出资额": {"５０．５"}, "f.股东.0.出资方式": {"货币"}}
	wantStatus(t, "save with full-width digits", e.postForm("/applications/"+id, zhang, typed), http.StatusSeeOther)
	_, form := storedApp(t, e, zhang, id)
	rows, _ := form["股东"].([]any)
	if form["注册资本"] != 120.0 || len(rows) != 1 || rows[0].(map[string]any)["认缴出资额"] != 50.5 {
		t.Errorf("saved form = %v, want 120 and 50.5", form)
	}
}
