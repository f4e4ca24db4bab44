package identity_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
)

// fixture is a Store on a fresh database with two departments and a clock
// the test moves by hand.
type fixture struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	s   *identity.Store
	now time.Time
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), d: d, now: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)}
	f.s = identity.NewStore(d, func() time.Time { return f.now })
	orgs := org.NewStore(d)
	err := d.Tx(f.ctx, func(tx *db.Tx) error {
		if err := orgs.PutDivision(f.ctx, tx, org.Division{Code: "330100", Name: "杭州市", Level: "city"}); err != nil {
			return err
		}
		if err := orgs.PutDepartment(f.ctx, tx, org.Department{Code: deptA, Name: "市场监督管理局", DivisionCode: "330100"}); err != nil {
			return err
		}
		return orgs.PutDepartment(f.ctx, tx, org.Department{Code: deptB, Name: "公安局", DivisionCode: "330100"})
	})
	if err != nil {
		t.Fatalf("set up departments: %v", err)
	}
	return f
}

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

// count runs a COUNT(*) query.
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.Read().QueryRowContext(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) principal(id string) *identity.Principal {
	f.t.Helper()
	p, err := f.s.Principal(f.ctx, id)
	if err != nil {
		f.t.Fatalf("Principal(%s): %v", id, err)
	}
	return p
}

// idNumber returns a valid ID number (Hangzhou, born 1990-01-01) whose
// sequence digits are seq.
func idNumber(t testing.TB, seq int) string {
	t.Helper()
	first := fmt.Sprintf("33010619900101%03d", seq)
	c, err := idcheck.IDNumberCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// wrongCheck replaces the check character of a valid number with another one
// from alphabet.
func wrongCheck(valid, alphabet string) string {
	last := valid[len(valid)-1]
	for i := 0; i < len(alphabet); i++ {
		if alphabet[i] != last {
			return valid[:len(valid)-1] + string(alphabet[i])
		}
	}
	panic("no other character")
}

// creditCode returns a valid unified social credit code.
func creditCode(t testing.TB, seq int) string {
	t.Helper()
	first := fmt.Sprintf("91330106%09d", seq)
	c, err := idcheck.CreditCodeCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

const goodPassword = "tongban2025"

func person(t testing.TB, n int) identity.PersonInput {
	return identity.PersonInput{
		Username: fmt.Sprintf("person%d", n),
		Password: goodPassword,
		Name:     "张三",
		IDNumber: idNumber(t, n),
		Phone:    fmt.Sprintf("138%08d", n),
	}
}

func (f *fixture) register(n int) *identity.Account {
	f.t.Helper()
	a, err := f.s.RegisterPerson(f.ctx, person(f.t, n))
	if err != nil {
		f.t.Fatalf("RegisterPerson(person%d): %v", n, err)
	}
	return a
}

// fieldKey returns the message key err carries for field, or fails the test
// if err is not a *fielderr.Invalid.
func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("error %v (%T) is not a *fielderr.Invalid", err, err)
	}
	return inv.Get(field)
}

func TestRegisterPerson(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := person(t, 1)
		in.Username = "  Alice.W "
		in.Email = "alice@example.cn"
		lowerX := idNumberEndingInX(t)
		in.IDNumber = " " + strings.ToLower(lowerX) + " "
		a, err := f.s.RegisterPerson(f.ctx, in)
		if err != nil {
			t.Fatalf("RegisterPerson: %v", err)
		}
		if a.Username != "alice.w" || a.IDNumber != lowerX || a.Kind != identity.KindPerson || a.ID == "" {
			t.Errorf("RegisterPerson = %+v, want username alice.w, ID number %s, kind person", a, lowerX)
		}
		stored, err := f.s.AccountByUsername(f.ctx, "alice.w")
		if err != nil {
			t.Fatalf("AccountByUsername(alice.w): %v", err)
		}
		if *stored != *a {
			t.Errorf("stored account = %+v, want %+v", stored, a)
		}
		if p := f.principal(a.ID); !slices.Equal(p.Grants, []identity.RoleGrant{{Role: identity.Citizen}}) {
			t.Errorf("grants of a new person = %v, want [citizen]", p.Grants)
		}

		good := person(t, 2)
		tests := []struct {
			name   string
			mutate func(*identity.PersonInput)
			field  string
			key    string
		}{
			{"wrong check digit", func(in *identity.PersonInput) { in.IDNumber = wrongCheck(in.IDNumber, "0123456789X") }, "id_number", "id_number_check"},
			{"ID number birth date in future", func(in *identity.PersonInput) { in.IDNumber = withCheck(t, "33010621000101001") }, "id_number", "id_number_date"},
			{"ID number bad region", func(in *identity.PersonInput) { in.IDNumber = withCheck(t, "99010619900101001") }, "id_number", "id_number_region"},
			{"ID number too short", func(in *identity.PersonInput) { in.IDNumber = "3301061990" }, "id_number", "id_number_format"},
			{"duplicate username", func(in *identity.PersonInput) { in.Username = "ALICE.W" }, "username", "username_taken"},
			{"duplicate ID number", func(in *identity.PersonInput) { in.IDNumber = lowerX }, "id_number", "id_number_taken"},
			{"weak password", func(in *identity.PersonInput) { in.Password = "password" }, "password", "password_weak"},
			{"short password", func(in *identity.PersonInput) { in.Password = "abc123" }, "password", "password_weak"},
			{"landline is not a mobile", func(in *identity.PersonInput) { in.Phone = "0571-87654321" }, "phone", "phone_invalid"},
			{"phone too short", func(in *identity.PersonInput) { in.Phone = "1381234567" }, "phone", "phone_invalid"},
			{"phone missing", func(in *identity.PersonInput) { in.Phone = "" }, "phone", "phone_invalid"},
			{"username invalid", func(in *identity.PersonInput) { in.Username = "9lives" }, "username", "username_invalid"},
			{"name too short", func(in *identity.PersonInput) { in.Name = "张" }, "name", "name_invalid"},
			{"email invalid", func(in *identity.PersonInput) { in.Email = "not-an-email" }, "email", "email_invalid"},
		}
		before := f.count(`SELECT COUNT(*) FROM accounts`)
		beforeRoles := f.count(`SELECT COUNT(*) FROM account_roles`)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := good
				tc.mutate(&in)
				a, err := f.s.RegisterPerson(f.ctx, in)
				if err == nil {
					t.Fatalf("RegisterPerson = %+v, nil; want error %s: %s", a, tc.field, tc.key)
				}
				if got := fieldKey(t, err, tc.field); got != tc.key {
					t.Errorf("RegisterPerson error %v: field %s = %q, want %q", err, tc.field, got, tc.key)
				}
				if n := f.count(`SELECT COUNT(*) FROM accounts`); n != before {
					t.Errorf("accounts after failed registration = %d, want %d", n, before)
				}
				if n := f.count(`SELECT COUNT(*) FROM account_roles`); n != beforeRoles {
					t.Errorf("role grants after failed registration = %d, want %d", n, beforeRoles)
				}
			})
		}

		t.Run("several errors at once", func(t *testing.T) {
			_, err := f.s.RegisterPerson(f.ctx, identity.PersonInput{Username: "x", Password: "x", Name: "x", IDNumber: "x", Phone: "x"})
			for _, field := range []string{"username", "password", "name", "id_number", "phone"} {
				if fieldKey(t, err, field) == "" {
					t.Errorf("RegisterPerson(all invalid) error %v has no %s failure", err, field)
				}
			}
		})

		t.Run("second person", func(t *testing.T) {
			if _, err := f.s.RegisterPerson(f.ctx, good); err != nil {
				t.Fatalf("RegisterPerson(person2) after failures: %v", err)
			}
			if n := f.count(`SELECT COUNT(*) FROM accounts`); n != before+1 {
				t.Errorf("accounts = %d, want %d", n, before+1)
			}
		})
	})
}

// idNumberEndingInX returns a valid ID number whose check character is X.
func idNumberEndingInX(t testing.TB) string {
	for seq := 100; seq < 1000; seq++ {
		if id := idNumber(t, seq); strings.HasSuffix(id, "X") {
			return id
		}
	}
	t.Fatal("no ID number ending in X")
	return ""
}

func withCheck(t testing.TB, first17 string) string {
	c, err := idcheck.IDNumberCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.register(1)
		b := f.register(2)

		auth := func(t *testing.T, username, pw string, want error) {
			t.Helper()
			got, err := f.s.Authenticate(f.ctx, username, pw)
			if !errors.Is(err, want) {
				t.Fatalf("Authenticate(%q, %q) = %v, %v; want %v", username, pw, got, err, want)
			}
			if want == nil && (got == nil || got.Username != username) {
				t.Fatalf("Authenticate(%q) = %+v, want that account", username, got)
			}
			if want != nil && got != nil {
				t.Fatalf("Authenticate(%q) returned account %+v with error %v", username, got, err)
			}
		}

		t.Run("basics", func(t *testing.T) {
			tests := []struct {
				name, username, pw string
				want               error
			}{
				{"right password", a.Username, goodPassword, nil},
				{"wrong password", a.Username, goodPassword + "x", identity.ErrBadCredentials},
				{"empty password", a.Username, "", identity.ErrBadCredentials},
				{"unknown user", "nobody", goodPassword, identity.ErrBadCredentials},
				{"another user's password still works", b.Username, goodPassword, nil},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) { auth(t, tc.username, tc.pw, tc.want) })
			}
			got, err := f.s.Authenticate(f.ctx, a.Username, goodPassword)
			if err != nil || got.ID != a.ID {
				t.Errorf("Authenticate(%q) = %+v, %v; want account %s", a.Username, got, err, a.ID)
			}
		})

		t.Run("lock after MaxFailures", func(t *testing.T) {
			f.advance(time.Hour) // forget the failure above
			for i := 0; i < identity.MaxFailures; i++ {
				auth(t, a.Username, "wrong-1234", identity.ErrBadCredentials)
				f.advance(time.Second)
			}
			auth(t, a.Username, goodPassword, identity.ErrLocked)
			auth(t, a.Username, "wrong-1234", identity.ErrLocked)
			// The lock is per username: b is unaffected.
			auth(t, b.Username, goodPassword, nil)

			f.advance(identity.Lock - 10*time.Second)
			auth(t, a.Username, goodPassword, identity.ErrLocked)

			f.advance(20 * time.Second)
			auth(t, a.Username, goodPassword, nil)
			if n := f.count(`SELECT COUNT(*) FROM login_throttle WHERE username = $1`, a.Username); n != 0 {
				t.Errorf("throttle rows after successful sign-in = %d, want 0", n)
			}
			// The counter starts over: MaxFailures-1 more failures do not lock.
			for i := 0; i < identity.MaxFailures-1; i++ {
				auth(t, a.Username, "wrong-1234", identity.ErrBadCredentials)
			}
			auth(t, a.Username, goodPassword, nil)
		})

		t.Run("failures outside the window do not add up", func(t *testing.T) {
			for i := 0; i < identity.MaxFailures-1; i++ {
				auth(t, a.Username, "wrong-1234", identity.ErrBadCredentials)
			}
			f.advance(identity.Window + time.Minute)
			auth(t, a.Username, "wrong-1234", identity.ErrBadCredentials)
			auth(t, a.Username, goodPassword, nil)
		})

		t.Run("disabled account", func(t *testing.T) {
			if _, err := f.d.Write().ExecContext(f.ctx, `UPDATE accounts SET disabled = TRUE WHERE id = $1`, b.ID); err != nil {
				t.Fatal(err)
			}
			auth(t, b.Username, goodPassword, identity.ErrBadCredentials)
		})

		t.Run("unknown users are throttled too", func(t *testing.T) {
			for i := 0; i < identity.MaxFailures; i++ {
				auth(t, "ghost", goodPassword, identity.ErrBadCredentials)
			}
			auth(t, "ghost", goodPassword, identity.ErrLocked)
		})
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.register(1)

		newSession := func(t *testing.T) string {
			t.Helper()
			s, err := f.s.CreateSession(f.ctx, a.ID)
			if err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			if s.Token == "" || s.AccountID != a.ID || !s.CreatedAt.Equal(f.now) {
				t.Fatalf("CreateSession = %+v", s)
			}
			return s.Token
		}
		resolve := func(t *testing.T, token string, want error) {
			t.Helper()
			p, err := f.s.ResolveSession(f.ctx, token)
			if !errors.Is(err, want) {
				t.Fatalf("ResolveSession at %s = %v, %v; want %v", f.now.Format(time.TimeOnly), p, err, want)
			}
			if want == nil && (p == nil || p.Account.ID != a.ID) {
				t.Fatalf("ResolveSession = %+v, want account %s", p, a.ID)
			}
		}

		t.Run("resolve and end", func(t *testing.T) {
			tok := newSession(t)
			p, err := f.s.ResolveSession(f.ctx, tok)
			if err != nil {
				t.Fatalf("ResolveSession: %v", err)
			}
			if p.Account.ID != a.ID || p.Account.Username != a.Username || p.Account.IDNumber != a.IDNumber {
				t.Errorf("ResolveSession account = %+v, want %+v", p.Account, a)
			}
			if want := []identity.RoleGrant{{Role: identity.Citizen}}; !slices.Equal(p.Grants, want) {
				t.Errorf("ResolveSession grants = %v, want %v", p.Grants, want)
			}
			if !p.Can(identity.PermOrgRegister) || p.Can(identity.PermStaffDesk) {
				t.Errorf("resolved citizen: Can(org.register)=%v Can(staff.desk)=%v", p.Can(identity.PermOrgRegister), p.Can(identity.PermStaffDesk))
			}
			other := newSession(t)
			if err := f.s.EndSession(f.ctx, tok); err != nil {
				t.Fatalf("EndSession: %v", err)
			}
			resolve(t, tok, identity.ErrNoSession)
			resolve(t, other, nil) // ending one session leaves the others
		})

		t.Run("bad tokens", func(t *testing.T) {
			tok := newSession(t)
			for _, bad := range []string{"", "x", tok + "x", tok[:len(tok)-1], strings.Repeat("a", 200)} {
				if p, err := f.s.ResolveSession(f.ctx, bad); !errors.Is(err, identity.ErrNoSession) {
					t.Errorf("ResolveSession(%q) = %v, %v; want ErrNoSession", bad, p, err)
				}
			}
		})

		t.Run("idle expiry", func(t *testing.T) {
			tok := newSession(t)
			idle := f.s.SessionIdle
			f.advance(idle - time.Minute)
			resolve(t, tok, nil)
			// Activity extends the session beyond SessionIdle after creation.
			f.advance(idle - time.Minute)
			resolve(t, tok, nil)
			f.advance(idle + time.Minute)
			resolve(t, tok, identity.ErrNoSession)
			// Going back in time does not revive it: it was deleted.
			f.now = f.now.Add(-idle)
			resolve(t, tok, identity.ErrNoSession)
			f.advance(idle)
		})

		t.Run("absolute expiry", func(t *testing.T) {
			tok := newSession(t)
			created := f.now
			const step = 25 * time.Minute // under SessionIdle
			if step >= f.s.SessionIdle {
				t.Fatalf("step %v is not under SessionIdle %v", step, f.s.SessionIdle)
			}
			for f.now.Sub(created) < f.s.SessionMax {
				f.advance(step)
				if f.now.Sub(created) < f.s.SessionMax {
					resolve(t, tok, nil)
				}
			}
			if f.now.Sub(created) <= f.s.SessionMax {
				t.Fatalf("loop ended %v after creation, not past SessionMax %v", f.now.Sub(created), f.s.SessionMax)
			}
			resolve(t, tok, identity.ErrNoSession)
		})

		t.Run("shorter limits", func(t *testing.T) {
			f.s.SessionIdle, f.s.SessionMax = 5*time.Minute, time.Hour
			defer func() { f.s.SessionIdle, f.s.SessionMax = 30*time.Minute, 12*time.Hour }()
			tok := newSession(t)
			f.advance(6 * time.Minute)
			resolve(t, tok, identity.ErrNoSession)
		})

		t.Run("token not stored in clear", func(t *testing.T) {
			tok := newSession(t)
			rows, err := f.d.Read().QueryContext(f.ctx, `SELECT * FROM sessions`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			nrows := 0
			for rows.Next() {
				nrows++
				vals := make([]sql.NullString, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, v := range vals {
					if strings.Contains(v.String, tok) {
						t.Errorf("sessions.%s = %q contains the token %q", cols[i], v.String, tok)
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if nrows == 0 {
				t.Fatal("sessions table is empty")
			}
			resolve(t, tok, nil)
		})

		t.Run("purge", func(t *testing.T) {
			live := newSession(t)
			f.advance(f.s.SessionIdle + time.Minute)
			fresh := newSession(t)
			if err := f.s.PurgeSessions(f.ctx); err != nil {
				t.Fatalf("PurgeSessions: %v", err)
			}
			if n := f.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
				t.Errorf("sessions after purge = %d, want 1", n)
			}
			resolve(t, fresh, nil)
			resolve(t, live, identity.ErrNoSession)
		})

		t.Run("disabled account", func(t *testing.T) {
			tok := newSession(t)
			resolve(t, tok, nil)
			if _, err := f.d.Write().ExecContext(f.ctx, `UPDATE accounts SET disabled = TRUE WHERE id = $1`, a.ID); err != nil {
				t.Fatal(err)
			}
			resolve(t, tok, identity.ErrNoSession)
		})
	})
}

// staffFixture adds a platform admin, a department admin of deptA and a
// citizen to a fixture.
type staffFixture struct {
	*fixture
	platform, adminA, citizen *identity.Principal
}

func newStaffFixture(t *testing.T, d *db.DB) *staffFixture {
	t.Helper()
	f := newFixture(t, d)
	pa, err := f.s.Seed(f.ctx, identity.Account{Kind: identity.KindStaff, Username: "root", Name: "平台管理员"},
		"root-password-1", []identity.RoleGrant{{Role: identity.PlatformAdmin}})
	if err != nil {
		t.Fatalf("Seed(root): %v", err)
	}
	sf := &staffFixture{fixture: f, platform: f.principal(pa.ID)}
	aa, err := f.s.CreateStaff(f.ctx, sf.platform, identity.StaffInput{Username: "admin.a", Password: goodPassword, Name: "部门管理员",
		DepartmentCode: deptA, Roles: []identity.RoleGrant{{Role: identity.DeptAdmin}}})
	if err != nil {
		t.Fatalf("CreateStaff(admin.a): %v", err)
	}
	sf.adminA = f.principal(aa.ID)
	sf.citizen = f.principal(f.register(1).ID)
	return sf
}

func TestCreateStaff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStaffFixture(t, d)
		if want := []identity.RoleGrant{{Role: identity.DeptAdmin, Department: deptA}}; !slices.Equal(f.adminA.Grants, want) {
			t.Fatalf("admin.a grants = %v, want %v", f.adminA.Grants, want)
		}
		clerkA := &identity.Principal{Account: &identity.Account{ID: "nobody", Kind: identity.KindStaff, DepartmentCode: deptA},
			Grants: []identity.RoleGrant{{Role: identity.Clerk, Department: deptA}}}

		g := func(r identity.Role, dept string) identity.RoleGrant {
			return identity.RoleGrant{Role: r, Department: dept}
		}
		tests := []struct {
			name       string
			actor      *identity.Principal
			dept       string
			roles      []identity.RoleGrant
			wantErr    error  // sentinel, or nil
			field, key string // field error, if any
			wantGrants []identity.RoleGrant
		}{
			{name: "platform admin, dept admin of B", actor: f.platform, dept: deptB,
				roles: []identity.RoleGrant{{Role: identity.DeptAdmin}}, wantGrants: []identity.RoleGrant{g(identity.DeptAdmin, deptB)}},
			{name: "platform admin, supervisor and approver in B", actor: f.platform, dept: deptB,
				roles:      []identity.RoleGrant{{Role: identity.Supervisor}, {Role: identity.Approver}},
				wantGrants: []identity.RoleGrant{g(identity.Approver, deptB), g(identity.Supervisor, "")}},
			{name: "platform admin, another platform admin", actor: f.platform, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.PlatformAdmin}}, wantGrants: []identity.RoleGrant{g(identity.PlatformAdmin, "")}},
			{name: "platform admin, clerk of A in B", actor: f.platform, dept: deptB,
				roles: []identity.RoleGrant{g(identity.Clerk, deptA)}, wantGrants: []identity.RoleGrant{g(identity.Clerk, deptA)}},
			{name: "dept admin, clerk in own dept", actor: f.adminA, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.Clerk}}, wantGrants: []identity.RoleGrant{g(identity.Clerk, deptA)}},
			{name: "dept admin, reviewer and approver in own dept", actor: f.adminA, dept: deptA,
				roles:      []identity.RoleGrant{{Role: identity.Approver}, g(identity.Reviewer, deptA)},
				wantGrants: []identity.RoleGrant{g(identity.Reviewer, deptA), g(identity.Approver, deptA)}},
			{name: "dept admin, clerk in other dept", actor: f.adminA, dept: deptB,
				roles: []identity.RoleGrant{{Role: identity.Clerk}}, wantErr: identity.ErrForbidden},
			{name: "dept admin, own dept account with role in other dept", actor: f.adminA, dept: deptA,
				roles: []identity.RoleGrant{g(identity.Clerk, deptB)}, wantErr: identity.ErrForbidden},
			{name: "dept admin grants supervisor", actor: f.adminA, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.Supervisor}}, wantErr: identity.ErrForbidden},
			{name: "dept admin grants clerk and supervisor", actor: f.adminA, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.Clerk}, {Role: identity.Supervisor}}, wantErr: identity.ErrForbidden},
			{name: "dept admin grants platform admin", actor: f.adminA, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.PlatformAdmin}}, wantErr: identity.ErrForbidden},
			{name: "dept admin grants supervisor labelled with own dept", actor: f.adminA, dept: deptA,
				roles: []identity.RoleGrant{g(identity.Supervisor, deptA)}, wantErr: identity.ErrForbidden},
			{name: "dept admin grants platform admin labelled with own dept", actor: f.adminA, dept: deptA,
				roles: []identity.RoleGrant{g(identity.PlatformAdmin, deptA)}, wantErr: identity.ErrForbidden},
			{name: "clerk", actor: clerkA, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.Clerk}}, wantErr: identity.ErrForbidden},
			{name: "citizen", actor: f.citizen, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.Clerk}}, wantErr: identity.ErrForbidden},
			{name: "anonymous", actor: nil, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.Clerk}}, wantErr: identity.ErrForbidden},
			{name: "unknown department", actor: f.platform, dept: "NOPE",
				roles: []identity.RoleGrant{{Role: identity.Clerk}}, field: "department_code", key: "department_unknown"},
			{name: "citizen role", actor: f.platform, dept: deptA,
				roles: []identity.RoleGrant{{Role: identity.Citizen}}, field: "roles", key: "role_invalid"},
			{name: "unknown role", actor: f.platform, dept: deptA,
				roles: []identity.RoleGrant{{Role: "root"}}, field: "roles", key: "role_invalid"},
			{name: "no roles", actor: f.platform, dept: deptA, field: "roles", key: "roles_required"},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				username := fmt.Sprintf("staff%02d", i)
				before := f.count(`SELECT COUNT(*) FROM accounts`)
				a, err := f.s.CreateStaff(f.ctx, tc.actor, identity.StaffInput{Username: username, Password: goodPassword,
					Name: "工作人员", Phone: "0571-87654321", DepartmentCode: tc.dept, Roles: tc.roles})
				switch {
				case tc.wantErr != nil:
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("CreateStaff = %+v, %v; want %v", a, err, tc.wantErr)
					}
				case tc.key != "":
					if err == nil {
						t.Fatalf("CreateStaff = %+v, nil; want %s: %s", a, tc.field, tc.key)
					}
					if got := fieldKey(t, err, tc.field); got != tc.key {
						t.Fatalf("CreateStaff error %v: %s = %q, want %q", err, tc.field, got, tc.key)
					}
				default:
					if err != nil {
						t.Fatalf("CreateStaff: %v", err)
					}
					if a.Kind != identity.KindStaff || a.DepartmentCode != tc.dept || a.Username != username {
						t.Errorf("CreateStaff = %+v, want staff %s of %s", a, username, tc.dept)
					}
					p := f.principal(a.ID)
					if !slices.Equal(p.Grants, tc.wantGrants) {
						t.Errorf("grants = %v, want %v", p.Grants, tc.wantGrants)
					}
					if !p.IsStaff() {
						t.Errorf("IsStaff() = false")
					}
					if _, err := f.s.Authenticate(f.ctx, username, goodPassword); err != nil {
						t.Errorf("Authenticate(%q) = %v, want nil", username, err)
					}
					return
				}
				if n := f.count(`SELECT COUNT(*) FROM accounts`); n != before {
					t.Errorf("accounts after refused CreateStaff = %d, want %d", n, before)
				}
			})
		}

		t.Run("input not modified", func(t *testing.T) {
			roles := []identity.RoleGrant{{Role: identity.Clerk}}
			if _, err := f.s.CreateStaff(f.ctx, f.adminA, identity.StaffInput{Username: "clerk.x", Password: goodPassword, Name: "工作人员",
				DepartmentCode: deptA, Roles: roles}); err != nil {
				t.Fatalf("CreateStaff: %v", err)
			}
			if want := (identity.RoleGrant{Role: identity.Clerk}); roles[0] != want {
				t.Errorf("CreateStaff changed the caller's roles to %v, want %v", roles[0], want)
			}
		})

		t.Run("duplicate username", func(t *testing.T) {
			_, err := f.s.CreateStaff(f.ctx, f.platform, identity.StaffInput{Username: "Admin.A", Password: goodPassword, Name: "重名",
				DepartmentCode: deptA, Roles: []identity.RoleGrant{{Role: identity.Clerk}}})
			if got := fieldKey(t, err, "username"); got != "username_taken" {
				t.Errorf("CreateStaff(duplicate) error %v: username = %q, want username_taken", err, got)
			}
		})

		t.Run("staff list", func(t *testing.T) {
			staff, err := f.s.Staff(f.ctx, deptA)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range staff {
				names = append(names, p.Account.Username)
				if p.Account.DepartmentCode != deptA || len(p.Grants) == 0 {
					t.Errorf("Staff(%s) has %+v with grants %v", deptA, p.Account, p.Grants)
				}
			}
			// admin.a, the platform admin created in A, and the two accounts
			// the dept admin created.
			if want := []string{"admin.a", "clerk.x", "staff02", "staff04", "staff05"}; !slices.Equal(names, want) {
				t.Errorf("Staff(%s) = %v, want %v", deptA, names, want)
			}
		})

		t.Run("platform staff list", func(t *testing.T) {
			staff, err := f.s.Staff(f.ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(staff) != 1 || staff[0].Account.Username != "root" {
				t.Fatalf("Staff(\"\") = %v, want only the platform admin root", staff)
			}
			if want := []identity.RoleGrant{{Role: identity.PlatformAdmin}}; !slices.Equal(staff[0].Grants, want) {
				t.Errorf("root grants = %v, want %v", staff[0].Grants, want)
			}
		})
	})
}

func TestSetStaffRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStaffFixture(t, d)
		create := func(username, dept string, roles ...identity.RoleGrant) *identity.Account {
			t.Helper()
			a, err := f.s.CreateStaff(f.ctx, f.platform, identity.StaffInput{Username: username, Password: goodPassword, Name: "工作人员",
				DepartmentCode: dept, Roles: roles})
			if err != nil {
				t.Fatalf("CreateStaff(%s): %v", username, err)
			}
			return a
		}
		clerkA := create("clerk.a", deptA, identity.RoleGrant{Role: identity.Clerk})
		clerkB := create("clerk.b", deptB, identity.RoleGrant{Role: identity.Clerk})
		supA := create("sup.a", deptA, identity.RoleGrant{Role: identity.Clerk}, identity.RoleGrant{Role: identity.Supervisor})

		grantsOf := func(id string) []identity.RoleGrant {
			t.Helper()
			p, err := f.s.Principal(f.ctx, id)
			if errors.Is(err, db.ErrNotFound) {
				return nil
			}
			if err != nil {
				t.Fatalf("Principal(%s): %v", id, err)
			}
			return p.Grants
		}
		// reviewer returns a fresh slice for each call, so that no case
		// depends on what an earlier one did to its input.
		reviewer := func() []identity.RoleGrant { return []identity.RoleGrant{{Role: identity.Reviewer}} }

		t.Run("dept admin changes own clerk to reviewer", func(t *testing.T) {
			sess, err := f.s.CreateSession(f.ctx, clerkA.ID)
			if err != nil {
				t.Fatal(err)
			}
			other, err := f.s.CreateSession(f.ctx, f.adminA.Account.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.SetStaffRoles(f.ctx, f.adminA, clerkA.ID, []identity.RoleGrant{{Role: identity.Reviewer}}); err != nil {
				t.Fatalf("SetStaffRoles: %v", err)
			}
			if got, want := grantsOf(clerkA.ID), []identity.RoleGrant{{Role: identity.Reviewer, Department: deptA}}; !slices.Equal(got, want) {
				t.Errorf("grants after SetStaffRoles = %v, want %v", got, want)
			}
			if _, err := f.s.ResolveSession(f.ctx, sess.Token); !errors.Is(err, identity.ErrNoSession) {
				t.Errorf("ResolveSession(changed account's session) = %v, want ErrNoSession", err)
			}
			if _, err := f.s.ResolveSession(f.ctx, other.Token); err != nil {
				t.Errorf("ResolveSession(another account's session) = %v, want nil", err)
			}
		})

		tests := []struct {
			name    string
			actor   *identity.Principal
			target  string
			roles   []identity.RoleGrant
			wantErr error
			key     string // roles field error
		}{
			{"dept admin, other dept's staff", f.adminA, clerkB.ID, reviewer(), identity.ErrForbidden, ""},
			{"dept admin, moves own staff to other dept", f.adminA, clerkA.ID,
				[]identity.RoleGrant{{Role: identity.Clerk, Department: deptB}}, identity.ErrForbidden, ""},
			{"dept admin grants supervisor", f.adminA, clerkA.ID, []identity.RoleGrant{{Role: identity.Supervisor}}, identity.ErrForbidden, ""},
			{"dept admin, account with a supervisor role", f.adminA, supA.ID, reviewer(), identity.ErrForbidden, ""},
			{"citizen", f.citizen, clerkA.ID, reviewer(), identity.ErrForbidden, ""},
			{"anonymous", nil, clerkA.ID, reviewer(), identity.ErrForbidden, ""},
			{"no roles", f.adminA, clerkA.ID, nil, nil, "roles_required"},
			{"citizen role", f.adminA, clerkA.ID, []identity.RoleGrant{{Role: identity.Citizen}}, nil, "role_invalid"},
			{"person account", f.platform, f.citizen.Account.ID, reviewer(), db.ErrNotFound, ""},
			{"department role for platform staff", f.platform, f.platform.Account.ID, reviewer(), nil, "role_needs_department"},
			{"unknown account", f.platform, "no-such-id", reviewer(), db.ErrNotFound, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := grantsOf(tc.target)
				err := f.s.SetStaffRoles(f.ctx, tc.actor, tc.target, tc.roles)
				if tc.key != "" {
					if got := fieldKey(t, err, "roles"); got != tc.key {
						t.Fatalf("SetStaffRoles error %v: roles = %q, want %q", err, got, tc.key)
					}
				} else if !errors.Is(err, tc.wantErr) {
					t.Fatalf("SetStaffRoles = %v, want %v", err, tc.wantErr)
				}
				if after := grantsOf(tc.target); !slices.Equal(after, before) {
					t.Errorf("grants changed by refused SetStaffRoles: %v, was %v", after, before)
				}
			})
		}

		t.Run("input not modified", func(t *testing.T) {
			roles := reviewer()
			if err := f.s.SetStaffRoles(f.ctx, f.adminA, clerkA.ID, roles); err != nil {
				t.Fatalf("SetStaffRoles: %v", err)
			}
			if want := reviewer(); !slices.Equal(roles, want) {
				t.Errorf("SetStaffRoles changed the caller's roles to %v, want %v", roles, want)
			}
		})

		t.Run("platform admin changes any account", func(t *testing.T) {
			roles := []identity.RoleGrant{{Role: identity.Approver}, {Role: identity.DeptAdmin, Department: deptA}}
			if err := f.s.SetStaffRoles(f.ctx, f.platform, supA.ID, roles); err != nil {
				t.Fatalf("SetStaffRoles: %v", err)
			}
			want := []identity.RoleGrant{{Role: identity.Approver, Department: deptA}, {Role: identity.DeptAdmin, Department: deptA}}
			if got := grantsOf(supA.ID); !slices.Equal(got, want) {
				t.Errorf("grants = %v, want %v", got, want)
			}
		})
	})
}

func TestOrganizations(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		alice := f.principal(f.register(1).ID)
		bob := f.principal(f.register(2).ID)
		carol := f.principal(f.register(3).ID)
		staff, err := f.s.Seed(f.ctx, identity.Account{Kind: identity.KindStaff, Username: "clerk", Name: "工作人员", DepartmentCode: deptA},
			goodPassword, []identity.RoleGrant{{Role: identity.Clerk}})
		if err != nil {
			t.Fatal(err)
		}
		staffP := f.principal(staff.ID)
		// A staff account that also holds the citizen role still may not
		// register an organization.
		staffCitizen := &identity.Principal{Account: staffP.Account, Grants: slices.Concat(staffP.Grants, []identity.RoleGrant{{Role: identity.Citizen}})}

		code := creditCode(t, 1)
		input := func(code string) identity.OrganizationInput {
			return identity.OrganizationInput{Name: "杭州通办科技有限公司", CreditCode: code, LegalRepresentative: "张三", Address: "杭州市西湖区"}
		}

		o, err := f.s.RegisterOrganization(f.ctx, alice, input(" "+strings.ToLower(code)+" "))
		if err != nil {
			t.Fatalf("RegisterOrganization: %v", err)
		}
		if o.CreditCode != code || o.ID == "" || !slices.Equal(o.Agents, []string{alice.Account.Username}) {
			t.Errorf("RegisterOrganization = %+v, want credit code %s and agent %s", o, code, alice.Account.Username)
		}
		if alice.Has(identity.OrgAgent) {
			t.Fatalf("RegisterOrganization changed the caller's Principal in place")
		}
		alice = f.principal(alice.Account.ID)
		if !alice.Has(identity.OrgAgent) || !alice.Has(identity.Citizen) || !alice.Can(identity.PermOrgAct) {
			t.Errorf("grants after RegisterOrganization = %v, want citizen and org_agent", alice.Grants)
		}

		t.Run("refused", func(t *testing.T) {
			tests := []struct {
				name    string
				actor   *identity.Principal
				code    string
				wantErr error
				key     string
			}{
				{"bad check char", carol, wrongCheck(creditCode(t, 2), "0123456789ABCDEFGHJKLMNPQRTUWXY"), nil, "credit_code_check"},
				{"bad format", carol, "91330106ABC", nil, "credit_code_format"},
				{"duplicate", carol, code, nil, "credit_code_taken"},
				{"staff account", staffP, creditCode(t, 3), identity.ErrForbidden, ""},
				{"staff account with citizen role", staffCitizen, creditCode(t, 3), identity.ErrForbidden, ""},
				{"anonymous", nil, creditCode(t, 3), identity.ErrForbidden, ""},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					o, err := f.s.RegisterOrganization(f.ctx, tc.actor, input(tc.code))
					if tc.key != "" {
						if err == nil {
							t.Fatalf("RegisterOrganization = %+v, nil; want credit_code: %s", o, tc.key)
						}
						if got := fieldKey(t, err, "credit_code"); got != tc.key {
							t.Fatalf("RegisterOrganization error %v: credit_code = %q, want %q", err, got, tc.key)
						}
					} else if !errors.Is(err, tc.wantErr) {
						t.Fatalf("RegisterOrganization = %+v, %v; want %v", o, err, tc.wantErr)
					}
					if n := f.count(`SELECT COUNT(*) FROM organizations`); n != 1 {
						t.Errorf("organizations = %d, want 1", n)
					}
				})
			}
			if f.principal(carol.Account.ID).Has(identity.OrgAgent) {
				t.Errorf("carol became an agent through a refused registration")
			}
		})

		t.Run("agents", func(t *testing.T) {
			// carol acts for an organization of her own, not for alice's.
			if _, err := f.s.RegisterOrganization(f.ctx, carol, input(creditCode(t, 4))); err != nil {
				t.Fatal(err)
			}
			carol = f.principal(carol.Account.ID)
			tests := []struct {
				name     string
				actor    *identity.Principal
				username string
				wantErr  error
				key      string
			}{
				{"non-agent", bob, bob.Account.Username, identity.ErrForbidden, ""},
				{"agent of another organization", carol, carol.Account.Username, identity.ErrForbidden, ""},
				{"staff", staffP, bob.Account.Username, identity.ErrForbidden, ""},
				{"anonymous", nil, bob.Account.Username, identity.ErrForbidden, ""},
				{"unknown username", alice, "nobody", nil, "account_unknown"},
				{"staff username", alice, "clerk", nil, "account_unknown"},
				{"agent adds bob", alice, bob.Account.Username, nil, ""},
				{"agent adds bob again", alice, bob.Account.Username, nil, ""},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					err := f.s.AddAgent(f.ctx, tc.actor, o.ID, tc.username)
					if tc.key != "" {
						if got := fieldKey(t, err, "username"); got != tc.key {
							t.Fatalf("AddAgent(%q) error %v: username = %q, want %q", tc.username, err, got, tc.key)
						}
					} else if !errors.Is(err, tc.wantErr) {
						t.Fatalf("AddAgent(%q) = %v, want %v", tc.username, err, tc.wantErr)
					}
				})
			}
			for _, tc := range []struct {
				who  *identity.Principal
				want bool
			}{{alice, true}, {bob, true}, {carol, false}, {staffP, false}} {
				if got, err := f.s.IsAgent(f.ctx, o.ID, tc.who.Account.ID); err != nil || got != tc.want {
					t.Errorf("IsAgent(%s) = %v, %v; want %v", tc.who.Account.Username, got, err, tc.want)
				}
			}
			if !f.principal(bob.Account.ID).Has(identity.OrgAgent) {
				t.Errorf("bob lacks org_agent after AddAgent")
			}
			if f.principal(staff.ID).Has(identity.OrgAgent) {
				t.Errorf("staff account got org_agent")
			}
			// bob, now an agent, may add others.
			bob = f.principal(bob.Account.ID)
			if err := f.s.AddAgent(f.ctx, bob, o.ID, carol.Account.Username); err != nil {
				t.Errorf("AddAgent by new agent = %v, want nil", err)
			}
		})

		t.Run("list", func(t *testing.T) {
			tests := []struct {
				name  string
				id    string
				codes []string
			}{
				{"alice", alice.Account.ID, []string{code}},
				{"bob", bob.Account.ID, []string{code}},
				{"carol", carol.Account.ID, []string{code, creditCode(t, 4)}},
				{"staff", staff.ID, nil},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					orgs, err := f.s.Organizations(f.ctx, tc.id)
					if err != nil {
						t.Fatal(err)
					}
					var codes []string
					for _, o := range orgs {
						codes = append(codes, o.CreditCode)
						if o.Name != "杭州通办科技有限公司" || o.LegalRepresentative != "张三" || o.Address != "杭州市西湖区" {
							t.Errorf("Organizations(%s) has %+v", tc.name, o)
						}
					}
					slices.Sort(codes)
					want := slices.Clone(tc.codes)
					slices.Sort(want)
					if !slices.Equal(codes, want) {
						t.Errorf("Organizations(%s) credit codes = %v, want %v", tc.name, codes, want)
					}
				})
			}
		})
	})
}

func TestSeedIdempotent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		acct := identity.Account{Kind: identity.KindStaff, Username: "admin", Name: "管理员", DepartmentCode: deptA}
		roles := []identity.RoleGrant{{Role: identity.PlatformAdmin}, {Role: identity.DeptAdmin}}
		first, err := f.s.Seed(f.ctx, acct, "first-password-1", roles)
		if err != nil {
			t.Fatalf("Seed: %v", err)
		}
		second, err := f.s.Seed(f.ctx, acct, "second-password-2", roles)
		if err != nil {
			t.Fatalf("second Seed: %v", err)
		}
		if first.ID != second.ID {
			t.Errorf("Seed IDs = %s, %s; want the same", first.ID, second.ID)
		}
		if n := f.count(`SELECT COUNT(*) FROM accounts WHERE username = $1`, "admin"); n != 1 {
			t.Errorf("accounts named admin = %d, want 1", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM account_roles WHERE account_id = $1`, first.ID); n != 2 {
			t.Errorf("role grants = %d, want 2", n)
		}
		want := []identity.RoleGrant{{Role: identity.DeptAdmin, Department: deptA}, {Role: identity.PlatformAdmin}}
		if got := f.principal(first.ID).Grants; !slices.Equal(got, want) {
			t.Errorf("grants = %v, want %v", got, want)
		}
		for _, tc := range []struct {
			pw   string
			want error
		}{
			{"second-password-2", identity.ErrBadCredentials},
			{"first-password-1", nil},
		} {
			if _, err := f.s.Authenticate(f.ctx, "admin", tc.pw); !errors.Is(err, tc.want) {
				t.Errorf("Authenticate(%q) = %v, want %v", tc.pw, err, tc.want)
			}
		}

		t.Run("person", func(t *testing.T) {
			p := identity.Account{Kind: identity.KindPerson, Username: "demo", Name: "演示用户", IDNumber: idNumber(t, 7), Phone: "13900000007"}
			for range 2 {
				if _, err := f.s.Seed(f.ctx, p, goodPassword, []identity.RoleGrant{{Role: identity.Citizen}}); err != nil {
					t.Fatalf("Seed(person): %v", err)
				}
			}
			if n := f.count(`SELECT COUNT(*) FROM accounts WHERE username = $1`, "demo"); n != 1 {
				t.Errorf("accounts named demo = %d, want 1", n)
			}
			bad := p
			bad.Username = "demo2"
			bad.IDNumber = wrongCheck(p.IDNumber, "0123456789X")
			if _, err := f.s.Seed(f.ctx, bad, goodPassword, nil); err == nil {
				t.Errorf("Seed(person with bad ID number) = nil, want error")
			}
			if _, err := f.s.Seed(f.ctx, identity.Account{Kind: identity.KindStaff, Username: "weak", Name: "弱密码"}, "password", nil); err == nil {
				t.Errorf("Seed(weak password) = nil, want error")
			}
		})
	})
}

func TestAccountJSONMasksPersonalData(t *testing.T) {
	id := idNumber(t, 42)
	const phone = "13812345678"
	a := identity.Account{ID: "a1", Kind: identity.KindPerson, Username: "alice", Name: "张三", IDNumber: id, Phone: phone}
	maskedID := id[:3] + strings.Repeat("*", 11) + id[14:]
	const maskedPhone = "138****5678"

	tests := []struct {
		name string
		v    any
	}{
		{"pointer", &a},
		{"value", a},
		{"slice of values", []identity.Account{a}},
		{"slice of pointers", []*identity.Account{&a}},
		{"principal", &identity.Principal{Account: &a, Grants: []identity.RoleGrant{{Role: identity.Citizen}}}},
		{"struct field by value", struct{ Account identity.Account }{a}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			for _, secret := range []string{id, phone, id[6:14]} {
				if strings.Contains(s, secret) {
					t.Errorf("json.Marshal = %s, contains %q", s, secret)
				}
			}
			for _, m := range []string{maskedID, maskedPhone} {
				if !strings.Contains(s, m) {
					t.Errorf("json.Marshal = %s, want it to contain %q", s, m)
				}
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		b, err := json.Marshal(&a)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"id": "a1", "kind": "person", "username": "alice", "name": "张三",
			"id_number_masked": maskedID, "phone_masked": maskedPhone}
		if len(m) != len(want) {
			t.Errorf("json.Marshal = %s, want keys %v", b, want)
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("json %q = %v, want %v", k, m[k], v)
			}
		}
	})
}

// TestCanGrant checks the rule forms use to offer roles against what
// SetStaffRoles accepts.
func TestCanGrant(t *testing.T) {
	adminA := &identity.Principal{Account: &identity.Account{ID: "a", Kind: identity.KindStaff, DepartmentCode: deptA},
		Grants: []identity.RoleGrant{{Role: identity.DeptAdmin, Department: deptA}}}
	platform := &identity.Principal{Account: &identity.Account{ID: "p", Kind: identity.KindStaff},
		Grants: []identity.RoleGrant{{Role: identity.PlatformAdmin}}}
	clerkA := &identity.Principal{Account: &identity.Account{ID: "c", Kind: identity.KindStaff, DepartmentCode: deptA},
		Grants: []identity.RoleGrant{{Role: identity.Clerk, Department: deptA}}}
	tests := []struct {
		name  string
		actor *identity.Principal
		dept  string
		roles []identity.RoleGrant
		want  bool
	}{
		{"dept admin, own dept, implicit department", adminA, deptA, []identity.RoleGrant{{Role: identity.Reviewer}, {Role: identity.DeptAdmin}}, true},
		{"dept admin, own dept, explicit department", adminA, deptA, []identity.RoleGrant{{Role: identity.Clerk, Department: deptA}}, true},
		{"dept admin, other dept", adminA, deptB, []identity.RoleGrant{{Role: identity.Clerk}}, false},
		{"dept admin, role in other dept", adminA, deptA, []identity.RoleGrant{{Role: identity.Clerk, Department: deptB}}, false},
		{"dept admin, supervisor", adminA, deptA, []identity.RoleGrant{{Role: identity.Supervisor}}, false},
		{"dept admin, platform admin", adminA, deptA, []identity.RoleGrant{{Role: identity.PlatformAdmin}}, false},
		{"platform admin, anything", platform, deptB, []identity.RoleGrant{{Role: identity.Supervisor}, {Role: identity.Clerk, Department: deptA}}, true},
		{"clerk", clerkA, deptA, []identity.RoleGrant{{Role: identity.Clerk}}, false},
		{"anonymous", nil, deptA, []identity.RoleGrant{{Role: identity.Clerk}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.actor.CanGrant(tc.dept, tc.roles); got != tc.want {
				t.Errorf("CanGrant(%s, %v) = %v, want %v", tc.dept, tc.roles, got, tc.want)
			}
		})
	}
}

func TestSeedShared(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		pw := &identity.SharedPassword{Password: "shared-password-1"}
		names := []string{"clerk1", "clerk2", "clerk3"}
		for _, name := range names {
			if _, err := f.s.SeedShared(f.ctx, identity.Account{Kind: identity.KindStaff, Username: name, Name: "工作人员", DepartmentCode: deptA}, pw, []identity.RoleGrant{{Role: identity.Clerk}}); err != nil {
				t.Fatalf("SeedShared(%s): %v", name, err)
			}
		}
		p := identity.Account{Kind: identity.KindPerson, Username: "citizen", Name: "演示用户", IDNumber: idNumber(t, 8), Phone: "13900000008"}
		if _, err := f.s.SeedShared(f.ctx, p, pw, []identity.RoleGrant{{Role: identity.Citizen}}); err != nil {
			t.Fatalf("SeedShared(person): %v", err)
		}
		for _, name := range append(names, "citizen") {
			if _, err := f.s.Authenticate(f.ctx, name, "shared-password-1"); err != nil {
				t.Errorf("Authenticate(%s) with the shared password: %v", name, err)
			}
			if _, err := f.s.Authenticate(f.ctx, name, "shared-password-2"); !errors.Is(err, identity.ErrBadCredentials) {
				t.Errorf("Authenticate(%s) with another password = %v, want bad credentials", name, err)
			}
		}
		// Hashed once: every account seeded with it holds the same hash.
		if n := f.count(`SELECT COUNT(DISTINCT password_hash) FROM accounts WHERE username IN ('clerk1', 'clerk2', 'clerk3', 'citizen')`); n != 1 {
			t.Errorf("accounts seeded with one shared password hold %d hashes, want 1", n)
		}
		// Seed gives each account a hash of its own.
		for _, name := range []string{"own1", "own2"} {
			if _, err := f.s.Seed(f.ctx, identity.Account{Kind: identity.KindStaff, Username: name, Name: "工作人员", DepartmentCode: deptA}, "shared-password-1", nil); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.count(`SELECT COUNT(DISTINCT password_hash) FROM accounts WHERE username IN ('own1', 'own2', 'clerk1')`); n != 3 {
			t.Errorf("accounts seeded one by one with one password hold %d hashes, want 3", n)
		}
		weak := &identity.SharedPassword{Password: "password"}
		if _, err := f.s.SeedShared(f.ctx, identity.Account{Kind: identity.KindStaff, Username: "weak", Name: "弱密码"}, weak, nil); err == nil {
			t.Errorf("SeedShared(weak password) = nil, want error")
		}
	})
}
