package hotline_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/ledger"
)

// A ticket dispatched in late December counts New Year's Day 2027 as a
// working day until the notice is entered; entering it moves the
// deadline, withdraws the red mark it no longer earns, logs and stamps
// the change, once even with two nodes scanning.
func TestTicketDeadlinesFollowCalendarEdits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		if err := f.store.SetDeadline(ctx, f.p["admin"], hotline.Help, 2); err != nil {
			t.Fatal(err)
		}
		f.clock.set("2026-12-30 09:00") // Wednesday
		tk, err := f.store.File(ctx, f.p["zhang"], hotline.Web, hotline.Input{Kind: hotline.Help, Category: "FOOD", Text: "求助"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tk, err = f.store.Dispatch(ctx, f.p["dispatcher"], tk.ID, "", ""); err != nil || tk.DueDate != "2027-01-01" {
			t.Fatalf("dispatched: due %s, %v; want 2027-01-01 (no 2027 notice yet)", tk.DueDate, err)
		}
		// Monday 4 January: red before the notice is entered.
		f.clock.set("2027-01-04 09:00")
		if st, err := f.store.ScanWarnings(ctx); err != nil || st.Red != 1 || st.Recounted != 0 {
			t.Fatalf("scan before the edit: %+v %v", st, err)
		}
		for _, day := range []string{"2027-01-01", "2027-01-02", "2027-01-03"} {
			if _, err := f.cal.SetDay(ctx, f.p["admin"], day, calendar.Holiday, "元旦"); err != nil {
				t.Fatal(err)
			}
		}
		if st, err := f.store.ScanWarnings(ctx); err != nil || st.Recounted != 1 || st.Red != 0 {
			t.Fatalf("scan after the edit: %+v %v, want 1 recounted and no red", st, err)
		}
		tk, err = f.store.Get(ctx, f.p["zhang"], tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Now due today: yellow, no longer red.
		if tk.DueDate != "2027-01-04" || tk.Warning != hotline.Yellow {
			t.Errorf("after the notice: due %s warning %q, want 2027-01-04 yellow", tk.DueDate, tk.Warning)
		}
		last := tk.Events[len(tk.Events)-1]
		if last.Action != "deadline_recomputed" || last.Note != "2027-01-01 → 2027-01-04" {
			t.Errorf("last log entry %s %q", last.Action, last.Note)
		}
		stamps, err := (&ledger.Log{DB: d}).Stamps(ctx, hotline.LedgerObject, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		state, err := f.store.LedgerState(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sha, _ := ledger.Digests(state); stamps[len(stamps)-1].Event != "deadline_recomputed" || stamps[len(stamps)-1].SHA256 != sha {
			t.Errorf("latest stamp %s does not digest the recounted ticket", stamps[len(stamps)-1].Event)
		}
		if st, err := f.store.ScanWarnings(ctx); err != nil || st.Recounted != 0 {
			t.Fatalf("second scan: %+v %v", st, err)
		}

		// Taken back on two nodes at once: moved and logged once.
		for _, day := range []string{"2027-01-01", "2027-01-02", "2027-01-03"} {
			if err := f.cal.DeleteDay(ctx, f.p["admin"], day); err != nil {
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
		var logged int
		if err := d.Read().QueryRow(`SELECT COUNT(*) FROM ticket_events WHERE action = 'deadline_recomputed'`).Scan(&logged); err != nil {
			t.Fatal(err)
		}
		if recounted.Load() != 1 || logged != 2 {
			t.Errorf("two nodes recounted %d, %d log entries in all; want 1 and 2", recounted.Load(), logged)
		}
	})
}
