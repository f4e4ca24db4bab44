package rating_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/rating"
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
	db      *db.DB
	cal     *calendar.Store
	store   *rating.Store
	clock   *clock
	p       map[string]*identity.Principal
	mu      sync.Mutex
	notices map[string][]string // account ID → notice kinds
}

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: d, clock: &clock{}, p: map[string]*identity.Principal{}, notices: map[string][]string{}}
	f.clock.set("2026-09-28 09:00") // a Monday before National Day
	orgs := org.NewStore(d)
	ids := identity.NewStore(d, f.clock.now)
	err := d.Tx(ctx, func(tx *db.Tx) error {
		if err := orgs.PutDivision(ctx, tx, org.Division{Code: "339900", Name: "临江市", Level: "city"}); err != nil {
			return err
		}
		for _, dp := range []org.Department{{Code: "SCJG", Name: "市场监督管理局", DivisionCode: "339900"}, {Code: "ZJ", Name: "住建局", DivisionCode: "339900"}} {
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
		user, dept string
		kind       identity.Kind
		role       identity.Role
		id         string
	}{
		{"admin", "", identity.KindStaff, identity.PlatformAdmin, ""},
		{"jiancha", "", identity.KindStaff, identity.Supervisor, ""},
		{"scjg", "SCJG", identity.KindStaff, identity.Clerk, ""},
		{"zj", "ZJ", identity.KindStaff, identity.Clerk, ""},
		{"zhang", "", identity.KindPerson, identity.Citizen, "110105199003071239"},
		{"lisi", "", identity.KindPerson, identity.Citizen, "110105198805124561"},
	} {
		acct := identity.Account{Kind: s.kind, Username: s.user, Name: s.user + "-name", DepartmentCode: s.dept}
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
	cals := calendar.NewStore(d, f.clock.now)
	if _, err := cals.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	f.cal = cals
	f.store = rating.NewStore(rating.Deps{DB: d, Calendar: cals, Location: shanghai, Now: f.clock.now,
		Notices: func(ctx context.Context, tx *db.Tx, n notify.Notice) error {
			f.mu.Lock()
			f.notices[n.AccountID] = append(f.notices[n.AccountID], string(n.Kind))
			f.mu.Unlock()
			return notify.Enqueue(ctx, tx, n) // the real outbox: every kind must be a valid notice
		}})
	return f
}

func (f *fixture) kinds(user string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.notices[f.p[user].Account.ID]...)
}

// application inserts an application of user's in state.
func (f *fixture) application(t *testing.T, id, user, state string) {
	t.Helper()
	now := db.NewTime(f.clock.now())
	_, err := f.db.Write().Exec(`INSERT INTO applications (id, number, service_code, service_version, service_name, department_code, applicant_id, applicant_name, state, result, created_at, updated_at)
		VALUES ($1, $2, 'SCJG-001', 1, '食品经营许可', 'SCJG', $3, '申请人', $4, $5, $6, $6)`, id, "NO-"+id, f.p[user].Account.ID, state, map[bool]string{true: "approved"}[state == "concluded"], now)
	if err != nil {
		t.Fatal(err)
	}
}

// ticket inserts a hotline ticket of user's handled by ZJ.
func (f *fixture) ticket(t *testing.T, id, user, state, dueDate, repliedAt string) {
	t.Helper()
	now := db.NewTime(f.clock.now())
	if _, err := f.db.Write().Exec(`INSERT INTO hotline_categories (code, name, name_en) VALUES ('ROAD', '城市道路', 'Urban roads') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	var replied any
	if repliedAt != "" {
		replied = repliedAt
	}
	_, err := f.db.Write().Exec(`INSERT INTO tickets (id, number, kind, category_code, text, channel, reporter_id, state, department_code, days, due_date, replied_at, created_at, updated_at)
		VALUES ($1, $2, 'complaint', 'ROAD', '路面有坑', 'web', $3, $4, 'ZJ', 5, $5, $6, $7, $7)`, id, "T-"+id, f.p[user].Account.ID, state, dueDate, replied, now)
	if err != nil {
		t.Fatal(err)
	}
}

func fieldKeys(t *testing.T, err error) map[string]string {
	t.Helper()
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want field errors, got %v", err)
	}
	m := map[string]string{}
	for _, fe := range inv.Fields {
		m[fe.Field] = fe.Key
	}
	return m
}

func in(id string, l rating.Level, tags ...string) rating.Input {
	return rating.Input{ObjectType: rating.ApplicationObject, ObjectID: id, Level: l, Tags: tags}
}

func ledgerEvents(t *testing.T, d *db.DB, typ, id string) []string {
	t.Helper()
	rows, err := d.Read().Query(`SELECT body FROM ledger_entries WHERE object_type = $1 AND object_id = $2 ORDER BY created_at, id`, typ, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		e, err := ledger.ParseEntry([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Event)
	}
	return out
}

func TestRateValidatesAndRatesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		zhang, lisi := f.p["zhang"], f.p["lisi"]
		f.application(t, "app-open", "zhang", "accepted")
		f.application(t, "app-done", "zhang", "concluded")

		// Field-level errors.
		_, err := f.store.Rate(ctx, zhang, rating.Web, rating.Input{ObjectType: rating.ApplicationObject, ObjectID: "app-done", Level: "great", Text: strings.Repeat("长", 501)})
		if k := fieldKeys(t, err); k["level"] != "rating_level_invalid" || k["text"] != "rating_text_too_long" {
			t.Errorf("bad level and long text: %v", k)
		}
		_, err = f.store.Rate(ctx, zhang, rating.Web, in("app-done", rating.Satisfied, "rude"))
		if k := fieldKeys(t, err); k["tags"] != "rating_tag_invalid" {
			t.Errorf("a bad tag on a good level: %v", k)
		}
		_, err = f.store.Rate(ctx, zhang, rating.Web, in("app-open", rating.Satisfied))
		if k := fieldKeys(t, err); k["rating"] != "rating_not_concluded" {
			t.Errorf("rating before conclusion: %v", k)
		}
		// Nobody else rates: as if the application did not exist.
		if _, err := f.store.Rate(ctx, lisi, rating.Web, in("app-done", rating.VerySatisfied)); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another citizen rates: %v, want not found", err)
		}
		if _, err := f.store.Rate(ctx, f.p["scjg"], rating.Web, in("app-done", rating.VerySatisfied)); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("staff rate: %v, want not found", err)
		}
		if ok, _ := f.store.CanRate(ctx, zhang, rating.ApplicationObject, "app-done"); !ok {
			t.Error("CanRate before rating = false")
		}

		text := `<script>alert("x")</script> 很好`
		r, err := f.store.Rate(ctx, zhang, rating.Web, rating.Input{ObjectType: rating.ApplicationObject, ObjectID: "app-done", Level: rating.VerySatisfied,
			Tags: []string{"efficient", "one_visit", "efficient"}, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != text || len(r.Tags) != 2 || r.RectificationID != "" || r.DepartmentCode != "SCJG" || r.ServiceCode != "SCJG-001" || !r.Mine {
			t.Errorf("rating = %+v", r)
		}
		if want := f.clock.now().Add(rating.DefaultAmendWindow); !r.AmendUntil.Equal(want) {
			t.Errorf("amend until %v, want %v", r.AmendUntil, want)
		}
		// A second rating is refused.
		_, err = f.store.Rate(ctx, zhang, rating.API, in("app-done", rating.VeryUnsatisfied))
		if k := fieldKeys(t, err); k["rating"] != "rating_already_rated" {
			t.Errorf("second rating: %v", k)
		}
		if ok, _ := f.store.CanRate(ctx, zhang, rating.ApplicationObject, "app-done"); ok {
			t.Error("CanRate after rating = true")
		}
		// The unique constraint holds even past the check in code.
		_, err = d.Write().Exec(`INSERT INTO ratings (id, object_type, object_id, rater_id, department_code, level, channel, amend_until, created_at, updated_at)
			VALUES ('dup', 'application', 'app-done', $1, 'SCJG', 'satisfied', 'web', 'x', 'x', 'x')`, zhang.Account.ID)
		if !db.IsUniqueViolation(err) {
			t.Errorf("a second row for the same application: %v, want a unique violation", err)
		}
		if got := ledgerEvents(t, d, rating.LedgerRating, r.ID); strings.Join(got, ",") != "rated" {
			t.Errorf("ledger events %v", got)
		}
		// Visible to the department and supervisors, not to others.
		if _, err := f.store.ForObject(ctx, f.p["scjg"], rating.ApplicationObject, "app-done"); err != nil {
			t.Errorf("department staff: %v", err)
		}
		if _, err := f.store.ForObject(ctx, f.p["zj"], rating.ApplicationObject, "app-done"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("other department: %v", err)
		}
		if got, err := f.store.ForObject(ctx, f.p["jiancha"], rating.ApplicationObject, "app-done"); err != nil || got.Mine {
			t.Errorf("supervisor: %v %+v", err, got)
		}
	})
}

func TestConcurrentRatingsOneWins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.application(t, "app", "zhang", "concluded")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { _, errs[i] = f.store.Rate(ctx, f.p["zhang"], rating.API, in("app", rating.Basic)) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			var inv *fielderr.Invalid
			if !errors.As(err, &inv) || inv.Fields[0].Key != "rating_already_rated" {
				t.Errorf("a losing rating: %v", err)
			}
		}
		var n int
		d.Read().QueryRow(`SELECT COUNT(*) FROM ratings`).Scan(&n)
		if ok != 1 || n != 1 {
			t.Errorf("%d ratings accepted, %d stored; want 1", ok, n)
		}
		// Amendments at once each replace the level the one before left.
		for _, l := range []rating.Level{rating.Satisfied, rating.Unsatisfied, rating.VerySatisfied, rating.VeryUnsatisfied} {
			wg.Go(func() {
				if _, err := f.store.Amend(ctx, f.p["zhang"], in("app", l)); err != nil {
					t.Errorf("amend to %s: %v", l, err)
				}
			})
		}
		wg.Wait()
		checkTallies(t, d)
	})
}

func TestAmendWithinWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		zhang := f.p["zhang"]
		f.application(t, "app", "zhang", "concluded")
		_, err := f.store.Amend(ctx, zhang, in("app", rating.Satisfied))
		if k := fieldKeys(t, err); k["rating"] != "rating_not_rated" {
			t.Errorf("amend before rating: %v", k)
		}
		if _, err := f.store.Rate(ctx, zhang, rating.Web, in("app", rating.Satisfied, "courteous")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Amend(ctx, f.p["lisi"], in("app", rating.Unsatisfied)); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("someone else amends: %v", err)
		}
		f.clock.set("2026-10-02 09:00")
		r, err := f.store.Amend(ctx, zhang, in("app", rating.Unsatisfied, "overdue"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Level != rating.Unsatisfied || r.AmendCount != 1 || r.RectificationID == "" {
			t.Errorf("amended to unsatisfied: %+v", r)
		}
		// Back to good: the rectification stays.
		r, err = f.store.Amend(ctx, zhang, in("app", rating.Basic))
		if err != nil || r.RectificationID == "" || r.AmendCount != 2 {
			t.Errorf("amended to basic: %v %+v", err, r)
		}
		f.clock.set("2026-10-05 09:00") // seven days after rating
		_, err = f.store.Amend(ctx, zhang, in("app", rating.VerySatisfied))
		if k := fieldKeys(t, err); k["rating"] != "rating_amend_closed" {
			t.Errorf("amend after the window: %v", k)
		}
		if got := ledgerEvents(t, d, rating.LedgerRating, r.ID); strings.Join(got, ",") != "rated,amended,amended" {
			t.Errorf("ledger events %v", got)
		}
		checkTallies(t, d)
	})
}

func TestRectificationLoop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		zhang := f.p["zhang"]
		f.ticket(t, "tk", "zhang", "closed", "2026-09-25", "2026-09-25T03:00:00.000000Z")
		r, err := f.store.Rate(ctx, zhang, rating.Web, rating.Input{ObjectType: rating.TicketObject, ObjectID: "tk", Level: rating.VeryUnsatisfied, Tags: []string{"buck_passing"}, Text: "推来推去"})
		if err != nil {
			t.Fatal(err)
		}
		if r.RectificationID == "" || r.DepartmentCode != "ZJ" || r.ServiceName != "城市道路" || r.ObjectNumber != "T-tk" {
			t.Fatalf("rating = %+v", r)
		}
		x, err := f.store.Rectification(ctx, f.p["zj"], r.RectificationID)
		if err != nil {
			t.Fatal(err)
		}
		// 15 working days from Monday 28 September 2026, across the
		// National Day holidays (1–8 October, with make-up days).
		cal, _ := calendar.NewStore(d, f.clock.now).Calendar(ctx)
		if want := cal.AddWorkdays(calendar.MustParseDate("2026-09-28"), 15).String(); x.DueDate != want || x.State != rating.Open {
			t.Errorf("due %s state %s, want %s open", x.DueDate, x.State, want)
		}
		if x.Rating.Mine {
			t.Error("the department sees the rating as its own")
		}
		if k := f.kinds("zj"); len(k) != 1 || k[0] != "rectification_opened" {
			t.Errorf("department notices %v", k)
		}
		// The notice names the category in the reader's language.
		inbox, err := notify.NewStore(d, time.Now).List(ctx, f.p["zj"].Account.ID, 10)
		if err != nil || len(inbox) != 1 {
			t.Fatalf("the department's inbox: %v %v", inbox, err)
		}
		if zh, en := inbox[0].Body(i18n.ZH), inbox[0].Body(i18n.EN); !strings.Contains(zh, "城市道路") || !strings.Contains(en, "Urban roads") {
			t.Errorf("the rectification notice reads %q / %q", zh, en)
		}
		if _, err := f.store.Rectification(ctx, f.p["scjg"], x.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another department sees it: %v", err)
		}

		// Only the department answers; the callback waits for the answer.
		if _, err := f.store.Callback(ctx, zhang, x.ID, rating.Web, true, ""); !errors.Is(err, rating.ErrState) {
			t.Errorf("callback before the answer: %v", err)
		}
		if _, err := f.store.Answer(ctx, f.p["jiancha"], x.ID, "原因", "措施"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a supervisor answers: %v", err)
		}
		if _, err := f.store.Answer(ctx, f.p["scjg"], x.ID, "原因", "措施"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another department answers: %v", err)
		}
		_, err = f.store.Answer(ctx, f.p["zj"], x.ID, " ", strings.Repeat("长", rating.MaxAnswer+1))
		if k := fieldKeys(t, err); k["cause"] != "rectification_cause_required" || k["action"] != "rectification_text_too_long" {
			t.Errorf("empty cause, long action: %v", k)
		}
		f.clock.set("2026-10-09 10:00")
		x, err = f.store.Answer(ctx, f.p["zj"], x.ID, "承办人员未按规定转办", "已约谈承办人员并修补路面")
		if err != nil {
			t.Fatal(err)
		}
		if x.State != rating.Answered || x.OnTime == nil || !*x.OnTime || x.Cause != "承办人员未按规定转办" {
			t.Errorf("answered: %+v", x)
		}
		if k := f.kinds("zhang"); len(k) != 1 || k[0] != "rectification_answered" {
			t.Errorf("citizen notices %v", k)
		}
		if _, err := f.store.Answer(ctx, f.p["zj"], x.ID, "a", "b"); !errors.Is(err, rating.ErrState) {
			t.Errorf("a second answer: %v", err)
		}
		// The department does not call itself back; the citizen does.
		if _, err := f.store.Callback(ctx, f.p["zj"], x.ID, rating.Web, true, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the department calls back: %v", err)
		}
		if _, err := f.store.Callback(ctx, f.p["jiancha"], x.ID, rating.Web, true, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a supervisor answers for the citizen on the web: %v", err)
		}
		x, err = f.store.Callback(ctx, zhang, x.ID, rating.Web, false, "路面又坏了")
		if err != nil {
			t.Fatal(err)
		}
		if x.State != rating.Closed || x.CallbackSatisfied == nil || *x.CallbackSatisfied || x.CallbackChannel != rating.Web {
			t.Errorf("called back: %+v", x)
		}
		// Supervisors list the unsatisfied callbacks to review them.
		for v, want := range map[rating.Verdict]int{rating.CallbackUnsatisfied: 1, rating.CallbackSatisfied: 0} {
			if list, err := f.store.Rectifications(ctx, f.p["jiancha"], rating.Filter{Callback: v}); err != nil || len(list) != want {
				t.Errorf("callback %s: %d listed, %v; want %d", v, len(list), err, want)
			}
		}
		var inv *fielderr.Invalid
		if _, err := f.store.Rectifications(ctx, f.p["jiancha"], rating.Filter{Callback: "maybe"}); !errors.As(err, &inv) || inv.Fields[0].Field != "callback" {
			t.Errorf("unknown callback filter: %v", err)
		}
		if got := ledgerEvents(t, d, rating.LedgerRectification, x.ID); strings.Join(got, ",") != "opened,answered,callback" {
			t.Errorf("ledger events %v", got)
		}
		// The stamped state is the current one, as verify checks.
		state, err := f.store.LedgerRectificationState(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		var body string
		d.Read().QueryRow(`SELECT body FROM ledger_entries WHERE object_type = 'rectification' AND object_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, x.ID).Scan(&body)
		e, _ := ledger.ParseEntry([]byte(body))
		if sha, _ := ledger.Digests(state); e == nil || sha != e.SHA256 {
			t.Errorf("stamped digest differs from the current state")
		}
		if strings.Contains(body, zhang.Account.ID) || strings.Contains(body, "推来推去") {
			t.Errorf("personal data in the ledger: %s", body)
		}
		checkTallies(t, d)
	})
}

func TestPhoneCallbackBySupervisor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.application(t, "app", "zhang", "refused")
		r, err := f.store.Rate(ctx, f.p["zhang"], rating.API, in("app", rating.Unsatisfied, "repeated_visits"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Answer(ctx, f.p["scjg"], r.RectificationID, "材料清单不清", "已更新办事指南"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Callback(ctx, f.p["zhang"], r.RectificationID, rating.Phone, true, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the citizen claims a phone callback: %v", err)
		}
		x, err := f.store.Callback(ctx, f.p["jiancha"], r.RectificationID, rating.Phone, true, "电话回访，满意")
		if err != nil || x.CallbackChannel != rating.Phone || !*x.CallbackSatisfied {
			t.Fatalf("phone callback: %v %+v", err, x)
		}
		for v, want := range map[rating.Verdict]int{rating.CallbackUnsatisfied: 0, rating.CallbackSatisfied: 1} {
			if list, err := f.store.Rectifications(ctx, f.p["jiancha"], rating.Filter{Callback: v}); err != nil || len(list) != want {
				t.Errorf("callback %s: %d listed, %v; want %d", v, len(list), err, want)
			}
		}
	})
}

func TestWarningsAndSupervisorList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.application(t, "a1", "zhang", "concluded")
		f.application(t, "a2", "lisi", "concluded")
		r1, err := f.store.Rate(ctx, f.p["zhang"], rating.Web, in("a1", rating.VeryUnsatisfied))
		if err != nil {
			t.Fatal(err)
		}
		f.clock.set("2026-10-20 09:00")
		r2, err := f.store.Rate(ctx, f.p["lisi"], rating.Web, in("a2", rating.Unsatisfied))
		if err != nil {
			t.Fatal(err)
		}
		x1, _ := f.store.Rectification(ctx, f.p["jiancha"], r1.RectificationID)
		// The day after the first one's due date: red; the second is
		// fresh and stays unmarked.
		due := calendar.MustParseDate(x1.DueDate)
		f.clock.t = due.AddDays(1).In(shanghai).Add(9 * time.Hour)
		st, err := f.store.ScanWarnings(ctx)
		if err != nil || st.Red != 1 {
			t.Fatalf("scan: %+v %v", st, err)
		}
		if st, _ := f.store.ScanWarnings(ctx); st.Red+st.Yellow != 0 {
			t.Errorf("a second scan marked again: %+v", st)
		}
		if k := f.kinds("jiancha"); len(k) != 1 || k[0] != "rectification_red" {
			t.Errorf("supervisor notices %v", k)
		}
		list, err := f.store.Rectifications(ctx, f.p["jiancha"], rating.Filter{})
		if err != nil || len(list) != 2 || list[0].ID != r1.RectificationID || list[0].Warning != rating.Red {
			t.Fatalf("supervisor list: %v %d", err, len(list))
		}
		if list, _ := f.store.Rectifications(ctx, f.p["jiancha"], rating.Filter{Warning: rating.Red}); len(list) != 1 {
			t.Errorf("red filter: %d", len(list))
		}
		if list, _ := f.store.Rectifications(ctx, f.p["zj"], rating.Filter{}); len(list) != 0 {
			t.Errorf("another department's list: %d", len(list))
		}
		if list, _ := f.store.Rectifications(ctx, f.p["zhang"], rating.Filter{}); len(list) != 0 {
			t.Errorf("a citizen's list: %d", len(list))
		}
		// Answering late is recorded as late.
		x, err := f.store.Answer(ctx, f.p["scjg"], r1.RectificationID, "a", "b")
		if err != nil || x.OnTime == nil || *x.OnTime || x.Warning != "" {
			t.Errorf("late answer: %v %+v", err, x)
		}
		checkTallies(t, d)
		_ = r2
	})
}

func TestFigures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		for i, l := range []rating.Level{rating.VerySatisfied, rating.Satisfied, rating.Basic, rating.VeryUnsatisfied} {
			id := string(rune('a' + i))
			f.application(t, id, "zhang", "concluded")
			if _, err := f.store.Rate(ctx, f.p["zhang"], rating.Web, in(id, l)); err != nil {
				t.Fatal(err)
			}
		}
		// Tickets of ZJ: due 25 September (a Friday) in Shanghai ends at
		// 16:00 UTC that day.
		f.ticket(t, "on-time", "zhang", "closed", "2026-09-25", "2026-09-25T15:59:00.000000Z")
		f.ticket(t, "late", "lisi", "replied", "2026-09-25", "2026-09-25T16:01:00.000000Z")
		f.ticket(t, "open", "lisi", "handling", "2026-09-25", "")
		fig, err := f.store.Figures(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := fig.Summary
		if s.Ratings.Total != 4 || s.Ratings.VeryUnsatisfied != 1 || s.Ratings.SatisfactionRate == nil || *s.Ratings.SatisfactionRate != 75 {
			t.Errorf("summary ratings %+v", s.Ratings)
		}
		if s.Rectifications.Opened != 1 || s.Rectifications.Done != 0 {
			t.Errorf("summary rectifications %+v", s.Rectifications)
		}
		if s.Tickets.Handled != 2 || s.Tickets.OnTime != 1 || *s.Tickets.OnTimeRate != 50 {
			t.Errorf("summary tickets %+v", s.Tickets)
		}
		byCode := map[string]rating.DepartmentFigures{}
		for _, d := range fig.Departments {
			byCode[d.Code] = d
		}
		if len(fig.Departments) != 2 || byCode["SCJG"].Ratings.Total != 4 || byCode["ZJ"].Tickets.Handled != 2 || byCode["ZJ"].Ratings.SatisfactionRate != nil {
			t.Errorf("departments %+v", fig.Departments)
		}
		if len(fig.Services) != 1 || fig.Services[0].Code != "SCJG-001" || fig.Services[0].Ratings.Total != 4 || fig.Services[0].Rectifications.Opened != 1 {
			t.Errorf("services %+v", fig.Services)
		}
		// Rectified on time and called back.
		var xid string
		d.Read().QueryRow(`SELECT id FROM rectifications`).Scan(&xid)
		if _, err := f.store.Answer(ctx, f.p["scjg"], xid, "a", "b"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Callback(ctx, f.p["zhang"], xid, rating.Web, true, ""); err != nil {
			t.Fatal(err)
		}
		fig, _ = f.store.Figures(ctx)
		if r := fig.Summary.Rectifications; r.Done != 1 || r.DoneOnTime != 1 || r.CalledBack != 1 || r.Satisfied != 1 {
			t.Errorf("after the loop %+v", r)
		}
		checkTallies(t, d)
	})
}

// recount is the rectification tallies' columns counted from the rows.
const recount = `COUNT(*), SUM(CASE WHEN state <> 'open' THEN 1 ELSE 0 END), SUM(CASE WHEN on_time THEN 1 ELSE 0 END),
	SUM(CASE WHEN state = 'open' AND warning = 'red' THEN 1 ELSE 0 END), SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END),
	SUM(CASE WHEN callback_satisfied THEN 1 ELSE 0 END)`

// checkTallies compares the figures' running tallies with a full recount
// of the ratings and rectifications.
func checkTallies(t *testing.T, d *db.DB) {
	t.Helper()
	read := func(q string) map[string]string {
		rows, err := d.Read().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		out := map[string]string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprint(vals[0], "/", vals[1])
			out[key] = fmt.Sprint(vals[2:]...)
		}
		return out
	}
	pairs := [][2]string{
		{`SELECT department_code, service_code || ':' || level, n FROM rating_tallies WHERE n <> 0`,
			`SELECT department_code, service_code || ':' || level, COUNT(*) FROM ratings GROUP BY department_code, service_code, level`},
		{`SELECT department_code, service_code, opened, done, done_on_time, overdue, called_back, satisfied FROM rectification_tallies WHERE opened <> 0`,
			`SELECT department_code, service_code, ` + recount + ` FROM rectifications GROUP BY department_code, service_code`},
	}
	for _, p := range pairs {
		got, want := read(p[0]), read(p[1])
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tallies %v, recount %v", got, want)
		}
	}
}

// TestVerifyChecksRatings runs the ledger's verification over ratings and
// rectifications: clean after the loop, and a rating changed behind the
// platform's back is reported.
func TestVerifyChecksRatings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.application(t, "app", "zhang", "concluded")
		r, err := f.store.Rate(ctx, f.p["zhang"], rating.Web, in("app", rating.Unsatisfied))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Answer(ctx, f.p["scjg"], r.RectificationID, "原因", "措施"); err != nil {
			t.Fatal(err)
		}
		keys, _, err := ledger.LoadOrCreateKeys(t.TempDir()+"/ledger.key", "test.example/ledger")
		if err != nil {
			t.Fatal(err)
		}
		l := &ledger.Log{DB: d, Keys: keys}
		ledgertest.IntegrateAll(t, l)
		known, err := keys.Verifiers()
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]ledger.StateFunc{rating.LedgerRating: f.store.LedgerRatingState, rating.LedgerRectification: f.store.LedgerRectificationState}
		rep, err := l.Verify(ctx, known, nil, states)
		if err != nil || len(rep.Breaks) != 0 || rep.Objects != 2 {
			t.Fatalf("verify: %v, %d objects, breaks %v", err, rep.Objects, rep.Breaks)
		}
		if _, err := d.Write().Exec(`UPDATE ratings SET level = 'very_satisfied' WHERE id = $1`, r.ID); err != nil {
			t.Fatal(err)
		}
		rep, err = l.Verify(ctx, known, nil, states)
		if err != nil || len(rep.Breaks) != 1 || rep.Breaks[0].ObjectType != rating.LedgerRating || rep.Breaks[0].ObjectID != r.ID {
			t.Errorf("verify after tampering: %v, breaks %v", err, rep.Breaks)
		}
	})
}
