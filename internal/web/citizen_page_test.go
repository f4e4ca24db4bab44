package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/i18n"
)

// companyTyped is a complete form of companyService as the draft's page
// posts it.
func companyTyped() url.Values {
	return url.Values{"revision": {"1"}, "f.公司名称": {"临江测试科技有限公司"}, "f.住所": {"临江市滨江区江南大道 1 号"}, "f.注册资本": {"100"},
		"f.股东.0.名称": {"张三"}, "f.股东.0.认缴出资额": {"100"}, "f.股东.0.出资方式": {"货币"}, "f.经营范围": {"软件开发"}, "f.法定代表人": {"张三"}}
}

// fileCompanyOnPage fills in and submits a company draft on its page, as
// the applicant's browser would, and returns its ID and the form posted.
func fileCompanyOnPage(t *testing.T, e *env, zhang string) (string, url.Values) {
	t.Helper()
	id := newDraft(t, e, zhang, companyService)
	for _, m := range []string{"m1", "m2", "m3", "m4", "m5"} {
		wantStatus(t, "upload "+m, uploadMaterialAPI(e, zhang, id, m, m+".pdf", []byte(tinyPDF)), http.StatusCreated)
	}
	sub := with(companyTyped(), "submit", "1")
	wantStatus(t, "submit on the page", e.postForm("/applications/"+id, zhang, sub), http.StatusSeeOther)
	return id, sub
}

// summaryOf returns the error summary at the top of an application page,
// and where it starts ("" and -1 for none).
func summaryOf(page string) (string, int) {
	i := strings.Index(page, `id="app-errors"`)
	if i < 0 {
		return "", -1
	}
	end := strings.Index(page[i:], "</div>")
	return html.UnescapeString(page[i : i+end]), i
}

// TestApplicationPostAfterSubmit: the draft's form posted again once the
// application is filed (from a second tab, or the back button) with a
// change is refused with a 409 whose page says, at its top, that it was
// submitted already and the change was not saved; it used to answer with
// a redirect as if it had been taken. The same form submitted twice is a
// retry and still gets the submission's answer.
func TestApplicationPostAfterSubmit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		zhang := e.session("zhangsan")
		id, sub := fileCompanyOnPage(t, e, zhang)
		filed, form := storedApp(t, e, zhang, id)
		wantStatus(t, "the same submission again", e.postForm("/applications/"+id, zhang, sub), http.StatusSeeOther)
		for _, tc := range []struct{ what, lang, want string }{
			{"submit", "zh-CN", i18n.T(i18n.ZH, "already_filed_not_saved", filed.Number)},
			{"save", "zh-CN", i18n.T(i18n.ZH, "already_filed_not_saved", filed.Number)},
			{"submit", "en", i18n.T(i18n.EN, "already_filed_not_saved", filed.Number)},
		} {
			post := with(sub, "f.公司名称", "临江另一家科技有限公司")
			post.Del("submit")
			post.Set(tc.what, "1")
			rec := e.do("POST", "/applications/"+id, zhang, "application/x-www-form-urlencoded", strings.NewReader(post.Encode()), "Accept-Language", tc.lang)
			wantStatus(t, tc.what+" a change after submitting ("+tc.lang+")", rec, http.StatusConflict)
			page := rec.Body.String()
			summary, at := summaryOf(page)
			if !strings.Contains(summary, tc.want) || at > strings.Index(page, `<dl class="facts">`) {
				t.Errorf("%s (%s): the top of the page says %q, want %q above the facts", tc.what, tc.lang, summary, tc.want)
			}
			if a, got := storedApp(t, e, zhang, id); got["公司名称"] != form["公司名称"] || a.Revision != filed.Revision {
				t.Errorf("%s (%s) changed the filed application: %v", tc.what, tc.lang, got)
			}
		}
	})
}

// TestApplicationErrorSummaryFirst: a refused submission says how many
// fields need attention at the top of the page, above the facts and the
// materials, each linked to its field; it used to say so only at the top
// of the form, below every material.
func TestApplicationErrorSummaryFirst(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	id := newDraft(t, e, zhang, companyService)
	rec := e.postForm("/applications/"+id, zhang, url.Values{"revision": {"1"}, "submit": {"1"}, "f.公司名称": {"临江测试科技有限公司"}})
	wantStatus(t, "submit half a form", rec, http.StatusUnprocessableEntity)
	page := html.UnescapeString(rec.Body.String())
	summary, at := summaryOf(page)
	summary, _ = url.PathUnescape(summary)
	if at < 0 || at > strings.Index(page, `<dl class="facts">`) || at > strings.Index(page, `id="materials"`) {
		t.Fatalf("the summary is not at the top of the page (at %d): %s", at, page)
	}
	marked := strings.Count(page, `<p class="field-error" id="f-`) + strings.Count(page, `<p class="field-error">`)
	if !strings.Contains(summary, i18n.T(i18n.ZH, "form_has_errors", marked)) || !strings.Contains(summary, `tabindex="-1"`) {
		t.Errorf("the summary says %q, want %d fields", summary, marked)
	}
	// In the page's order: the materials, then the form.
	last := -1
	for _, want := range []string{`<a href="#material-m2">公司章程：`, `<a href="#f-住所">住所：`, `<a href="#f-经营范围">经营范围：`} {
		i := strings.Index(summary, want)
		if i < last {
			t.Errorf("the summary lacks %s, or not in the page's order: %s", want, summary)
		}
		last = i
	}
	if strings.Contains(summary, "公司名称") {
		t.Error("the summary lists a field filled in")
	}
}

// TestDraftSaveConflict: two tabs save the same draft from the same
// revision. The second is told, at the top and on no field, that the
// draft was saved elsewhere meanwhile and what it typed is kept; it used
// to be told to reload, which throws away what was typed. Its page carries
// the latest revision, so saving it again replaces the other tab's save.
func TestDraftSaveConflict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		zhang := e.session("zhangsan")
		id := newDraft(t, e, zhang, companyService)
		first := with(companyTyped(), "save", "1", "f.公司名称", "第一个窗口的公司")
		wantStatus(t, "the first tab saves", e.postForm("/applications/"+id, zhang, first), http.StatusSeeOther)
		second := with(companyTyped(), "save", "1", "f.公司名称", "第二个窗口的公司")
		rec := e.postForm("/applications/"+id, zhang, second)
		wantStatus(t, "the second tab saves from the same revision", rec, http.StatusConflict)
		page := html.UnescapeString(rec.Body.String())
		summary, at := summaryOf(page)
		if !strings.Contains(summary, i18n.T(i18n.ZH, "draft_saved_elsewhere")) || at < 0 || at > strings.Index(page, `id="materials"`) {
			t.Errorf("the top of the page says %q, want that the draft was saved elsewhere", summary)
		}
		for _, bad := range []string{"处需要修改", "刷新", `class="field-error"`} {
			if strings.Contains(page, bad) {
				t.Errorf("the page after the conflict shows %q", bad)
			}
		}
		if !strings.Contains(page, `value="第二个窗口的公司"`) {
			t.Error("the page after the conflict lost what the second tab typed")
		}
		// The form says it holds text not saved, so an upload saves it
		// first even if nothing more is typed.
		if !strings.Contains(page, `id="app-form" data-unsaved`) {
			t.Error("the form shown after the conflict does not say it holds unsaved text")
		}
		if fresh := e.get("/applications/"+id, zhang).Body.String(); strings.Contains(fresh, "data-unsaved") {
			t.Error("the draft as saved is marked as holding unsaved text")
		}
		latest, _ := storedApp(t, e, zhang, id)
		m := regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(page)
		if m == nil || m[1] != "2" || latest.Revision != 2 {
			t.Fatalf("the page carries revision %v, the draft is at %d: want both 2", m, latest.Revision)
		}
		second.Set("revision", m[1])
		wantStatus(t, "the second tab saves again", e.postForm("/applications/"+id, zhang, second), http.StatusSeeOther)
		if _, got := storedApp(t, e, zhang, id); got["公司名称"] != "第二个窗口的公司" {
			t.Errorf("after saving again the draft holds %v, want the second tab's", got["公司名称"])
		}
	})
}

// TestWithdrawReasonTooLongOnPage: a reason over 500 characters is refused
// beside the reason, which keeps what was typed; the page used to show no
// error and lose the text.
func TestWithdrawReasonTooLongOnPage(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	zhang := e.session("zhangsan")
	a := fileApplication(t, e, zhang)
	reason := strings.Repeat("因", 501)
	rec := e.postForm("/applications/"+a.ID+"/withdraw", zhang, url.Values{"reason": {reason}})
	wantStatus(t, "withdraw with a long reason", rec, http.StatusUnprocessableEntity)
	page := html.UnescapeString(rec.Body.String())
	if !strings.Contains(page, `<p class="field-error" id="reason-err">`+i18n.T(i18n.ZH, "text_too_long", 500)+`</p>`) || !strings.Contains(page, `aria-describedby="reason-err"`) {
		t.Errorf("the reason shows no error: %s", page)
	}
	if !strings.Contains(page, ">"+reason+"</textarea>") {
		t.Error("the reason typed is lost")
	}
	if summary, _ := summaryOf(page); !strings.Contains(summary, `href="#reason"`) {
		t.Errorf("the summary at the top does not lead to the reason: %q", summary)
	}
	if b, _ := storedApp(t, e, zhang, a.ID); b.State != application.Submitted {
		t.Errorf("the application is %s, want still submitted", b.State)
	}
}

// TestApplicationShowsFiledForm: once submitted, the applicant's own page
// shows the form as filed, to read (it used to show none of it), and no
// form to edit.
func TestApplicationShowsFiledForm(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	id, _ := fileCompanyOnPage(t, e, zhang)
	page := html.UnescapeString(e.get("/applications/"+id, zhang).Body.String())
	i := strings.Index(page, `<dl class="form-values">`)
	if i < 0 {
		t.Fatalf("the submitted application's page shows no form values: %s", page)
	}
	values := page[i : i+strings.Index(page[i:], "</dl>")]
	for _, want := range []string{"<dt>公司名称</dt><dd>临江测试科技有限公司</dd>", "临江市滨江区江南大道 1 号", "<dd>100</dd>", "名称: 张三", "出资方式: 货币", "软件开发"} {
		if !strings.Contains(values, want) {
			t.Errorf("the filed form does not show %q: %s", want, values)
		}
	}
	if strings.Contains(page, `id="app-form"`) || strings.Contains(page, `name="f.公司名称"`) {
		t.Error("the submitted application's page still offers the form to edit")
	}
}

// TestDraftDiscardAsksFirst: the page's "discard this draft" asks first,
// on a page that works without a script, and only its confirmation
// deletes the draft; it used to delete it and its uploads at one tap. The
// API's DELETE is as it was.
func TestDraftDiscardAsksFirst(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	id := newDraft(t, e, zhang, companyService)
	wantStatus(t, "upload m1", uploadMaterialAPI(e, zhang, id, "m1", "m1.pdf", []byte(tinyPDF)), http.StatusCreated)
	if page := e.get("/applications/"+id, zhang).Body.String(); !strings.Contains(page, `action="/applications/`+id+`/discard"`) {
		t.Fatal("the draft's page offers no discard")
	}
	rec := e.postForm("/applications/"+id+"/discard", zhang, url.Values{})
	wantStatus(t, "discard without confirming", rec, http.StatusOK)
	page := html.UnescapeString(rec.Body.String())
	for _, want := range []string{"确定放弃此草稿？", "已上传的 1 个文件", `name="confirm" value="1"`, `href="/applications/` + id + `#form"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the confirmation page lacks %q: %s", want, page)
		}
	}
	if a, _ := storedApp(t, e, zhang, id); a.State != application.Draft {
		t.Fatalf("asking deleted the draft: %s", a.State)
	}
	rec = e.postForm("/applications/"+id+"/discard", zhang, url.Values{"confirm": {"1"}})
	wantStatus(t, "discard, confirmed", rec, http.StatusSeeOther)
	wantStatus(t, "the discarded draft", e.get("/api/v1/applications/"+id, zhang), http.StatusNotFound)

	// Not a draft: nothing to ask about.
	filed, _ := fileCompanyOnPage(t, e, zhang)
	wantStatus(t, "discard a filed application", e.postForm("/applications/"+filed+"/discard", zhang, url.Values{}), http.StatusConflict)

	api := newDraft(t, e, zhang, companyService)
	wantStatus(t, "DELETE through the API", e.do("DELETE", "/api/v1/applications/"+api, zhang, "", nil), http.StatusNoContent)
	wantStatus(t, "the draft deleted through the API", e.get("/api/v1/applications/"+api, zhang), http.StatusNotFound)
}

// TestDraftPageSaysSaveFirst: without a script, which saves what was typed
// before an upload or a removal, the draft's page says to save first; the
// forms the script watches are marked for it.
func TestDraftPageSaysSaveFirst(t *testing.T) {
	e := sqliteEnv(t)
	zhang := e.session("zhangsan")
	id := newDraft(t, e, zhang, companyService)
	page := html.UnescapeString(e.get("/applications/"+id, zhang).Body.String())
	if !strings.Contains(page, i18n.T(i18n.ZH, "upload_save_first")) || !strings.Contains(page, `id="app-form"`) {
		t.Error("the draft's page does not say to save before uploading")
	}
	if n := strings.Count(page, `enctype="multipart/form-data" class="upload" data-save-first`); n == 0 {
		t.Error("no upload form is marked to save the draft first")
	}
}
