package consultation_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/consultation"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/org"
)

var shanghai = time.FixedZone("CST", 8*3600)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(s string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type fixture struct {
	db    *db.DB
	store *consultation.Store
	clock *clock
	p     map[string]*identity.Principal
}

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: d, clock: &clock{}, p: map[string]*identity.Principal{}}
	f.clock.set("2026-10-12 09:00")
	orgs := org.NewStore(d)
	ids := identity.NewStore(d, f.clock.now)
	err := d.Tx(ctx, func(tx *db.Tx) error {
		if err := orgs.PutDivision(ctx, tx, org.Division{Code: "339900", Name: "临江市", Level: "city"}); err != nil {
			return err
		}
		for _, dp := range []org.Department{{Code: "ZJ", Name: "住建局", DivisionCode: "339900"}, {Code: "SCJG", Name: "市场监督管理局", DivisionCode: "339900"}} {
			if err := orgs.PutDepartment(ctx, tx, dp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		user, name, dept string
		kind             identity.Kind
		role             identity.Role
		id               string
	}{
		{"zj-admin", "何管理", "ZJ", identity.KindStaff, identity.DeptAdmin, ""},
		{"zj-clerk", "谢受理", "ZJ", identity.KindStaff, identity.Clerk, ""},
		{"scjg-admin", "陈管理", "SCJG", identity.KindStaff, identity.DeptAdmin, ""},
		{"admin", "平台", "", identity.KindStaff, identity.PlatformAdmin, ""},
		{"zhang", "张三", "", identity.KindPerson, identity.Citizen, "110105199003071239"},
		{"ouyang", "欧阳娜娜", "", identity.KindPerson, identity.Citizen, "110105198805124561"},
	} {
		acct := identity.Account{Kind: s.kind, Username: s.user, Name: s.name, DepartmentCode: s.dept}
		if s.kind == identity.KindPerson {
			acct.Phone, acct.IDNumber = "13800138000", s.id
		}
		a, err := ids.Seed(ctx, acct, "test-password-2026", []identity.RoleGrant{{Role: s.role, Department: s.dept}})
		if err != nil {
			t.Fatal(err)
		}
		if f.p[s.user], err = ids.Principal(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	f.store = consultation.NewStore(d, shanghai, f.clock.now)
	return f
}

func draft() consultation.Input {
	return consultation.Input{Title: "临江市生活垃圾分类管理办法（征求意见稿）", Summary: "为推进生活垃圾分类，制定本办法。",
		OpensOn: "2026-10-12", ClosesOn: "2026-10-20", Sections: []consultation.SectionInput{
			{Heading: "总则", Body: "为了加强生活垃圾分类管理，改善人居环境，制定本办法。"},
			{Heading: "分类标准", Body: "生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。\n居民应当按照分类标准投放。"},
		}}
}

func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want a field error on %s", err, field)
	}
	return inv.Get(field)
}

func TestDraftPublishAndFreeze(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		admin := f.p["zj-admin"]
		for _, who := range []string{"zj-clerk", "zhang", "admin"} {
			if _, err := f.store.Create(ctx, f.p[who], draft()); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("Create as %s = %v, want forbidden", who, err)
			}
		}
		bad := draft()
		bad.Department = "SCJG"
		if _, err := f.store.Create(ctx, admin, bad); fieldKey(t, err, "department_code") != "consultation_department_not_yours" {
			t.Errorf("Create for another department = %v", err)
		}
		bad = draft()
		bad.Title, bad.ClosesOn, bad.Sections = " ", "2026-10-01", []consultation.SectionInput{{Heading: "", Body: "x"}}
		_, err := f.store.Create(ctx, admin, bad)
		for field, want := range map[string]string{"title": "required", "closes_on": "consultation_period_order", "sections.0.heading": "required"} {
			if got := fieldKey(t, err, field); got != want {
				t.Errorf("Create(bad) %s = %q, want %q", field, got, want)
			}
		}
		c, err := f.store.Create(ctx, admin, draft())
		if err != nil {
			t.Fatal(err)
		}
		if c.Department != "ZJ" || c.Phase != consultation.PhaseDraft || len(c.Sections) != 2 || c.Sections[1].Number != 2 {
			t.Fatalf("created %+v", c)
		}
		// Drafts are not public.
		if _, err := f.store.Get(ctx, nil, c.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Get(draft) anonymously = %v, want not found", err)
		}
		if _, err := f.store.Get(ctx, f.p["scjg-admin"], c.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Get(draft) by another department = %v, want not found", err)
		}
		if l, _ := f.store.List(ctx, nil, consultation.Filter{}); len(l) != 0 {
			t.Errorf("public list has a draft: %v", l)
		}
		in := draft()
		in.Sections = append(in.Sections, consultation.SectionInput{Heading: "附则", Body: "本办法自发布之日起施行。"})
		if c, err = f.store.Update(ctx, admin, c.ID, in); err != nil || len(c.Sections) != 3 {
			t.Fatalf("Update = %v, %v", c, err)
		}
		if _, err := f.store.Publish(ctx, f.p["scjg-admin"], c.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Publish by another department = %v", err)
		}
		if c, err = f.store.Publish(ctx, admin, c.ID); err != nil || c.Phase != consultation.Open || c.PolicyVersion != consultation.PolicyVersion {
			t.Fatalf("Publish = %+v, %v", c, err)
		}
		if _, err := f.store.Update(ctx, admin, c.ID, in); !errors.Is(err, consultation.ErrFrozen) {
			t.Errorf("Update after publishing = %v, want ErrFrozen", err)
		}
		if _, err := f.store.Publish(ctx, admin, c.ID); !errors.Is(err, consultation.ErrFrozen) {
			t.Errorf("Publish twice = %v, want ErrFrozen", err)
		}
		if l, _ := f.store.List(ctx, nil, consultation.Filter{}); len(l) != 1 {
			t.Errorf("public list = %v, want the published one", l)
		}
		// A draft whose period has passed cannot be published.
		old := draft()
		old.OpensOn, old.ClosesOn = "2026-09-01", "2026-09-30"
		o, err := f.store.Create(ctx, admin, old)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Publish(ctx, admin, o.ID); fieldKey(t, err, "closes_on") != "consultation_closes_past" {
			t.Errorf("Publish(past period) = %v", err)
		}
		if l, _ := f.store.List(ctx, admin, consultation.Filter{Managed: true}); len(l) != 2 {
			t.Errorf("managed list = %d, want 2", len(l))
		}
		if _, err := f.store.List(ctx, f.p["zhang"], consultation.Filter{Managed: true}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("managed list as a citizen = %v", err)
		}
	})
}

// TestCommentModerateReport walks a consultation from comments through
// moderation to the published adoption report, its statistics, the
// figures and the ledger.
func TestCommentModerateReport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		admin, zhang, ouyang := f.p["zj-admin"], f.p["zhang"], f.p["ouyang"]
		c, err := f.store.Create(ctx, admin, draft())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AddComment(ctx, zhang, c.ID, consultation.CommentInput{Text: "草稿意见"}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("comment on a draft = %v, want not found", err)
		}
		if _, err := f.store.Publish(ctx, admin, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AddComment(ctx, admin, c.ID, consultation.CommentInput{Text: "x"}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("staff comment = %v, want forbidden", err)
		}
		script := `<script>alert("x")</script> 建议增加投放点`
		whole, err := f.store.AddComment(ctx, zhang, c.ID, consultation.CommentInput{Text: script})
		if err != nil {
			t.Fatal(err)
		}
		sec, err := f.store.AddComment(ctx, ouyang, c.ID, consultation.CommentInput{Section: 2, Text: "分类太细"})
		if err != nil {
			t.Fatal(err)
		}
		// A passage selected in the browser may carry a line break.
		pas, err := f.store.AddComment(ctx, zhang, c.ID, consultation.CommentInput{Section: 2, Passage: "四类。 居民应当", Text: "四类之外应增加大件垃圾"})
		if err != nil {
			t.Fatal(err)
		}
		rude, err := f.store.AddComment(ctx, ouyang, c.ID, consultation.CommentInput{Section: 1, Text: "你们都是骗子"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			in         consultation.CommentInput
			field, key string
		}{
			{consultation.CommentInput{Text: " "}, "text", "required"},
			{consultation.CommentInput{Text: strings.Repeat("字", 2001)}, "text", "text_too_long"},
			{consultation.CommentInput{Section: 9, Text: "x"}, "section", "consultation_section_unknown"},
			{consultation.CommentInput{Section: 1, Passage: "不存在的原文", Text: "x"}, "passage", "consultation_passage_not_found"},
			{consultation.CommentInput{Passage: "总则", Text: "x"}, "passage", "consultation_passage_needs_section"},
		} {
			if _, err := f.store.AddComment(ctx, zhang, c.ID, tc.in); fieldKey(t, err, tc.field) != tc.key {
				t.Errorf("AddComment(%+v) = %v, want %s on %s", tc.in, err, tc.key, tc.field)
			}
		}
		if _, err := f.store.AddComment(ctx, zhang, c.ID, consultation.CommentInput{Text: strings.Repeat("字", 2000)}); err != nil {
			t.Errorf("a comment of 2,000 characters = %v", err)
		}

		// Moderation.
		if err := f.store.Hide(ctx, f.p["scjg-admin"], c.ID, rude.ID, "abusive", ""); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Hide by another department = %v", err)
		}
		if err := f.store.Hide(ctx, admin, c.ID, rude.ID, "rude", ""); fieldKey(t, err, "reason") != "consultation_reason_invalid" {
			t.Errorf("Hide(unknown reason) = %v", err)
		}
		if err := f.store.Hide(ctx, admin, c.ID, sec.ID, "off_topic", "误判"); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Unhide(ctx, admin, c.ID, sec.ID, ""); fieldKey(t, err, "note") != "consultation_unhide_note_required" {
			t.Errorf("Unhide without a note = %v", err)
		}
		if err := f.store.Unhide(ctx, admin, c.ID, sec.ID, "与草案相关，恢复显示"); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Hide(ctx, admin, c.ID, rude.ID, "abusive", "含人身攻击"); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Hide(ctx, admin, c.ID, rude.ID, "abusive", ""); fieldKey(t, err, "comment_id") != "consultation_already_hidden" {
			t.Errorf("Hide twice = %v", err)
		}
		mods, err := f.store.Moderations(ctx, admin, c.ID)
		if err != nil || len(mods) != 3 || mods[0].Action != "hide" || mods[1].Action != "unhide" || mods[1].Note == "" {
			t.Fatalf("Moderations = %+v, %v", mods, err)
		}
		if _, err := f.store.Moderations(ctx, zhang, c.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Moderations as a citizen = %v", err)
		}
		find := func(list []*consultation.Comment, id string) *consultation.Comment {
			for _, cm := range list {
				if cm.ID == id {
					return cm
				}
			}
			t.Fatalf("comment %s not listed", id)
			return nil
		}
		public, err := f.store.Comments(ctx, nil, c.ID)
		if err != nil || len(public) != 5 {
			t.Fatalf("public comments = %d, %v", len(public), err)
		}
		if h := find(public, rude.ID); !h.Hidden || h.Text != "" || h.HideReason != "abusive" || h.HideNote != "" {
			t.Errorf("hidden comment seen publicly as %+v", h)
		}
		if w := find(public, whole.ID); w.Text != script || w.Author != "张*" {
			t.Errorf("whole-draft comment = %+v: want the text as written and a masked name", w)
		}
		if p := find(public, pas.ID); p.Passage != "四类。 居民应当" || p.Section != 2 {
			t.Errorf("passage comment = %+v", p)
		}
		own, _ := f.store.Comments(ctx, ouyang, c.ID)
		if h := find(own, rude.ID); h.Text != "你们都是骗子" || h.HideNote != "含人身攻击" || !h.Mine || h.Author != "欧***" {
			t.Errorf("the author sees their hidden comment as %+v", h)
		}
		// Answers wait for the period to close.
		if err := f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{CommentID: whole.ID, Verdict: consultation.Adopted, Reason: "采纳"}); !errors.Is(err, consultation.ErrFrozen) {
			t.Errorf("Answer while open = %v, want ErrFrozen", err)
		}

		// The period ends at the end of its last day, platform time.
		f.clock.set("2026-10-20 23:59")
		if _, err := f.store.AddComment(ctx, zhang, c.ID, consultation.CommentInput{Text: "最后一分钟"}); err != nil {
			t.Errorf("comment on the last day = %v", err)
		}
		f.clock.set("2026-10-21 00:00")
		if _, err := f.store.AddComment(ctx, zhang, c.ID, consultation.CommentInput{Text: "太晚了"}); fieldKey(t, err, "text") != "consultation_comments_closed" {
			t.Errorf("comment after the period = %v", err)
		}
		all, _ := f.store.Comments(ctx, admin, c.ID)
		var last string
		for _, cm := range all {
			if cm.Text == "最后一分钟" || strings.HasPrefix(cm.Text, "字字") {
				last += cm.ID + " "
			}
		}
		ids := strings.Fields(last)
		if _, err := f.store.CreateGroup(ctx, admin, c.ID, consultation.GroupInput{Title: "一条", Comments: []string{whole.ID}}); fieldKey(t, err, "comments") != "consultation_group_size" {
			t.Errorf("group of one = %v", err)
		}
		if _, err := f.store.CreateGroup(ctx, admin, c.ID, consultation.GroupInput{Title: "含隐藏", Comments: []string{whole.ID, rude.ID}}); fieldKey(t, err, "comments") != "consultation_comment_not_groupable" {
			t.Errorf("group with a hidden comment = %v", err)
		}
		g, err := f.store.CreateGroup(ctx, admin, c.ID, consultation.GroupInput{Title: "关于投放点", Comments: append([]string{whole.ID}, ids...)})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{CommentID: whole.ID, Verdict: consultation.Adopted, Reason: "x"}); fieldKey(t, err, "comment_id") != "consultation_comment_grouped" {
			t.Errorf("answering a grouped comment alone = %v", err)
		}
		if err := f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{CommentID: rude.ID, Verdict: consultation.Adopted, Reason: "x"}); fieldKey(t, err, "comment_id") != "consultation_comment_hidden" {
			t.Errorf("answering a hidden comment = %v", err)
		}
		if err := f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{GroupID: g.ID, Verdict: "maybe", Reason: ""}); fieldKey(t, err, "verdict") != "consultation_verdict_invalid" {
			t.Errorf("Answer(bad verdict) = %v", err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{GroupID: g.ID, Verdict: consultation.Adopted, Reason: "将在第二条增加投放点设置要求"}))
		must(f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{CommentID: sec.ID, Verdict: consultation.NotAdopted, Reason: "四分类为国家标准"}))
		if _, err := f.store.PublishReport(ctx, admin, c.ID, "共收到意见 7 条。"); fieldKey(t, err, "summary") != "consultation_unanswered" {
			t.Errorf("PublishReport with an unanswered comment = %v", err)
		}
		must(f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{CommentID: pas.ID, Verdict: consultation.Partly, Reason: "大件垃圾另行规定"}))
		// Before the report, answers are the department's alone.
		if pub, _ := f.store.Comments(ctx, nil, c.ID); find(pub, pas.ID).Answer != "" {
			t.Error("an answer is public before the report")
		}
		if got, _ := f.store.Get(ctx, nil, c.ID); len(got.Groups) != 0 {
			t.Error("groups are public before the report")
		}
		st, err := f.store.Stats(ctx, c.ID)
		if err != nil || st.Adopted != 0 || st.AdoptionRate != nil {
			t.Errorf("Stats before the report = %+v, %v", st, err)
		}
		rep, err := f.store.PublishReport(ctx, admin, c.ID, "共收到意见 7 条。")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Phase != consultation.Reported || len(rep.Groups) != 1 {
			t.Fatalf("after the report: %+v", rep)
		}
		var notices int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM notices WHERE kind = 'consultation_report'`).Scan(&notices); err != nil || notices != 2 {
			t.Errorf("%d report notices (%v), want one per commenter (2)", notices, err)
		}
		if err := f.store.Answer(ctx, admin, c.ID, consultation.AnswerInput{CommentID: sec.ID, Verdict: consultation.Adopted, Reason: "改主意"}); !errors.Is(err, consultation.ErrFrozen) {
			t.Errorf("Answer after the report = %v, want ErrFrozen", err)
		}
		pub, _ := f.store.Comments(ctx, nil, c.ID)
		if w := find(pub, whole.ID); w.Answer != consultation.Adopted || w.GroupID != g.ID || w.AnswerReason == "" {
			t.Errorf("a grouped comment's public answer = %+v", w)
		}
		if got, _ := f.store.Get(ctx, nil, c.ID); len(got.Groups) != 1 || len(got.Groups[0].Comments) != 3 {
			t.Errorf("public groups = %+v", got.Groups)
		}
		st, err = f.store.Stats(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 6 comments by 2 people: whole ×3 (grouped, adopted), section 2
		// not adopted, passage partly, section 1 hidden: (3+1)/5.
		if st.Comments != 6 || st.Commenters != 2 || st.Hidden != 1 || st.Adopted != 3 || st.Partly != 1 || st.NotAdopted != 1 ||
			st.AdoptionRate == nil || *st.AdoptionRate != 80 {
			t.Errorf("Stats = %+v", st)
		}
		want := []consultation.SectionCount{{Section: 0, Comments: 3}, {Section: 1, Comments: 1}, {Section: 2, Comments: 2}}
		if b, w := jsonOf(st.BySection), jsonOf(want); b != w {
			t.Errorf("BySection = %s, want %s", b, w)
		}
		figs, err := f.store.Figures(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantFigs := []consultation.DepartmentFigures{{Department: "ZJ", Consultations: 1, Closed: 1, Comments: 6, Adopted: 3, PartlyAdopted: 1, NotAdopted: 1}}
		if jsonOf(figs) != jsonOf(wantFigs) {
			t.Errorf("Figures = %+v, want %+v", figs, wantFigs)
		}

		// The ledger: published, three moderations, the report; the
		// latest digest matches the state, and no entry names a person.
		rows, err := d.Read().QueryContext(ctx, `SELECT body FROM ledger_entries WHERE object_type = 'consultation' AND object_id = $1 ORDER BY created_at, id`, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		var lastEntry *ledger.Entry
		for rows.Next() {
			var body string
			if err := rows.Scan(&body); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(body, "张") || strings.Contains(body, zhang.Account.ID) {
				t.Errorf("ledger entry names a commenter: %s", body)
			}
			e, err := ledger.ParseEntry([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, e.Event)
			lastEntry = e
		}
		rows.Close()
		if got := strings.Join(events, ","); got != "published,comment_hidden,comment_unhidden,comment_hidden,report_published" {
			t.Errorf("ledger events = %s", got)
		}
		state, err := f.store.LedgerState(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sha, _ := ledger.Digests(state); lastEntry == nil || sha != lastEntry.SHA256 || lastEntry.Department != "ZJ" {
			t.Errorf("latest entry %+v does not digest the current state %s", lastEntry, state)
		}
		if _, err := d.Write().ExecContext(ctx, `UPDATE consultation_groups SET answer_reason = '改过' WHERE id = $1`, g.ID); err != nil {
			t.Fatal(err)
		}
		if state2, _ := f.store.LedgerState(ctx, c.ID); string(state2) == string(state) {
			t.Error("changing a published answer behind the platform's back leaves the ledger state unchanged")
		}

		// A comment hidden after the report leaves the verdict counts.
		if err := f.store.Hide(ctx, admin, c.ID, pas.ID, "personal_data", ""); err != nil {
			t.Fatal(err)
		}
		if st, _ := f.store.Stats(ctx, c.ID); st.Partly != 0 || st.Hidden != 2 || st.AdoptionRate == nil || *st.AdoptionRate != 75 {
			t.Errorf("Stats after hiding an answered comment = %+v", st)
		}
		if figs, _ := f.store.Figures(ctx); len(figs) != 1 || figs[0].PartlyAdopted != 0 || figs[0].Adopted != 3 {
			t.Errorf("Figures after hiding an answered comment = %+v", figs)
		}
	})
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPassageIn(t *testing.T) {
	body := "生活垃圾分为可回收物、有害垃圾、\n厨余垃圾和其他垃圾四类。"
	for _, tc := range []struct {
		passage string
		want    bool
	}{
		{"有害垃圾", true},
		{"有害垃圾、 厨余垃圾", true},
		{"有害垃圾、厨余垃圾", true},
		{"大件垃圾", false},
		{"  ", false},
		{"", false},
	} {
		if got := consultation.PassageIn(tc.passage, body); got != tc.want {
			t.Errorf("PassageIn(%q) = %v, want %v", tc.passage, got, tc.want)
		}
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+86 138":           "'+86 138",
		"-1":                "'-1",
		"@SUM(A1)":          "'@SUM(A1)",
		"\t=1":              "'\t=1",
		"建议":                "建议",
		"":                  "",
		"a=b":               "a=b",
	} {
		if got := consultation.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConcurrentHide hides one comment from several transactions at once:
// exactly one succeeds, and the moderation record and the ledger have one
// entry for it.
func TestConcurrentHide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		admin := f.p["zj-admin"]
		c, err := f.store.Create(ctx, admin, draft())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Publish(ctx, admin, c.ID); err != nil {
			t.Fatal(err)
		}
		cm, err := f.store.AddComment(ctx, f.p["zhang"], c.ID, consultation.CommentInput{Text: "广告：低价出售"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 4
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { errs <- f.store.Hide(ctx, admin, c.ID, cm.ID, "advertising", "") })
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case fieldKey(t, err, "comment_id") == "consultation_already_hidden":
			default:
				t.Errorf("Hide = %v", err)
			}
		}
		mods, err := f.store.Moderations(ctx, admin, c.ID)
		if ok != 1 || err != nil || len(mods) != 1 {
			t.Errorf("%d hides succeeded, %d recorded (%v); want 1", ok, len(mods), err)
		}
		var stamps int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entries WHERE object_id = $1 AND body LIKE '%comment_hidden%'`, c.ID).Scan(&stamps); err != nil || stamps != 1 {
			t.Errorf("%d comment_hidden stamps (%v), want 1", stamps, err)
		}
	})
}

// TestCommentFlood limits one person's comments on one consultation in
// any 24 hours; another person, or the next day, may comment.
func TestCommentFlood(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		admin := f.p["zj-admin"]
		c, err := f.store.Create(ctx, admin, draft())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Publish(ctx, admin, c.ID); err != nil {
			t.Fatal(err)
		}
		for i := range consultation.MaxCommentsPerDay {
			if _, err := f.store.AddComment(ctx, f.p["zhang"], c.ID, consultation.CommentInput{Text: "意见 " + strings.Repeat("!", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.store.AddComment(ctx, f.p["zhang"], c.ID, consultation.CommentInput{Text: "再来一条"}); fieldKey(t, err, "text") != "consultation_too_many_comments" {
			t.Errorf("comment over the limit = %v", err)
		}
		if _, err := f.store.AddComment(ctx, f.p["ouyang"], c.ID, consultation.CommentInput{Text: "别人的意见"}); err != nil {
			t.Errorf("another person's comment = %v", err)
		}
		f.clock.set("2026-10-13 09:01")
		if _, err := f.store.AddComment(ctx, f.p["zhang"], c.ID, consultation.CommentInput{Text: "第二天"}); err != nil {
			t.Errorf("a comment 24 hours later = %v", err)
		}
	})
}
