package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// act has the holder of token take the open task of the step kind on the
// application numbered number with the decision body.
func act(t *testing.T, e *env, token, number, kind, body string) {
	t.Helper()
	var queue listResponse[application.Task]
	decodeResponse(t, e.get("/api/v1/tasks?q="+number, token), &queue)
	for _, tk := range queue.Items {
		if string(tk.Kind) == kind {
			wantStatus(t, kind, e.sendJSON("POST", "/api/v1/tasks/"+tk.ID+"/decision", token, body), http.StatusOK)
			return
		}
	}
	t.Fatalf("no open %s task on %s: %+v", kind, number, queue.Items)
}

// TestDenialToldAndLettered: a denial tells the applicant at once that
// it was not approved, and its letter reads as a decision not to
// license (决定不予许可), not "决定不予准予".
func TestDenialToldAndLettered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvOpts(t, d, envOptions{outbox: true})
		zhang := e.session("zhangsan")
		clerk, approver := e.session("scjg-clerk"), e.session("scjg-approver")
		id := newDraft(t, e, zhang, companyService)
		for _, m := range []string{"m1", "m2", "m3", "m4", "m5"} {
			wantStatus(t, "upload "+m, uploadMaterialAPI(e, zhang, id, m, m+".pdf", []byte(tinyPDF)), http.StatusCreated)
		}
		rec := e.sendJSON("POST", "/api/v1/applications/"+id+"/submit", zhang, `{"form":{"公司名称":"临江测试科技有限公司","住所":"临江市滨江区江南大道 1 号",
			"注册资本":100,"股东":[{"名称":"张三","认缴出资额":100,"出资方式":"货币"}],"经营范围":"软件开发","法定代表人":"张三"}}`)
		wantStatus(t, "submit", rec, http.StatusOK)
		var a application.Application
		decodeResponse(t, rec, &a)
		act(t, e, clerk, a.Number, "accept", `{"action":"accept"}`)
		act(t, e, approver, a.Number, "decide", `{"action":"deny","opinion":"名称与在先登记的企业名称近似","legal_basis":"《企业名称登记管理规定》第十七条"}`)

		// Told before the conclusion, in the reader's language.
		for _, tc := range []struct{ lang, subject, body string }{
			{"zh-CN", "办件已作出决定：不予批准", "您的办件 " + a.Number + "（"},
			{"en", "Decision made: not approved", "A decision has been made on your application " + a.Number + " ("},
		} {
			var got noticeList
			rec := e.do("GET", "/api/v1/notices", zhang, "", nil, "Accept-Language", tc.lang)
			matchesOpenAPI(t, rec, "NoticeList")
			decodeResponse(t, rec, &got)
			if len(got.Items) == 0 || got.Items[0].Kind != "application_denied" || got.Items[0].Subject != tc.subject ||
				!strings.HasPrefix(got.Items[0].Body, tc.body) || got.Items[0].Link != "/applications/"+id {
				t.Errorf("%s: after the denial the newest notice is %+v", tc.lang, got.Items)
			}
		}

		act(t, e, clerk, a.Number, "conclude", `{"action":"conclude"}`)
		page := e.get("/applications/"+id+"/letter", zhang)
		wantStatus(t, "letter", page, http.StatusOK)
		if body := page.Body.String(); !strings.Contains(body, "不符合法定条件、标准，决定不予行政许可。") || strings.Contains(body, "不予准予") {
			t.Errorf("the denial letter does not read 决定不予行政许可:\n%s", body)
		}
		en := e.do("GET", "/applications/"+id+"/letter", zhang, "", nil, "Accept-Language", "en").Body.String()
		if !strings.Contains(en, "does not meet the statutory conditions and standards: the license is refused.") {
			t.Errorf("the English denial letter:\n%s", en)
		}
	})
}

// TestLetterFitsTheService: a letter is titled and worded by the service's
// legal category (an administrative license, or any other matter), a
// denial tells the applicant how to challenge it (行政复议, 行政诉讼),
// and the letter reads in the reader's language, punctuation included.
// Every letter used to be a licensing letter, and an approval said only
// "决定准予。"; a refusal at intake had no written notice at all.
func TestLetterFitsTheService(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnvWith(t, d, true)
		for _, tc := range []struct {
			key, user string
			zh, en    []string
			denial    bool
		}{
			// 个体工商户设立登记, a licensing service, approved.
			{"sole-trader-approved", "zhangsan",
				[]string{"准予行政许可决定书", "符合法定条件、标准，决定准予行政许可。"},
				[]string{"Decision granting an administrative license", "meets the statutory conditions and standards: the license is granted.",
					"Linjiang Administration for Market Regulation", "“Registration of an Individual Business”"}, false},
			// Refused at intake: the written notice the law asks for.
			{"sole-trader-refused", "lisi",
				[]string{"临江市市场监督管理局<br>不予受理通知书", "不符合受理条件，决定不予受理。", "经营场所不在本市", "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
					"自收到本通知书之日起六十日内依法申请行政复议"},
				[]string{"Notice of refusal to accept the application", "does not meet the conditions for acceptance: it is not accepted.", "经营场所不在本市", "administrative reconsideration within sixty days"}, true},
			// 住房公积金提取, a public service, denied.
			{"fund-withdrawal-denied", "lisi",
				[]string{"不予办理决定书", "不符合规定条件，决定不予办理。", "可以自收到本决定书之日起六十日内依法申请行政复议", "六个月内依法向人民法院提起行政诉讼"},
				[]string{"Decision to deny", "does not meet the required conditions: it is denied.", "administrative reconsideration within sixty days", "administrative lawsuit",
					"Linjiang Housing Provident Fund Management Center", "“Housing Provident Fund Withdrawal”"}, true},
		} {
			target := "/applications/" + demoAppID(t, d, tc.key) + "/letter"
			tok := e.session(tc.user)
			for _, lang := range []struct {
				name string
				want []string
			}{{"zh-CN", tc.zh}, {"en", tc.en}} {
				rec := e.do("GET", target, tok, "", nil, "Accept-Language", lang.name)
				wantStatus(t, tc.key+" letter", rec, http.StatusOK)
				body := rec.Body.String()
				for _, w := range lang.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s letter in %s lacks %q", tc.key, lang.name, w)
					}
				}
				// The application is named by when it was filed and its
				// number: "于办件编号 X 提出的" put a number where the date goes.
				filed := map[string]*regexp.Regexp{"zh-CN": regexp.MustCompile(`你（单位）于\d{4}年\d{1,2}月\d{1,2}日提出的“[^”]+”申请（办件编号 [A-Z0-9]+），经审查，`),
					"en": regexp.MustCompile(`Your application [A-Z0-9]+ for “[^”]+”, filed on \d{1,2} [A-Z][a-z]+ \d{4}, was examined`)}[lang.name]
				if !filed.MatchString(body) {
					t.Errorf("%s letter in %s does not name the application by its filing date and number", tc.key, lang.name)
				}
				if has := strings.Contains(body, `id="remedy"`); has != tc.denial {
					t.Errorf("%s letter in %s tells of remedies: %v, want %v", tc.key, lang.name, has, tc.denial)
				}
				// The salutation's colon and the separator between
				// the legal bases are the page's, not Chinese ones.
				if lang.name == "en" && (strings.Contains(body, "：</p>") || strings.Contains(body, "》、《")) {
					t.Errorf("%s letter in English has Chinese punctuation:\n%s", tc.key, body)
				}
			}
		}
		// The refused application's page leads to its notice.
		if page := e.get("/applications/"+demoAppID(t, d, "sole-trader-refused"), e.session("lisi")).Body.String(); !strings.Contains(page, "查看不予受理通知书") {
			t.Errorf("the refused application's page does not lead to its notice")
		}
		// The API gives the letter's kind.
		var a application.Application
		decodeResponse(t, e.get("/api/v1/applications/"+demoAppID(t, d, "fund-withdrawal-denied"), e.session("lisi")), &a)
		if a.Letter == nil || a.Letter.Body.ServiceKind != "public_service" {
			t.Errorf("the API's letter of a public service: %+v", a.Letter)
		}
	})
}
