package application_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/segment"
	"github.com/tongban/tongban/internal/workflow"
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

type fixture struct {
	store   *application.Store
	cat     *catalog.Store
	db      *db.DB
	cal     *calendar.Store
	clock   *clock
	p       map[string]*identity.Principal
	notices atomic.Int64
	blobs   *blob.Local
	// onNotice, when set, runs once inside the next transaction that
	// sends notices.
	onNotice atomic.Pointer[func()]
}

var seg = sync.OnceValue(func() *segment.Segmenter {
	s, err := segment.New()
	if err != nil {
		panic(err)
	}
	return s
})

const formSchema = `{"type":"object","required":["name","area"],"properties":{
 "name":{"type":"string","title":"经营者名称","minLength":2},
 "area":{"type":"number","title":"经营面积","minimum":1},
 "note":{"type":"string","title":"备注"},
 "opened":{"type":"string","format":"date","title":"开业日期"}}}`

func setup(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: d, clock: &clock{}, p: map[string]*identity.Principal{}}
	f.clock.set("2026-09-28 09:00") // a Monday before National Day
	orgs := org.NewStore(d)
	ids := identity.NewStore(d, f.clock.now)
	err := d.Tx(ctx, func(tx *db.Tx) error {
		if err := orgs.PutDivision(ctx, tx, org.Division{Code: "339900", Name: "临江市", Level: "city"}); err != nil {
			return err
		}
		for _, dp := range []org.Department{{Code: "SCJG", Name: "市场监督管理局", DivisionCode: "339900"}, {Code: "XF", Name: "消防救援支队", DivisionCode: "339900"}, {Code: "GA", Name: "公安局", DivisionCode: "339900"}} {
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
		roles      []identity.Role
	}{
		{"admin", "", []identity.Role{identity.PlatformAdmin}},
		{"clerk", "SCJG", []identity.Role{identity.Clerk}},
		{"clerk-two", "SCJG", []identity.Role{identity.Clerk}},
		{"reviewer", "SCJG", []identity.Role{identity.Reviewer}},
		{"approver", "SCJG", []identity.Role{identity.Approver}},
		{"approver-two", "SCJG", []identity.Role{identity.Approver}},
		{"head", "SCJG", []identity.Role{identity.DeptAdmin}},
		{"xf", "XF", []identity.Role{identity.Reviewer}},
		{"ga", "GA", []identity.Role{identity.Clerk}},
		{"jiancha", "", []identity.Role{identity.Supervisor}},
	}
	for _, s := range staff {
		var grants []identity.RoleGrant
		for _, r := range s.roles {
			grants = append(grants, identity.RoleGrant{Role: r, Department: s.dept})
		}
		a, err := ids.Seed(ctx, identity.Account{Kind: identity.KindStaff, Username: s.user, Name: s.user, DepartmentCode: s.dept}, "test-password-2026", grants)
		if err != nil {
			t.Fatal(err)
		}
		if f.p[s.user], err = ids.Principal(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range []struct{ user, id string }{{"zhang", "110105199003071239"}, {"lisi", "110105198805124561"}} {
		_ = i
		a, err := ids.Seed(ctx, identity.Account{Kind: identity.KindPerson, Username: c.user, Name: c.user, IDNumber: c.id, Phone: "13800138000"}, "test-password-2026", []identity.RoleGrant{{Role: identity.Citizen}})
		if err != nil {
			t.Fatal(err)
		}
		if f.p[c.user], err = ids.Principal(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.NewStore(d, seg(), f.clock.now)
	procs := workflow.NewStore(d, ids, cat, f.clock.now)
	admin := f.p["admin"]
	for _, def := range []workflow.Definition{
		{Code: "FOOD", Name: "食品经营许可", DepartmentCode: "SCJG", DenyEnds: true, Steps: []workflow.Step{
			{ID: "accept", Kind: workflow.Accept, Name: "受理", DepartmentCode: "SCJG", Role: identity.Clerk, Days: 1},
			{ID: "review", Kind: workflow.Review, Name: "审查", DepartmentCode: "SCJG", Role: identity.Reviewer, Days: 3, After: []string{"accept"}},
			{ID: "fire", Kind: workflow.Review, Name: "消防审查", DepartmentCode: "XF", Role: identity.Reviewer, Days: 3, After: []string{"accept"},
				When: &workflow.Condition{Field: "area", Op: "gt", Value: 500}},
			{ID: "decide", Kind: workflow.Decide, Name: "决定", DepartmentCode: "SCJG", Role: identity.Approver, Days: 2, After: []string{"review", "fire"}},
			{ID: "conclude", Kind: workflow.Conclude, Name: "办结", DepartmentCode: "SCJG", Role: identity.Clerk, Days: 1, After: []string{"decide"}},
		}},
		{Code: "SIGN", Name: "会签", DepartmentCode: "SCJG", Steps: []workflow.Step{
			{ID: "accept", Kind: workflow.Accept, Name: "受理", DepartmentCode: "SCJG", Role: identity.Clerk, Days: 1},
			{ID: "decide", Kind: workflow.Decide, Name: "集体决定", DepartmentCode: "SCJG", Role: identity.Approver, Days: 2, After: []string{"accept"}, Signers: 2},
			{ID: "conclude", Kind: workflow.Conclude, Name: "办结", DepartmentCode: "SCJG", Role: identity.Clerk, Days: 1, After: []string{"decide"}},
		}},
	} {
		svc := catalog.Service{Code: "SCJG-" + def.Code, Name: def.Name + "事项", Kind: catalog.Licensing, DepartmentCode: "SCJG",
			Audience: []catalog.Audience{catalog.Person}, Depth: catalog.FullOnline, Process: def.Code,
			FormSchema: json.RawMessage(formSchema),
			Guide: catalog.Guide{Conditions: "依法申请", LegalBasis: []catalog.LegalBasis{{Name: "《中华人民共和国食品安全法》", Article: "第三十五条"}},
				Materials: []catalog.MaterialRequirement{
					{Code: "m1", Name: "营业执照", Form: catalog.FormElectronic, Count: 1, Required: true},
					{Code: "m2", Name: "场所平面图", Form: catalog.FormElectronic, Count: 1, Required: false, Condition: "面积较大时"},
				},
				Fees: catalog.Fees{Free: true}, StatutoryDays: 20, PromisedDays: 10, ContactPhone: "0571-86701201"}}
		if def.Code == "FOOD" {
			svc.NameEn = "Food Business License"
		}
		if _, err := cat.Create(ctx, admin, svc); err != nil {
			t.Fatal(err)
		}
		if _, err := cat.Publish(ctx, admin, svc.Code); err != nil {
			t.Fatal(err)
		}
		if _, err := procs.Put(ctx, admin, def); err != nil {
			t.Fatalf("process %s: %v", def.Code, err)
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
	f.blobs = blobs
	f.cat = cat
	f.store = application.NewStore(application.Deps{DB: d, Catalog: cat, Processes: procs, Calendar: cals, Blobs: blobs, Identity: ids, Org: orgs,
		Location: shanghai, Now: f.clock.now, YellowDays: 1, UploadLimit: 1 << 20,
		Notices: func(ctx context.Context, tx *db.Tx, ns ...application.Notice) error {
			f.notices.Add(int64(len(ns)))
			if hook := f.onNotice.Swap(nil); hook != nil {
				(*hook)()
			}
			return application.Outbox(ctx, tx, ns...) // the real outbox: every kind must be a valid notice
		}})
	return f
}

var pngFile = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)

func fieldKeys(t *testing.T, err error) map[string]string {
	t.Helper()
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want field errors, got %v", err)
	}
	m := map[string]string{}
	for _, f := range inv.Fields {
		m[f.Field] = f.Key
	}
	return m
}

func (f *fixture) task(t *testing.T, a *application.Application, step string) application.Task {
	t.Helper()
	for _, tk := range a.Tasks {
		if tk.StepID == step && tk.State == application.TaskOpen {
			return tk
		}
	}
	t.Fatalf("no open task %q; tasks: %+v", step, a.Tasks)
	return application.Task{}
}

func (f *fixture) decide(t *testing.T, user string, a *application.Application, step string, d application.Decision) *application.Application {
	t.Helper()
	b, err := f.store.Decide(context.Background(), f.p[user], f.task(t, a, step).ID, d)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", user, d.Action, step, err)
	}
	return b
}

// A form is refused, field by field, where it holds what the platform
// could not read back or that is not what the field asks for: a date that
// is no date, a number beyond what a page can show. The draft keeps what
// it had.
func TestFormValuesMustBeReadable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		a, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence.png", bytes.NewReader(pngFile)); err != nil {
			t.Fatal(err)
		}
		a, err = f.store.SaveDraft(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":60}`), a.Revision)
		if err != nil {
			t.Fatal(err)
		}
		// Too large for a float64: refused on saving as on submitting.
		huge := json.RawMessage(`{"name":"临江味道餐饮","area":1e400}`)
		if _, err := f.store.SaveDraft(ctx, zhang, a.ID, huge, a.Revision); fieldKeys(t, err)["form.area"] != "form_field_range" {
			t.Fatalf("saving area 1e400: %v", err)
		}
		if _, err := f.store.Submit(ctx, zhang, a.ID, huge); fieldKeys(t, err)["form.area"] != "form_field_range" {
			t.Fatalf("submitting area 1e400: %v", err)
		}
		for _, day := range []string{"2026-02-30", "not a date", "2026-9-28"} {
			form := fmt.Sprintf(`{"name":"临江味道餐饮","area":60,"opened":%q}`, day)
			if _, err := f.store.Submit(ctx, zhang, a.ID, json.RawMessage(form)); fieldKeys(t, err)["form.opened"] != "form_field_format" {
				t.Fatalf("opened %q: %v", day, err)
			}
		}
		got, err := f.store.Get(ctx, zhang, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != application.Draft || string(got.Form) == string(huge) {
			t.Fatalf("after refusals: %s %s", got.State, got.Form)
		}
		a, err = f.store.Submit(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":60,"opened":"2026-02-28"}`))
		if err != nil || a.State != application.Submitted {
			t.Fatalf("a real date: %v", err)
		}
	})
}

// filed creates, fills and submits an application for service code with
// the given area.
func (f *fixture) filed(t *testing.T, code string, area int) *application.Application {
	t.Helper()
	ctx := context.Background()
	zhang := f.p["zhang"]
	a, err := f.store.CreateDraft(ctx, zhang, code, application.Applicant{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence.png", bytes.NewReader(pngFile)); err != nil {
		t.Fatal(err)
	}
	form, _ := json.Marshal(map[string]any{"name": "临江味道餐饮", "area": area})
	a, err = f.store.Submit(ctx, zhang, a.ID, form)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSubmissionPinsTheLiveVersion: a draft is filed under the service's
// version live at submission, checked against that version's form, while
// applications filed before keep theirs (the store caches versions: a
// new one must still be seen at once).
func TestSubmissionPinsTheLiveVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		before := f.filed(t, "SCJG-FOOD", 100)
		draft, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AddMaterial(ctx, zhang, draft.ID, "m1", "licence.png", bytes.NewReader(pngFile)); err != nil {
			t.Fatal(err)
		}
		// Version 2 asks for the note as well.
		svc, err := f.cat.Published(ctx, "SCJG-FOOD")
		if err != nil {
			t.Fatal(err)
		}
		svc.FormSchema = json.RawMessage(strings.Replace(formSchema, `"required":["name","area"]`, `"required":["name","area","note"]`, 1))
		if _, err := f.cat.UpdateDraft(ctx, f.p["admin"], "SCJG-FOOD", *svc); err != nil {
			t.Fatal(err)
		}
		if v2, err := f.cat.Publish(ctx, f.p["admin"], "SCJG-FOOD"); err != nil || v2.Version != 2 {
			t.Fatalf("publish: %v", err)
		}
		form, _ := json.Marshal(map[string]any{"name": "临江味道餐饮", "area": 80})
		if _, err := f.store.Submit(ctx, zhang, draft.ID, form); fieldKeys(t, err)["form.note"] == "" {
			t.Fatalf("submitted without the note version 2 asks for: %v", err)
		}
		form, _ = json.Marshal(map[string]any{"name": "临江味道餐饮", "area": 80, "note": "10:00-22:00"})
		a, err := f.store.Submit(ctx, zhang, draft.ID, form)
		if err != nil || a.ServiceVersion != 2 {
			t.Fatalf("submit under version 2: %v, version %d", err, a.ServiceVersion)
		}
		if b, err := f.store.Get(ctx, zhang, before.ID); err != nil || b.ServiceVersion != 1 {
			t.Errorf("the earlier application: %v, version %d, want 1", err, b.ServiceVersion)
		}
	})
}

// TestActRecordsAsDecideDoes: Act, the decision without the application
// read back, records the same and refuses the same.
func TestActRecordsAsDecideDoes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 100)
		accept := f.task(t, a, "accept")
		if err := f.store.Act(ctx, f.p["ga"], accept.ID, application.Decision{Action: "accept"}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another department's clerk: %v", err)
		}
		if err := f.store.Act(ctx, f.p["clerk"], accept.ID, application.Decision{Action: "refuse"}); fieldKeys(t, err)["opinion"] == "" {
			t.Errorf("a refusal without its reason: %v", err)
		}
		if err := f.store.Act(ctx, f.p["clerk"], accept.ID, application.Decision{Action: "accept"}); err != nil {
			t.Fatal(err)
		}
		a, err := f.store.Get(ctx, f.p["zhang"], a.ID)
		if err != nil || a.State != application.Accepted || f.task(t, a, "review").State != application.TaskOpen {
			t.Fatalf("after Act: %v %s", err, a.State)
		}
		if err := f.store.Act(ctx, f.p["clerk"], accept.ID, application.Decision{Action: "accept"}); !errors.Is(err, application.ErrStale) {
			t.Errorf("acting again on the closed task: %v", err)
		}
	})
}

// drafts prepares n drafts of SCJG-FOOD with their material uploaded.
func drafts(t testing.TB, f *fixture, n int) []string {
	t.Helper()
	ctx := context.Background()
	zhang := f.p["zhang"]
	ids := make([]string, n)
	for i := range ids {
		a, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence.png", bytes.NewReader(pngFile)); err != nil {
			t.Fatal(err)
		}
		ids[i] = a.ID
	}
	return ids
}

func TestJointApprovalWithSupplement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]

		// A retried create returns the same draft.
		a, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "key-1")
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "key-1")
		if err != nil || again.ID != a.ID {
			t.Fatalf("retried create: %v, %v vs %v", err, again, a.ID)
		}

		// Submitting an incomplete application names every problem.
		_, err = f.store.Submit(ctx, zhang, a.ID, json.RawMessage(`{"name":"x","area":"big"}`))
		keys := fieldKeys(t, err)
		if keys["form.name"] != "form_field_min_length" || keys["form.area"] != "form_field_type" || keys["materials.m1"] != "material_missing" {
			t.Fatalf("submit errors = %v", keys)
		}
		// The type is judged by content, not by name.
		if _, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence.pdf", strings.NewReader("<html>not a pdf</html>")); fieldKeys(t, err)["file"] != "file_type" {
			t.Fatalf("html upload: %v", err)
		}
		m, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence.pdf", bytes.NewReader(pngFile))
		if err != nil || m.ContentType != blob.PNG || len(m.SHA256) != 64 {
			t.Fatalf("upload: %+v, %v", m, err)
		}
		a, err = f.store.Submit(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":600}`))
		if err != nil {
			t.Fatal(err)
		}
		if a.State != application.Submitted || !strings.HasPrefix(a.Number, "SCJG20260928") || len(a.Number) != len("SCJG20260928")+5 {
			t.Fatalf("submitted: %s %q", a.State, a.Number)
		}
		// A double click files it once.
		b, err := f.store.Submit(ctx, zhang, a.ID, nil)
		if err != nil || b.Number != a.Number {
			t.Fatalf("resubmit: %v %q", err, b.Number)
		}
		accept := f.task(t, a, "accept")
		if accept.DueDate != "2026-09-29" {
			t.Fatalf("accept due %q", accept.DueDate)
		}

		// Two clerks claim at once: exactly one wins.
		var wins, losses atomic.Int32
		var wg sync.WaitGroup
		for _, u := range []string{"clerk", "clerk-two"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.store.Claim(ctx, f.p[u], accept.ID)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, application.ErrNotAssignee):
					losses.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || losses.Load() != 1 {
			t.Fatalf("claims: %d won, %d lost", wins.Load(), losses.Load())
		}
		a, _ = f.store.Get(ctx, zhang, a.ID)
		// Who won is read as staff: applicants do not see staff account IDs.
		staffView, err := f.store.Get(ctx, f.p["clerk"], a.ID)
		if err != nil {
			t.Fatal(err)
		}
		winner := "clerk"
		if f.task(t, staffView, "accept").AssigneeID != f.p["clerk"].Account.ID {
			winner = "clerk-two"
		}
		// A GA clerk cannot even see the task; a reviewer may not take intake.
		if _, err := f.store.Decide(ctx, f.p["ga"], accept.ID, application.Decision{Action: "accept"}); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("GA clerk decided: %v", err)
		}
		if _, err := f.store.Decide(ctx, f.p["reviewer"], accept.ID, application.Decision{Action: "accept"}); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("reviewer decided intake: %v", err)
		}
		// Another citizen cannot see it at all.
		if _, err := f.store.Get(ctx, f.p["lisi"], a.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("other citizen: %v", err)
		}

		// Tell-once: the supplement request lists what is wrong, and the
		// clock stops the day the application came in.
		f.clock.set("2026-09-28 16:00")
		a = f.decide(t, winner, a, "accept", application.Decision{Action: "supplement", Items: []application.SupplementItem{
			{Material: "m1", Reason: "营业执照已过期"}, {Field: "note", Reason: "请说明经营时段"}}})
		if a.State != application.Supplement || f.task(t, a, "accept").DueDate != "" {
			t.Fatalf("after supplement request: %s, due %q", a.State, f.task(t, a, "accept").DueDate)
		}
		// Staff cannot act while the applicant is asked.
		if _, err := f.store.Decide(ctx, f.p[winner], f.task(t, a, "accept").ID, application.Decision{Action: "accept"}); fieldKeys(t, err)["action"] != "waiting_for_supplement" {
			t.Fatalf("accept during supplement: %v", err)
		}
		// The answer must include every material asked for, and only the
		// fields asked about may change.
		if _, err := f.store.AnswerSupplement(ctx, zhang, a.ID, nil, ""); fieldKeys(t, err)["materials.m1"] != "material_missing" {
			t.Fatalf("answer without upload: %v", err)
		}
		if _, err := f.store.AddMaterial(ctx, zhang, a.ID, "m2", "plan.png", bytes.NewReader(pngFile)); fieldKeys(t, err)["requirement"] != "material_not_requested" {
			t.Fatalf("unrequested upload: %v", err)
		}
		if _, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence-2026.png", bytes.NewReader(append(pngFile, 1))); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AnswerSupplement(ctx, zhang, a.ID, json.RawMessage(`{"name":"改了名字","area":600,"note":"10:00-22:00"}`), ""); fieldKeys(t, err)["form.name"] != "field_not_requested" {
			t.Fatalf("answer changing another field: %v", err)
		}
		// Answered after the National Day holiday (1–7 October) on Friday
		// 9 October: the pause (29 Sep – 9 Oct) does not count, so the
		// one working day of intake still remains: due Saturday 10 October,
		// a make-up working day.
		f.clock.set("2026-10-09 15:00")
		a, err = f.store.AnswerSupplement(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":600,"note":"10:00-22:00"}`), "已更新")
		if err != nil {
			t.Fatal(err)
		}
		if a.State != application.Submitted || f.task(t, a, "accept").DueDate != "2026-10-10" {
			t.Fatalf("after answer: %s due %q", a.State, f.task(t, a, "accept").DueDate)
		}
		// A second request needs a reason supervisors can see.
		if _, err := f.store.Decide(ctx, f.p[winner], f.task(t, a, "accept").ID, application.Decision{Action: "supplement", Items: []application.SupplementItem{{Material: "m2", Reason: "补充平面图"}}}); fieldKeys(t, err)["repeat_reason"] != "supplement_repeat_reason_required" {
			t.Fatalf("second supplement without reason: %v", err)
		}
		// Every text a decision carries has a limit, said on its field.
		long := strings.Repeat("长", 2001)
		for _, c := range []struct {
			d          application.Decision
			field, key string
		}{
			{application.Decision{Action: "supplement", RepeatReason: long, Items: []application.SupplementItem{{Material: "m2", Reason: "补充平面图"}}}, "repeat_reason", "text_too_long"},
			{application.Decision{Action: "supplement", RepeatReason: "平面图缺失", Items: []application.SupplementItem{{Material: "m2", Reason: long[:3*501]}}}, "items[0].reason", "text_too_long"},
			{application.Decision{Action: "supplement", RepeatReason: "平面图缺失", Items: slices.Repeat([]application.SupplementItem{{Material: "m2", Reason: "补充平面图"}}, 101)}, "items", "supplement_items_too_many"},
			{application.Decision{Action: "refuse", Opinion: "不予受理", LegalBasis: long[:3*501]}, "legal_basis", "text_too_long"},
		} {
			if _, err := f.store.Decide(ctx, f.p[winner], f.task(t, a, "accept").ID, c.d); fieldKeys(t, err)[c.field] != c.key {
				t.Errorf("%s: %v, want %s", c.field, err, c.key)
			}
		}

		// Intake accepts; 600 m² brings in the fire-safety review in
		// parallel with the department's own.
		f.clock.set("2026-10-12 09:00")
		a = f.decide(t, winner, a, "accept", application.Decision{Action: "accept"})
		if a.State != application.Accepted || a.AcceptDate != "2026-10-12" || a.StatutoryDue == "" {
			t.Fatalf("accepted: %s %q %q", a.State, a.AcceptDate, a.StatutoryDue)
		}
		f.task(t, a, "fire")
		// Review without an opinion is refused, and nothing changes.
		if _, err := f.store.Decide(ctx, f.p["reviewer"], f.task(t, a, "review").ID, application.Decision{Action: "pass"}); fieldKeys(t, err)["opinion"] != "opinion_required" {
			t.Fatalf("pass without opinion: %v", err)
		}
		a = f.decide(t, "xf", a, "fire", application.Decision{Action: "pass", Opinion: "消防设施符合要求"})
		for _, tk := range a.Tasks {
			if tk.StepID == "decide" {
				t.Fatal("decision opened before both reviews")
			}
		}
		a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "材料齐全"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "准予许可"})
		a = f.decide(t, "clerk", a, "conclude", application.Decision{Action: "conclude"})
		if a.State != application.Concluded || a.Result != application.Approved || a.Letter == nil || a.Letter.Body.Result != application.Approved {
			t.Fatalf("concluded: %s %s %+v", a.State, a.Result, a.Letter)
		}
		// The log has every step, in order, and the applicant was told.
		var actions []string
		for _, e := range a.Events {
			actions = append(actions, e.Action)
		}
		got := strings.Join(actions, ",")
		for _, want := range []string{"created", "submitted", "claimed", "supplement_requested", "supplement_answered", "accept", "pass", "approve", "conclude"} {
			if !strings.Contains(got, want) {
				t.Errorf("log lacks %s: %s", want, got)
			}
		}
		// The applicant's inbox holds each step they must hear of.
		for _, kind := range []string{"application_submitted", "supplement_requested", "application_accepted", "concluded"} {
			var n int
			if err := d.Read().QueryRow(`SELECT COUNT(*) FROM notices WHERE account_id = $1 AND kind = $2`, zhang.Account.ID, kind).Scan(&n); err != nil || n != 1 {
				t.Errorf("notices of kind %s for the applicant: %d, %v", kind, n, err)
			}
		}
	})
}

func TestBranchDenyAndWithdraw(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		// 100 m²: no fire review; the step is skipped, and the decision
		// follows the department's review alone.
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		skipped := false
		for _, tk := range a.Tasks {
			if tk.StepID == "fire" {
				skipped = tk.Outcome == "skipped"
			}
		}
		if !skipped {
			t.Fatalf("fire review not skipped: %+v", a.Tasks)
		}
		// A denial needs its legal basis; with deny_ends it concludes at once.
		if _, err := f.store.Decide(ctx, f.p["reviewer"], f.task(t, a, "review").ID, application.Decision{Action: "reject", Opinion: "场所不符合"}); err != nil {
			t.Fatal(err)
		}
		a, _ = f.store.Get(ctx, f.p["zhang"], a.ID)
		f.task(t, a, "conclude")
		a = f.decide(t, "clerk", a, "conclude", application.Decision{Action: "conclude"})
		if a.Result != application.Denied || len(a.Letter.Body.Reasons) == 0 {
			t.Fatalf("denied: %s %+v", a.Result, a.Letter)
		}

		// Withdrawal before acceptance, and not after.
		b := f.filed(t, "SCJG-FOOD", 100)
		if _, err := f.store.Withdraw(ctx, f.p["lisi"], b.ID, ""); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("someone else withdrew: %v", err)
		}
		b, err := f.store.Withdraw(ctx, f.p["zhang"], b.ID, "不需要了")
		if err != nil || b.State != application.Withdrawn {
			t.Fatalf("withdraw: %v %s", err, b.State)
		}
		c := f.filed(t, "SCJG-FOOD", 100)
		c = f.decide(t, "clerk", c, "accept", application.Decision{Action: "accept"})
		if _, err := f.store.Withdraw(ctx, f.p["zhang"], c.ID, ""); fieldKeys(t, err)["state"] != "withdraw_not_possible" {
			t.Fatalf("withdraw after acceptance: %v", err)
		}
		// Refusal needs a reason and the legal basis.
		e := f.filed(t, "SCJG-FOOD", 100)
		if _, err := f.store.Decide(ctx, f.p["clerk"], f.task(t, e, "accept").ID, application.Decision{Action: "refuse"}); len(fieldKeys(t, err)) != 2 {
			t.Fatalf("refuse without reasons: %v", err)
		}
		e = f.decide(t, "clerk", e, "accept", application.Decision{Action: "refuse", Opinion: "不属于本机关职权范围", LegalBasis: "《行政许可法》第三十二条；《食品经营许可和备案管理办法》第十条"})
		if e.State != application.Refused {
			t.Fatalf("refused: %s", e.State)
		}
		// The refusal is written down (不予受理通知书): numbered, dated,
		// with the reason and each legal basis cited; it used to exist only
		// as an entry of the log.
		l := e.Letter
		if l == nil || l.Body.Kind != application.RefusalNotice || l.Body.Result != application.Denied || l.Number == "" || l.SHA256 == "" ||
			!slices.Equal(l.Body.Reasons, []string{"不属于本机关职权范围"}) ||
			!slices.Equal(l.Body.LegalBasis, []string{"《行政许可法》第三十二条", "《食品经营许可和备案管理办法》第十条"}) || l.Body.Date == "" || l.Body.DepartmentName == "" {
			t.Errorf("refusal notice: %+v", l)
		}
	})
}

func TestCountersignReturnAndHandover(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-SIGN", 10)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		// Handover needs a colleague with the same role.
		dec := f.task(t, a, "decide")
		if _, err := f.store.Handover(ctx, f.p["approver"], dec.ID, f.p["reviewer"].Account.ID, "出差"); fieldKeys(t, err)["to"] != "handover_target_invalid" {
			t.Fatalf("handover to a reviewer: %v", err)
		}
		// Return to intake with a reason, then accept again.
		a, err := f.store.Return(ctx, f.p["approver"], dec.ID, "accept", "受理材料需重新核对")
		if err != nil {
			t.Fatal(err)
		}
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		// Two approvers must both sign; the first signature leaves it open.
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "同意"})
		if _, err := f.store.Decide(ctx, f.p["approver"], f.task(t, a, "decide").ID, application.Decision{Action: "approve", Opinion: "同意"}); fieldKeys(t, err)["task"] != "already_signed" {
			t.Fatalf("signing twice: %v", err)
		}
		a = f.decide(t, "approver-two", a, "decide", application.Decision{Action: "approve", Opinion: "同意"})
		f.task(t, a, "conclude")
	})
}

func TestWarningsFireOnceAcrossNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		var apps []*application.Application
		for range 5 {
			apps = append(apps, f.filed(t, "SCJG-FOOD", 100))
		}
		// Intake is due Tuesday 29 September: yellow on the 29th (one
		// working day left means the due day itself), red on the 30th.
		f.clock.set("2026-09-29 08:00")
		st, err := f.store.ScanWarnings(ctx)
		if err != nil || st.Yellow != 5 || st.Red != 0 {
			t.Fatalf("yellow scan: %+v %v", st, err)
		}
		// The metrics' counts of marked tasks, by department.
		warned := func(yellow, red int) {
			t.Helper()
			ws, err := f.store.Warned(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, w := range ws {
				seen[w.Department] = true
				want := application.DepartmentWarnings{Department: w.Department}
				if w.Department == "SCJG" {
					want.Yellow, want.Red = yellow, red
				}
				if w != want {
					t.Errorf("warned %+v, want %+v", w, want)
				}
			}
			if !seen["SCJG"] || !seen["GA"] {
				t.Errorf("warned lists %v, want every department", seen)
			}
		}
		warned(5, 0)
		f.clock.set("2026-09-30 08:00")
		// Two nodes scan at once: each task turns red exactly once.
		var wg sync.WaitGroup
		var red atomic.Int32
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := f.store.ScanWarnings(ctx)
				if err != nil {
					t.Error(err)
				}
				red.Add(int32(st.Red))
			}()
		}
		wg.Wait()
		if red.Load() != 5 {
			t.Fatalf("red marks: %d", red.Load())
		}
		warned(0, 5)
		var logged int
		d.Read().QueryRow(`SELECT COUNT(*) FROM application_events WHERE action = 'warning_red'`).Scan(&logged)
		if logged != 5 {
			t.Fatalf("red events: %d", logged)
		}
		a, _ := f.store.Get(ctx, f.p["zhang"], apps[0].ID)
		if f.task(t, a, "accept").Warning != application.Red {
			t.Fatalf("warning %q", f.task(t, a, "accept").Warning)
		}
		// Reminders repeat a day later while nobody acts.
		f.clock.set("2026-10-01 09:00")
		st, err = f.store.ScanWarnings(ctx)
		if err != nil || st.Reminded != 5 {
			t.Fatalf("reminders: %+v %v", st, err)
		}
		// The queue puts them first, red.
		q, err := f.store.Queue(ctx, f.p["clerk"], application.QueueFilter{})
		if err != nil || len(q) != 5 || q[0].Warning != application.Red {
			t.Fatalf("queue: %d %v", len(q), err)
		}
		// While the applicant is asked for a supplement the clock stops and
		// nobody in the department can act: nobody is reminded of that
		// task, until the answer restarts its clock.
		f.decide(t, "clerk", apps[0], "accept", application.Decision{Action: "supplement",
			Items: []application.SupplementItem{{Material: "m1", Reason: "营业执照不清晰"}}})
		f.clock.set("2026-10-02 09:30")
		if st, err = f.store.ScanWarnings(ctx); err != nil || st.Reminded != 4 {
			t.Fatalf("reminders with one clock stopped: %+v %v, want 4", st, err)
		}
		warned(0, 4)
		if _, err := f.store.AddMaterial(ctx, f.p["zhang"], apps[0].ID, "m1", "licence-2026.png", bytes.NewReader(append(pngFile, 2))); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AnswerSupplement(ctx, f.p["zhang"], apps[0].ID, nil, "已补"); err != nil {
			t.Fatal(err)
		}
		f.clock.set("2026-10-03 10:00")
		if st, err = f.store.ScanWarnings(ctx); err != nil || st.Reminded != 5 {
			t.Fatalf("reminders after the answer: %+v %v, want 5", st, err)
		}
		warned(0, 5)
	})
}

func TestDraftRulesAndVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		if _, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "k"); err != nil {
			t.Fatal(err)
		}
		// The same key for another service is an error, not a retry.
		if _, err := f.store.CreateDraft(ctx, zhang, "SCJG-SIGN", application.Applicant{}, "k"); fieldKeys(t, err)["idempotency_key"] != "idempotency_key_reused" {
			t.Fatalf("reused key: %v", err)
		}
		if _, err := f.store.CreateDraft(ctx, zhang, "NO-SUCH", application.Applicant{}, ""); fieldKeys(t, err)["service_code"] != "service_unknown" {
			t.Fatalf("unknown service: %v", err)
		}
		// Staff cannot file applications.
		if _, err := f.store.CreateDraft(ctx, f.p["clerk"], "SCJG-FOOD", application.Applicant{}, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("clerk filed: %v", err)
		}
		a := f.filed(t, "SCJG-FOOD", 100)
		if _, err := f.store.Claim(ctx, f.p["clerk"], f.task(t, a, "accept").ID); err != nil {
			t.Fatal(err)
		}
		// The applicant sees who handles the case by name only.
		mine, err := f.store.Get(ctx, zhang, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tk := f.task(t, mine, "accept"); tk.AssigneeID != "" || tk.AssigneeName != "clerk" {
			t.Fatalf("applicant's view of the assignee: %q %q", tk.AssigneeID, tk.AssigneeName)
		}
		// Supervisors watch every department's queue; a GA clerk sees none of SCJG's.
		q, err := f.store.Queue(ctx, f.p["jiancha"], application.QueueFilter{})
		if err != nil || len(q) != 1 {
			t.Fatalf("supervisor queue: %d %v", len(q), err)
		}
		q, err = f.store.Queue(ctx, f.p["ga"], application.QueueFilter{})
		if err != nil || len(q) != 0 {
			t.Fatalf("GA queue: %d %v", len(q), err)
		}
	})
}

// TestParallelStepsDecidedAtOnce has the two departments of a joint
// approval (并联审批) pass their reviews of the same application at the
// same moment: both decisions must be recorded, each with its own log
// entry, and the decision step must open once.
func TestParallelStepsDecidedAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		for range 8 {
			a := f.filed(t, "SCJG-FOOD", 600) // over 500 m²: fire review too
			a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
			var wg sync.WaitGroup
			for user, step := range map[string]string{"reviewer": "review", "xf": "fire"} {
				id := f.task(t, a, step).ID
				wg.Go(func() {
					if _, err := f.store.Decide(ctx, f.p[user], id, application.Decision{Action: "pass", Opinion: "符合要求"}); err != nil {
						t.Errorf("%s passes %s at the same time as the other review: %v", user, step, err)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			b, err := f.store.Get(ctx, f.p["zhang"], a.ID)
			if err != nil {
				t.Fatal(err)
			}
			opened := 0
			for _, tk := range b.Tasks {
				if tk.StepID == "decide" {
					opened++
				}
			}
			if opened != 1 {
				t.Fatalf("decision step opened %d times after both reviews passed, want 1", opened)
			}
			for i, e := range b.Events {
				if e.Seq != i+1 {
					t.Fatalf("log entry %d has seq %d", i+1, e.Seq)
				}
			}
		}
	})
}

// Submissions made at the same moment share commits; each is filed once,
// with its own number, and the daily sequence has no gaps even when a
// double submit of the same draft loses inside the shared transaction.
// Decisions likewise.
func TestConcurrentSubmissionsAndDecisions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		zhang := f.p["zhang"]
		const n = 24
		ids := drafts(t, f, n)
		form, _ := json.Marshal(map[string]any{"name": "临江味道餐饮", "area": 80})
		numbers := make([][2]string, n)
		var wg sync.WaitGroup
		for i := range ids {
			for k := range 2 { // every draft submitted twice at once
				wg.Go(func() {
					a, err := f.store.Submit(ctx, zhang, ids[i], form)
					if err != nil {
						t.Errorf("Submit %d (%d): %v", i, k, err)
						return
					}
					numbers[i][k] = a.Number
				})
			}
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, pair := range numbers {
			if pair[0] == "" || pair[0] != pair[1] {
				t.Errorf("draft %d: the two submits answered %q and %q, want one number", i, pair[0], pair[1])
			}
			seen[pair[0]] = true
		}
		for k := 1; k <= n; k++ {
			if num := "SCJG20260928" + fmt.Sprintf("%05d", k); !seen[num] {
				t.Errorf("number %s not given; numbers: %v", num, numbers)
			}
		}
		for _, id := range ids {
			a, err := f.store.Get(ctx, zhang, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.State != application.Submitted || len(a.Tasks) != 1 {
				t.Errorf("application %s: state %s with %d tasks, want submitted with its intake task", id, a.State, len(a.Tasks))
			}
		}

		// Two clerks accept every intake task at the same moment: the
		// decisions share commits, and exactly one of each pair wins.
		var wins, stale atomic.Int64
		for _, id := range ids {
			a, err := f.store.Get(ctx, zhang, id)
			if err != nil {
				t.Fatal(err)
			}
			task := a.Tasks[0].ID
			for _, clerk := range []string{"clerk", "clerk-two"} {
				wg.Go(func() {
					_, err := f.store.Decide(ctx, f.p[clerk], task, application.Decision{Action: application.ActAccept})
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, application.ErrStale):
						stale.Add(1)
					default:
						t.Errorf("Decide by %s: %v", clerk, err)
					}
				})
			}
		}
		wg.Wait()
		if wins.Load() != n || stale.Load() != n {
			t.Errorf("%d accepted and %d told someone else was first, want %d each", wins.Load(), stale.Load(), n)
		}
		for _, id := range ids {
			a, err := f.store.Get(ctx, zhang, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.State != application.Accepted {
				t.Errorf("application %s: state %s after acceptance", id, a.State)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A submission is numbered last in its transaction; the number it gets is
// the one its log, its notices and the ledger's state carry, also past
// the fifth digit of the daily sequence, and numbers stay consecutive.
func TestSubmissionNumberPastFiveDigits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO number_sequences (prefix, last) VALUES ('SCJG20260928', 99998)`); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"SCJG2026092899999", "SCJG20260928100000"} {
			a := f.filed(t, "SCJG-FOOD", 100)
			if a.Number != want || a.State != application.Submitted {
				t.Fatalf("filed %s in state %s, want %s submitted", a.Number, a.State, want)
			}
			// The answer is put together from what was written; reading
			// the application back gives the same.
			if got, err := f.store.Get(ctx, f.p["zhang"], a.ID); err != nil {
				t.Fatal(err)
			} else if x, y := mustJSON(t, a), mustJSON(t, got); x != y {
				t.Errorf("Submit answered\n%s\nGet reads\n%s", x, y)
			}
			var logged struct {
				Number string `json:"number"`
			}
			var actions []string
			for _, e := range a.Events {
				actions = append(actions, e.Action)
				if e.Action == "submitted" {
					if err := json.Unmarshal(e.Detail, &logged); err != nil {
						t.Fatal(err)
					}
				}
			}
			if logged.Number != want {
				t.Errorf("the submitted entry of the log carries %q, want %q", logged.Number, want)
			}
			if i, j := slices.Index(actions, "submitted"), slices.Index(actions, "step_opened"); i < 0 || j < i {
				t.Errorf("log %v: want submitted, then step_opened", actions)
			}
			var told int
			if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM notices WHERE link IN ($1, $2) AND args LIKE $3`,
				"/applications/"+a.ID, "/staff/tasks/"+a.Tasks[0].ID, "%"+want+"%").Scan(&told); err != nil {
				t.Fatal(err)
			}
			if told < 2 {
				t.Errorf("%d notices carry %s, want the applicant's and the clerks'", told, want)
			}
			state, err := application.CanonicalState(ctx, d.Read(), a.ID)
			if err != nil || !strings.Contains(string(state), want) {
				t.Errorf("canonical state %s (%v) lacks the number %s", state, err, want)
			}
			// Submitting again answers as Get does, with the same number.
			again, err := f.store.Submit(ctx, f.p["zhang"], a.ID, nil)
			if err != nil || again.Number != want || len(again.Tasks) != 1 || len(again.Events) != len(a.Events) {
				t.Errorf("submitted again: %+v, %v", again, err)
			}
		}
	})
}

func TestStaffDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 100)
		accept := f.task(t, a, "accept")
		doc, err := f.store.AttachDocument(ctx, f.p["clerk"], accept.ID, "现场核查记录.png", bytes.NewReader(pngFile))
		if err != nil || doc.ContentType != blob.PNG || len(doc.SHA256) != 64 {
			t.Fatalf("attach: %+v %v", doc, err)
		}
		if _, err := f.store.AttachDocument(ctx, f.p["clerk"], accept.ID, "x.pdf", strings.NewReader("<script>")); fieldKeys(t, err)["file"] != "file_type" {
			t.Fatalf("html document: %v", err)
		}
		// Another department cannot attach to, or even see, the task.
		if _, err := f.store.AttachDocument(ctx, f.p["ga"], accept.ID, "x.png", bytes.NewReader(pngFile)); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("GA clerk attached: %v", err)
		}
		docs, err := f.store.Documents(ctx, f.p["reviewer"], a.ID)
		if err != nil || len(docs) != 1 || docs[0].FileName != "现场核查记录.png" {
			t.Fatalf("staff documents: %+v %v", docs, err)
		}
		if docs, err := f.store.Documents(ctx, f.p["zhang"], a.ID); err != nil || len(docs) != 0 {
			t.Fatalf("applicant sees staff documents: %d %v", len(docs), err)
		}
		if _, err := f.store.Documents(ctx, f.p["ga"], a.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("GA clerk listed documents: %v", err)
		}
		_, rc, err := f.store.OpenDocument(ctx, f.p["clerk"], a.ID, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		// The attachment is in the log; a closed task takes no more.
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		found := false
		for _, e := range a.Events {
			found = found || e.Action == "document_attached"
		}
		if !found {
			t.Fatal("attachment not logged")
		}
		if _, err := f.store.AttachDocument(ctx, f.p["clerk"], accept.ID, "late.png", bytes.NewReader(pngFile)); fieldKeys(t, err)["task"] != "task_closed" {
			t.Fatalf("attach to a closed task: %v", err)
		}
	})
}

// After a return, the steps after the one returned to are decided again:
// their earlier outcomes are superseded and count for nothing when the
// process asks what comes next.
func TestReturnedStepsAreDecidedAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "符合"})
		a, err := f.store.Return(ctx, f.p["approver"], f.task(t, a, "decide").ID, "accept", "受理材料需重新核对")
		if err != nil {
			t.Fatal(err)
		}
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		var open []string
		for _, tk := range a.Tasks {
			if tk.State == application.TaskOpen {
				open = append(open, tk.StepID)
			}
		}
		if !slices.Equal(open, []string{"review"}) {
			t.Fatalf("open after accepting again: %v, want the review alone; tasks: %+v", open, a.Tasks)
		}
		a = f.decide(t, "reviewer", a, "review", application.Decision{Action: "pass", Opinion: "复核符合"})
		a = f.decide(t, "approver", a, "decide", application.Decision{Action: "approve", Opinion: "同意"})
		a = f.decide(t, "clerk", a, "conclude", application.Decision{Action: "conclude"})
		if a.State != application.Concluded || a.Result != application.Approved {
			t.Fatalf("concluded: %s %s", a.State, a.Result)
		}
		// The letter gives the approval's opinion as its reason.
		if a.Letter == nil || !slices.Equal(a.Letter.Body.Reasons, []string{"同意"}) {
			t.Fatalf("letter: %+v", a.Letter)
		}
	})
}

// TestNoticesCarryTheTimeOfTheChange: a notice is dated when the change
// it reports happened by the store's clock, as the application's log is;
// the demo, which files its applications days back, showed every notice
// as sent when the server started.
func TestNoticesCarryTheTimeOfTheChange(t *testing.T) {
	d := dbtest.SQLite(t)
	f := setup(t, d)
	a := f.filed(t, "SCJG-FOOD", 100)
	var at db.Time
	if err := d.Read().QueryRowContext(context.Background(), `SELECT created_at FROM notices WHERE account_id = $1 AND kind = 'application_submitted'`,
		a.ApplicantID).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if want := f.clock.now(); !at.Time.Equal(want) {
		t.Errorf("the submission's notice is dated %s, want the submission's time %s", at.Time, want)
	}
}

// TestQueueFiltersAndPages: the work queue narrows to yellow or red
// tasks, finds a task by the start of its tracking number (any case) or a
// part of the applicant's name, pages in its deadline order, and counts
// the whole queue.
func TestQueueFiltersAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		var apps []*application.Application
		for range 5 {
			apps = append(apps, f.filed(t, "SCJG-FOOD", 100))
			f.clock.t.Add(int64(time.Minute))
		}
		mark := func(a *application.Application, w string) {
			t.Helper()
			if _, err := d.Write().ExecContext(ctx, `UPDATE tasks SET warning = $1 WHERE application_id = $2`, w, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		mark(apps[1], "yellow")
		mark(apps[3], "red")
		mark(apps[4], "red")
		// The first one's clock stops for a supplement: it goes last.
		apps[0] = f.decide(t, "clerk", apps[0], "accept", application.Decision{Action: "supplement",
			Items: []application.SupplementItem{{Material: "m1", Reason: "营业执照不清晰"}}})
		clerk := f.p["clerk"]
		numbers := func(q application.QueueFilter) []string {
			t.Helper()
			tasks, err := f.store.Queue(ctx, clerk, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, tk := range tasks {
				out = append(out, tk.Number)
			}
			return out
		}
		all := numbers(application.QueueFilter{})
		if len(all) != 5 || all[4] != apps[0].Number {
			t.Fatalf("queue: %v, want the 5 intake tasks, %s (clock stopped) last", all, apps[0].Number)
		}
		if got := numbers(application.QueueFilter{Warning: application.Red}); !slices.Equal(got, []string{apps[3].Number, apps[4].Number}) {
			t.Errorf("red: %v, want %s and %s", got, apps[3].Number, apps[4].Number)
		}
		if got := numbers(application.QueueFilter{Query: strings.ToLower(apps[2].Number)}); !slices.Equal(got, []string{apps[2].Number}) {
			t.Errorf("by number: %v, want %s", got, apps[2].Number)
		}
		if got := numbers(application.QueueFilter{Query: "SCJG"}); len(got) != 5 {
			t.Errorf("by number prefix: %v, want all 5", got)
		}
		// With digits, a search is the start of a tracking number. A
		// search finds the applications first, or walks the queue when
		// they are more than are worth listing: both find the same.
		prefix := strings.ToLower(apps[0].Number[:len(apps[0].Number)-2])
		for _, max := range []int{500, 2} {
			restore := application.SetMaxMatching(max)
			if got := numbers(application.QueueFilter{Query: prefix}); len(got) != 5 {
				t.Errorf("by a number prefix with digits (listing %d): %v, want all 5", max, got)
			}
			if got := numbers(application.QueueFilter{Query: "han"}); len(got) != 5 { // the applicant is "zhang"
				t.Errorf("by a part of the applicant's name (listing %d): %v, want all 5", max, got)
			}
			if got := numbers(application.QueueFilter{Query: "zhang", Warning: application.Red}); !slices.Equal(got, []string{apps[3].Number, apps[4].Number}) {
				t.Errorf("by name, red (listing %d): %v, want %s and %s", max, got, apps[3].Number, apps[4].Number)
			}
			restore()
		}
		if got := numbers(application.QueueFilter{Query: "SCJG1999"}); len(got) != 0 {
			t.Errorf("by a number nobody has: %v", got)
		}
		if c, err := f.store.QueueCounts(ctx, clerk, application.QueueFilter{Query: "SCJG1999"}); err != nil || c.Total != 0 {
			t.Errorf("counts of a number nobody has: %+v %v", c, err)
		}
		if got := numbers(application.QueueFilter{Query: "han"}); len(got) != 5 { // the applicant is "zhang"
			t.Errorf("by a part of the applicant's name: %v, want all 5", got)
		}
		if got := numbers(application.QueueFilter{Query: "50%_"}); len(got) != 0 {
			t.Errorf("wildcards are taken literally: %v", got)
		}
		// Pages follow the deadline order without gaps or repeats.
		for _, size := range []int{1, 2, 3, 4} {
			var paged []string
			for off := 0; off < 7; off += size {
				paged = append(paged, numbers(application.QueueFilter{Offset: off, Limit: size})...)
			}
			if !slices.Equal(paged, all) {
				t.Errorf("paged %d at a time: %v, want %v", size, paged, all)
			}
		}
		c, err := f.store.QueueCounts(ctx, clerk, application.QueueFilter{Warning: application.Red})
		if err != nil || c != (application.QueueCounts{Total: 5, Yellow: 1, Red: 2}) {
			t.Errorf("counts: %+v %v, want 5 with 1 yellow and 2 red", c, err)
		}
		if c, err := f.store.QueueCounts(ctx, clerk, application.QueueFilter{Query: apps[4].Number}); err != nil || c != (application.QueueCounts{Total: 1, Red: 1}) {
			t.Errorf("counts of one number: %+v %v", c, err)
		}
		// QueuePage answers both at once, the same.
		pf := application.QueueFilter{Query: "zhang", Warning: application.Red}
		tasks, c, err := f.store.QueuePage(ctx, clerk, pf)
		if err != nil || c != (application.QueueCounts{Total: 5, Yellow: 1, Red: 2}) || len(tasks) != 2 || tasks[0].Number != apps[3].Number {
			t.Errorf("queue page: %d tasks, %+v, %v; want the 2 red of 5 with 1 yellow and 2 red", len(tasks), c, err)
		}
		// Another department's clerk counts nothing of it.
		if c, err := f.store.QueueCounts(ctx, f.p["ga"], application.QueueFilter{}); err != nil || c.Total != 0 {
			t.Errorf("GA counts: %+v %v", c, err)
		}
		for _, bad := range []application.QueueFilter{{Warning: "purple"}, {Offset: -1}, {Query: strings.Repeat("长", 51)}} {
			if _, err := f.store.Queue(ctx, clerk, bad); err == nil {
				t.Errorf("queue filter %+v accepted", bad)
			} else {
				fieldKeys(t, err)
			}
		}
	})
}

// TestRepeatSupplementsForSupervisors: a second supplement request on an
// application, with its reason, is listed for supervisors (of every
// department, or of one) and for nobody else.
func TestRepeatSupplementsForSupervisors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		once := f.filed(t, "SCJG-FOOD", 100)
		f.decide(t, "clerk", once, "accept", application.Decision{Action: "supplement", Items: []application.SupplementItem{{Material: "m1", Reason: "不清晰"}}})
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "supplement", Items: []application.SupplementItem{{Material: "m1", Reason: "不清晰"}}})
		if _, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence-2.png", bytes.NewReader(append(pngFile, 2))); err != nil {
			t.Fatal(err)
		}
		a, err := f.store.AnswerSupplement(ctx, zhang, a.ID, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		f.decide(t, "clerk", a, "accept", application.Decision{Action: "supplement", RepeatReason: "新提交的执照已过期",
			Items: []application.SupplementItem{{Material: "m1", Reason: "已过期"}, {Field: "note", Reason: "请说明经营时段"}}})

		got, err := f.store.RepeatSupplements(ctx, f.p["jiancha"], "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("repeat supplements: %+v, want the one second request", got)
		}
		r := got[0]
		if r.ApplicationID != a.ID || r.Number != a.Number || r.Seq != 2 || r.Reason != "新提交的执照已过期" || r.Items != 2 || r.RequestedBy != "clerk" || r.Answered || r.DepartmentCode != "SCJG" {
			t.Errorf("repeat supplement = %+v", r)
		}
		if got, err := f.store.RepeatSupplements(ctx, f.p["jiancha"], "GA"); err != nil || len(got) != 0 {
			t.Errorf("GA's repeat supplements: %+v %v, want none", got, err)
		}
		for _, who := range []string{"clerk", "head", "zhang"} {
			if _, err := f.store.RepeatSupplements(ctx, f.p[who], ""); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s lists repeat supplements: %v", who, err)
			}
		}
	})
}

// TestInProcess counts each department's applications in process by
// state, for the metrics: drafts and finished applications count for
// nothing, and every department is listed.
func TestInProcess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		if _, err := f.store.CreateDraft(ctx, f.p["zhang"], "SCJG-FOOD", application.Applicant{}, ""); err != nil {
			t.Fatal(err)
		}
		var apps []*application.Application
		for range 5 {
			apps = append(apps, f.filed(t, "SCJG-FOOD", 100))
		}
		f.decide(t, "clerk", apps[0], "accept", application.Decision{Action: "accept"})
		f.decide(t, "clerk", apps[1], "accept", application.Decision{Action: "supplement", Items: []application.SupplementItem{{Material: "m1", Reason: "营业执照已过期"}}})
		f.decide(t, "clerk", apps[2], "accept", application.Decision{Action: "refuse", Opinion: "不属于本机关职权范围", LegalBasis: "《行政许可法》第三十二条"})
		if _, err := f.store.Withdraw(ctx, f.p["zhang"], apps[3].ID, "不再经营"); err != nil {
			t.Fatal(err)
		}
		ls, err := f.store.InProcess(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, l := range ls {
			seen[l.Department] = true
			want := application.DepartmentLoad{Department: l.Department}
			if l.Department == "SCJG" {
				want.Submitted, want.Accepted, want.Supplement = 1, 1, 1
			}
			if l != want {
				t.Errorf("in process %+v, want %+v", l, want)
			}
		}
		if !seen["SCJG"] || !seen["GA"] {
			t.Errorf("in process lists %v, want every department", seen)
		}
	})
}

// TestUploadsWaitForSubmission: an upload removed or added while the
// draft is being filed waits for the submission and then fails; the
// application is filed with the uploads it was checked with, as its
// ledger stamp says.
func TestUploadsWaitForSubmission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		a, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "")
		if err != nil {
			t.Fatal(err)
		}
		m1, err := f.store.AddMaterial(ctx, zhang, a.ID, "m1", "licence.png", bytes.NewReader(pngFile))
		if err != nil {
			t.Fatal(err)
		}
		var removeErr, addErr error
		var wg sync.WaitGroup
		hook := func() {
			// Inside the submitting transaction: the removal and the
			// upload start now and must wait for it.
			wg.Add(2)
			go func() { defer wg.Done(); removeErr = f.store.RemoveMaterial(ctx, zhang, a.ID, m1.ID) }()
			go func() {
				defer wg.Done()
				_, addErr = f.store.AddMaterial(ctx, zhang, a.ID, "m2", "plan.png", bytes.NewReader(pngFile))
			}()
			dbtest.WaitForLockWaiters(t, d, 2)
		}
		f.onNotice.Store(&hook)
		filed, err := f.store.Submit(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道餐饮","area":80}`))
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if removeErr == nil || addErr == nil {
			t.Fatalf("during the submission: removal %v, upload %v; want both refused", removeErr, addErr)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM application_materials WHERE application_id = $1`, a.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 || len(filed.Materials) != 1 || filed.Materials[0].ID != m1.ID {
			t.Errorf("filed with %d uploads stored and %+v answered, want m1 alone", n, filed.Materials)
		}
		stamps, err := (&ledger.Log{DB: d}).Stamps(ctx, application.LedgerObject, a.ID)
		if err != nil || len(stamps) != 1 {
			t.Fatalf("stamps %v, %v", stamps, err)
		}
		state, err := f.store.LedgerState(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sha, _ := ledger.Digests(state); sha != stamps[0].SHA256 {
			t.Errorf("state %s is not the one stamped", state)
		}
	})
}
