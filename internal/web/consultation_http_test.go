package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/consultation"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
)

// demoConsultations returns the IDs of the demo's open and closed
// consultations.
func demoConsultations(t *testing.T, e *env) (open, closed string) {
	t.Helper()
	list, err := e.srv.Consultations.List(context.Background(), nil, consultation.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		switch c.Title {
		case demo.OpenConsultationTitle:
			open = c.ID
		case demo.ClosedConsultationTitle:
			closed = c.ID
		}
	}
	if open == "" || closed == "" {
		t.Fatalf("demo consultations missing: %+v", list)
	}
	return open, closed
}

// TestConsultationPublicPages reads the demo consultations without
// signing in: the sections, masked names, a hidden comment replaced by
// its reason, the closed one's report and statistics.
func TestConsultationPublicPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		open, closed := demoConsultations(t, e)
		list := e.get("/consultations", "").Body.String()
		if !strings.Contains(list, demo.OpenConsultationTitle) || !strings.Contains(list, demo.ClosedConsultationTitle) {
			t.Errorf("the list lacks a demo consultation")
		}
		rec := e.get("/consultations/"+open, "")
		body := rec.Body.String()
		if rec.Code != 200 {
			t.Fatalf("GET open consultation = %d", rec.Code)
		}
		for _, want := range []string{"第 2 条", "分类标准", "此意见因「辱骂或人身攻击」已隐藏", "张*", "登录后提交意见", "/consultations/policy", "居住区实行定时定点投放"} {
			if !strings.Contains(body, want) {
				t.Errorf("open consultation page lacks %q", want)
			}
		}
		for _, leak := range []string{"饭桶", "含针对起草人员", "张三", "李四", "13800000001", "33990019900307123"} {
			if strings.Contains(body, leak) {
				t.Errorf("open consultation page shows %q to the public", leak)
			}
		}
		body = e.get("/consultations/"+closed, "").Body.String()
		for _, want := range []string{"意见采纳情况", "明厨亮灶的方式和过渡期", "部分采纳", "不予采纳", "80.0%", "已于"} {
			if !strings.Contains(body, want) {
				t.Errorf("closed consultation page lacks %q", want)
			}
		}
		var st consultation.Stats
		rec = e.get("/api/v1/consultations/"+closed+"/stats", "")
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Comments != 5 || st.Adopted != 3 || st.Partly != 1 || st.NotAdopted != 1 ||
			st.AdoptionRate == nil || *st.AdoptionRate != 80 {
			t.Errorf("closed stats = %s", rec.Body)
		}
		if rec := e.get("/consultations/policy", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "不得辱骂") {
			t.Errorf("policy page = %d", rec.Code)
		}
		// The author sees their own hidden comment and why.
		own := e.get("/consultations/"+open, e.session("lisi")).Body.String()
		if !strings.Contains(own, "饭桶") || !strings.Contains(own, "含针对起草人员") || !strings.Contains(own, "我的意见") {
			t.Error("the author does not see their hidden comment with the note")
		}
		if other := e.get("/consultations/"+open, e.session("zhangsan")).Body.String(); strings.Contains(other, "饭桶") {
			t.Error("another citizen sees the hidden text")
		}
	})
}

// TestConsultationComment comments through the form and the API: text
// stored as written and shown escaped, the passage checked against its
// section, messages in the user's language, nothing after the period.
func TestConsultationComment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		open, closed := demoConsultations(t, e)
		citizen := e.session("zhangsan")
		rec := e.postForm("/consultations/"+open+"/comments", citizen, url.Values{"section": {"2"}, "passage": {"这句话不在原文里"}, "text": {"意见"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "第 2 条中没有这段文字") || !strings.Contains(rec.Body.String(), "这句话不在原文里") {
			t.Errorf("a passage not in the section = %d", rec.Code)
		}
		text := `=HYPERLINK("http://evil") <script>alert(1)</script>`
		rec = e.postForm("/consultations/"+open+"/comments", citizen, url.Values{"section": {"2"}, "passage": {"可回收物、有害垃圾"}, "text": {text}})
		if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "#c-") {
			t.Fatalf("commenting = %d %s", rec.Code, rec.Body)
		}
		body := e.get("/consultations/"+open, "").Body.String()
		if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Error("the comment is not shown escaped")
		}
		// The API, in English.
		rec = e.do("POST", "/api/v1/consultations/"+closed+"/comments", citizen, "application/json", strings.NewReader(`{"text":"late"}`), "Accept-Language", "en")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "consultation_comments_closed") || !strings.Contains(rec.Body.String(), "no more comments are accepted") {
			t.Errorf("a comment after the period = %d %s", rec.Code, rec.Body)
		}
		rec = e.sendJSON("POST", "/api/v1/consultations/"+open+"/comments", citizen, `{"section":0,"text":"`+strings.Repeat("长", 2001)+`"}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"text"`) {
			t.Errorf("a comment of 2,001 characters = %d %s", rec.Code, rec.Body)
		}
		rec = e.sendJSON("POST", "/api/v1/consultations/"+open+"/comments", e.session("wangwu"), `{"section":1,"passage":"改善人居环境","text":"API 意见"}`)
		var cm consultation.Comment
		if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &cm) != nil || cm.Author != "王*" || cm.Section != 1 {
			t.Errorf("an API comment = %d %s", rec.Code, rec.Body)
		}

		// The export: BOM, masked names, hidden without text, guarded cells.
		rec = e.get("/api/v1/consultations/"+open+"/comments.csv", "")
		raw := rec.Body.String()
		if rec.Code != 200 || !strings.HasPrefix(raw, "\ufeff") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV = %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+7 || rows[0][0] != "序号" {
			t.Fatalf("CSV has %d rows: %v", len(rows), rows[0])
		}
		var sawHidden, sawGuard bool
		for _, r := range rows[1:] {
			if r[6] == "已隐藏" {
				sawHidden = true
				if r[5] != "" || r[7] != "辱骂或人身攻击" {
					t.Errorf("hidden row = %q", r)
				}
			}
			if strings.Contains(r[5], "HYPERLINK") {
				sawGuard = true
				if !strings.HasPrefix(r[5], "'=") {
					t.Errorf("formula not guarded: %q", r[5])
				}
			}
			if strings.Contains(strings.Join(r, ","), "张三") {
				t.Errorf("CSV row has a full name: %q", r)
			}
		}
		if !sawHidden || !sawGuard {
			t.Errorf("CSV rows: hidden %v, guarded %v", sawHidden, sawGuard)
		}
		if strings.Contains(raw, "饭桶") {
			t.Error("the CSV carries a hidden comment's text")
		}
	})
}

// TestConsultationDepartmentWork drafts, publishes and moderates as a
// department admin; another department's admin gets 404.
func TestConsultationDepartmentWork(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		open, _ := demoConsultations(t, e)
		zj, scjg := e.session("zj-admin"), e.session("scjg-admin")
		form := url.Values{"title": {"临江市养犬管理规定（征求意见稿）"}, "summary": {"规范养犬。"}, "opens_on": {"2020-01-01"}, "closes_on": {"2099-12-31"},
			"sections.0.heading": {"总则"}, "sections.0.body": {"为了规范养犬行为，制定本规定。"}, "sections.1.heading": {""}, "sections.1.body": {""},
			"sections.2.heading": {"附则"}, "sections.2.body": {""}}
		rec := e.postForm("/staff/consultations", zj, form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "此项必填") {
			t.Fatalf("a section without text = %d", rec.Code)
		}
		form.Set("sections.2.body", "本规定自公布之日起施行。")
		rec = e.postForm("/staff/consultations", zj, form)
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/staff/consultations/") {
			t.Fatalf("create = %d %s", rec.Code, rec.Body)
		}
		id := strings.TrimPrefix(loc, "/staff/consultations/")
		if rec := e.get("/consultations/"+id, ""); rec.Code != http.StatusNotFound {
			t.Errorf("a draft is public: %d", rec.Code)
		}
		if rec := e.get(loc, scjg); rec.Code != http.StatusNotFound {
			t.Errorf("another department opens the draft: %d", rec.Code)
		}
		if rec := e.postForm(loc+"/publish", zj, nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("publish = %d %s", rec.Code, rec.Body)
		}
		var c consultation.Consultation
		rec = e.get("/api/v1/consultations/"+id, "")
		if json.Unmarshal(rec.Body.Bytes(), &c) != nil || len(c.Sections) != 2 || c.Sections[1].Heading != "附则" || c.Phase != consultation.Open {
			t.Errorf("published = %s", rec.Body)
		}
		rec = e.sendJSON("PUT", "/api/v1/consultations/"+id, zj, `{"title":"改","summary":"s","opens_on":"2020-01-01","closes_on":"2099-12-31","sections":[{"heading":"h","body":"b"}]}`)
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "consultation_frozen") {
			t.Errorf("editing a published consultation = %d %s", rec.Code, rec.Body)
		}

		// Two comments, then the period ends (moved back in the
		// database: publishing needs a period that has not ended).
		var ids []string
		for _, u := range []string{"zhangsan", "lisi", "wangwu"} {
			rec := e.sendJSON("POST", "/api/v1/consultations/"+id+"/comments", e.session(u), `{"section":1,"text":"`+u+` 的意见"}`)
			var cm consultation.Comment
			if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &cm) != nil {
				t.Fatalf("comment = %d %s", rec.Code, rec.Body)
			}
			ids = append(ids, cm.ID)
		}
		if _, err := d.Write().Exec(`UPDATE consultations SET opens_on = '2020-01-01', closes_on = '2020-01-31' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		staffPage := e.get(loc, zj)
		if staffPage.Code != 200 || !strings.Contains(staffPage.Body.String(), "归并所选意见") || !strings.Contains(staffPage.Body.String(), "发布采纳情况") {
			t.Fatalf("the closed consultation's department page = %d", staffPage.Code)
		}
		if rec := e.postForm(loc+"/groups", zj, url.Values{"title": {"同一问题"}, "comments": {ids[0]}}); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "归并至少选择两条意见") {
			t.Errorf("a group of one = %d", rec.Code)
		}
		if rec := e.postForm(loc+"/groups", zj, url.Values{"title": {"同一问题"}, "comments": {ids[0], ids[1]}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("group = %d %s", rec.Code, rec.Body)
		}
		got, _ := e.srv.Consultations.Get(context.Background(), e.srvPrincipal(t, "zj-admin"), id)
		if len(got.Groups) != 1 {
			t.Fatalf("groups = %+v", got.Groups)
		}
		if rec := e.postForm(loc+"/report", zj, url.Values{"summary": {"总结"}}); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "还有 3 条意见未答复") {
			t.Errorf("report with unanswered comments = %d", rec.Code)
		}
		if rec := e.postForm(loc+"/answers", zj, url.Values{"group_id": {got.Groups[0].ID}, "verdict": {"adopted"}, "reason": {"采纳理由"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("answer group = %d %s", rec.Code, rec.Body)
		}
		if rec := e.postForm(loc+"/answers", zj, url.Values{"comment_id": {ids[2]}, "verdict": {""}, "reason": {""}}); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请选择采纳、部分采纳或不予采纳") {
			t.Errorf("an answer without a verdict = %d", rec.Code)
		}
		if rec := e.sendJSON("POST", "/api/v1/consultations/"+id+"/answers", zj, `{"comment_id":"`+ids[2]+`","verdict":"not_adopted","reason":"不采纳理由"}`); rec.Code != 200 {
			t.Fatalf("API answer = %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(e.get("/consultations/"+id, "").Body.String(), "不采纳理由") {
			t.Error("an answer is public before the report")
		}
		if rec := e.postForm(loc+"/report", zj, url.Values{"summary": {"共 3 条，采纳 2 条。"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("report = %d %s", rec.Code, rec.Body)
		}
		own := e.get("/consultations/"+id, e.session("wangwu")).Body.String()
		if !strings.Contains(own, "意见采纳情况") || !strings.Contains(own, "不采纳理由") || !strings.Contains(own, "我的意见") {
			t.Error("the commenter does not see the answer to their comment")
		}
		if rec := e.sendJSON("POST", "/api/v1/consultations/"+id+"/answers", zj, `{"comment_id":"`+ids[2]+`","verdict":"adopted","reason":"改"}`); rec.Code != http.StatusConflict {
			t.Errorf("answering after the report = %d", rec.Code)
		}

		// Moderation of the demo's open consultation.
		comments, err := e.srv.Consultations.Comments(context.Background(), nil, open)
		if err != nil {
			t.Fatal(err)
		}
		target := comments[0]
		hide := "/staff/consultations/" + open + "/comments/" + target.ID + "/hide"
		if rec := e.postForm(hide, scjg, url.Values{"reason": {"off_topic"}}); rec.Code != http.StatusNotFound {
			t.Errorf("another department hides a comment: %d", rec.Code)
		}
		if rec := e.postForm(hide, zj, url.Values{"reason": {""}}); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请从意见发布规则中选择隐藏原因") {
			t.Errorf("hiding without a reason = %d", rec.Code)
		}
		if rec := e.postForm(hide, zj, url.Values{"reason": {"duplicate"}, "note": {"与另一条重复"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("hide = %d %s", rec.Code, rec.Body)
		}
		if body := e.get("/consultations/"+open, "").Body.String(); !strings.Contains(body, "此意见因「重复提交」已隐藏") {
			t.Error("the public page does not show the hidden comment's reason")
		}
		rec = e.sendJSON("POST", "/api/v1/consultations/"+open+"/comments/"+target.ID+"/unhide", zj, `{"note":"不重复，恢复"}`)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"hidden":false`) {
			t.Errorf("unhide = %d %s", rec.Code, rec.Body)
		}
		rec = e.get("/api/v1/consultations/"+open+"/moderations", zj)
		var mods listResponse[consultation.Moderation]
		if json.Unmarshal(rec.Body.Bytes(), &mods) != nil || mods.Count != 3 || mods.Items[2].Action != "unhide" {
			t.Errorf("moderations = %s", rec.Body)
		}
		if body := e.get("/staff/consultations/"+open, zj).Body.String(); !strings.Contains(body, "审核记录") || !strings.Contains(body, "不重复，恢复") {
			t.Error("the department's page lacks the moderation record")
		}
	})
}

// srvPrincipal returns the principal of a demo username.
func (e *env) srvPrincipal(t *testing.T, username string) *identity.Principal {
	t.Helper()
	a, err := e.srv.Identity.AccountByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.srv.Identity.Principal(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
