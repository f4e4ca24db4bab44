package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/workflow"
)

// editForm returns svc with its form schema changed by edit, which gets
// the schema's properties and required list.
func editForm(t *testing.T, svc catalog.Service, edit func(props map[string]any, required *[]any)) catalog.Service {
	t.Helper()
	var sch map[string]any
	if err := json.Unmarshal(svc.FormSchema, &sch); err != nil {
		t.Fatal(err)
	}
	props, _ := sch["properties"].(map[string]any)
	required, _ := sch["required"].([]any)
	edit(props, &required)
	sch["required"] = required
	b, err := json.Marshal(sch)
	if err != nil {
		t.Fatal(err)
	}
	out := svc
	out.FormSchema = b
	if svc.IssuesLicense != nil {
		li := *svc.IssuesLicense
		li.Fields = map[string]string{}
		for k, v := range svc.IssuesLicense.Fields {
			if _, ok := props[v]; ok {
				li.Fields[k] = v
			}
		}
		out.IssuesLicense = &li
	}
	return out
}

// withoutField drops a field from the form (and from the license mapping).
func withoutField(t *testing.T, svc catalog.Service, field string) catalog.Service {
	t.Helper()
	return editForm(t, svc, func(props map[string]any, required *[]any) {
		delete(props, field)
		*required = slices.DeleteFunc(*required, func(x any) bool { return x == field })
	})
}

// formError returns the messages on form_schema of a field error, in
// Chinese and in English, and fails the test for any other error.
func formError(t *testing.T, err error, what string) (zh, en string) {
	t.Helper()
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("%s = %v, want a field error on form_schema", what, err)
	}
	for _, f := range inv.Fields {
		if f.Field == "form_schema" {
			return i18n.T(i18n.ZH, f.Key, f.Params...), i18n.T(i18n.EN, f.Key, f.Params...)
		}
	}
	t.Fatalf("%s = %v, want a field error on form_schema", what, err)
	return "", ""
}

func wantAll(t *testing.T, what, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("%s: %q lacks %q", what, msg, p)
		}
	}
	if strings.Contains(msg, "%!") {
		t.Errorf("%s: %q is badly formatted", what, msg)
	}
}

// TestServiceFormAnswersProcess: a service's form must have the fields the
// conditions of its process test, with a type and choices that fit them.
// Saving a draft, publishing and importing a service that breaks this are
// refused, naming the field and the step, and change nothing; so the
// process stays editable.
func TestServiceFormAnswersProcess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		scjg := f.principal(t, "scjg-admin")
		wf := workflow.NewStore(d, f.ids, f.cat, time.Now)
		entry := func(code string) *catalog.Entry {
			t.Helper()
			e, err := f.cat.Entry(ctx, scjg, code)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		food := entry("SCJG-001").Service
		unchanged := func(code string, want catalog.Service) {
			t.Helper()
			e := entry(code)
			got, _ := json.Marshal(e.Service)
			exp, _ := json.Marshal(want)
			if !bytes.Equal(got, exp) || e.Unpublished || e.PublishedVersion != 1 {
				t.Errorf("%s after a refused change: draft changed %v, unpublished %v, version %d; want it as it was", code, !bytes.Equal(got, exp), e.Unpublished, e.PublishedVersion)
			}
		}

		// The food business form without 经营面积, which the fire-safety
		// review's condition tests.
		noArea := withoutField(t, food, "经营面积")
		_, err := f.cat.UpdateDraft(ctx, scjg, "SCJG-001", noArea)
		zh, en := formError(t, err, "UpdateDraft without 经营面积")
		wantAll(t, "zh", zh, "经营面积", "SCJG-001", "消防安全审查", "经营面积 > 500")
		wantAll(t, "en", en, "经营面积", "SCJG-001", "Fire safety review")
		unchanged("SCJG-001", food)
		// With another field wrong as well, both are reported at once:
		// the process's complaint used to wait until the rest was fixed.
		noAreaLong := noArea
		noAreaLong.Summary = strings.Repeat("长", 501)
		_, err = f.cat.UpdateDraft(ctx, scjg, "SCJG-001", noAreaLong)
		formError(t, err, "UpdateDraft without 经营面积 and with a long summary")
		if inv := (*fielderr.Invalid)(nil); !errors.As(err, &inv) || inv.Get("summary") == "" {
			t.Errorf("UpdateDraft without 经营面积 and with a long summary: %v, want both reported", err)
		} else {
			// The summary's message says how long it may be; it used to say
			// "Too long." only.
			for _, fl := range inv.Fields {
				if msg := i18n.T(i18n.EN, fl.Key, fl.Params...); fl.Field == "summary" && msg != "At most 500 characters." {
					t.Errorf("a long summary reads %q", msg)
				}
			}
		}
		noAreaLong.Code = "SCJG-901"
		_, err = f.cat.Create(ctx, scjg, noAreaLong)
		formError(t, err, "Create without 经营面积 and with a long summary")
		if inv := (*fielderr.Invalid)(nil); !errors.As(err, &inv) || inv.Get("summary") == "" {
			t.Errorf("Create without 经营面积 and with a long summary: %v, want both reported", err)
		}
		unchanged("SCJG-001", food)
		if v, err := f.cat.Publish(ctx, scjg, "SCJG-001"); err != nil || v.Version != 1 {
			t.Errorf("Publish after the refused draft = %v, %v; want version 1 unchanged", v, err)
		}

		// A field the condition compares as a number turned into text.
		textArea := editForm(t, food, func(props map[string]any, _ *[]any) {
			props["经营面积"] = map[string]any{"type": "string", "title": "经营面积"}
		})
		_, err = f.cat.UpdateDraft(ctx, scjg, "SCJG-001", textArea)
		zh, en = formError(t, err, "UpdateDraft with 经营面积 as text")
		wantAll(t, "zh", zh, "经营面积", "消防安全审查", "类型")
		wantAll(t, "en", en, "经营面积", "Fire safety review", "type")
		unchanged("SCJG-001", food)

		// A process with a condition on a field the form lacks: XF-001
		// tests 申请方式, which SCJG-002's form does not have.
		xf, err := wf.Latest(ctx, "XF-001")
		if err != nil {
			t.Fatal(err)
		}
		var inspect workflow.Step
		for _, s := range xf.Steps {
			if s.When != nil {
				inspect = s
			}
		}
		biz := entry("SCJG-002").Service
		other := biz
		other.Process = "XF-001"
		_, err = f.cat.UpdateDraft(ctx, scjg, "SCJG-002", other)
		zh, en = formError(t, err, "UpdateDraft of SCJG-002 with process XF-001")
		wantAll(t, "zh", zh, inspect.When.Field, "XF-001", inspect.Name)
		wantAll(t, "en", en, inspect.When.Field, "XF-001", inspect.NameEn)
		unchanged("SCJG-002", biz)

		// A service without a form has none of the fields.
		plain := entry("SCJG-004").Service
		plainFood := plain
		plainFood.Process = "SCJG-001"
		_, err = f.cat.UpdateDraft(ctx, scjg, "SCJG-004", plainFood)
		zh, _ = formError(t, err, "UpdateDraft of a service without a form onto SCJG-001")
		wantAll(t, "zh", zh, "经营面积", "消防安全审查")
		unchanged("SCJG-004", plain)
		created := validService("SCJG-T09", "SCJG")
		created.Process = "SCJG-001"
		_, err = f.cat.Create(ctx, scjg, created)
		formError(t, err, "Create without a form onto SCJG-001")
		if _, err := f.cat.Entry(ctx, scjg, "SCJG-T09"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the refused service was created: %v", err)
		}

		// The process has not been locked: its owner edits it.
		proc, err := wf.Latest(ctx, "SCJG-001")
		if err != nil {
			t.Fatal(err)
		}
		proc.Steps[1].Days = 3
		if p, err := wf.Put(ctx, scjg, *proc); err != nil || p.Version != 2 {
			t.Fatalf("process edit after the refused drafts = %v, %v; want version 2", p, err)
		}

		// Forms that still answer the condition save and publish.
		more := editForm(t, food, func(props map[string]any, _ *[]any) {
			props["经营面积"] = map[string]any{"type": "integer", "title": "经营面积（平方米）", "minimum": 1}
			props["备注"] = map[string]any{"type": "string", "title": "备注"}
		})
		if _, err := f.cat.UpdateDraft(ctx, scjg, "SCJG-001", more); err != nil {
			t.Fatalf("UpdateDraft with 经营面积 kept: %v", err)
		}
		if v, err := f.cat.Publish(ctx, scjg, "SCJG-001"); err != nil || v.Version != 2 {
			t.Fatalf("Publish with 经营面积 kept = %v, %v; want version 2", v, err)
		}

		// A draft saved before the rule, straight in the database, is not
		// published.
		legacy, _ := json.Marshal(withoutField(t, more, "经营面积"))
		if _, err := d.Write().ExecContext(ctx, `UPDATE services SET draft = $1 WHERE code = $2`, string(legacy), "SCJG-001"); err != nil {
			t.Fatal(err)
		}
		_, err = f.cat.Publish(ctx, scjg, "SCJG-001")
		zh, _ = formError(t, err, "Publish of a draft without 经营面积")
		wantAll(t, "zh", zh, "经营面积", "消防安全审查")
		if v, err := f.cat.Published(ctx, "SCJG-001"); err != nil || v.Version != 2 || !bytes.Contains(v.FormSchema, []byte("经营面积")) {
			t.Errorf("live version after the refused publish = %v, %v; want version 2 with 经营面积", v, err)
		}

		// Once the process drops the condition, the field may go.
		proc.Steps[2].When = nil
		if _, err := wf.Put(ctx, scjg, *proc); err != nil {
			t.Fatal(err)
		}
		if v, err := f.cat.Publish(ctx, scjg, "SCJG-001"); err != nil || v.Version != 3 {
			t.Errorf("Publish without 经营面积 once the process has no condition = %v, %v; want version 3", v, err)
		}
	})
}

// TestImportChecksProcess: importing a catalog whose form no longer
// answers a stored process's condition is refused as a whole.
func TestImportChecksProcess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		var doc catalog.Document
		if err := json.Unmarshal(demo.CatalogJSON(), &doc); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(doc.Services, func(r catalog.ServiceRecord) bool { return r.Code == "GA-004" })
		rec := &doc.Services[i]
		// 人才落户, the value GA-004's condition tests, is no longer a
		// choice.
		changed := editForm(t, *rec.Published, func(props map[string]any, _ *[]any) {
			p := props["迁入类别"].(map[string]any)
			p["enum"] = slices.DeleteFunc(p["enum"].([]any), func(x any) bool { return x == "人才落户" })
		})
		changed.Version++
		rec.Published = &changed
		b, _ := json.Marshal(doc)
		_, err := f.cat.Import(ctx, f.admin, f.orgs, bytes.NewReader(b))
		var inv *fielderr.Invalid
		field := fmt.Sprintf("services[%d].form_schema", i)
		if !errors.As(err, &inv) || inv.Get(field) != "form_process_field_mismatch" {
			t.Fatalf("Import with 人才落户 dropped = %v, want %s on %s", err, "form_process_field_mismatch", field)
		}
		if v, err := f.cat.Published(ctx, "GA-004"); err != nil || v.Version != 1 {
			t.Errorf("GA-004 after the refused import = %v, %v; want version 1", v, err)
		}
	})
}

// A process gaining a condition and a service losing the field it tests,
// saved at the same moment: one of the two is refused, whichever comes
// second, because both take the process's lock before they check. The
// other side is played by a transaction of the test that holds the lock
// and writes directly.
func TestProcessAndServiceSavedAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		scjg := f.principal(t, "scjg-admin")
		wf := workflow.NewStore(d, f.ids, f.cat, time.Now)
		e, err := f.cat.Entry(ctx, scjg, "SCJG-001")
		if err != nil {
			t.Fatal(err)
		}
		food := e.Service
		withCond, err := wf.Latest(ctx, "SCJG-001")
		if err != nil {
			t.Fatal(err)
		}
		// Start from the process without its condition on 经营面积.
		plain := *withCond
		plain.Steps = slices.Clone(withCond.Steps)
		for i := range plain.Steps {
			plain.Steps[i].When = nil
		}
		if _, err := wf.Put(ctx, scjg, plain); err != nil {
			t.Fatal(err)
		}
		// holding runs fn (the other side's writes) in a transaction that
		// holds the process's lock while call runs and is seen waiting.
		holding := func(call func() error, fn func(tx *db.Tx) error) error {
			t.Helper()
			done := make(chan error, 1)
			if err := d.Tx(ctx, func(tx *db.Tx) error {
				if err := d.Lock(ctx, tx, workflow.LockKey("SCJG-001")); err != nil {
					return err
				}
				go func() { done <- call() }()
				dbtest.WaitForLockWaiters(t, d, 1)
				return fn(tx)
			}); err != nil {
				t.Fatal(err)
			}
			return <-done
		}

		// The condition comes back while the form loses its field.
		err = holding(func() error {
			_, err := f.cat.UpdateDraft(ctx, scjg, "SCJG-001", withoutField(t, food, "经营面积"))
			return err
		}, func(tx *db.Tx) error {
			def := *withCond
			def.Version = 3
			doc, _ := json.Marshal(def)
			_, err := tx.ExecContext(ctx, `INSERT INTO processes (code, version, department_code, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
				"SCJG-001", 3, def.DepartmentCode, string(doc), db.NewTime(time.Now()), scjg.Account.ID)
			return err
		})
		formError(t, err, "a service save waiting for a process save that adds a condition on 经营面积")

		// And the other way: the form loses the field while the process
		// gains the condition.
		if _, err := wf.Put(ctx, scjg, plain); err != nil {
			t.Fatal(err)
		}
		err = holding(func() error {
			_, err := wf.Put(ctx, scjg, *withCond)
			return err
		}, func(tx *db.Tx) error {
			doc, _ := json.Marshal(withoutField(t, food, "经营面积"))
			_, err := tx.ExecContext(ctx, `UPDATE services SET draft = $1 WHERE code = 'SCJG-001'`, string(doc))
			return err
		})
		if fieldKey(err, "steps[2].when.field") != "process_when_field_unknown" {
			t.Errorf("a process save waiting for a service save that drops 经营面积: %v, want process_when_field_unknown", err)
		}
	})
}
