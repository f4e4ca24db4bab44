package workflow_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/segment"
	"github.com/tongban/tongban/internal/workflow"
)

var (
	segOnce sync.Once
	seg     *segment.Segmenter
)

type fixture struct {
	wf  *workflow.Store
	ids *identity.Store
	cat *catalog.Store
}

// demoFixture loads the demo city into d.
func demoFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	segOnce.Do(func() {
		var err error
		if seg, err = segment.New(); err != nil {
			t.Fatal(err)
		}
	})
	ctx := context.Background()
	orgs := org.NewStore(d)
	ids := identity.NewStore(d, time.Now)
	cat := catalog.NewStore(d, seg, time.Now)
	if _, err := demo.Load(ctx, d, orgs, ids, cat, nil); err != nil {
		t.Fatal(err)
	}
	return &fixture{wf: workflow.NewStore(d, ids, cat, time.Now), ids: ids, cat: cat}
}

func (f *fixture) principal(t *testing.T, username string) *identity.Principal {
	t.Helper()
	ctx := context.Background()
	a, err := f.ids.AccountByUsername(ctx, username)
	if err != nil {
		t.Fatalf("account %s: %v", username, err)
	}
	p, err := f.ids.Principal(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDemoProcesses: every demo service names a stored process that
// validates against the demo directory and the service's form, and the
// demo shows each feature of the format.
func TestDemoProcesses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := demoFixture(t, d)
		entries, err := f.cat.Entries(ctx, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) < 40 {
			t.Fatalf("%d demo services, want at least 40", len(entries))
		}
		var joint, branches, countersigned int
		for _, e := range entries {
			svc := e.Service
			if svc.Process == "" {
				t.Errorf("service %s has no process", svc.Code)
				continue
			}
			def, err := f.wf.Latest(ctx, svc.Process)
			if err != nil {
				t.Errorf("service %s: process %s: %v", svc.Code, svc.Process, err)
				continue
			}
			if def.Version != 1 {
				t.Errorf("process %s version %d, want 1", def.Code, def.Version)
			}
			if err := f.wf.Validate(ctx, def); err != nil {
				t.Errorf("process %s does not validate: %v", def.Code, err)
			}
			if err := def.Validate(ctx, f.ids, svc.FormSchema); err != nil {
				t.Errorf("process %s against the form of %s: %v", def.Code, svc.Code, err)
			}
			// The step limits fit the promised time, unless the
			// process is already as short as it can be (one day a step).
			if days, p, shortest := def.CriticalDays(), svc.Guide.PromisedDays, len(def.Layers()); days > max(p, shortest) {
				t.Errorf("process %s takes %d working days on its longest path, more than the %d promised", def.Code, days, p)
			}
			depts := map[string]bool{}
			parallel := false
			for _, l := range def.Layers() {
				if len(l) > 1 {
					parallel = true
				}
			}
			for _, s := range def.Steps {
				depts[s.DepartmentCode] = true
				if s.When != nil {
					branches++
				}
				if s.Signers >= 2 {
					countersigned++
				}
			}
			if parallel && len(depts) > 1 {
				joint++
			}
		}
		if joint < 3 || branches < 1 || countersigned < 1 {
			t.Errorf("demo has %d joint cross-department processes, %d conditional steps, %d countersigned steps; want ≥3, ≥1, ≥1", joint, branches, countersigned)
		}
		// Loading again adds no versions.
		if _, err := demo.Load(ctx, d, org.NewStore(d), f.ids, f.cat, nil); err != nil {
			t.Fatal(err)
		}
		list, err := f.wf.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, def := range list {
			if def.Version != 1 {
				t.Errorf("after a second load %s is at version %d", def.Code, def.Version)
			}
		}
		if len(list) != len(entries) {
			t.Errorf("List = %d processes, want %d", len(list), len(entries))
		}
	})
}

func simple(code, dept string) workflow.Definition {
	return workflow.Definition{Code: code, Name: "测试流程", DepartmentCode: dept, Steps: []workflow.Step{
		{ID: "accept", Kind: workflow.Accept, Name: "受理", DepartmentCode: dept, Role: identity.Clerk, Days: 1},
		{ID: "review", Kind: workflow.Review, Name: "审查", DepartmentCode: dept, Role: identity.Reviewer, Days: 2, After: []string{"accept"}},
		{ID: "decide", Kind: workflow.Decide, Name: "决定", DepartmentCode: dept, Role: identity.Approver, Days: 1, After: []string{"review"}},
		{ID: "conclude", Kind: workflow.Conclude, Name: "办结", DepartmentCode: dept, Role: identity.Clerk, Days: 1, After: []string{"decide"}},
	}}
}

func TestStorePut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := demoFixture(t, d)
		scjg := f.principal(t, "scjg-admin")
		ga := f.principal(t, "ga-admin")
		clerk := f.principal(t, "scjg-clerk")
		admin := f.principal(t, "admin")

		def := simple("TEST-1", "SCJG")
		v1, err := f.wf.Put(ctx, scjg, def)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		if v1.Version != 1 {
			t.Errorf("first Put version %d, want 1", v1.Version)
		}
		again, err := f.wf.Put(ctx, scjg, def)
		if err != nil || again.Version != 1 {
			t.Errorf("Put unchanged = v%d, %v; want v1, no new version", again.Version, err)
		}
		def.Steps[1].Days = 3
		v2, err := f.wf.Put(ctx, scjg, def)
		if err != nil || v2.Version != 2 {
			t.Fatalf("Put changed = %v, %v; want v2", v2, err)
		}
		old, err := f.wf.Version(ctx, "TEST-1", 1)
		if err != nil || old.Steps[1].Days != 2 {
			t.Errorf("Version 1 = %+v, %v; want the first definition unchanged", old, err)
		}
		latest, err := f.wf.Latest(ctx, "TEST-1")
		if err != nil || latest.Version != 2 || latest.Steps[1].Days != 3 {
			t.Errorf("Latest = %+v, %v", latest, err)
		}
		if _, err := f.wf.Version(ctx, "TEST-1", 3); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Version 3 = %v, want not found", err)
		}
		if _, err := f.wf.Latest(ctx, "NOPE"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Latest(NOPE) = %v, want not found", err)
		}

		// Another department's admin: an existing process is not found,
		// a new one in a department not theirs is forbidden.
		if _, err := f.wf.Put(ctx, ga, def); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Put by another department's admin = %v, want not found", err)
		}
		if _, err := f.wf.Put(ctx, ga, simple("TEST-2", "SCJG")); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("Put of a new process for another department = %v, want forbidden", err)
		}
		if _, err := f.wf.Put(ctx, clerk, simple("TEST-3", "SCJG")); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("Put by a clerk = %v, want forbidden", err)
		}
		// Moving a process to a department the editor cannot edit.
		moved := def
		moved.DepartmentCode = "GA"
		if _, err := f.wf.Put(ctx, scjg, moved); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("Put moving to GA = %v, want forbidden", err)
		}
		// The platform admin can; GA's own admin can then edit it.
		if _, err := f.wf.Put(ctx, admin, moved); err != nil {
			t.Errorf("Put by the platform admin: %v", err)
		}
		if p, err := f.wf.Put(ctx, ga, moved); err != nil || p.Version != 3 {
			t.Errorf("Put unchanged by GA's admin = %v, %v; want v3", p, err)
		}

		// Invalid definitions are refused with field errors; nothing stored.
		bad := simple("TEST-4", "SCJG")
		bad.Steps[2].Days = 0
		bad.Steps[1].When = &workflow.Condition{Field: "经营面积", Op: workflow.OpGt, Value: 500}
		_, err = f.wf.Put(ctx, scjg, bad)
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) || inv.Get("steps[2].days") == "" || inv.Get("steps[1].when.field") != "process_when_no_form" {
			t.Errorf("Put invalid = %v, want days and condition errors", err)
		}
		if _, err := f.wf.Latest(ctx, "TEST-4"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("an invalid definition was stored: %v", err)
		}

		// Conditions are checked against the forms of the services that
		// use the process: SCJG-001 has the number field 经营面积.
		food, err := f.wf.Latest(ctx, "SCJG-001")
		if err != nil {
			t.Fatal(err)
		}
		food.Steps[2].When = &workflow.Condition{Field: "营业面积", Op: workflow.OpGt, Value: 500}
		if _, err := f.wf.Put(ctx, scjg, *food); !errors.As(err, &inv) || inv.Get("steps[2].when.field") != "process_when_field_unknown" {
			t.Errorf("Put with an unknown form field = %v", err)
		}
		food.Steps[2].When = &workflow.Condition{Field: "经营面积", Op: workflow.OpGte, Value: 300}
		if p, err := f.wf.Put(ctx, scjg, *food); err != nil || p.Version != 2 {
			t.Errorf("Put with a valid condition = %v, %v", p, err)
		}

		list, err := f.wf.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range list {
			if p.Code == "TEST-1" {
				found = p.Version == 3 && p.DepartmentCode == "GA"
			}
		}
		if !found {
			t.Error("List lacks TEST-1 v3 in GA")
		}
	})
}

// TestDirectory: the identity store answers for active staff only.
func TestDirectory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := demoFixture(t, d)
		for _, tc := range []struct {
			dept string
			role identity.Role
			want int
		}{
			{"GJJ", identity.Approver, 2},
			{"XF", identity.Reviewer, 1},
			{"XF", identity.DeptAdmin, 0},
			{"NOPE", identity.Clerk, 0},
		} {
			n, err := f.ids.CountRole(ctx, tc.dept, tc.role)
			if err != nil || n != tc.want {
				t.Errorf("CountRole(%s, %s) = %d, %v; want %d", tc.dept, tc.role, n, err, tc.want)
			}
		}
		if ok, err := f.ids.DepartmentExists(ctx, "XF"); !ok || err != nil {
			t.Errorf("DepartmentExists(XF) = %v, %v", ok, err)
		}
		if ok, err := f.ids.DepartmentExists(ctx, "NOPE"); ok || err != nil {
			t.Errorf("DepartmentExists(NOPE) = %v, %v", ok, err)
		}
		// A disabled account no longer staffs its role.
		if _, err := d.Write().ExecContext(ctx, `UPDATE accounts SET disabled = TRUE WHERE username = $1`, "xf-reviewer"); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.ids.HasRole(ctx, "XF", identity.Reviewer); ok || err != nil {
			t.Errorf("HasRole(XF, reviewer) with its only reviewer disabled = %v, %v; want false", ok, err)
		}
	})
}

// TestConditionNeedsEveryForm: a condition must name a field of the form
// of every service that uses the process, and a service without a form
// has none, so a process its form-less service uses gains no condition;
// the services' side refuses the same pairing (package catalog), so
// neither side can leave the other unable to save.
func TestConditionNeedsEveryForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := demoFixture(t, d)
		scjg := f.principal(t, "scjg-admin")
		def := simple("TEST-F", "SCJG")
		if _, err := f.wf.Put(ctx, scjg, def); err != nil {
			t.Fatal(err)
		}
		// SCJG-002 has a form with the integer field 从业人数; SCJG-004
		// has no form.
		use := func(code, process string) {
			t.Helper()
			e, err := f.cat.Entry(ctx, scjg, code)
			if err != nil {
				t.Fatal(err)
			}
			e.Service.Process = process
			if _, err := f.cat.UpdateDraft(ctx, scjg, code, e.Service); err != nil {
				t.Fatalf("%s onto %s: %v", code, process, err)
			}
		}
		use("SCJG-002", "TEST-F")
		use("SCJG-004", "TEST-F")
		def.Steps[1].When = &workflow.Condition{Field: "从业人数", Op: workflow.OpGt, Value: 5}
		_, err := f.wf.Put(ctx, scjg, def)
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) || inv.Get("steps[1].when.field") != "process_when_field_unknown" {
			t.Fatalf("Put with a condition the form-less SCJG-004 cannot answer = %v, want process_when_field_unknown", err)
		}
		if p, err := f.wf.Latest(ctx, "TEST-F"); err != nil || p.Steps[1].When != nil {
			t.Errorf("after the refused Put: %+v, %v; want no condition stored", p, err)
		}
		use("SCJG-004", "SCJG-004")
		if p, err := f.wf.Put(ctx, scjg, def); err != nil || p.Version != 2 {
			t.Errorf("Put once only SCJG-002 uses it = %v, %v; want version 2", p, err)
		}
	})
}

// TestStorePutFrom: an edit names the version it started from, and is
// refused when someone else saved a version meanwhile, even when both
// saves run at once.
func TestStorePutFrom(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := demoFixture(t, d)
		scjg := f.principal(t, "scjg-admin")
		ga := f.principal(t, "ga-admin")

		def := simple("TEST-C", "SCJG")
		v1, err := f.wf.PutFrom(ctx, scjg, def, 0)
		if err != nil || v1.Version != 1 {
			t.Fatalf("PutFrom a new process = %v, %v; want v1", v1, err)
		}
		// Someone else created it first.
		var stale *workflow.StaleError
		if _, err := f.wf.PutFrom(ctx, scjg, def, 0); !errors.As(err, &stale) || stale.Latest != 1 || !errors.Is(err, db.ErrConflict) {
			t.Errorf("PutFrom(0) of an existing process = %v, want stale at v1", err)
		}
		a, b := def, def
		a.Steps = append([]workflow.Step(nil), def.Steps...)
		b.Steps = append([]workflow.Step(nil), def.Steps...)
		a.Steps[1].Days = 4
		b.Steps[1].Name = "书面审查"
		if p, err := f.wf.PutFrom(ctx, scjg, a, 1); err != nil || p.Version != 2 {
			t.Fatalf("PutFrom(1) = %v, %v; want v2", p, err)
		}
		// The second edit of version 1 would undo the first: refused.
		if _, err := f.wf.PutFrom(ctx, scjg, b, 1); !errors.As(err, &stale) || stale.Latest != 2 {
			t.Errorf("PutFrom(1) after v2 = %v, want stale at v2", err)
		}
		if p, err := f.wf.Latest(ctx, "TEST-C"); err != nil || p.Version != 2 || p.Steps[1].Days != 4 || p.Steps[1].Name != "审查" {
			t.Errorf("after the refused save: %+v, %v; want the first edit only", p, err)
		}
		// A version the process never had.
		var inv *fielderr.Invalid
		if _, err := f.wf.PutFrom(ctx, scjg, b, 7); !errors.As(err, &inv) || inv.Get("version") != "process_version_unknown" {
			t.Errorf("PutFrom(7) = %v, want a version field error", err)
		}
		// Another department's process stays not found, stale or not.
		if _, err := f.wf.PutFrom(ctx, ga, b, 1); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("PutFrom by GA's admin = %v, want not found", err)
		}
		// The unconditional Put (loaders) still stores over any version.
		if p, err := f.wf.Put(ctx, scjg, b); err != nil || p.Version != 3 {
			t.Errorf("Put = %v, %v; want v3", p, err)
		}

		// Saves from one base at once: exactly one wins.
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := def
				c.Steps = append([]workflow.Step(nil), def.Steps...)
				c.Steps[1].Days = 10 + i
				_, errs[i] = f.wf.PutFrom(ctx, scjg, c, 3)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.As(err, &stale) || stale.Latest != 4:
				t.Errorf("a concurrent save: %v, want stale at v4", err)
			}
		}
		if p, err := f.wf.Latest(ctx, "TEST-C"); won != 1 || err != nil || p.Version != 4 {
			t.Errorf("%d concurrent saves won, latest %+v, %v; want one, v4", won, p, err)
		}
	})
}
