package application_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
)

// TestLedgerStamps checks that every decision of an application is stamped
// in the ledger with the digest of the state it left, and that claims do
// not break the link between the latest stamp and the record.
func TestLedgerStamps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 100)
		a = f.decide(t, "clerk", a, "accept", application.Decision{Action: "accept"})
		if _, err := f.store.Claim(ctx, f.p["reviewer"], f.task(t, a, "review").ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Decide(ctx, f.p["reviewer"], f.task(t, a, "review").ID, application.Decision{Action: "reject", Opinion: "场所不符合"}); err != nil {
			t.Fatal(err)
		}
		a, _ = f.store.Get(ctx, f.p["zhang"], a.ID)
		a = f.decide(t, "clerk", a, "conclude", application.Decision{Action: "conclude"})

		stamps, err := (&ledger.Log{DB: d}).Stamps(ctx, application.LedgerObject, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for i, s := range stamps {
			events = append(events, s.Event)
			if i > 0 && s.Prev != stamps[i-1].ID {
				t.Errorf("stamp %d links to %q, want %q", i, s.Prev, stamps[i-1].ID)
			}
			if strings.Contains(string(s.Body), "张") || strings.Contains(string(s.Body), a.ApplicantName) {
				t.Errorf("stamp carries personal data: %s", s.Body)
			}
		}
		if got, want := strings.Join(events, ","), "submitted,accept,accepted,reject,conclude,concluded"; got != want {
			t.Fatalf("stamps = %s, want %s", got, want)
		}
		last := stamps[len(stamps)-1]
		if last.Department == "" || last.Role == "" {
			t.Errorf("conclusion stamp lacks the acting department and role: %s", last.Body)
		}
		state, err := f.store.LedgerState(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sha, sm := ledger.Digests(state); sha != last.SHA256 || sm != last.SM3 {
			t.Fatalf("current state digests %s/%s, latest stamp %s/%s", sha, sm, last.SHA256, last.SM3)
		}
		// A direct edit of the result changes the digest.
		if _, err := d.Write().ExecContext(ctx, `UPDATE applications SET result = 'approved' WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		state, _ = f.store.LedgerState(ctx, a.ID)
		if sha, _ := ledger.Digests(state); sha == last.SHA256 {
			t.Fatal("changing the result left the canonical state's digest unchanged")
		}
	})
}

// TestSubmittedStampIsTheState: a submission stamps the state it puts
// together from what it wrote (it does not read it back); that must be
// the state read from the database, for every kind of draft: one upload,
// uploads replaced and optional ones, the form rewritten at submission.
func TestSubmittedStampIsTheState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		zhang := f.p["zhang"]
		check := func(a *application.Application) {
			t.Helper()
			stamps, err := (&ledger.Log{DB: d}).Stamps(ctx, application.LedgerObject, a.ID)
			if err != nil || len(stamps) != 1 || stamps[0].Event != "submitted" {
				t.Fatalf("stamps %+v (%v), want the submission's", stamps, err)
			}
			state, err := f.store.LedgerState(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sha, sm := ledger.Digests(state); sha != stamps[0].SHA256 || sm != stamps[0].SM3 {
				t.Errorf("state read back %s does not have the submission stamp's digests", state)
			}
		}
		check(f.filed(t, "SCJG-FOOD", 100))
		check(f.filed(t, "SCJG-SIGN", 900))

		a, err := f.store.CreateDraft(ctx, zhang, "SCJG-FOOD", application.Applicant{}, "")
		if err != nil {
			t.Fatal(err)
		}
		var first *application.Material
		for _, req := range []string{"m1", "m2", "m1", "m2"} {
			m, err := f.store.AddMaterial(ctx, zhang, a.ID, req, req+".png", bytes.NewReader(pngFile))
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = m
			}
		}
		if err := f.store.RemoveMaterial(ctx, zhang, a.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.SaveDraft(ctx, zhang, a.ID, json.RawMessage(`{"name":"临江味道","area":30}`), a.Revision); err != nil {
			t.Fatal(err)
		}
		filed, err := f.store.Submit(ctx, zhang, a.ID, json.RawMessage(`{"area":620,"name":"临江味道餐饮"}`))
		if err != nil {
			t.Fatal(err)
		}
		if len(filed.Materials) != 3 {
			t.Errorf("filed with %d materials, want the three left", len(filed.Materials))
		}
		check(filed)
	})
}
