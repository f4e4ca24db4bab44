package application_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
)

// Deadlines counted into a year whose holiday notice is not entered yet
// follow the notice once an administrator enters it: late December's
// applications count 1 January 2027 as a working day until then.
func TestDeadlinesFollowCalendarEdits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		admin, zhang := f.p["admin"], f.p["zhang"]

		// Accepted Monday 28 December: 20 working days (statutory) end on
		// Monday 25 January and 10 (promised) on Monday 11 January, with
		// New Year's Day counted.
		f.clock.set("2026-12-28 09:00")
		a := f.decide(t, "clerk", f.filed(t, "SCJG-FOOD", 100), "accept", application.Decision{Action: "accept"})
		if a.StatutoryDue != "2027-01-25" || a.PromisedDue != "2027-01-11" {
			t.Fatalf("before the notice: statutory %s promised %s", a.StatutoryDue, a.PromisedDue)
		}
		// Filed the same Monday and asked for a supplement at once; see
		// the 31st below.
		g := f.decide(t, "clerk", f.filed(t, "SCJG-FOOD", 100), "accept", application.Decision{Action: "supplement",
			Items: []application.SupplementItem{{Field: "note", Reason: "请说明经营时段"}}})
		// Accepted Wednesday 30 December: the 3-day review ends on 4 January.
		f.clock.set("2026-12-30 09:00")
		c := f.decide(t, "clerk", f.filed(t, "SCJG-FOOD", 100), "accept", application.Decision{Action: "accept"})
		if got := f.task(t, c, "review").DueDate; got != "2027-01-04" {
			t.Fatalf("review due %s", got)
		}
		// Filed Thursday 31 December: intake (1 day) is due on 1 January.
		f.clock.set("2026-12-31 09:00")
		// The supplement answered on the 31st: the clock stopped from the
		// 28th, so intake's one day is 1 January too.
		g, err := f.store.AnswerSupplement(ctx, zhang, g.ID, json.RawMessage(`{"name":"临江味道餐饮","area":100,"note":"10:00-22:00"}`), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := f.task(t, g, "accept").DueDate; got != "2027-01-01" {
			t.Fatalf("intake after the supplement due %s", got)
		}
		dd := f.filed(t, "SCJG-FOOD", 100)
		if got := f.task(t, dd, "accept").DueDate; got != "2027-01-01" {
			t.Fatalf("intake due %s", got)
		}
		// Monday 4 January, before anyone entered the notice: intake is
		// red, the review of the 30th yellow (due today).
		f.clock.set("2027-01-04 08:00")
		st, err := f.store.ScanWarnings(ctx)
		if err != nil || st.Recounted != 0 {
			t.Fatalf("scan before the edit: %+v %v", st, err)
		}
		if w := f.task(t, get(t, f, dd.ID), "accept").Warning; w != application.Red {
			t.Fatalf("intake warning %q, want red", w)
		}

		// The administrator enters 2027's New Year holiday.
		for _, day := range []string{"2027-01-01", "2027-01-02", "2027-01-03"} {
			if _, err := f.cal.SetDay(ctx, admin, day, calendar.Holiday, "元旦"); err != nil {
				t.Fatal(err)
			}
		}
		st, err = f.store.ScanWarnings(ctx)
		if err != nil || st.Recounted != 4 {
			t.Fatalf("scan after the edit: %+v %v, want 4 applications recounted", st, err)
		}
		a = get(t, f, a.ID)
		if a.StatutoryDue != "2027-01-26" || a.PromisedDue != "2027-01-12" {
			t.Errorf("after the notice: statutory %s promised %s, want 2027-01-26 and 2027-01-12", a.StatutoryDue, a.PromisedDue)
		}
		if got := f.task(t, a, "review"); got.DueDate != "2026-12-31" || got.Warning != application.Red {
			t.Errorf("a review due before the holiday moved: %s %q", got.DueDate, got.Warning)
		}
		// One working day before its deadline: still yellow.
		if got := f.task(t, get(t, f, c.ID), "review"); got.DueDate != "2027-01-05" || got.Warning != application.Yellow {
			t.Errorf("review of the 30th: due %s warning %q, want 2027-01-05 yellow", got.DueDate, got.Warning)
		}
		// Intake is now due today: yellow, no longer red; the same after
		// the supplement's pause.
		for _, id := range []string{dd.ID, g.ID} {
			if got := f.task(t, get(t, f, id), "accept"); got.DueDate != "2027-01-04" || got.Warning != application.Yellow {
				t.Errorf("intake: due %s warning %q, want 2027-01-04 yellow", got.DueDate, got.Warning)
			}
		}
		// The log says what moved; the ledger stamps the new state.
		var changes []application.DueChange
		for _, e := range a.Events {
			changes = append(changes, e.DueChanges()...)
		}
		want := map[string]application.DueChange{
			"statutory": {Kind: "statutory", From: "2027-01-25", To: "2027-01-26"},
			"promised":  {Kind: "promised", From: "2027-01-11", To: "2027-01-12"},
		}
		if len(changes) != 2 || changes[0] != want[changes[0].Kind] || changes[1] != want[changes[1].Kind] {
			t.Errorf("logged changes %+v, want %+v", changes, want)
		}
		stamps, err := (&ledger.Log{DB: d}).Stamps(ctx, application.LedgerObject, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := stamps[len(stamps)-1]
		state, err := f.store.LedgerState(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sha, _ := ledger.Digests(state); last.Event != "deadlines_recomputed" || sha != last.SHA256 {
			t.Errorf("latest stamp %s %s, state %s", last.Event, last.SHA256, sha)
		}
		// A calendar already counted is not counted again.
		if st, err := f.store.ScanWarnings(ctx); err != nil || st.Recounted != 0 {
			t.Fatalf("second scan: %+v %v", st, err)
		}
		if mine, err := f.store.Get(ctx, zhang, a.ID); err != nil || mine.StatutoryDue != "2027-01-26" {
			t.Fatalf("the applicant sees %v %v", mine, err)
		}

		// Taken back, on two nodes scanning at once: each application is
		// recounted and logged once.
		for _, day := range []string{"2027-01-01", "2027-01-02", "2027-01-03"} {
			if err := f.cal.DeleteDay(ctx, admin, day); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var recounted atomic.Int32
		for range 2 {
			wg.Go(func() {
				st, err := f.store.ScanWarnings(ctx)
				if err != nil {
					t.Error(err)
				}
				recounted.Add(int32(st.Recounted))
			})
		}
		wg.Wait()
		if recounted.Load() != 4 {
			t.Errorf("recounted %d applications on two nodes, want 4", recounted.Load())
		}
		var logged int
		if err := d.Read().QueryRow(`SELECT COUNT(*) FROM application_events WHERE action = 'deadlines_recomputed'`).Scan(&logged); err != nil {
			t.Fatal(err)
		}
		if logged != 8 {
			t.Errorf("%d recount entries, want 8", logged)
		}
		if a = get(t, f, a.ID); a.StatutoryDue != "2027-01-25" {
			t.Errorf("statutory due %s after the holiday was taken back", a.StatutoryDue)
		}
	})
}

// get reads an application as its applicant.
func get(t *testing.T, f *fixture, id string) *application.Application {
	t.Helper()
	a, err := f.store.Get(context.Background(), f.p["zhang"], id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestEventStepDue(t *testing.T) {
	for _, c := range []struct {
		action, detail, want string
	}{
		{"step_opened", `{"due_date":"2026-10-09","days":3}`, "2026-10-09"},
		{"warning_red", `{"due_date":"2026-10-09"}`, "2026-10-09"},
		{"step_opened", `{"due_date":"","days":3}`, ""}, // opened with the clock stopped
		{"claimed", `{"due_date":"2026-10-09"}`, ""},
		{"warning_yellow", `not json`, ""},
	} {
		e := application.Event{Action: c.action, Detail: json.RawMessage(c.detail)}
		if got := e.StepDue(); got != c.want {
			t.Errorf("%s %s: StepDue() = %q, want %q", c.action, c.detail, got, c.want)
		}
	}
}
