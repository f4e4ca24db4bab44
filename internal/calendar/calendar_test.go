package calendar_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tongban/tongban/internal/calendar"
)

// TestOfficialNotices pins the shipped notices against the published text:
// the number of days off and the make-up workdays of each year.
func TestOfficialNotices(t *testing.T) {
	want := map[int]struct {
		holidays int
		workdays []string
	}{
		// 元旦 1 + 春节 8 + 清明 3 + 劳动 5 + 端午 3 + 国庆中秋 8.
		2025: {28, []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"}},
		// 元旦 3 + 春节 9 + 清明 3 + 劳动 5 + 端午 3 + 中秋 3 + 国庆 7.
		2026: {33, []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}},
	}
	notices := calendar.OfficialNotices()
	if len(notices) != len(want) {
		t.Fatalf("%d notices shipped, want %d", len(notices), len(want))
	}
	for _, n := range notices {
		w, ok := want[n.Year]
		if !ok {
			t.Errorf("unexpected notice for %d", n.Year)
			continue
		}
		var holidays int
		var workdays []string
		for _, day := range n.Days() {
			switch day.Kind {
			case calendar.Holiday:
				holidays++
			case calendar.Workday:
				workdays = append(workdays, day.Date.String())
			}
		}
		if holidays != w.holidays || !slices.Equal(workdays, w.workdays) {
			t.Errorf("notice %d: %d holidays and workdays %v; want %d and %v", n.Year, holidays, workdays, w.holidays, w.workdays)
		}
	}
	c := calendar.Official()
	if got := c.Years(); !slices.Equal(got, []int{2025, 2026}) {
		t.Errorf("Official().Years() = %v", got)
	}
}

func TestIsWorkday(t *testing.T) {
	c := calendar.Official()
	for _, tc := range []struct {
		day  string
		want bool
	}{
		{"2025-01-01", false}, // 元旦, a Wednesday
		{"2025-01-26", true},  // Sunday, make-up for 春节
		{"2025-02-08", true},  // Saturday, make-up for 春节
		{"2025-02-04", false}, // last day of 春节
		{"2025-02-05", true},
		{"2025-04-27", true}, // Sunday, make-up for 劳动节
		{"2025-05-05", false},
		{"2025-06-02", false}, // 端午, Monday
		{"2025-09-28", true},  // Sunday, make-up for 国庆
		{"2025-10-08", false},
		{"2025-10-11", true},  // Saturday, make-up for 国庆
		{"2025-10-12", false}, // an ordinary Sunday
		{"2026-01-02", false}, // 元旦 holiday, a Friday
		{"2026-01-04", true},  // Sunday, make-up for 元旦
		{"2026-02-14", true},
		{"2026-02-23", false},
		{"2026-02-28", true},
		{"2026-05-09", true},
		{"2026-09-20", true},
		{"2026-10-10", true},
		{"2026-10-07", false},
		{"2027-02-10", true},  // 2027: no notice yet, a Wednesday
		{"2027-02-13", false}, // a Saturday
	} {
		if got := c.IsWorkday(d(tc.day)); got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tc.day, got, tc.want)
		}
	}
	var week calendar.Calendar // the zero Calendar follows the week
	if !week.IsWorkday(d("2025-10-01")) || week.IsWorkday(d("2025-10-11")) {
		t.Error("the zero Calendar does not follow the week")
	}
}

func TestAddWorkdays(t *testing.T) {
	c := calendar.Official()
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2025-09-30", 1, "2025-10-09"},
		{"2025-10-01", 1, "2025-10-09"}, // a start on a holiday is not counted either
		{"2025-09-26", 1, "2025-09-28"}, // Friday → make-up Sunday
		{"2025-09-30", 3, "2025-10-11"}, // the make-up Saturday counts
		{"2026-02-13", 1, "2026-02-14"},
		{"2026-02-13", 2, "2026-02-24"},
		{"2026-02-13", 6, "2026-02-28"},
		{"2026-02-13", 7, "2026-03-02"},
		{"2025-12-31", 1, "2026-01-04"}, // 元旦 Jan 1–3, Sunday the 4th works
		{"2025-12-31", 2, "2026-01-05"},
		{"2025-12-30", 2, "2026-01-04"},
		{"2026-10-09", 20, "2026-11-05"}, // Saturday the 10th is the first,
		{"2025-10-09", -1, "2025-09-30"},
		{"2025-10-13", -2, "2025-10-10"},
		{"2026-03-02", -7, "2026-02-13"},
		{"2026-02-16", 0, "2026-02-16"},
	} {
		if got := c.AddWorkdays(d(tc.from), tc.n); got != d(tc.want) {
			t.Errorf("AddWorkdays(%s, %d) = %v, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

// A deadline turns yellow on the first day after which at most that many
// working days are left, the deadline included; days off before a
// deadline bring the day earlier.
func TestWarnFrom(t *testing.T) {
	c := calendar.Official()
	for _, tc := range []struct {
		due  string
		days int
		want string
	}{
		{"2026-09-29", 1, "2026-09-28"}, // Tuesday: from Monday
		{"2026-09-29", 0, "2026-09-29"},
		{"2025-10-09", 1, "2025-10-08"}, // after National Day: the holiday's last day
		{"2025-10-09", 2, "2025-09-29"}, // the 30th and the 9th remain
		{"2026-03-02", 3, "2026-02-26"}, // Monday: Friday 27th, make-up Saturday 28th, Monday left
	} {
		if got := c.WarnFrom(d(tc.due), tc.days); got != d(tc.want) {
			t.Errorf("WarnFrom(%s, %d) = %v, want %s", tc.due, tc.days, got, tc.want)
		}
	}
}

// A deadline's mark on a day, and how a moved deadline's mark is only
// ever lowered.
func TestWarningMarks(t *testing.T) {
	due, yellow := d("2026-09-29"), d("2026-09-28")
	for today, want := range map[string]string{"2026-09-25": calendar.NoWarning, "2026-09-28": calendar.Yellow, "2026-09-29": calendar.Yellow, "2026-09-30": calendar.Red} {
		if got := calendar.WarningOn(d(today), yellow, due); got != want {
			t.Errorf("WarningOn(%s) = %q, want %q", today, got, want)
		}
	}
	for _, tc := range []struct{ a, b, want string }{
		{calendar.Red, calendar.Yellow, calendar.Yellow},
		{calendar.Red, calendar.NoWarning, calendar.NoWarning},
		{calendar.Yellow, calendar.Red, calendar.Yellow},
		{calendar.NoWarning, calendar.Red, calendar.NoWarning},
		{calendar.Red, calendar.Red, calendar.Red},
	} {
		if got := calendar.Milder(tc.a, tc.b); got != tc.want {
			t.Errorf("Milder(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := calendar.Official()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"2025-09-30", "2025-10-09", 1},
		{"2025-09-30", "2025-09-30", 0},
		{"2025-10-09", "2025-09-30", -1},
		{"2026-02-14", "2026-02-28", 5}, // the 14th itself is not in (a, b]
		{"2026-02-13", "2026-02-28", 6},
		// 261 weekdays, less 18 weekday holidays, plus 5 make-up days.
		{"2024-12-31", "2025-12-31", 248},
		// 261 weekdays, less 19 weekday holidays, plus 6 make-up days.
		{"2025-12-31", "2026-12-31", 248},
	} {
		if got := c.WorkdaysBetween(d(tc.a), d(tc.b)); got != tc.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// randomDate returns a day between mid-2024 and early 2027, so counts
// run through both shipped notices and the weeks around them.
func randomDate(r *rand.Rand) calendar.Date {
	return d("2024-07-01").AddDays(r.IntN(940))
}

// TestAddWorkdaysAgreesWithWorkdaysBetween checks, on many random starts
// and limits, that AddWorkdays returns the first day at which
// WorkdaysBetween reaches n, and that counting back undoes it.
func TestAddWorkdaysAgreesWithWorkdaysBetween(t *testing.T) {
	r := rand.New(rand.NewPCG(2025, 2026))
	for _, c := range []*calendar.Calendar{calendar.Official(), calendar.New()} {
		for range 3000 {
			from, n := randomDate(r), r.IntN(300)
			due := c.AddWorkdays(from, n)
			if got := c.WorkdaysBetween(from, due); got != n {
				t.Fatalf("WorkdaysBetween(%v, AddWorkdays(%v, %d) = %v) = %d", from, from, n, due, got)
			}
			if n == 0 {
				if due != from {
					t.Fatalf("AddWorkdays(%v, 0) = %v", from, due)
				}
				continue
			}
			if !c.IsWorkday(due) {
				t.Fatalf("AddWorkdays(%v, %d) = %v, not a working day", from, n, due)
			}
			if got := c.WorkdaysBetween(from, due.AddDays(-1)); got != n-1 {
				t.Fatalf("WorkdaysBetween(%v, %v) = %d, want %d: AddWorkdays(%v, %d) = %v is not the first such day", from, due.AddDays(-1), got, n-1, from, n, due)
			}
			if back := c.AddWorkdays(due, -n); c.WorkdaysBetween(back, due) != n || !c.IsWorkday(back) {
				t.Fatalf("AddWorkdays(%v, -%d) = %v, which is not n working days back", due, n, back)
			}
			if got, ok := c.Due(from, n, nil); !ok || got != due {
				t.Fatalf("Due(%v, %d, nil) = %v, %v; want %v", from, n, got, ok, due)
			}
		}
	}
}

// TestDueAgreesWithElapsed checks with random closed pauses that at the
// deadline exactly n working days are used, and one fewer the day before.
func TestDueAgreesWithElapsed(t *testing.T) {
	c := calendar.Official()
	r := rand.New(rand.NewPCG(12345, 2))
	for range 2000 {
		start, n := randomDate(r), 1+r.IntN(60)
		var pauses []calendar.Pause
		from := start
		for range r.IntN(3) {
			from = from.AddDays(r.IntN(20))
			to := from.AddDays(r.IntN(40))
			pauses = append(pauses, calendar.Pause{From: from, To: to})
			from = to
		}
		due, ok := c.Due(start, n, pauses)
		if !ok {
			t.Fatalf("Due(%v, %d, %v) not ok", start, n, pauses)
		}
		if got := c.Elapsed(start, due, pauses); got != n {
			t.Fatalf("Elapsed(%v, Due = %v, %v) = %d, want %d", start, due, pauses, got, n)
		}
		if got := c.Elapsed(start, due.AddDays(-1), pauses); got != n-1 {
			t.Fatalf("Elapsed(%v, %v, %v) = %d, want %d", start, due.AddDays(-1), pauses, got, n-1)
		}
		if plain := c.AddWorkdays(start, n); due.Before(plain) {
			t.Fatalf("Due with pauses %v = %v is before the deadline without them, %v", pauses, due, plain)
		}
	}
}

func TestPauses(t *testing.T) {
	c := calendar.Official()
	start := d("2025-09-22") // Monday
	for _, tc := range []struct {
		name   string
		n      int
		pauses []calendar.Pause
		want   string
		ok     bool
	}{
		{"no pause", 5, nil, "2025-09-28", true},
		{"pause over the holiday", 5, []calendar.Pause{{From: d("2025-09-25"), To: d("2025-10-09")}}, "2025-10-11", true},
		{"pause wholly inside the holiday costs nothing", 8, []calendar.Pause{{From: d("2025-09-30"), To: d("2025-10-08")}}, c.AddWorkdays(start, 8).String(), true},
		{"answered the same day", 5, []calendar.Pause{{From: d("2025-09-24"), To: d("2025-09-24")}}, "2025-09-28", true},
		{"To before From stops nothing", 5, []calendar.Pause{{From: d("2025-09-24"), To: d("2025-09-23")}}, "2025-09-28", true},
		{"two pauses", 5, []calendar.Pause{
			{From: d("2025-09-23"), To: d("2025-09-24")}, // loses Wed 24
			{From: d("2025-09-26"), To: d("2025-09-29")}, // loses Sun 28 and Mon 29
		}, "2025-10-09", true},
		{"open pause", 5, []calendar.Pause{{From: d("2025-09-23"), To: d("2025-09-24")}, {From: d("2025-09-25")}}, "", false},
		{"zero limit", 0, nil, "2025-09-22", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.Due(start, tc.n, tc.pauses)
			if ok != tc.ok || got.String() != tc.want {
				t.Errorf("Due(%v, %d, %v) = %v, %v; want %s, %v", start, tc.n, tc.pauses, got, ok, tc.want, tc.ok)
			}
		})
	}
	// Elapsed with an open pause stops at the pause's first day.
	open := []calendar.Pause{{From: d("2025-09-24")}}
	if got := c.Elapsed(start, d("2025-12-31"), open); got != 2 {
		t.Errorf("Elapsed with an open pause from the 24th = %d, want 2", got)
	}
	if got := c.Elapsed(start, d("2025-09-01"), nil); got != 0 {
		t.Errorf("Elapsed before the start = %d, want 0", got)
	}
}

func TestNewLaterDayWins(t *testing.T) {
	c := calendar.New(
		calendar.Day{Date: d("2030-01-05"), Kind: calendar.Workday, Name: "a"},
		calendar.Day{Date: d("2030-01-01"), Kind: calendar.Holiday, Name: "元旦"},
		calendar.Day{Date: d("2030-01-05"), Kind: calendar.Holiday, Name: "b"},
	)
	if c.IsWorkday(d("2030-01-05")) {
		t.Error("the later day did not replace the earlier one")
	}
	days := c.Days(2030)
	if len(days) != 2 || days[0].Date != d("2030-01-01") || days[1].Name != "b" {
		t.Errorf("Days(2030) = %+v", days)
	}
	if !c.Covers(2030) || c.Covers(2031) || c.CoversRange(d("2030-12-01"), d("2031-01-10")) || !c.CoversRange(d("2030-12-01"), d("2030-01-10")) {
		t.Error("Covers/CoversRange are wrong")
	}
}
