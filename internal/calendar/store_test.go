package calendar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// clock is a settable clock for the stores under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)} }

func staff(id string, roles ...identity.RoleGrant) *identity.Principal {
	return &identity.Principal{Account: &identity.Account{ID: id, Kind: identity.KindStaff, Username: id}, Grants: roles}
}

var (
	platformAdmin = staff("acc-admin", identity.RoleGrant{Role: identity.PlatformAdmin})
	deptAdmin     = staff("acc-dept", identity.RoleGrant{Role: identity.DeptAdmin, Department: "SCJG"})
)

func fieldKey(err error, field string) string {
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		return ""
	}
	return inv.Get(field)
}

func seeded(t *testing.T, d *db.DB, clk *clock) *calendar.Store {
	t.Helper()
	s := calendar.NewStore(d, clk.now)
	years, err := s.Seed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(years, []int{2025, 2026}) {
		t.Fatalf("Seed() = %v, want [2025 2026]", years)
	}
	return s
}

func current(t *testing.T, s *calendar.Store) *calendar.Calendar {
	t.Helper()
	c, err := s.Calendar(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, d, clk)
		if again, err := calendar.NewStore(d, clk.now).Seed(ctx); err != nil || len(again) != 0 {
			t.Fatalf("second Seed() = %v, %v; want nothing seeded", again, err)
		}
		c := current(t, s)
		if got := c.Years(); !slices.Equal(got, []int{2025, 2026}) {
			t.Errorf("Years() = %v", got)
		}
		official := calendar.Official()
		for day := mustDate("2024-12-25"); day.Before(mustDate("2027-01-10")); day = day.AddDays(1) {
			if c.IsWorkday(day) != official.IsWorkday(day) {
				t.Fatalf("stored calendar and shipped notices disagree on %v", day)
			}
		}
		days, err := s.Days(ctx, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 33+6 {
			t.Errorf("Days(2026) has %d days, want 39", len(days))
		}
		for _, day := range days {
			if !day.Official() || day.UpdatedAt.IsZero() || day.Date.Year != 2026 {
				t.Errorf("seeded day %+v", day)
			}
		}
		notices, err := s.Notices(ctx)
		if err != nil || len(notices) != 2 || notices[1].Year != 2026 || !strings.Contains(notices[1].Title, "2026") {
			t.Errorf("Notices() = %+v, %v", notices, err)
		}
	})
}

// TestSeedConcurrently starts two nodes at once on a fresh database: each
// notice is seeded exactly once and neither fails.
func TestSeedConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := newClock()
		var wg sync.WaitGroup
		results := make([][]int, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { results[i], errs[i] = calendar.NewStore(d, clk.now).Seed(context.Background()) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("Seed errors: %v, %v", errs[0], errs[1])
		}
		all := append(slices.Clone(results[0]), results[1]...)
		slices.Sort(all)
		if !slices.Equal(all, []int{2025, 2026}) {
			t.Fatalf("the two nodes seeded %v and %v; want each year once", results[0], results[1])
		}
		days, err := calendar.NewStore(d, clk.now).Days(context.Background(), 2025)
		if err != nil || len(days) != 28+5 {
			t.Fatalf("Days(2025) = %d days, %v; want 33", len(days), err)
		}
	})
}

// TestSeedKeepsAdministratorsEdits: a restart does not bring back a day an
// administrator deleted, and a notice shipped later does not overwrite a
// day an administrator entered first.
func TestSeedKeepsAdministratorsEdits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := calendar.NewStore(d, clk.now)
		if _, err := s.SetDay(ctx, platformAdmin, "2026-10-10", calendar.Holiday, "本地调整"); err != nil {
			t.Fatal(err)
		}
		seeded(t, d, clk)
		if err := s.DeleteDay(ctx, platformAdmin, "2026-02-28"); err != nil {
			t.Fatal(err)
		}
		restarted := calendar.NewStore(d, clk.now)
		if _, err := restarted.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		c := current(t, restarted)
		if c.IsWorkday(mustDate("2026-02-28")) {
			t.Error("restart brought back the deleted make-up workday 2026-02-28")
		}
		day, ok := c.Day(mustDate("2026-10-10"))
		if !ok || day.Kind != calendar.Holiday || day.Name != "本地调整" || day.Official() {
			t.Errorf("2026-10-10 = %+v, %v; want the administrator's holiday", day, ok)
		}
	})
}

// TestEditChangesTheAnswer: entering a day changes deadlines at once, and
// deleting it restores them.
func TestEditChangesTheAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, d, clk)
		from := mustDate("2025-09-30")
		if got := current(t, s).AddWorkdays(from, 1); got != mustDate("2025-10-09") {
			t.Fatalf("before the edit: AddWorkdays = %v", got)
		}
		day, err := s.SetDay(ctx, platformAdmin, " 2025-10-09 ", calendar.Holiday, "  防汛停工 ")
		if err != nil {
			t.Fatal(err)
		}
		if day.Name != "防汛停工" || day.UpdatedBy != "acc-admin" || !day.UpdatedAt.Equal(clk.now()) {
			t.Errorf("SetDay returned %+v", day)
		}
		if got := current(t, s).AddWorkdays(from, 1); got != mustDate("2025-10-10") {
			t.Errorf("after making 10-09 a holiday: AddWorkdays = %v, want 2025-10-10", got)
		}
		// Replacing a day keeps one row.
		if _, err := s.SetDay(ctx, platformAdmin, "2025-10-11", calendar.Holiday, "改为放假"); err != nil {
			t.Fatal(err)
		}
		if got := current(t, s).AddWorkdays(from, 2); got != mustDate("2025-10-13") {
			t.Errorf("after making 10-11 a holiday: AddWorkdays(2) = %v, want 2025-10-13", got)
		}
		if err := s.DeleteDay(ctx, platformAdmin, "2025-10-09"); err != nil {
			t.Fatal(err)
		}
		if got := current(t, s).AddWorkdays(from, 1); got != mustDate("2025-10-09") {
			t.Errorf("after deleting: AddWorkdays = %v, want 2025-10-09", got)
		}
		if err := s.DeleteDay(ctx, platformAdmin, "2025-10-09"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("deleting an ordinary day = %v, want ErrNotFound", err)
		}
		days, _ := s.Days(ctx, 2025)
		if len(days) != 33 {
			t.Errorf("Days(2025) has %d days after the edits, want 33", len(days))
		}
	})
}

func TestSetDayValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := seeded(t, d, newClock())
		before := current(t, s).Revision()
		long := strings.Repeat("节", 41)
		for _, tc := range []struct {
			name, date string
			kind       calendar.Kind
			dayName    string
			field, key string
		}{
			{"empty date", "", calendar.Holiday, "春节", "date", "required"},
			{"bad date", "2026-02-30", calendar.Holiday, "春节", "date", "date_invalid"},
			{"other form", "2026/02/14", calendar.Holiday, "春节", "date", "date_invalid"},
			{"year too early", "1999-10-01", calendar.Holiday, "国庆节", "date", "calendar_year_invalid"},
			{"year too late", "2100-01-01", calendar.Holiday, "元旦", "date", "calendar_year_invalid"},
			{"bad kind", "2026-02-14", "rest", "春节", "kind", "calendar_kind_invalid"},
			{"no kind", "2026-02-14", "", "春节", "kind", "calendar_kind_invalid"},
			{"workday on a weekday", "2026-02-13", calendar.Workday, "春节", "kind", "calendar_workday_on_weekday"},
			{"no name", "2026-02-14", calendar.Workday, "  ", "name", "required"},
			{"long name", "2026-02-14", calendar.Workday, long, "name", "text_too_long"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.SetDay(ctx, platformAdmin, tc.date, tc.kind, tc.dayName)
				if got := fieldKey(err, tc.field); got != tc.key {
					t.Errorf("SetDay(%q, %q, %q): field %s = %q (err %v), want %q", tc.date, tc.kind, tc.dayName, tc.field, got, err, tc.key)
				}
			})
		}
		if err := s.DeleteDay(ctx, platformAdmin, "tomorrow"); fieldKey(err, "date") != "date_invalid" {
			t.Errorf("DeleteDay(tomorrow) = %v, want date_invalid", err)
		}
		for _, actor := range []*identity.Principal{deptAdmin, {}, nil} {
			if _, err := s.SetDay(ctx, actor, "2026-02-16", calendar.Workday, "x"); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("SetDay by %v = %v, want ErrForbidden", actor, err)
			}
			if err := s.DeleteDay(ctx, actor, "2026-02-16"); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("DeleteDay by %v = %v, want ErrForbidden", actor, err)
			}
		}
		if after := current(t, s).Revision(); after != before {
			t.Errorf("refused edits changed the revision from %d to %d", before, after)
		}
		if !current(t, s).IsWorkday(mustDate("2026-02-14")) || current(t, s).IsWorkday(mustDate("2026-02-16")) {
			t.Error("refused edits changed the calendar")
		}
		if _, err := s.Days(ctx, 1999); fieldKey(err, "year") != "calendar_year_invalid" {
			t.Errorf("Days(1999) = %v, want calendar_year_invalid", err)
		}
	})
}

// TestCacheAcrossNodes: a node sees another node's edit once its cached
// calendar is older than the TTL, and keeps its snapshot while nothing
// changed.
func TestCacheAcrossNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		a := seeded(t, d, clk)
		b := calendar.NewStore(d, clk.now)
		first := current(t, b)
		if !first.IsWorkday(mustDate("2026-10-10")) {
			t.Fatal("2026-10-10 should be a make-up workday")
		}
		clk.add(b.TTL)
		if again := current(t, b); again != first {
			t.Error("node b reloaded its calendar although nothing changed")
		}
		if _, err := a.SetDay(ctx, platformAdmin, "2026-10-10", calendar.Holiday, "国庆节"); err != nil {
			t.Fatal(err)
		}
		if current(t, a).IsWorkday(mustDate("2026-10-10")) {
			t.Error("node a does not see its own edit at once")
		}
		if !current(t, b).IsWorkday(mustDate("2026-10-10")) {
			t.Error("node b checked the database before its TTL ran out")
		}
		clk.add(b.TTL)
		if current(t, b).IsWorkday(mustDate("2026-10-10")) {
			t.Error("node b does not see node a's edit after the TTL")
		}
	})
}

func mustDate(s string) calendar.Date { return calendar.MustParseDate(s) }

// Recount counts a package's deadlines again after every change, on the
// changed calendar even where this node's cache is behind, and keeps
// counting until every node's cache has caught up, so that a deadline
// set meanwhile with an older calendar is counted again too; after that
// the change is counted once.
func TestRecount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, d, clk)
		other := calendar.NewStore(d, clk.now) // another node
		var seen []*calendar.Calendar
		recount := func() int {
			t.Helper()
			seen = nil
			if _, err := s.Recount(ctx, "deadline_recount", func(c *calendar.Calendar) (int, error) {
				seen = append(seen, c)
				return 0, nil
			}); err != nil {
				t.Fatal(err)
			}
			return len(seen)
		}
		// Just seeded: counted at every pass until the change settles.
		if recount() != 1 || recount() != 1 {
			t.Fatal("a fresh change is not counted at every pass")
		}
		clk.add(s.TTL + calendar.RecountSettle)
		if recount() != 1 {
			t.Fatal("the pass after the change settled did not count")
		}
		if recount() != 0 {
			t.Fatal("a settled change was counted again")
		}
		// Another node edits; this node's cached calendar is still the
		// old one (its TTL has not run out on this clock).
		before := current(t, s)
		if _, err := other.SetDay(ctx, platformAdmin, "2026-10-09", calendar.Holiday, "防汛"); err != nil {
			t.Fatal(err)
		}
		if current(t, s) != before {
			t.Fatal("the test needs this node's cache to be behind")
		}
		if recount() != 1 || seen[0].IsWorkday(mustDate("2026-10-09")) || seen[0].Revision() <= before.Revision() {
			t.Fatal("the recount after another node's edit did not use the edited calendar")
		}
		clk.add(s.TTL + calendar.RecountSettle)
		if recount() != 1 || recount() != 0 {
			t.Fatal("the edit was not counted for good once settled")
		}
		// A failing pass records nothing.
		clk.add(time.Hour)
		if err := other.DeleteDay(ctx, platformAdmin, "2026-10-09"); err != nil {
			t.Fatal(err)
		}
		clk.add(s.TTL + calendar.RecountSettle)
		boom := errors.New("boom")
		if _, err := s.Recount(ctx, "deadline_recount", func(*calendar.Calendar) (int, error) { return 0, boom }); !errors.Is(err, boom) {
			t.Fatalf("Recount = %v, want the pass's error", err)
		}
		if recount() != 1 {
			t.Fatal("a failed pass was recorded as counted")
		}
	})
}
