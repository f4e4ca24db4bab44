// Package calendar is the official working-day calendar in which every time
// limit of the platform is counted: the statutory and promised limits of
// applications (法定时限 / 承诺时限), and later the hotline's deadlines.
//
// A day is a working day (工作日) when it is Monday to Friday, unless the
// State Council General Office's yearly notice on public holidays
// (国务院办公厅关于部分节假日安排的通知) makes it a holiday (节假日), and a
// Saturday or Sunday is a working day when the notice makes it a make-up
// workday (调休上班). The notices for 2025 and 2026 ship with the platform
// (official.json) and are seeded into the database; administrators add each
// later year's notice when it is published. Days of a year with no notice
// simply follow the week.
//
// Periods are counted as the Administrative Licensing Law of the PRC
// (行政许可法, articles 42 and 82) and the Civil Code (民法典, article 201)
// count them: the day on which a period starts is not counted, the period
// begins on the next day, and its last day is the deadline. So a 1-working-day
// limit starting on Tuesday 2025-09-30 ends on Thursday 2025-10-09, the first
// working day after the National Day holiday.
//
// While a supplement request (补正) is open the clock stops: see [Pause],
// [Calendar.Due] and [Calendar.Elapsed].
package calendar

import (
	"slices"
	"time"
)

// Kind says what a special day of the calendar is.
type Kind string

// The kinds of special day.
const (
	// Holiday is a day off: a public holiday, or a weekday moved into a
	// holiday by the notice (放假).
	Holiday Kind = "holiday"
	// Workday is a Saturday or Sunday on which people work to make up for
	// a moved holiday (调休上班).
	Workday Kind = "workday"
)

// Kinds lists the kinds, in display order.
var Kinds = []Kind{Holiday, Workday}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Holiday || k == Workday }

// Day is a special day: a date that does not follow the week.
type Day struct {
	Date Date   `json:"date"`
	Kind Kind   `json:"kind"`
	Name string `json:"name"` // the festival, e.g. 春节
	// UpdatedAt is when the day was last written; UpdatedBy the account
	// that wrote it, or "" for a day seeded from the shipped notices.
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"-"`
}

// Official reports whether the day comes unchanged from a shipped notice.
func (d Day) Official() bool { return d.UpdatedBy == "" }

// Calendar is an immutable snapshot of the working-day calendar. It is safe
// for concurrent use. The zero Calendar follows the week alone.
type Calendar struct {
	special  map[int]Kind // ordinal -> kind
	days     []Day        // sorted by date
	years    []int        // years with at least one holiday, ascending
	revision int64
}

// New returns a Calendar with the given special days. A later day with
// the same date replaces an earlier one.
func New(days ...Day) *Calendar {
	c := &Calendar{special: make(map[int]Kind, len(days))}
	byDate := map[Date]int{}
	for _, d := range days {
		if i, ok := byDate[d.Date]; ok {
			c.days[i] = d
		} else {
			byDate[d.Date] = len(c.days)
			c.days = append(c.days, d)
		}
		c.special[d.Date.ordinal()] = d.Kind
	}
	slices.SortFunc(c.days, func(a, b Day) int { return a.Date.Compare(b.Date) })
	for _, d := range c.days {
		if d.Kind == Holiday && !slices.Contains(c.years, d.Date.Year) {
			c.years = append(c.years, d.Date.Year)
		}
	}
	return c
}

// Days returns the special days of year, in date order.
func (c *Calendar) Days(year int) []Day {
	var out []Day
	for _, d := range c.days {
		if d.Date.Year == year {
			out = append(out, d)
		}
	}
	return out
}

// Day returns the special day at date, if there is one.
func (c *Calendar) Day(date Date) (Day, bool) {
	for _, d := range c.days {
		if d.Date == date {
			return d, true
		}
	}
	return Day{}, false
}

// Years returns the years the calendar covers: those with at least one
// holiday, that is, whose notice has been entered. Days of other years
// follow the week alone.
func (c *Calendar) Years() []int { return slices.Clone(c.years) }

// Covers reports whether the notice of year has been entered.
func (c *Calendar) Covers(year int) bool { return slices.Contains(c.years, year) }

// CoversRange reports whether every year from a to b (in either order) is
// covered, so a count between them is exact.
func (c *Calendar) CoversRange(a, b Date) bool {
	if b.Before(a) {
		a, b = b, a
	}
	for y := a.Year; y <= b.Year; y++ {
		if !c.Covers(y) {
			return false
		}
	}
	return true
}

// IsWorkday reports whether d is a working day.
func (c *Calendar) IsWorkday(d Date) bool { return c.isWorkday(d.ordinal()) }

func (c *Calendar) isWorkday(n int) bool {
	if k, ok := c.special[n]; ok {
		return k == Workday
	}
	wd := weekday(n)
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkdays returns the n-th working day after from; from itself is not
// counted, whether or not it is a working day. AddWorkdays(from, 0) is from.
// For n < 0 it returns the |n|-th working day before from, so that "three
// working days before the deadline" is AddWorkdays(due, -3).
func (c *Calendar) AddWorkdays(from Date, n int) Date {
	day, step := from.ordinal(), 1
	if n < 0 {
		n, step = -n, -1
	}
	for n > 0 {
		day += step
		if c.isWorkday(day) {
			n--
		}
	}
	return fromOrdinal(day)
}

// WorkdaysBetween returns the number of working days in (a, b]: after a,
// up to and including b. It is negative when b is before a:
// WorkdaysBetween(b, a) = -WorkdaysBetween(a, b).
func (c *Calendar) WorkdaysBetween(a, b Date) int {
	lo, hi, sign := a.ordinal(), b.ordinal(), 1
	if hi < lo {
		lo, hi, sign = hi, lo, -1
	}
	n := 0
	for day := lo + 1; day <= hi; day++ {
		if c.isWorkday(day) {
			n++
		}
	}
	return sign * n
}

// Pause is a stop of the clock while the applicant answers a supplement
// request (补正). The clock stops on From, which still counts, and resumes
// on To: working days after From up to and including To are not counted,
// and counting goes on from the day after To. A zero To means the pause is
// still open. A pause whose To is not after From stops nothing.
type Pause struct {
	From Date `json:"from"`
	To   Date `json:"to,omitzero"`
}

// Open reports whether the pause has not ended.
func (p Pause) Open() bool { return p.To.IsZero() }

// paused reports whether ordinal day falls in a pause, an open pause
// lasting for ever.
func paused(day int, pauses []Pause) bool {
	for _, p := range pauses {
		if day <= p.From.ordinal() {
			continue
		}
		if p.Open() || day <= p.To.ordinal() {
			return true
		}
	}
	return false
}

// Due returns the deadline of a limit of n working days that started on
// start, with the clock stopped during pauses. While a pause is open the
// deadline is not known and ok is false. For n ≤ 0 the deadline is start.
func (c *Calendar) Due(start Date, n int, pauses []Pause) (due Date, ok bool) {
	for _, p := range pauses {
		if p.Open() {
			return Date{}, false
		}
	}
	day := start.ordinal()
	for n > 0 {
		day++
		if c.isWorkday(day) && !paused(day, pauses) {
			n--
		}
	}
	return fromOrdinal(day), true
}

// Elapsed returns the working days of a limit that started on start used up
// by the end of today: working days in (start, today] outside the pauses. An
// open pause stops the count from its From on. Elapsed is 0 when today is
// not after start.
func (c *Calendar) Elapsed(start, today Date, pauses []Pause) int {
	n := 0
	for day, end := start.ordinal()+1, today.ordinal(); day <= end; day++ {
		if c.isWorkday(day) && !paused(day, pauses) {
			n++
		}
	}
	return n
}

// Revision identifies the stored state the snapshot was read from.
func (c *Calendar) Revision() int64 { return c.revision }

// The warning marks a running deadline carries, mildest first: none,
// yellow (near: from WarnFrom on) and red (past). Application tasks,
// hotline tickets and rectifications all store these values.
const (
	NoWarning = ""
	Yellow    = "yellow"
	Red       = "red"
)

// WarningOn returns the mark a deadline due on due, yellow from yellow,
// calls for on day today.
func WarningOn(today, yellow, due Date) string {
	switch {
	case today.After(due):
		return Red
	case !today.Before(yellow):
		return Yellow
	}
	return NoWarning
}

// Milder returns the milder of two marks. When a deadline moves, its mark
// becomes the milder of the one it carries and the one the new dates call
// for: a mark they no longer call for is withdrawn, and one they call for
// anew is left to the warning scan, which gives it with its notices.
func Milder(a, b string) string {
	severity := func(w string) int {
		switch w {
		case Yellow:
			return 1
		case Red:
			return 2
		}
		return 0
	}
	if severity(b) < severity(a) {
		return b
	}
	return a
}

// WarnFrom returns the first day after which at most days working days are
// left up to due, due included: the day a deadline turns yellow.
func (c *Calendar) WarnFrom(due Date, days int) Date {
	d := due
	for n := 0; n < days; {
		if c.IsWorkday(d) {
			n++
		}
		d = d.AddDays(-1)
	}
	return d
}
