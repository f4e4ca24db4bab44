package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
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
)

var (
	segOnce sync.Once
	seg     *segment.Segmenter
)

type fixture struct {
	db    *db.DB
	cat   *catalog.Store
	orgs  *org.Store
	ids   *identity.Store
	admin *identity.Principal
	now   time.Time
}

// newFixture returns a store with the demo city loaded.
func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	segOnce.Do(func() {
		var err error
		if seg, err = segment.New(); err != nil {
			t.Fatal(err)
		}
	})
	f := &fixture{db: d, orgs: org.NewStore(d), ids: identity.NewStore(d, time.Now), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	f.cat = catalog.NewStore(d, seg, func() time.Time { return f.now })
	ctx := context.Background()
	if _, err := demo.Load(ctx, d, f.orgs, f.ids, f.cat, nil); err != nil {
		t.Fatal(err)
	}
	f.admin = f.principal(t, "admin")
	return f
}

func (f *fixture) principal(t testing.TB, username string) *identity.Principal {
	t.Helper()
	a, err := f.ids.AccountByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.ids.Principal(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func validService(code, dept string) catalog.Service {
	return catalog.Service{
		Code: code, Name: "测试事项" + code, Kind: catalog.PublicService, DepartmentCode: dept,
		Audience: []catalog.Audience{catalog.Person}, Depth: catalog.FullOnline,
		Guide: catalog.Guide{
			Conditions:    "本市户籍居民。",
			LegalBasis:    []catalog.LegalBasis{{Name: "《中华人民共和国行政许可法》"}},
			Materials:     []catalog.MaterialRequirement{{Code: "m1", Name: "居民身份证", Form: catalog.FormOriginal, Count: 1, Required: true}},
			Fees:          catalog.Fees{Free: true},
			StatutoryDays: 20, PromisedDays: 5, ContactPhone: "0571-87000000",
		},
	}
}

func fieldKey(err error, field string) string {
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		return ""
	}
	return inv.Get(field)
}

func TestCreatePublishVersioning(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		editor := f.principal(t, "scjg-admin")
		svc := validService("SCJG-T01", "SCJG")
		if _, err := f.cat.Create(ctx, editor, svc); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Published(ctx, "SCJG-T01"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("Published(draft) = %v, want ErrNotFound: drafts are not public", err)
		}
		v1, err := f.cat.Publish(ctx, editor, "SCJG-T01")
		if err != nil || v1.Version != 1 {
			t.Fatalf("Publish = %v, %v; want version 1", v1, err)
		}
		// Publishing an unchanged draft makes no new version.
		if again, err := f.cat.Publish(ctx, editor, "SCJG-T01"); err != nil || again.Version != 1 {
			t.Fatalf("re-Publish = %v, %v; want still version 1", again, err)
		}
		svc.Guide.PromisedDays = 3
		if _, err := f.cat.UpdateDraft(ctx, editor, "SCJG-T01", svc); err != nil {
			t.Fatal(err)
		}
		live, _ := f.cat.Published(ctx, "SCJG-T01")
		if live.Guide.PromisedDays != 5 {
			t.Fatalf("live promised days = %d after editing the draft, want 5 (unchanged until published)", live.Guide.PromisedDays)
		}
		v2, err := f.cat.Publish(ctx, editor, "SCJG-T01")
		if err != nil || v2.Version != 2 {
			t.Fatalf("Publish after edit = %v, %v; want version 2", v2, err)
		}
		old, err := f.cat.Version(ctx, "SCJG-T01", 1)
		if err != nil || old.Guide.PromisedDays != 5 {
			t.Fatalf("Version 1 = %+v, %v; want the pinned old version", old, err)
		}
		if err := f.cat.Withdraw(ctx, editor, "SCJG-T01"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Published(ctx, "SCJG-T01"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("Published(withdrawn) = %v, want ErrNotFound", err)
		}
		if _, err := f.cat.Version(ctx, "SCJG-T01", 2); err != nil {
			t.Fatalf("Version 2 of a withdrawn service = %v; versions must stay for what references them", err)
		}
		hits, _ := f.cat.Search(ctx, "测试事项SCJG-T01", 5)
		for _, h := range hits {
			if h.Code == "SCJG-T01" {
				t.Fatal("withdrawn service still found by search")
			}
		}
	})
}

func TestDepartmentScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		scjg := f.principal(t, "scjg-admin")
		clerk := f.principal(t, "scjg-clerk")
		if _, err := f.cat.Create(ctx, scjg, validService("GA-T01", "GA")); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("SCJG admin creating a GA service = %v, want ErrForbidden", err)
		}
		if _, err := f.cat.Create(ctx, clerk, validService("SCJG-T02", "SCJG")); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("clerk creating a service = %v, want ErrForbidden", err)
		}
		ga, err := f.cat.List(ctx, catalog.Filter{Department: "GA"})
		if err != nil || len(ga) == 0 {
			t.Fatalf("GA services: %v %d", err, len(ga))
		}
		if _, err := f.cat.Entry(ctx, scjg, ga[0].Code); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("SCJG admin reading a GA draft = %v, want ErrNotFound (not revealed)", err)
		}
		if _, err := f.cat.Publish(ctx, scjg, ga[0].Code); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("SCJG admin publishing a GA service = %v, want ErrForbidden", err)
		}
		if err := f.cat.Withdraw(ctx, scjg, ga[0].Code); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("SCJG admin withdrawing a GA service = %v, want ErrForbidden", err)
		}
		// Moving one's own service to another department is refused too.
		mine := validService("SCJG-T03", "SCJG")
		if _, err := f.cat.Create(ctx, scjg, mine); err != nil {
			t.Fatal(err)
		}
		mine.DepartmentCode = "GA"
		if _, err := f.cat.UpdateDraft(ctx, scjg, "SCJG-T03", mine); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("moving a service to GA = %v, want ErrForbidden", err)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		for _, tc := range []struct {
			name, field, key string
			mut              func(*catalog.Service)
		}{
			{"duplicate code", "code", "service_code_taken", func(s *catalog.Service) { s.Code = mustFirst(t, f).Code }},
			{"unknown department", "department_code", "department_unknown", func(s *catalog.Service) { s.DepartmentCode = "NOPE" }},
			{"schema not an object", "form_schema", "form_schema_invalid", func(s *catalog.Service) { s.FormSchema = json.RawMessage(`{"type":"string"}`) }},
			{"schema invalid keyword", "form_schema", "form_schema_invalid", func(s *catalog.Service) {
				s.FormSchema = json.RawMessage(`{"type":"object","properties":{"a":{"type":"nonsense"}}}`)
			}},
			{"promised over statutory", "guide.promised_days", "promised_exceeds_statutory", func(s *catalog.Service) { s.Guide.PromisedDays = 30 }},
			{"fee without basis", "guide.fees.items[0].basis", "fee_basis_required", func(s *catalog.Service) {
				s.Guide.Fees = catalog.Fees{Items: []catalog.FeeItem{{Name: "工本费", Amount: "20元"}}}
			}},
			{"conditional material without condition", "guide.materials[0].condition", "material_condition_required", func(s *catalog.Service) { s.Guide.Materials[0].Required = false }},
			{"offline without location", "guide.locations", "locations_required", func(s *catalog.Service) { s.Depth = catalog.Offline }},
			{"bad phone", "guide.contact_phone", "phone_invalid", func(s *catalog.Service) { s.Guide.ContactPhone = "call us" }},
			{"bad process code", "process", "process_code_invalid", func(s *catalog.Service) { s.Process = "food license" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				svc := validService("SCJG-V01", "SCJG")
				tc.mut(&svc)
				before := countServices(t, d)
				_, err := f.cat.Create(ctx, f.admin, svc)
				if got := fieldKey(err, tc.field); got != tc.key {
					t.Fatalf("Create: field %s = %q (err %v), want %q", tc.field, got, err, tc.key)
				}
				if after := countServices(t, d); after != before {
					t.Fatalf("a refused Create wrote %d rows", after-before)
				}
			})
		}
	})
}

func mustFirst(t *testing.T, f *fixture) catalog.Summary {
	l, err := f.cat.List(context.Background(), catalog.Filter{})
	if err != nil || len(l) == 0 {
		t.Fatal("empty demo catalog")
	}
	return l[0]
}

func countServices(t *testing.T, d *db.DB) int {
	var n int
	if err := d.Read().QueryRow(`SELECT COUNT(*) FROM services`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestExportImportRoundTrip exports the demo, imports it into an empty
// database and exports again: the two documents must be identical.
func TestExportImportRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		// Give the export a second version, a withdrawn service and an
		// unpublished draft, so the round trip covers every shape.
		editor := f.principal(t, "scjg-admin")
		s := validService("SCJG-R01", "SCJG")
		f.cat.Create(ctx, editor, s)
		f.cat.Publish(ctx, editor, "SCJG-R01")
		s.Summary = "第二版"
		f.cat.UpdateDraft(ctx, editor, "SCJG-R01", s)
		f.cat.Publish(ctx, editor, "SCJG-R01")
		s.Summary = "未发布的修改"
		f.cat.UpdateDraft(ctx, editor, "SCJG-R01", s)
		w := validService("SCJG-R02", "SCJG")
		f.cat.Create(ctx, editor, w)
		f.cat.Publish(ctx, editor, "SCJG-R02")
		if err := f.cat.Withdraw(ctx, editor, "SCJG-R02"); err != nil {
			t.Fatal(err)
		}
		var first bytes.Buffer
		if err := f.cat.Export(ctx, f.admin, f.orgs, &first); err != nil {
			t.Fatal(err)
		}
		d2 := dbtest.SQLite(t)
		orgs2 := org.NewStore(d2)
		ids2 := identity.NewStore(d2, time.Now)
		cat2 := catalog.NewStore(d2, seg, time.Now)
		acct, err := ids2.Seed(ctx, identity.Account{Kind: identity.KindStaff, Username: "root", Name: "管理员"}, "rootpass1", []identity.RoleGrant{{Role: identity.PlatformAdmin}})
		if err != nil {
			t.Fatal(err)
		}
		admin2, _ := ids2.Principal(ctx, acct.ID)
		if _, err := cat2.Import(ctx, admin2, orgs2, bytes.NewReader(first.Bytes())); err != nil {
			t.Fatal(err)
		}
		var second bytes.Buffer
		if err := cat2.Export(ctx, admin2, orgs2, &second); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			os.WriteFile(t.TempDir()+"/a.json", first.Bytes(), 0o644)
			t.Fatalf("round trip changed the catalog: %d bytes before, %d after", first.Len(), second.Len())
		}
		// Importing the same document again changes nothing.
		res, err := cat2.Import(ctx, admin2, orgs2, bytes.NewReader(first.Bytes()))
		if err != nil || res.Published != 0 {
			t.Fatalf("second import = %+v, %v; want no new versions", res, err)
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		var doc catalog.Document
		if err := json.Unmarshal(demo.CatalogJSON(), &doc); err != nil {
			t.Fatal(err)
		}
		before := countServices(t, d)
		good := validService("NEW-0001", "SCJG")
		bad := validService("NEW-0002", "NOPE")
		doc.Services = append(doc.Services,
			catalog.ServiceRecord{Code: good.Code, Status: catalog.Draft, Draft: &good},
			catalog.ServiceRecord{Code: bad.Code, Status: catalog.Draft, Draft: &bad})
		b, _ := json.Marshal(doc)
		_, err := f.cat.Import(ctx, f.admin, f.orgs, bytes.NewReader(b))
		want := "department_unknown"
		if got := fieldKey(err, "services["+itoa(len(doc.Services)-1)+"].department_code"); got != want {
			t.Fatalf("Import with an unknown department = %v, want field error %s", err, want)
		}
		if after := countServices(t, d); after != before {
			t.Fatalf("a failed import left %d new services", after-before)
		}
		for _, in := range []string{``, `{`, `[]`, `{"format":"other"}`, `{"format":"tongban-catalog/v1","unknown":1}`} {
			if _, err := f.cat.Import(ctx, f.admin, f.orgs, bytes.NewReader([]byte(in))); err == nil {
				t.Errorf("Import(%q) succeeded, want a validation error", in)
			} else if fieldKey(err, "document") == "" && fieldKey(err, "format") == "" {
				t.Errorf("Import(%q) = %v, want a field error on document or format", in, err)
			}
		}
		citizen := f.principal(t, "zhangsan")
		if _, err := f.cat.Import(ctx, citizen, f.orgs, bytes.NewReader(demo.CatalogJSON())); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("citizen Import = %v, want ErrForbidden", err)
		}
	})
}

func itoa(n int) string { return string(json.Number(jsonInt(n))) }

func jsonInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
