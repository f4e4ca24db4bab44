package catalog_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
)

// Each published version is stamped in the ledger in the transaction that
// publishes it, with the digest of its canonical JSON, and a direct edit of
// a published version is caught by verification.
func TestPublishStampsTheLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		editor := f.principal(t, "scjg-admin")
		l := &ledger.Log{DB: d}
		before, err := l.Stamps(ctx, catalog.LedgerObject, catalog.LedgerID("SCJG-L01", 1))
		if err != nil || len(before) != 0 {
			t.Fatalf("stamps before publishing = %v, %v", before, err)
		}
		svc := validService("SCJG-L01", "SCJG")
		if _, err := f.cat.Create(ctx, editor, svc); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Publish(ctx, editor, "SCJG-L01"); err != nil {
			t.Fatal(err)
		}
		// Publishing the unchanged draft again makes no version and no stamp.
		if _, err := f.cat.Publish(ctx, editor, "SCJG-L01"); err != nil {
			t.Fatal(err)
		}
		svc.Guide.PromisedDays = 3
		if _, err := f.cat.UpdateDraft(ctx, editor, "SCJG-L01", svc); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Publish(ctx, editor, "SCJG-L01"); err != nil {
			t.Fatal(err)
		}
		for v := 1; v <= 2; v++ {
			id := catalog.LedgerID("SCJG-L01", v)
			stamps, err := l.Stamps(ctx, catalog.LedgerObject, id)
			if err != nil || len(stamps) != 1 {
				t.Fatalf("stamps of %s = %+v, %v; want one", id, stamps, err)
			}
			state, err := f.cat.LedgerState(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(state), `"promised_days"`) {
				t.Fatalf("state of %s is not the version's document: %s", id, state)
			}
		}

		keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(t.TempDir(), "ledger.key"), "test.example/ledger")
		if err != nil {
			t.Fatal(err)
		}
		l.Keys = keys
		ledgertest.IntegrateAll(t, l)
		known, _ := keys.Verifiers()
		states := map[string]ledger.StateFunc{catalog.LedgerObject: f.cat.LedgerState}
		rep, err := l.Verify(ctx, known, nil, states)
		if err != nil || len(rep.Breaks) != 0 {
			t.Fatalf("Verify on a clean store = %v, %v", rep.Breaks, err)
		}
		// The demo city's 40 services and the two versions above.
		if rep.Objects < 42 {
			t.Fatalf("Verify checked %d published versions, want at least 42", rep.Objects)
		}
		// An edit of version 1's promised days behind the platform's back.
		if _, err := d.Write().ExecContext(ctx, `UPDATE service_versions SET document = REPLACE(document, '"promised_days":5', '"promised_days":1') WHERE service_code = 'SCJG-L01' AND version = 1`); err != nil {
			t.Fatal(err)
		}
		rep, err = l.Verify(ctx, known, nil, states)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Breaks) != 1 || rep.Breaks[0].ObjectID != "SCJG-L01@1" {
			t.Fatalf("Verify after editing version 1 = %v, want one break of SCJG-L01@1", rep.Breaks)
		}
	})
}
