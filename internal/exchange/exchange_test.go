package exchange_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// clock is a settable test clock.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time { return time.Unix(0, c.t.Load()) }
func (c *clock) set(s string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	c.t.Store(t.UnixNano())
}
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }

func idNumber(first17 string) string {
	c, err := idcheck.IDNumberCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

var (
	citizenID = idNumber("33990019900307123")
	otherID   = idNumber("33990019921115242")
)

type fixture struct {
	s     *exchange.Store
	db    *db.DB
	ids   *identity.Store
	clock *clock
	p     map[string]*identity.Principal
	// app is an application by "citizen" with an open task of SCJG.
	app string
}

// setup makes departments GA (provider) and SCJG (consumer), staff, a
// citizen, an application of the citizen with an open SCJG task, and the
// household resource of GA with the citizen's record.
func setup(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: d, clock: &clock{}, p: map[string]*identity.Principal{}}
	f.clock.set("2026-09-28 10:00")
	orgs := org.NewStore(d)
	f.ids = identity.NewStore(d, f.clock.now)
	err := d.Tx(ctx, func(tx *db.Tx) error {
		if err := orgs.PutDivision(ctx, tx, org.Division{Code: "339900", Name: "临江市", Level: "city"}); err != nil {
			return err
		}
		for _, dp := range []org.Department{{Code: "SCJG", Name: "市场监督管理局", DivisionCode: "339900"}, {Code: "GA", Name: "公安局", DivisionCode: "339900"}, {Code: "MZ", Name: "民政局", DivisionCode: "339900"}} {
			if err := orgs.PutDepartment(ctx, tx, dp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	staff := []struct {
		user, dept string
		role       identity.Role
	}{
		{"admin", "", identity.PlatformAdmin},
		{"jiancha", "", identity.Supervisor},
		{"scjg-clerk", "SCJG", identity.Clerk},
		{"scjg-admin", "SCJG", identity.DeptAdmin},
		{"ga-admin", "GA", identity.DeptAdmin},
		{"ga-clerk", "GA", identity.Clerk},
		{"mz-admin", "MZ", identity.DeptAdmin},
		{"mz-clerk", "MZ", identity.Clerk},
	}
	for _, s := range staff {
		a, err := f.ids.Seed(ctx, identity.Account{Kind: identity.KindStaff, Username: s.user, Name: s.user, DepartmentCode: s.dept}, "test-password-2026",
			[]identity.RoleGrant{{Role: s.role, Department: s.dept}})
		if err != nil {
			t.Fatal(err)
		}
		if f.p[s.user], err = f.ids.Principal(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ user, id string }{{"citizen", citizenID}, {"other", otherID}} {
		a, err := f.ids.Seed(ctx, identity.Account{Kind: identity.KindPerson, Username: c.user, Name: "张三", IDNumber: c.id, Phone: "13800000001"},
			"test-password-2026", []identity.RoleGrant{{Role: identity.Citizen}})
		if err != nil {
			t.Fatal(err)
		}
		if f.p[c.user], err = f.ids.Principal(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	f.app = f.application(t, "citizen", "SCJG", "open")
	f.s = exchange.NewStore(exchange.Deps{DB: d, Identity: f.ids, Now: f.clock.now, Location: shanghai})
	f.put(t, exchange.Resource{Code: "GA-HOUSEHOLD", Department: "GA", Name: "户籍人口信息", SubjectKind: exchange.ByIDNumber,
		SharingClass: exchange.Conditional, UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry, Fields: []exchange.Field{
			{Name: "name", Label: "姓名", Sensitivity: exchange.Personal},
			{Name: "address", Label: "户籍地址", Sensitivity: exchange.Personal},
			{Name: "household_head", Label: "户主", Sensitivity: exchange.Personal},
		}})
	if err := f.s.PutRecord(ctx, f.p["ga-admin"], "GA-HOUSEHOLD", citizenID, map[string]string{"name": "张三", "address": "临江市滨江区春晓路 28 号", "household_head": "张三"}); err != nil {
		t.Fatal(err)
	}
	return f
}

var appSeq atomic.Int64

// application inserts an application by username with one task of dept in
// the given state: the application package's rows, written directly.
func (f *fixture) application(t testing.TB, username, dept, taskState string) string {
	t.Helper()
	ctx := context.Background()
	n := appSeq.Add(1)
	id := "app" + strings.Repeat("0", 4) + string(rune('a'+n%26)) + time.Now().Format("150405.000000000")
	now := db.NewTime(f.clock.now())
	_, err := f.db.Write().ExecContext(ctx, `INSERT INTO applications (id, number, service_code, service_version, service_name, department_code,
		applicant_id, applicant_name, state, created_at, updated_at, submitted_at) VALUES ($1, $2, 'SCJG-002', 1, '个体工商户设立登记', $3, $4, '张三', 'accepted', $5, $5, $5)`,
		id, "N"+id, dept, f.p[username].Account.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.db.Write().ExecContext(ctx, `INSERT INTO tasks (id, application_id, step_id, kind, department_code, role, state, days, opened_at, opened_date)
		VALUES ($1, $2, 'review', 'review', $3, 'clerk', $4, 5, $5, '2026-09-28')`, "t"+id, id, dept, taskState, now)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) put(t testing.TB, r exchange.Resource) {
	t.Helper()
	if _, err := f.s.PutResource(context.Background(), f.p["admin"], r); err != nil {
		t.Fatalf("PutResource(%s): %v", r.Code, err)
	}
}

// grantHousehold has SCJG ask for and GA grant the household fields.
func (f *fixture) grantHousehold(t testing.TB, fields []string, rate int) *exchange.Grant {
	t.Helper()
	ctx := context.Background()
	req, g, err := f.s.Request(ctx, f.p["scjg-admin"], exchange.RequestInput{Resource: "GA-HOUSEHOLD", Fields: fields,
		Purpose: "核验个体工商户经营者身份与住所", LegalBasis: "《促进个体工商户发展条例》", Days: 30, RatePerHour: rate})
	if err != nil || g != nil || req.State != exchange.Pending {
		t.Fatalf("Request = %+v, %v, %v; want pending", req, g, err)
	}
	_, g, err = f.s.Decide(ctx, f.p["ga-admin"], req.ID, true, "")
	if err != nil || g == nil {
		t.Fatalf("Decide = %v, %v", g, err)
	}
	return g
}

func fieldKey(err error, field string) string {
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		return ""
	}
	return inv.Get(field)
}

func TestResourceValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		base := exchange.Resource{Code: "GA-X", Department: "GA", Name: "x", SubjectKind: exchange.ByIDNumber, SharingClass: exchange.Unconditional,
			UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry, Fields: []exchange.Field{{Name: "a", Label: "A", Sensitivity: exchange.Public}}}
		for _, tc := range []struct {
			name, field, key string
			edit             func(r *exchange.Resource)
		}{
			{"bad code", "code", "exchange_code_invalid", func(r *exchange.Resource) { r.Code = "ga x" }},
			{"no fields", "fields", "required", func(r *exchange.Resource) { r.Fields = nil }},
			{"sensitive unconditional", "sharing_class", "exchange_sensitive_unconditional", func(r *exchange.Resource) {
				r.Fields[0].Sensitivity = exchange.SensitivePersonal
			}},
			{"provider without URL", "provider_url", "exchange_provider_url_invalid", func(r *exchange.Resource) { r.Source = exchange.FromProvider }},
			{"unknown department", "department_code", "exchange_department_unknown", func(r *exchange.Resource) { r.Department = "NOPE" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := base
				r.Fields = append([]exchange.Field(nil), base.Fields...)
				tc.edit(&r)
				_, err := f.s.PutResource(ctx, f.p["admin"], r)
				if got := fieldKey(err, tc.field); got != tc.key {
					t.Errorf("PutResource: %v; field %s = %q, want %q", err, tc.field, got, tc.key)
				}
			})
		}
		// A department registers its own resources only.
		if _, err := f.s.PutResource(ctx, f.p["scjg-admin"], base); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("SCJG admin registering a GA resource: %v, want forbidden", err)
		}
		if _, err := f.s.PutResource(ctx, f.p["ga-admin"], base); err != nil {
			t.Errorf("GA admin registering a GA resource: %v", err)
		}
	})
}

func TestRequestsAndGrants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.put(t, exchange.Resource{Code: "MZ-MARRIAGE", Department: "MZ", Name: "婚姻登记信息", SubjectKind: exchange.ByIDNumber,
			SharingClass: exchange.Unconditional, UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry,
			Fields: []exchange.Field{{Name: "status", Label: "婚姻状况", Sensitivity: exchange.Personal}}})
		f.put(t, exchange.Resource{Code: "GA-CRIMINAL", Department: "GA", Name: "违法犯罪记录", SubjectKind: exchange.ByIDNumber,
			SharingClass: exchange.NotShared, UpdateFrequency: exchange.Daily, Source: exchange.FromRegistry,
			Fields: []exchange.Field{{Name: "records", Label: "记录", Sensitivity: exchange.SensitivePersonal}}})
		in := exchange.RequestInput{Resource: "MZ-MARRIAGE", Fields: []string{"status"}, Purpose: "核验婚姻状况", LegalBasis: "《婚姻登记条例》"}

		// Unconditional: granted at once, without a decider.
		req, g, err := f.s.Request(ctx, f.p["scjg-admin"], in)
		if err != nil || req.State != exchange.Granted || g == nil || !g.Automatic || g.Department != "SCJG" || g.RatePerHour != exchange.DefaultRatePerHour {
			t.Fatalf("Request(unconditional) = %+v, %+v, %v; want granted automatically", req, g, err)
		}
		if want := f.clock.now().AddDate(0, 0, exchange.DefaultDays); !g.ExpiresAt.Equal(want) {
			t.Errorf("expires %v, want %v", g.ExpiresAt, want)
		}
		// The negative list: never, and nothing stored.
		in.Resource, in.Fields = "GA-CRIMINAL", []string{"records"}
		if _, _, err := f.s.Request(ctx, f.p["scjg-admin"], in); fieldKey(err, "resource") != "exchange_negative_list" {
			t.Errorf("Request(negative list) = %v, want exchange_negative_list", err)
		}
		// Fields must be the resource's; staff without exchange.manage
		// cannot ask.
		in.Resource, in.Fields = "GA-HOUSEHOLD", []string{"name", "salary"}
		if _, _, err := f.s.Request(ctx, f.p["scjg-admin"], in); fieldKey(err, "fields.1") != "exchange_field_unknown" {
			t.Errorf("Request(unknown field) = %v", err)
		}
		in.Fields = []string{"name"}
		if _, _, err := f.s.Request(ctx, f.p["scjg-clerk"], exchange.RequestInput{Resource: "GA-HOUSEHOLD", Department: "SCJG", Fields: in.Fields,
			Purpose: "x", LegalBasis: "y"}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("Request by a clerk = %v, want forbidden", err)
		}
		// Conditional: pending until GA's admin decides; others cannot.
		req, g, err = f.s.Request(ctx, f.p["scjg-admin"], in)
		if err != nil || req.State != exchange.Pending || g != nil {
			t.Fatalf("Request(conditional) = %+v, %v, %v", req, g, err)
		}
		for _, who := range []string{"scjg-admin", "mz-admin", "ga-clerk"} {
			if _, _, err := f.s.Decide(ctx, f.p[who], req.ID, true, ""); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("Decide by %s = %v, want not found", who, err)
			}
		}
		if _, _, err := f.s.Decide(ctx, f.p["ga-admin"], req.ID, false, ""); fieldKey(err, "reason") != "required" {
			t.Errorf("reject without reason = %v", err)
		}
		req, g, err = f.s.Decide(ctx, f.p["ga-admin"], req.ID, true, "同意，仅限登记核验")
		if err != nil || req.State != exchange.Granted || g == nil || g.Automatic || req.GrantID != g.ID {
			t.Fatalf("Decide = %+v, %+v, %v", req, g, err)
		}
		if _, _, err := f.s.Decide(ctx, f.p["ga-admin"], req.ID, false, "again"); !errors.Is(err, exchange.ErrState) {
			t.Errorf("second decision = %v, want ErrState", err)
		}
		// A rejected request leaves no grant.
		rej, _, _ := f.s.Request(ctx, f.p["scjg-admin"], in)
		rej, g2, err := f.s.Decide(ctx, f.p["ga-admin"], rej.ID, false, "用途与字段不符")
		if err != nil || rej.State != exchange.Rejected || g2 != nil || rej.Reason != "用途与字段不符" {
			t.Errorf("reject = %+v, %v, %v", rej, g2, err)
		}
		// Lists by department.
		reqs, err := f.s.Requests(ctx, f.p["ga-admin"])
		if err != nil || len(reqs) != 2 {
			t.Errorf("GA's requests = %d, %v; want 2 (MZ's not included)", len(reqs), err)
		}
		grants, err := f.s.Grants(ctx, f.p["scjg-clerk"])
		if err != nil || len(grants) != 2 {
			t.Errorf("SCJG's grants = %d, %v; want 2", len(grants), err)
		}
		if grants, _ := f.s.Grants(ctx, f.p["mz-clerk"]); len(grants) != 1 {
			t.Errorf("MZ's grants = %d, want 1 (the one it gave)", len(grants))
		}
		// Revocation: by the provider, with a reason, once.
		if _, err := f.s.Revoke(ctx, f.p["scjg-admin"], g.ID, "x"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("revoke by consumer = %v, want not found", err)
		}
		if _, err := f.s.Revoke(ctx, f.p["ga-admin"], g.ID, ""); fieldKey(err, "reason") != "required" {
			t.Errorf("revoke without reason = %v", err)
		}
		r, err := f.s.Revoke(ctx, f.p["ga-admin"], g.ID, "核验工作结束")
		if err != nil || r.RevokedAt == nil || r.Active(f.clock.now()) {
			t.Errorf("Revoke = %+v, %v", r, err)
		}
		if _, err := f.s.Revoke(ctx, f.p["ga-admin"], g.ID, "again"); !errors.Is(err, exchange.ErrState) {
			t.Errorf("second revoke = %v, want ErrState", err)
		}
	})
}
