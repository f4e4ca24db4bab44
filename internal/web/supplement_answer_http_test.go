package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// askSupplement files a company application as zhangsan and has the
// clerk ask for items (a supplement request's items as JSON); it returns
// the application's ID.
func askSupplement(t *testing.T, e *env, zhang, clerk, items string) string {
	t.Helper()
	id := newDraft(t, e, zhang, companyService)
	for _, m := range []string{"m1", "m2", "m3", "m4", "m5"} {
		wantStatus(t, "upload "+m, uploadMaterialAPI(e, zhang, id, m, m+".pdf", []byte(tinyPDF)), http.StatusCreated)
	}
	rec := e.sendJSON("POST", "/api/v1/applications/"+id+"/submit", zhang, `{"form":{"公司名称":"临江测试科技有限公司","住所":"临江市滨江区江南大道 1 号",
		"注册资本":100,"股东":[{"名称":"张三","认缴出资额":100,"出资方式":"货币"}],"经营范围":"软件开发","法定代表人":"张三"}}`)
	wantStatus(t, "submit", rec, http.StatusOK)
	var a application.Application
	decodeResponse(t, rec, &a)
	var queue listResponse[application.Task]
	decodeResponse(t, e.get("/api/v1/tasks?q="+a.Number, clerk), &queue)
	if len(queue.Items) != 1 {
		t.Fatalf("the intake task of %s: %+v", a.Number, queue.Items)
	}
	wantStatus(t, "ask for "+items, e.sendJSON("POST", "/api/v1/tasks/"+queue.Items[0].ID+"/decision", clerk,
		`{"action":"supplement","items":`+items+`}`), http.StatusOK)
	return id
}

// TestSupplementAnswerTellsEverythingAtOnce: an answer with the asked-for
// material missing, the asked-for field emptied and a note too long is
// told all three at once, next to each, in the reader's language, and
// the note typed is still there.
func TestSupplementAnswerTellsEverythingAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		zhang, clerk := e.session("zhangsan"), e.session("scjg-clerk")
		id := askSupplement(t, e, zhang, clerk, `[{"material":"m1","reason":"复印件不清晰"},{"field":"住所","reason":"住所与证明不一致"}]`)
		note := strings.Repeat("说", 1001)
		for _, tc := range []struct{ lang, material, field, note string }{
			{"zh-CN", "请上传此项材料。", "此项必填。", "最多 1000 字。"},
			{"en", "Please upload this material.", "This field is required.", "At most 1000 characters."},
		} {
			form := url.Values{"f.住所": {""}, "note": {note}}
			rec := e.do("POST", "/applications/"+id+"/supplement", zhang, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), "Accept-Language", tc.lang)
			wantStatus(t, tc.lang+": answer with nothing right", rec, http.StatusUnprocessableEntity)
			page := rec.Body.String()
			if got := shownError(page, "住所"); got != tc.field {
				t.Errorf("%s: 住所 says %q, want %q", tc.lang, got, tc.field)
			}
			if got := materialError(page, "m1"); got != tc.material {
				t.Errorf("%s: material m1 says %q, want %q", tc.lang, got, tc.material)
			}
			got := regexp.MustCompile(`<p class="field-error" id="note-err">([^<]*)</p>`).FindStringSubmatch(page)
			if got == nil || got[1] != tc.note {
				t.Errorf("%s: the note says %v, want %q", tc.lang, got, tc.note)
			}
			if !strings.Contains(page, `aria-describedby="note-err">`+note+`</textarea>`) {
				t.Errorf("%s: the note typed is not shown again", tc.lang)
			}
		}
		if b, form := storedApp(t, e, zhang, id); b.State != application.Supplement || form["住所"] != "临江市滨江区江南大道 1 号" {
			t.Errorf("after the failed answers the application is %s with 住所 %v, want still waiting, unchanged", b.State, form["住所"])
		}

		// A wrong field alone, the note kept too.
		wantStatus(t, "upload m1 again", uploadMaterialAPI(e, zhang, id, "m1", "m1.pdf", []byte(tinyPDF)), http.StatusCreated)
		rec := e.postForm("/applications/"+id+"/supplement", zhang, url.Values{"f.住所": {""}, "note": {"已重新扫描"}})
		wantStatus(t, "answer with 住所 empty", rec, http.StatusUnprocessableEntity)
		page := rec.Body.String()
		if !strings.Contains(page, `<textarea id="note" name="note" rows="2">已重新扫描</textarea>`) {
			t.Error("after a wrong field the note typed is not shown again")
		}
		wantStatus(t, "answer right", e.postForm("/applications/"+id+"/supplement", zhang, url.Values{"f.住所": {"临江市滨江区江南大道 2 号"}, "note": {"已重新扫描"}}), http.StatusSeeOther)
		if b, form := storedApp(t, e, zhang, id); b.State == application.Supplement || form["住所"] != "临江市滨江区江南大道 2 号" {
			t.Errorf("after the right answer the application is %s with 住所 %v", b.State, form["住所"])
		}
	})
}

// materialError returns the error shown on the material requirement code
// of an application page, or "".
func materialError(page, code string) string {
	at := strings.Index(page, `<input type="hidden" name="requirement" value="`+code+`">`)
	if at < 0 {
		return ""
	}
	start := strings.LastIndex(page[:at], `<div class="material`)
	if start < 0 {
		return ""
	}
	// The first line may be the supplement request's reason; the error
	// comes after it.
	ms := regexp.MustCompile(`<p class="field-error">([^<]*)</p>`).FindAllStringSubmatch(page[start:at], -1)
	if len(ms) == 0 || strings.HasPrefix(ms[len(ms)-1][1], "需补正") || strings.HasPrefix(ms[len(ms)-1][1], "To supplement") {
		return ""
	}
	return ms[len(ms)-1][1]
}
