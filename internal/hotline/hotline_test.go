package hotline_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
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
	db      *db.DB
	cal     *calendar.Store
	store   *hotline.Store
	clock   *clock
	p       map[string]*identity.Principal
	notices map[string][]string // account ID → notice kinds
	mu      sync.Mutex
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
		if err := orgs.PutDivision(ctx, tx, org.Division{Code: "339901", Name: "滨江区", Level: "district", ParentCode: "339900"}); err != nil {
			return err
		}
		for _, dp := range []org.Department{{Code: "SCJG", Name: "市场监督管理局", DivisionCode: "339900"}, {Code: "ZJ", Name: "住建局", DivisionCode: "339900"}, {Code: "GA", Name: "公安局", DivisionCode: "339900"}} {
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
		{"dispatcher", "", identity.KindStaff, identity.Dispatcher, ""},
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
	blobs, err := blob.NewLocal(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	f.store = hotline.NewStore(hotline.Deps{DB: d, Calendar: cals, Blobs: blobs, Location: shanghai, Now: f.clock.now, UploadLimit: 1 << 20,
		Notices: func(ctx context.Context, tx *db.Tx, n notify.Notice) error {
			f.mu.Lock()
			f.notices[n.AccountID] = append(f.notices[n.AccountID], string(n.Kind))
			f.mu.Unlock()
			return notify.Enqueue(ctx, tx, n) // the real outbox: every kind must be a valid notice
		}})
	admin := f.p["admin"]
	for _, c := range []hotline.Category{
		{Code: "ROAD", Name: "城市道路", Active: true},
		{Code: "POTHOLE", ParentCode: "ROAD", Name: "路面坑洼", NameEn: "Pothole", Active: true, Attributes: []hotline.Attribute{
			{Code: "size", Description: "坑洞大小", Datatype: "singlevaluelist", Required: true, Values: []hotline.AttrValue{{Key: "small", Name: "小"}, {Key: "large", Name: "大"}}},
			{Code: "depth", Description: "深度（厘米）", Datatype: "number"},
		}},
		{Code: "FOOD", Name: "食品安全", Active: true},
		{Code: "OLD", Name: "停用分类", Active: false},
	} {
		if _, err := f.store.PutCategory(ctx, admin, c); err != nil {
			t.Fatalf("category %s: %v", c.Code, err)
		}
	}
	for _, r := range []hotline.Rule{{CategoryCode: "ROAD", DepartmentCode: "ZJ"}, {CategoryCode: "FOOD", DepartmentCode: "SCJG"}, {CategoryCode: "FOOD", DivisionCode: "339901", DepartmentCode: "GA"}} {
		if _, err := f.store.PutRule(ctx, admin, r); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) kinds(user string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.notices[f.p[user].Account.ID]...)
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

func ptr(f float64) *float64 { return &f }

var pngFile = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)

func pothole(text string) hotline.Input {
	return hotline.Input{Kind: hotline.Complaint, Category: "POTHOLE", Text: text, Address: "江南大道 88 号", Lat: ptr(30.2101), Lon: ptr(120.2102),
		Attributes: map[string]string{"size": "large", "depth": "12"}}
}

func TestFileValidates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		long := strings.Repeat("长", 2001)
		for _, tc := range []struct {
			name string
			in   hotline.Input
			want map[string]string
		}{
			{"empty text", hotline.Input{Kind: hotline.Complaint, Category: "FOOD", Text: "  "}, map[string]string{"text": "hotline_text_required"}},
			{"long text", hotline.Input{Kind: hotline.Complaint, Category: "FOOD", Text: long}, map[string]string{"text": "text_too_long"}},
			{"unknown category", hotline.Input{Kind: hotline.Complaint, Category: "NOPE", Text: "x"}, map[string]string{"category_code": "hotline_category_unknown"}},
			{"inactive category", hotline.Input{Kind: hotline.Complaint, Category: "OLD", Text: "x"}, map[string]string{"category_code": "hotline_category_unknown"}},
			{"bad kind", hotline.Input{Kind: "rant", Category: "FOOD", Text: "x"}, map[string]string{"kind": "hotline_kind_invalid"}},
			{"lat out of range", hotline.Input{Category: "FOOD", Text: "x", Lat: ptr(91), Lon: ptr(120)}, map[string]string{"lat": "hotline_lat_range"}},
			{"lon out of range", hotline.Input{Category: "FOOD", Text: "x", Lat: ptr(30), Lon: ptr(-181)}, map[string]string{"lon": "hotline_lon_range"}},
			{"half coordinates", hotline.Input{Category: "FOOD", Text: "x", Lat: ptr(30)}, map[string]string{"lat": "hotline_coordinates_pair"}},
			{"missing attribute", hotline.Input{Category: "POTHOLE", Text: "x"}, map[string]string{"attribute[size]": "required"}},
			{"bad attribute", hotline.Input{Category: "POTHOLE", Text: "x", Attributes: map[string]string{"size": "huge", "depth": "deep"}},
				map[string]string{"attribute[size]": "hotline_attribute_value", "attribute[depth]": "hotline_attribute_number"}},
			{"number attribute NaN", hotline.Input{Category: "POTHOLE", Text: "x", Attributes: map[string]string{"size": "large", "depth": "NaN"}},
				map[string]string{"attribute[depth]": "hotline_attribute_number"}},
			{"number attribute inf", hotline.Input{Category: "POTHOLE", Text: "x", Attributes: map[string]string{"size": "large", "depth": "inf"}},
				map[string]string{"attribute[depth]": "hotline_attribute_number"}},
			{"number attribute -Infinity", hotline.Input{Category: "POTHOLE", Text: "x", Attributes: map[string]string{"size": "large", "depth": "-Infinity"}},
				map[string]string{"attribute[depth]": "hotline_attribute_number"}},
			{"number attribute 0x1p4", hotline.Input{Category: "POTHOLE", Text: "x", Attributes: map[string]string{"size": "large", "depth": "0x1p4"}},
				map[string]string{"attribute[depth]": "hotline_attribute_number"}},
			{"number attribute 1e400", hotline.Input{Category: "POTHOLE", Text: "x", Attributes: map[string]string{"size": "large", "depth": "1e400"}},
				map[string]string{"attribute[depth]": "hotline_attribute_number"}},
			{"number attribute 1,5", hotline.Input{Category: "POTHOLE", Text: "x", Attributes: map[string]string{"size": "large", "depth": "1,5"}},
				map[string]string{"attribute[depth]": "hotline_attribute_number"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.store.File(ctx, f.p["zhang"], hotline.Web, tc.in, nil)
				got := fieldKeys(t, err)
				for k, v := range tc.want {
					if got[k] != v {
						t.Errorf("File: field %s = %q, want %q (all: %v)", k, got[k], v, got)
					}
				}
			})
		}
		list, err := f.store.List(ctx, f.p["dispatcher"], hotline.Filter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("after rejected filings, %d tickets stored (%v); want none", len(list), err)
		}
		if _, err := f.store.File(ctx, f.p["scjg"], hotline.Web, pothole("坑"), nil); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("staff filing as a citizen: %v, want ErrForbidden", err)
		}
		if _, err := f.store.File(ctx, f.p["zhang"], hotline.Phone, pothole("坑"), nil); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("citizen filing a phone call: %v, want ErrForbidden", err)
		}
		// A file that is not an accepted type stores nothing.
		_, err = f.store.File(ctx, f.p["zhang"], hotline.Web, pothole("坑"), []hotline.Upload{{Name: "x.exe", R: strings.NewReader("MZ\x90\x00 not an image")}})
		if fieldKeys(t, err)["files"] != "file_type" {
			t.Errorf("exe attachment: %v", err)
		}
		// A photo stored before a later file was refused is released for
		// deletion: the ticket that would have held it was never filed.
		_, err = f.store.File(ctx, f.p["zhang"], hotline.Web, pothole("坑"), []hotline.Upload{
			{Name: "坑.png", R: bytes.NewReader(pngFile)}, {Name: "x.exe", R: strings.NewReader("MZ\x90\x00 not an image")}})
		if fieldKeys(t, err)["files"] != "file_type" {
			t.Errorf("photo and exe: %v", err)
		}
		var released int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM blob_orphans`).Scan(&released); err != nil || released != 1 {
			t.Errorf("%d stored files released after the refused filing (%v), want the photo", released, err)
		}
	})
}

// TestTicketLifecycle follows a complaint from filing through dispatch
// with the suggested department, a return, a re-dispatch, signing,
// reply, an unsatisfied callback that reopens it, a second reply and a
// satisfied callback that closes it.
func TestTicketLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		tk, err := f.store.File(ctx, f.p["zhang"], hotline.Web, pothole("江南大道有个大坑，<script>alert(1)</script>"), []hotline.Upload{{Name: "C:\\photos\\坑.png", R: bytes.NewReader(pngFile)}})
		if err != nil {
			t.Fatal(err)
		}
		if tk.State != hotline.Dispatching || tk.SuggestedDepartment != "ZJ" || !strings.HasPrefix(tk.Number, "RX20260928") {
			t.Fatalf("filed: state %s, suggested %q, number %q", tk.State, tk.SuggestedDepartment, tk.Number)
		}
		if !strings.Contains(tk.Text, "<script>") {
			t.Errorf("text %q: stored as written expected", tk.Text)
		}
		if len(tk.Attachments) != 1 || tk.Attachments[0].FileName != "坑.png" || tk.Attachments[0].ContentType != blob.PNG {
			t.Errorf("attachments = %+v", tk.Attachments)
		}
		if tk.Attributes["size"] != "large" || tk.Days != 5 {
			t.Errorf("attributes %v, days %d; want size=large, 5 days for a complaint", tk.Attributes, tk.Days)
		}
		if got := f.kinds("dispatcher"); len(got) != 1 || got[0] != "ticket_filed" {
			t.Errorf("dispatcher notices = %v", got)
		}
		// The notice names the category in the reader's language.
		inbox, err := notify.NewStore(d, time.Now).List(ctx, f.p["dispatcher"].Account.ID, 10)
		if err != nil || len(inbox) != 1 {
			t.Fatalf("dispatcher's inbox: %v %v", inbox, err)
		}
		if zh, en := inbox[0].Body(i18n.ZH), inbox[0].Body(i18n.EN); !strings.Contains(zh, "路面坑洼") || !strings.Contains(en, "Pothole") {
			t.Errorf("the filed ticket's notice reads %q / %q", zh, en)
		}
		// The department sees nothing before dispatch.
		if _, err := f.store.Get(ctx, f.p["zj"], tk.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("department before dispatch: %v, want not found", err)
		}
		if _, err := f.store.Sign(ctx, f.p["zj"], tk.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("sign before dispatch: %v", err)
		}
		// The dispatcher overrides the suggestion; SCJG returns it.
		tk, err = f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "SCJG", "")
		if err != nil {
			t.Fatal(err)
		}
		if tk.State != hotline.Dispatched || tk.DepartmentCode != "SCJG" || tk.DueDate != "2026-10-10" {
			// 5 working days from Monday 28 September skip the National
			// Day holiday: 29, 30 September, 8, 9 and Saturday 10
			// October, a make-up workday.
			t.Errorf("dispatched: %s to %s due %s", tk.State, tk.DepartmentCode, tk.DueDate)
		}
		if last := tk.Events[len(tk.Events)-1]; last.Action != "dispatched_override" {
			t.Errorf("override logged as %q", last.Action)
		}
		if _, err := f.store.Return(ctx, f.p["zj"], tk.ID, "不是我们的"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("other department returning: %v", err)
		}
		if _, err := f.store.Return(ctx, f.p["scjg"], tk.ID, ""); fieldKeys(t, err)["reason"] != "required" {
			t.Errorf("return without reason: %v", err)
		}
		tk, err = f.store.Return(ctx, f.p["scjg"], tk.ID, "道路不归市场监管")
		if err != nil || tk.State != hotline.Dispatching || tk.DepartmentCode != "" {
			t.Fatalf("return: %v, %+v", err, tk)
		}
		tk, err = f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "", "按规则派单")
		if err != nil || tk.DepartmentCode != "ZJ" {
			t.Fatalf("dispatch to suggestion: %v %+v", err, tk)
		}
		if _, err := f.store.Reply(ctx, f.p["zj"], tk.ID, "已修"); !errors.Is(err, hotline.ErrState) {
			t.Errorf("reply before signing: %v, want ErrState", err)
		}
		if tk, err = f.store.Sign(ctx, f.p["zj"], tk.ID); err != nil || tk.State != hotline.Handling {
			t.Fatalf("sign: %v", err)
		}
		if tk, err = f.store.Reply(ctx, f.p["zj"], tk.ID, "已安排修补"); err != nil || tk.State != hotline.Replied {
			t.Fatalf("reply: %v", err)
		}
		if got := f.kinds("zhang"); len(got) != 1 || got[0] != "ticket_replied" {
			t.Errorf("reporter notices = %v", got)
		}
		// Only the reporter answers the callback of their own ticket.
		if _, err := f.store.Callback(ctx, f.p["lisi"], tk.ID, true, hotline.Satisfied, ""); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("someone else's callback: %v", err)
		}
		if _, err := f.store.Callback(ctx, f.p["dispatcher"], tk.ID, true, hotline.Satisfied, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("dispatcher answering for a reporter with an account: %v", err)
		}
		f.clock.set("2026-10-13 10:00")
		tk, err = f.store.Callback(ctx, f.p["zhang"], tk.ID, false, hotline.Unsatisfied, "坑还在")
		if err != nil {
			t.Fatal(err)
		}
		if tk.State != hotline.Handling || tk.DepartmentCode != "ZJ" || tk.ReopenCount != 1 || tk.ClockDate != "2026-10-13" || tk.DueDate != "2026-10-20" {
			t.Errorf("reopened: %s at %s, reopened %d, clock %s due %s", tk.State, tk.DepartmentCode, tk.ReopenCount, tk.ClockDate, tk.DueDate)
		}
		if got := f.kinds("zj"); !contains(got, "ticket_reopened") {
			t.Errorf("department notices = %v", got)
		}
		tk, err = f.store.Reply(ctx, f.p["zj"], tk.ID, "已重新修补并验收")
		if err != nil {
			t.Fatal(err)
		}
		tk, err = f.store.Callback(ctx, f.p["zhang"], tk.ID, true, hotline.Satisfied, "")
		if err != nil || tk.State != hotline.Closed || tk.ClosedAt == nil {
			t.Fatalf("close: %v %+v", err, tk)
		}
		var actions []string
		for _, e := range tk.Events {
			actions = append(actions, e.Action)
		}
		want := "filed dispatched_override returned dispatched signed replied reopened replied callback_closed"
		if strings.Join(actions, " ") != want {
			t.Errorf("log = %v, want %s", actions, want)
		}
		// The first reply is still in the log.
		found := false
		for _, e := range tk.Events {
			found = found || (e.Action == "replied" && e.Note == "已安排修补")
		}
		if !found {
			t.Error("the first reply is gone from the history")
		}
		if _, err := f.store.Callback(ctx, f.p["zhang"], tk.ID, true, hotline.Satisfied, ""); !errors.Is(err, hotline.ErrState) {
			t.Errorf("second callback: %v", err)
		}
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestProtectedReporterAndReveal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		in := hotline.Input{Kind: hotline.Report, Category: "FOOD", Text: "某餐馆使用过期食材", Division: "339901", Protection: hotline.Protected}
		tk, err := f.store.File(ctx, f.p["zhang"], hotline.Web, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tk.SuggestedDepartment != "GA" {
			t.Errorf("division rule: suggested %q, want GA", tk.SuggestedDepartment)
		}
		if mine, _ := f.store.Get(ctx, f.p["zhang"], tk.ID); mine.ReporterName != "zhang-name" || mine.IdentityHidden {
			t.Errorf("reporter sees own ticket without name: %+v", mine)
		}
		if _, err := f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "SCJG", ""); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"dispatcher", "scjg", "jiancha", "admin"} {
			got, err := f.store.Get(ctx, f.p[u], tk.ID)
			if err != nil {
				t.Fatalf("%s: %v", u, err)
			}
			if got.ReporterName != "" || got.ReporterPhone != "" || !got.IdentityHidden {
				t.Errorf("%s sees the protected reporter: %q %q", u, got.ReporterName, got.ReporterPhone)
			}
			for _, ev := range got.Events {
				if ev.ActorName == "zhang-name" {
					t.Errorf("%s sees the protected reporter in the log: %+v", u, ev)
				}
			}
		}
		list, _ := f.store.List(ctx, f.p["scjg"], hotline.Filter{})
		if len(list) != 1 || list[0].ReporterName != "" {
			t.Errorf("department list shows the reporter: %+v", list)
		}
		for _, u := range []string{"dispatcher", "scjg", "admin"} {
			if _, err := f.store.Reveal(ctx, f.p[u], tk.ID, "调查需要"); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s reveal: %v, want ErrForbidden", u, err)
			}
		}
		if _, err := f.store.Reveal(ctx, f.p["jiancha"], tk.ID, " "); fieldKeys(t, err)["reason"] != "required" {
			t.Errorf("reveal without reason: %v", err)
		}
		who, err := f.store.Reveal(ctx, f.p["jiancha"], tk.ID, "涉嫌诬告，需核实")
		if err != nil || who.Name != "zhang-name" || who.Username != "zhang" || who.Phone != "13800138000" {
			t.Fatalf("reveal: %v %+v", err, who)
		}
		after, _ := f.store.Get(ctx, f.p["scjg"], tk.ID)
		last := after.Events[len(after.Events)-1]
		if last.Action != "revealed" || last.Note != "涉嫌诬告，需核实" || last.ActorName != "jiancha-name" {
			t.Errorf("reveal logged as %+v", last)
		}
		if after.ReporterName != "" {
			t.Error("a reveal exposed the reporter to the department")
		}
		// Anonymous phone calls keep no contact at all.
		anon, err := f.store.File(ctx, f.p["dispatcher"], hotline.Phone, hotline.Input{Kind: hotline.Report, Category: "FOOD", Text: "匿名举报", Protection: hotline.Anonymous, ReporterName: "某人", ReporterPhone: "13900000000"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		who, err = f.store.Reveal(ctx, f.p["jiancha"], anon.ID, "核实")
		if err != nil || who.Name != "" || who.Phone != "" {
			t.Errorf("anonymous call kept contact: %v %+v", err, who)
		}
		pub := hotline.PublicView(tk)
		if pub.Text != "" || pub.ReporterName != "" || pub.Address != "" {
			t.Errorf("public view of a report shows %+v", pub)
		}
	})
}

func TestPhoneIntakeCallbackByDispatcher(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		_, err := f.store.File(ctx, f.p["dispatcher"], hotline.Phone, hotline.Input{Kind: hotline.Inquiry, Category: "FOOD", Text: "咨询食品经营许可", ReporterName: "王先生"}, nil)
		if fieldKeys(t, err)["reporter_phone"] != "hotline_caller_phone_required" {
			t.Errorf("phone call without number: %v", err)
		}
		tk, err := f.store.File(ctx, f.p["dispatcher"], hotline.Phone, hotline.Input{Kind: hotline.Inquiry, Category: "FOOD", Text: "咨询食品经营许可", ReporterName: "王先生", ReporterPhone: "13900000001"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Days != 1 || tk.Channel != hotline.Phone {
			t.Errorf("inquiry: %d days via %s", tk.Days, tk.Channel)
		}
		tk, _ = f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "", "")
		tk, _ = f.store.Sign(ctx, f.p["scjg"], tk.ID)
		if tk.ReporterPhone != "13900000001" {
			t.Errorf("department cannot see an ordinary caller's number")
		}
		if _, err := f.store.Reply(ctx, f.p["scjg"], tk.ID, "请携带材料到窗口办理"); err != nil {
			t.Fatal(err)
		}
		tk, err = f.store.Callback(ctx, f.p["dispatcher"], tk.ID, true, hotline.Basic, "电话回访")
		if err != nil || tk.State != hotline.Closed || tk.Satisfaction != hotline.Basic {
			t.Fatalf("dispatcher's callback: %v %+v", err, tk)
		}
	})
}

func TestDeadlinesWarningsAndUrging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		if err := f.store.SetDeadline(ctx, f.p["dispatcher"], hotline.Help, 2); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("dispatcher sets deadlines: %v", err)
		}
		if err := f.store.SetDeadline(ctx, f.p["admin"], hotline.Help, 0); fieldKeys(t, err)["days"] != "hotline_days_range" {
			t.Errorf("0 days: %v", err)
		}
		if err := f.store.SetDeadline(ctx, f.p["admin"], hotline.Help, 2); err != nil {
			t.Fatal(err)
		}
		f.clock.set("2026-10-12 09:00") // Monday
		tk, err := f.store.File(ctx, f.p["zhang"], hotline.Web, hotline.Input{Kind: hotline.Help, Category: "FOOD", Text: "求助"}, nil)
		if err != nil || tk.Days != 2 {
			t.Fatalf("help with a 2-day limit: %v %+v", err, tk)
		}
		tk, _ = f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "", "")
		if tk.DueDate != "2026-10-14" {
			t.Errorf("due %s, want 2026-10-14", tk.DueDate)
		}
		st, err := f.store.ScanWarnings(ctx)
		if err != nil || st.Yellow+st.Red != 0 {
			t.Errorf("scan on day 0: %+v %v", st, err)
		}
		f.clock.set("2026-10-14 09:00")
		if st, err = f.store.ScanWarnings(ctx); err != nil || st.Yellow != 1 {
			t.Errorf("scan on the due day: %+v %v", st, err)
		}
		if st, _ = f.store.ScanWarnings(ctx); st.Yellow+st.Red != 0 {
			t.Errorf("second scan marked again: %+v", st)
		}
		f.clock.set("2026-10-15 09:00")
		if st, err = f.store.ScanWarnings(ctx); err != nil || st.Red != 1 {
			t.Errorf("scan past due: %+v %v", st, err)
		}
		if got := f.kinds("jiancha"); !contains(got, "ticket_red") {
			t.Errorf("supervisor notices %v, want ticket_red", got)
		}
		if got := f.kinds("scjg"); !contains(got, "ticket_yellow") || !contains(got, "ticket_red") {
			t.Errorf("department notices %v", got)
		}
		if _, err := f.store.Urge(ctx, f.p["dispatcher"], tk.ID, "快办"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("dispatcher urging: %v", err)
		}
		tk, err = f.store.Urge(ctx, f.p["jiancha"], tk.ID, "已超期，请今日办结")
		if err != nil || tk.UrgeCount != 1 || tk.Warning != hotline.Red {
			t.Fatalf("urge: %v %+v", err, tk)
		}
		if got := f.kinds("scjg"); !contains(got, "ticket_urged") {
			t.Errorf("department notices %v, want ticket_urged", got)
		}
	})
}

func TestSimilarAndMerge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		a, err := f.store.File(ctx, f.p["zhang"], hotline.Web, pothole("江南大道88号门口路面有大坑，车辆经过很危险"), nil)
		if err != nil {
			t.Fatal(err)
		}
		near := pothole("江南大道88号门口路面有个大坑，很危险")
		near.Lat, near.Lon = ptr(30.2110), ptr(120.2105) // about 100 m away
		b, err := f.store.File(ctx, f.p["lisi"], hotline.Web, near, nil)
		if err != nil {
			t.Fatal(err)
		}
		far := pothole("江南大道88号门口路面有大坑，车辆经过很危险")
		far.Lat, far.Lon = ptr(30.30), ptr(120.30) // kilometres away
		if _, err := f.store.File(ctx, f.p["lisi"], hotline.Web, far, nil); err != nil {
			t.Fatal(err)
		}
		other := pothole("公园里的路灯坏了好几天")
		if _, err := f.store.File(ctx, f.p["lisi"], hotline.Web, other, nil); err != nil {
			t.Fatal(err)
		}
		ms, err := f.store.Similar(ctx, f.p["dispatcher"], a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Ticket.ID != b.ID || ms[0].Meters > 200 {
			t.Fatalf("similar = %+v, want only the nearby ticket", ms)
		}
		if _, err := f.store.Similar(ctx, f.p["zhang"], a.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("citizen asking for similar: %v", err)
		}
		if _, err := f.store.Merge(ctx, f.p["dispatcher"], b.ID, b.ID); fieldKeys(t, err)["into"] != "hotline_merge_target" {
			t.Errorf("merge into itself: %v", err)
		}
		m, err := f.store.Merge(ctx, f.p["dispatcher"], b.ID, a.ID)
		if err != nil || m.State != hotline.Merged || m.MergedInto != a.ID {
			t.Fatalf("merge: %v %+v", err, m)
		}
		if got := f.kinds("lisi"); !contains(got, "ticket_merged") {
			t.Errorf("merged reporter notices %v", got)
		}
		if _, err := f.store.Merge(ctx, f.p["dispatcher"], a.ID, b.ID); fieldKeys(t, err)["into"] != "hotline_merge_target" {
			t.Errorf("merge into a merged ticket: %v", err)
		}
		ms, _ = f.store.Similar(ctx, f.p["dispatcher"], a.ID)
		if len(ms) != 0 {
			t.Errorf("merged ticket still suggested: %+v", ms)
		}
	})
}

func TestCategoriesAndKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		if _, err := f.store.PutCategory(ctx, f.p["dispatcher"], hotline.Category{Code: "X", Name: "x"}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("dispatcher edits categories: %v", err)
		}
		if _, err := f.store.PutCategory(ctx, f.p["admin"], hotline.Category{Code: "ROAD", ParentCode: "POTHOLE", Name: "城市道路", Active: true}); fieldKeys(t, err)["parent_code"] != "hotline_parent_invalid" {
			t.Errorf("cycle: %v", err)
		}
		cats, err := f.store.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, c := range cats {
			order = append(order, strings.Repeat("-", c.Depth)+c.Code)
		}
		if got := strings.Join(order, " "); got != "FOOD OLD ROAD -POTHOLE" {
			t.Errorf("tree = %s", got)
		}
		key, k, err := f.store.IssueKey(ctx, f.p["admin"], "随手拍 App")
		if err != nil || !strings.HasPrefix(key, "o311_") {
			t.Fatalf("issue: %v %q", err, key)
		}
		got, err := f.store.CheckKey(ctx, key)
		if err != nil || got.ID != k.ID {
			t.Errorf("check issued key: %v", err)
		}
		if _, err := f.store.CheckKey(ctx, key+"x"); !errors.Is(err, hotline.ErrBadKey) {
			t.Errorf("wrong key: %v", err)
		}
		if err := f.store.RevokeKey(ctx, f.p["admin"], k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.CheckKey(ctx, key); !errors.Is(err, hotline.ErrBadKey) {
			t.Errorf("revoked key: %v", err)
		}
		demo, err := f.store.SeedKey(ctx, "demo", "demo-open311-key")
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.store.SeedKey(ctx, "demo", "demo-open311-key")
		if err != nil || again.ID != demo.ID {
			t.Errorf("seeding twice: %v, %s vs %s", err, again.ID, demo.ID)
		}
		tk, err := f.store.FileOpen311(ctx, demo, hotline.Input{Category: "FOOD", Text: "外卖有异物", ReporterEmail: "a@example.com"})
		if fieldKeys(t, err)["lat"] != "hotline_location_required" {
			t.Errorf("open311 without location: %v %+v", err, tk)
		}
		tk, err = f.store.FileOpen311(ctx, demo, hotline.Input{Category: "FOOD", Text: "外卖有异物", Address: "江南大道 1 号", ReporterEmail: "a@example.com"})
		if err != nil || tk.Channel != hotline.Open311 || tk.State != hotline.Dispatching {
			t.Fatalf("open311 filing: %v %+v", err, tk)
		}
		pub, err := f.store.ByNumber(ctx, tk.Number)
		if err != nil || pub.Text != "外卖有异物" || pub.ReporterEmail != "" {
			t.Errorf("public view of an Open311 ticket: %v %+v", err, pub)
		}
	})
}

// TestCreateCategoryNeverReplaces: two admins creating a category of the
// same code at the same moment get one category and one
// hotline_code_taken, never the second overwriting the first.
func TestCreateCategoryNeverReplaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		names := []string{"井盖缺失", "井盖破损"}
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Go(func() {
				_, errs[i] = f.store.CreateCategory(ctx, f.p["admin"], hotline.Category{Code: "MANHOLE", Name: name, Active: true})
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil:
				won = i
			case fieldKeys(t, err)["code"] != "hotline_code_taken":
				t.Errorf("creation %d: %v", i, err)
			}
		}
		if won < 0 || errs[1-won] == nil {
			t.Fatalf("creations = %v, want exactly one to succeed", errs)
		}
		c, err := f.store.Category(ctx, "MANHOLE")
		if err != nil || c.Name != names[won] {
			t.Errorf("category = %+v, %v; want the one created, %q", c, err, names[won])
		}
		// Editing an existing category is still an update.
		if _, err := f.store.PutCategory(ctx, f.p["admin"], hotline.Category{Code: "MANHOLE", Name: "井盖问题", Active: true}); err != nil {
			t.Fatal(err)
		}
		if c, _ := f.store.Category(ctx, "MANHOLE"); c.Name != "井盖问题" {
			t.Errorf("after editing, name = %q", c.Name)
		}
	})
}
