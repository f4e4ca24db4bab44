package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed-width so that TEXT timestamps sort chronologically on
// both databases.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Time is a timestamp stored as UTC text with microsecond precision. The zero
// Time is stored as NULL.
type Time struct{ time.Time }

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t} }

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return t.Stored(), nil
}

// Stored returns the text the database holds for t, "" for the zero Time
// (NULL).
func (t Time) Stored() string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case time.Time:
		t.Time = v.UTC()
		return nil
	}
	return fmt.Errorf("db: cannot scan %T into Time", src)
}

func (t *Time) parse(s string) error {
	v, err := time.Parse(timeLayout, s)
	if err != nil {
		v, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("db: bad timestamp %q: %w", s, err)
		}
	}
	t.Time = v.UTC()
	return nil
}
