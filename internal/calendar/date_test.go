package calendar_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want calendar.Date
		ok   bool
	}{
		{"2026-02-14", calendar.Date{Year: 2026, Month: time.February, Day: 14}, true},
		{"2024-02-29", calendar.Date{Year: 2024, Month: time.February, Day: 29}, true},
		{"2025-02-29", calendar.Date{}, false}, // not a leap year
		{"2026-02-30", calendar.Date{}, false},
		{"2026-13-01", calendar.Date{}, false},
		{"2026-2-14", calendar.Date{}, false},
		{"2026/02/14", calendar.Date{}, false},
		{"20260214", calendar.Date{}, false},
		{" 2026-02-14", calendar.Date{}, false},
		{"2026-02-14T00:00:00Z", calendar.Date{}, false},
		{"", calendar.Date{}, false},
	} {
		got, err := calendar.ParseDate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, calendar.ErrBadDate) {
			t.Errorf("ParseDate(%q) error %v is not ErrBadDate", tc.in, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("ParseDate(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	a := d("2025-12-30")
	if got := a.AddDays(3); got != d("2026-01-02") {
		t.Errorf("AddDays(3) = %v", got)
	}
	if got := d("2024-03-01").AddDays(-1); got != d("2024-02-29") {
		t.Errorf("AddDays(-1) = %v", got)
	}
	if got := d("2026-10-10").DaysSince(d("2025-10-10")); got != 365 {
		t.Errorf("DaysSince = %d, want 365", got)
	}
	if !a.Before(d("2026-01-01")) || a.After(d("2026-01-01")) || a.Compare(a) != 0 {
		t.Errorf("ordering of %v is wrong", a)
	}
	if got := d("1969-12-31").Weekday(); got != time.Wednesday {
		t.Errorf("1969-12-31 is a %v, want Wednesday", got)
	}
	if got := d("2026-02-14").Weekday(); got != time.Saturday {
		t.Errorf("2026-02-14 is a %v, want Saturday", got)
	}
	if (calendar.Date{Year: 2026, Month: 2, Day: 30}).Valid() || (calendar.Date{}).Valid() || !a.Valid() {
		t.Error("Valid is wrong")
	}
	if got := d("2026-02-14").In(time.UTC); !got.Equal(time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("In(UTC) = %v", got)
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		At    calendar.Date  `json:"at"`
		Pause calendar.Pause `json:"pause"`
	}
	in := doc{At: d("2026-10-10"), Pause: calendar.Pause{From: d("2026-09-30")}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"at":"2026-10-10","pause":{"from":"2026-09-30"}}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", b, out, err, in)
	}
	if err := json.Unmarshal([]byte(`{"at":"2026-02-30"}`), &out); err == nil {
		t.Error("Unmarshal accepted 2026-02-30")
	}
	if err := json.Unmarshal([]byte(`{"at":20260214}`), &out); err == nil {
		t.Error("Unmarshal accepted a number")
	}
}
