package calendar

import (
	"errors"
	"fmt"
	"time"
)

// Date is a civil date: a day of the calendar with no time and no zone.
// The zero Date (year 0) means "no date". Dates compare with ==.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// dateLayout is the only text form of a Date: YYYY-MM-DD.
const dateLayout = "2006-01-02"

// ErrBadDate is returned (wrapped) by [ParseDate] for text that is not a
// real date in the form YYYY-MM-DD.
var ErrBadDate = errors.New("calendar: not a date of the form YYYY-MM-DD")

// ParseDate reads a date written YYYY-MM-DD, such as "2026-02-14". It
// rejects other forms and days that do not exist (2026-02-30).
func ParseDate(s string) (Date, error) {
	if len(s) != len(dateLayout) {
		return Date{}, fmt.Errorf("%w: %q", ErrBadDate, s)
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: %q", ErrBadDate, s)
	}
	return DateOf(t), nil
}

// MustParseDate is ParseDate for constants in tests and examples; it panics
// on a bad date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// DateIn returns the date it is at instant t in loc, for example the
// platform's time zone (Asia/Shanghai): 2026-02-13T20:00Z is 2026-02-14 in
// Beijing.
func DateIn(t time.Time, loc *time.Location) Date { return DateOf(t.In(loc)) }

// String formats d as YYYY-MM-DD; the zero Date is "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d names a day that exists.
func (d Date) Valid() bool {
	return !d.IsZero() && fromOrdinal(d.ordinal()) == d
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekday(d.ordinal()) }

// AddDays returns the date n calendar days after d (before, for n < 0).
func (d Date) AddDays(n int) Date { return fromOrdinal(d.ordinal() + n) }

// DaysSince returns the number of calendar days from e to d (negative if
// d is before e).
func (d Date) DaysSince(e Date) int { return d.ordinal() - e.ordinal() }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmp(d.Year, e.Year)
	case d.Month != e.Month:
		return cmp(int(d.Month), int(e.Month))
	}
	return cmp(d.Day, e.Day)
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// In returns the instant d begins in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalText implements encoding.TextMarshaler: JSON carries a Date as
// the string "YYYY-MM-DD" (the zero Date as "").
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ordinal is the number of days since 1970-01-01. Arithmetic on working
// days runs on ordinals so that loops do no time-zone work.
func (d Date) ordinal() int {
	return int(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func fromOrdinal(n int) Date {
	return DateOf(time.Unix(int64(n)*86400, 0).UTC())
}

// weekday of an ordinal: 1970-01-01 was a Thursday.
func weekday(n int) time.Weekday {
	return time.Weekday(((n+4)%7 + 7) % 7)
}
