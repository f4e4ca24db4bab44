package calendar_test

import (
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/calendar"
)

var d = calendar.MustParseDate

// The National Day and Mid-Autumn holiday of 2025 runs from 1 to 8 October,
// and Saturday 11 October is a make-up workday. A limit of one working day
// that starts on Tuesday 30 September ends on Thursday 9 October.
func ExampleCalendar_AddWorkdays_nationalDay2025() {
	c := calendar.Official()
	from := d("2025-09-30")
	for _, n := range []int{0, 1, 2, 3, 4} {
		due := c.AddWorkdays(from, n)
		fmt.Println(n, due, due.Weekday())
	}
	// Output:
	// 0 2025-09-30 Tuesday
	// 1 2025-10-09 Thursday
	// 2 2025-10-10 Friday
	// 3 2025-10-11 Saturday
	// 4 2025-10-13 Monday
}

// In 2026 the Spring Festival holiday runs from 15 to 23 February, with
// Saturdays 14 and 28 February as make-up workdays.
func ExampleCalendar_IsWorkday_springFestival2026() {
	c := calendar.Official()
	for day := d("2026-02-13"); !day.After(d("2026-03-01")); day = day.AddDays(1) {
		fmt.Println(day, day.Weekday().String()[:3], c.IsWorkday(day))
	}
	// Output:
	// 2026-02-13 Fri true
	// 2026-02-14 Sat true
	// 2026-02-15 Sun false
	// 2026-02-16 Mon false
	// 2026-02-17 Tue false
	// 2026-02-18 Wed false
	// 2026-02-19 Thu false
	// 2026-02-20 Fri false
	// 2026-02-21 Sat false
	// 2026-02-22 Sun false
	// 2026-02-23 Mon false
	// 2026-02-24 Tue true
	// 2026-02-25 Wed true
	// 2026-02-26 Thu true
	// 2026-02-27 Fri true
	// 2026-02-28 Sat true
	// 2026-03-01 Sun false
}

// WorkdaysBetween counts the working days after the first date up to and
// including the second.
func ExampleCalendar_WorkdaysBetween() {
	c := calendar.Official()
	fmt.Println(c.WorkdaysBetween(d("2026-02-13"), d("2026-02-28")))
	fmt.Println(c.WorkdaysBetween(d("2025-09-30"), d("2025-10-08")))
	// Output:
	// 6
	// 0
}

// An application accepted on Monday 22 September 2025 has five working
// days. On Thursday 25 September (the third day, which counts) staff ask
// for a supplement (补正); the applicant answers on Thursday 9 October,
// after the holiday. The clock runs again from Friday 10 October, and the
// make-up Saturday 11 October is the fifth working day.
func ExampleCalendar_Due_supplementOverHoliday() {
	c := calendar.Official()
	start := d("2025-09-22")
	fmt.Println(c.Due(start, 5, nil))

	open := []calendar.Pause{{From: d("2025-09-25")}}
	_, ok := c.Due(start, 5, open)
	fmt.Println("while waiting:", ok, c.Elapsed(start, d("2025-10-09"), open), "days used")

	answered := []calendar.Pause{{From: d("2025-09-25"), To: d("2025-10-09")}}
	fmt.Println(c.Due(start, 5, answered))
	fmt.Println("used by 10 October:", c.Elapsed(start, d("2025-10-10"), answered))
	// Output:
	// 2025-09-28 true
	// while waiting: false 3 days used
	// 2025-10-11 true
	// used by 10 October: 4
}

// DateIn gives the calendar day at an instant in the platform's time zone.
func ExampleDateIn() {
	shanghai := time.FixedZone("CST", 8*3600)
	t := time.Date(2026, 2, 13, 17, 30, 0, 0, time.UTC)
	fmt.Println(calendar.DateIn(t, time.UTC), calendar.DateIn(t, shanghai))
	// Output: 2026-02-13 2026-02-14
}
