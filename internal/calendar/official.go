package calendar

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// officialJSON holds the State Council General Office's notices on public
// holidays that ship with the platform, as published: each holiday period
// (放假) as a range of dates, each make-up workday (调休上班) as a date.
//
//go:embed official.json
var officialJSON []byte

// Notice is one year's notice on public holidays (国务院办公厅关于某年部分
// 节假日安排的通知).
type Notice struct {
	Year      int    `json:"year"`
	Title     string `json:"title"`
	Published Date   `json:"published"`
	// Holidays are the periods off (放假), weekends within them included.
	Holidays []Period `json:"holidays"`
	// Workdays are the make-up workdays (调休上班).
	Workdays []MakeUp `json:"workdays"`
}

// Period is a holiday period of a notice, From to To inclusive.
type Period struct {
	Name string `json:"name"`
	From Date   `json:"from"`
	To   Date   `json:"to"`
}

// MakeUp is a make-up workday of a notice.
type MakeUp struct {
	Name string `json:"name"`
	Date Date   `json:"date"`
}

// Days expands the notice into its special days.
func (n Notice) Days() []Day {
	var out []Day
	for _, h := range n.Holidays {
		for d := h.From; !d.After(h.To); d = d.AddDays(1) {
			out = append(out, Day{Date: d, Kind: Holiday, Name: h.Name})
		}
	}
	for _, w := range n.Workdays {
		out = append(out, Day{Date: w.Date, Kind: Workday, Name: w.Name})
	}
	return out
}

// check verifies a notice is well formed: its dates in its year, holiday
// ranges in order, make-up workdays on weekends, no date listed twice.
func (n Notice) check() error {
	seen := map[Date]bool{}
	add := func(d Date) error {
		if d.Year != n.Year {
			return fmt.Errorf("calendar: notice %d lists %s", n.Year, d)
		}
		if seen[d] {
			return fmt.Errorf("calendar: notice %d lists %s twice", n.Year, d)
		}
		seen[d] = true
		return nil
	}
	if n.Title == "" || len(n.Holidays) == 0 {
		return fmt.Errorf("calendar: notice %d has no title or no holidays", n.Year)
	}
	for _, h := range n.Holidays {
		if h.Name == "" || h.From.IsZero() || h.To.Before(h.From) {
			return fmt.Errorf("calendar: notice %d: bad holiday %q %s..%s", n.Year, h.Name, h.From, h.To)
		}
	}
	for _, d := range n.Days() {
		if err := add(d.Date); err != nil {
			return err
		}
		if d.Kind == Workday && d.Date.Weekday() != time.Saturday && d.Date.Weekday() != time.Sunday {
			return fmt.Errorf("calendar: notice %d: make-up workday %s is not a weekend day", n.Year, d.Date)
		}
	}
	return nil
}

var officialNotices = sync.OnceValues(func() ([]Notice, error) {
	var doc struct {
		Notices []Notice `json:"notices"`
	}
	if err := json.Unmarshal(officialJSON, &doc); err != nil {
		return nil, fmt.Errorf("calendar: official.json: %w", err)
	}
	for _, n := range doc.Notices {
		if err := n.check(); err != nil {
			return nil, err
		}
	}
	return doc.Notices, nil
})

// OfficialNotices returns the notices that ship with the platform, oldest
// first.
func OfficialNotices() []Notice {
	ns, err := officialNotices()
	if err != nil {
		panic(err) // the embedded file is checked by the package's tests
	}
	return ns
}

// Official returns a Calendar of the shipped notices alone, without any
// administrator's edits: for tests and examples. Servers use [Store.Calendar].
func Official() *Calendar {
	var days []Day
	for _, n := range OfficialNotices() {
		days = append(days, n.Days()...)
	}
	return New(days...)
}
