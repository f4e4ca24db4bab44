package rating_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/rating"
)

// A holiday entered on an open rectification's deadline, after it went
// red, moves the deadline, withdraws the mark and stamps the change, once
// even with two nodes scanning.
func TestRectificationDeadlinesFollowCalendarEdits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		f.application(t, "a1", "zhang", "concluded")
		r, err := f.store.Rate(ctx, f.p["zhang"], rating.Web, in("a1", rating.VeryUnsatisfied))
		if err != nil {
			t.Fatal(err)
		}
		x, err := f.store.Rectification(ctx, f.p["jiancha"], r.RectificationID)
		if err != nil {
			t.Fatal(err)
		}
		was := x.DueDate
		// The day after the deadline: red.
		f.clock.t = calendar.MustParseDate(was).AddDays(1).In(shanghai).Add(9 * time.Hour)
		if st, err := f.store.ScanWarnings(ctx); err != nil || st.Red != 1 || st.Recounted != 0 {
			t.Fatalf("scan before the edit: %+v %v", st, err)
		}
		// The deadline day turns out to be a day off.
		if _, err := f.cal.SetDay(ctx, f.p["admin"], was, calendar.Holiday, "防汛"); err != nil {
			t.Fatal(err)
		}
		if st, err := f.store.ScanWarnings(ctx); err != nil || st.Recounted != 1 || st.Red != 0 {
			t.Fatalf("scan after the edit: %+v %v", st, err)
		}
		x, err = f.store.Rectification(ctx, f.p["jiancha"], x.ID)
		if err != nil {
			t.Fatal(err)
		}
		if x.DueDate <= was || x.Warning == rating.Red {
			t.Errorf("after the edit: due %s (was %s) warning %q; want later, not red", x.DueDate, was, x.Warning)
		}
		if got := ledgerEvents(t, d, "rectification", x.ID); !slices.Equal(got, []string{"opened", "deadline_recomputed"}) {
			t.Errorf("ledger events %v", got)
		}
		state, err := f.store.LedgerRectificationState(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		stamps, err := (&ledger.Log{DB: d}).Stamps(ctx, rating.LedgerRectification, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sha, _ := ledger.Digests(state); stamps[len(stamps)-1].SHA256 != sha {
			t.Error("the latest stamp does not digest the recounted rectification")
		}

		// Taken back on two nodes at once: moved and stamped once.
		if err := f.cal.DeleteDay(ctx, f.p["admin"], was); err != nil {
			t.Fatal(err)
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
		if got := ledgerEvents(t, d, "rectification", x.ID); recounted.Load() != 1 || len(got) != 3 {
			t.Errorf("two nodes recounted %d, ledger events %v", recounted.Load(), got)
		}
		if x, _ = f.store.Rectification(ctx, f.p["jiancha"], x.ID); x.DueDate != was {
			t.Errorf("due %s after the holiday was taken back, want %s", x.DueDate, was)
		}
	})
}
