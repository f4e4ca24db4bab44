package demo_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/segment"
	"github.com/tongban/tongban/internal/workflow"
)

type fixture struct {
	d    *db.DB
	orgs *org.Store
	ids  *identity.Store
	cat  *catalog.Store
	deps application.Deps
	apps *application.Store
}

func setup(t *testing.T, d *db.DB, now time.Time) *fixture {
	t.Helper()
	seg, err := segment.New()
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	f := &fixture{d: d, orgs: org.NewStore(d), ids: identity.NewStore(d, clock)}
	f.cat = catalog.NewStore(d, seg, clock)
	cals := calendar.NewStore(d, clock)
	if _, err := cals.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewLocal(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	f.deps = application.Deps{DB: d, Catalog: f.cat, Processes: workflow.NewStore(d, f.ids, f.cat, clock), Calendar: cals,
		Blobs: blobs, Identity: f.ids, Org: f.orgs, Location: now.Location(), Now: clock, Notices: application.Outbox}
	f.apps = application.NewStore(f.deps)
	return f
}

func (f *fixture) load(t *testing.T) {
	t.Helper()
	if _, err := demo.Load(t.Context(), f.d, f.orgs, f.ids, f.cat, &f.deps); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) principal(t *testing.T, username string) *identity.Principal {
	t.Helper()
	acc, err := f.ids.AccountByUsername(t.Context(), username)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.ids.Principal(t.Context(), acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// applications returns every demo application, in full, by service code
// and state.
func (f *fixture) applications(t *testing.T) []*application.Application {
	t.Helper()
	var out []*application.Application
	seen := map[string]bool{}
	for _, u := range []string{"zhangsan", "lisi", "wangwu"} {
		p := f.principal(t, u)
		list, err := f.apps.Mine(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			if seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			full, err := f.apps.Get(t.Context(), p, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full)
		}
	}
	return out
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// TestDemoApplications loads the demo with its applications on a
// Wednesday and checks what a visitor of the demo is promised: an
// application in every state, joint approvals in two departments at once,
// a branch step, a countersign half signed, letters for concluded ones,
// yellow and red tasks, something in the queue of every kind of staff;
// and that loading again files nothing twice.
func TestDemoApplications(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := time.Date(2026, 11, 25, 10, 30, 0, 0, shanghai)
		f := setup(t, d, now)
		f.load(t)
		apps := f.applications(t)
		byState := map[application.State]int{}
		warnings := map[application.Warning]int{}
		for _, a := range apps {
			byState[a.State]++
			if a.State == application.Concluded && a.Letter == nil {
				t.Errorf("%s %s is concluded without a decision letter", a.ServiceCode, a.Number)
			}
			for _, tk := range a.Tasks {
				if tk.State == application.TaskOpen {
					warnings[tk.Warning]++
				}
			}
			for _, e := range a.Events {
				if e.At.After(now) {
					t.Errorf("%s: event %s at %v, after now", a.ServiceCode, e.Action, e.At)
				}
			}
		}
		for _, s := range []application.State{application.Draft, application.Submitted, application.Supplement, application.Accepted,
			application.Refused, application.Withdrawn, application.Concluded} {
			if byState[s] == 0 {
				t.Errorf("no demo application is %s; have %v", s, byState)
			}
		}
		if warnings[application.Yellow] == 0 || warnings[application.Red] == 0 {
			t.Errorf("open tasks by warning = %v, want some yellow and some red", warnings)
		}
		find := func(code string, state application.State, applicant ...string) *application.Application {
			for _, a := range apps {
				if a.ServiceCode == code && a.State == state && (len(applicant) == 0 || a.ApplicantName == applicant[0]) {
					return a
				}
			}
			t.Fatalf("no demo application of %s is %s", code, state)
			return nil
		}
		openDepts := func(a *application.Application) map[string]string {
			m := map[string]string{}
			for _, tk := range a.Tasks {
				if tk.State == application.TaskOpen {
					m[tk.StepID] = tk.DepartmentCode
				}
			}
			return m
		}
		if got := openDepts(find("ZJ-003", application.Accepted)); got["zj_review"] != "ZJ" || got["xf_review"] != "XF" {
			t.Errorf("joint approval ZJ-003 open steps = %v, want zj_review (ZJ) and xf_review (XF) at once", got)
		}
		if got := openDepts(find("SCJG-001", application.Accepted, "临江市味道餐饮有限公司")); len(got) != 1 || got["xf_review"] != "XF" {
			t.Errorf("food licence over 500 m² open steps = %v, want the fire review branch", got)
		}
		loan := find("GJJ-002", application.Accepted)
		for _, tk := range loan.Tasks {
			if tk.StepID == "decide" && (tk.State != application.TaskOpen || len(tk.Signatures) != 1 || tk.Signers != 2) {
				t.Errorf("countersigned loan decision: state %s, %d of %d signatures; want open with 1 of 2", tk.State, len(tk.Signatures), tk.Signers)
			}
		}
		supp := find("WJ-002", application.Supplement).OpenSupplement()
		if supp == nil || len(supp.Items) != 2 {
			t.Errorf("open supplement request = %+v, want one listing a material and a field at once", supp)
		}
		if a := find("GJJ-001", application.Concluded); a.Result != application.Denied || len(a.Letter.Body.LegalBasis) == 0 {
			t.Errorf("denied application: result %s, letter %+v; want denied with the legal basis", a.Result, a.Letter)
		}
		if a := find("SCJG-002", application.Concluded); a.Result != application.Approved {
			t.Errorf("approved application: result %s", a.Result)
		}
		for _, u := range []string{"scjg-clerk", "scjg-reviewer", "scjg-approver", "scjg-admin", "zj-approver", "xf-reviewer", "gjj-approver2",
			"mz-clerk", "rs-clerk", "ga-reviewer", "yb-reviewer", "sw-approver", "bjscjg-clerk"} {
			q, err := f.apps.Queue(t.Context(), f.principal(t, u), application.QueueFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(q) == 0 {
				t.Errorf("the work queue of %s is empty", u)
			}
		}
		// One audited lookup shows on "who used my data", stamped in the
		// ledger with the rest.
		lookups := func() int {
			var n int
			if err := f.d.Read().QueryRow(`SELECT COUNT(*) FROM exchange_access_log WHERE outcome = 'answered' AND resource_code = 'GA-HOUSEHOLD'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := lookups(); n != 1 {
			t.Errorf("demo lookups: %d, want 1", n)
		}
		// Loading again files nothing twice.
		f.load(t)
		if again := f.applications(t); len(again) != len(apps) {
			t.Errorf("after a second load %d applications, want %d", len(again), len(apps))
		}
		if n := lookups(); n != 1 {
			t.Errorf("demo lookups after a second load: %d, want 1", n)
		}
	})
}

// TestDemoApplicationsOnAHoliday loads the demo on a Saturday: no task is
// due before Monday, yet the demo still shows yellow marks.
func TestDemoApplicationsOnAHoliday(t *testing.T) {
	f := setup(t, dbtest.SQLite(t), time.Date(2026, 11, 28, 9, 0, 0, 0, shanghai))
	f.load(t)
	warnings := map[application.Warning]int{}
	for _, a := range f.applications(t) {
		for _, tk := range a.Tasks {
			if tk.State == application.TaskOpen {
				warnings[tk.Warning]++
			}
		}
	}
	if warnings[application.Yellow] == 0 || warnings[application.Red] == 0 {
		t.Errorf("open tasks by warning = %v, want some yellow and some red", warnings)
	}
}
