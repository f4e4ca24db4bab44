package calendar

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// The years whose days can be edited and queried. Working-day arithmetic
// itself works for any date.
const (
	MinYear = 2000
	MaxYear = 2099
)

// DefaultTTL is how long a node trusts its cached calendar before it asks
// the database whether another node changed it.
const DefaultTTL = 5 * time.Second

// Store keeps the calendar's special days in the database (table
// calendar_days) and serves them as cached [Calendar] snapshots.
type Store struct {
	db  *db.DB
	now func() time.Time
	// TTL bounds how long an edit made on another node takes to be seen
	// here; edits made through this Store are seen at once.
	TTL time.Duration

	mu      sync.Mutex
	cached  *Calendar
	checked time.Time
}

// NewStore returns a Store over d; now is the clock.
func NewStore(d *db.DB, now func() time.Time) *Store {
	return &Store{db: d, now: now, TTL: DefaultTTL}
}

// Calendar returns the current calendar. It is cached in memory: at most
// once per TTL it reads the revision counter, a one-row query, and reloads
// the days only when another node has changed them.
func (s *Store) Calendar(ctx context.Context) (*Calendar, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.cached != nil && now.Sub(s.checked) < s.TTL && now.Sub(s.checked) >= 0 {
		return s.cached, nil
	}
	// The revision is read before the days: a change committed between the
	// two reads leaves a snapshot newer than its revision, which the next
	// check reloads, never an old snapshot marked current.
	rev, err := s.revision(ctx)
	if err != nil {
		return nil, err
	}
	if s.cached != nil && s.cached.revision == rev {
		s.checked = now
		return s.cached, nil
	}
	days, err := s.query(ctx, `SELECT date, kind, name, updated_at, updated_by FROM calendar_days ORDER BY date`)
	if err != nil {
		return nil, err
	}
	c := New(days...)
	c.revision = rev
	s.cached, s.checked = c, now
	return c, nil
}

// RecountSettle is how long after a calendar change Recount keeps
// counting again before it records the change as counted, on top of
// the TTL of every node's cached calendar: a deadline set meanwhile by a
// node (or a transaction) that still used the calendar from before the
// change is caught by a later pass.
const RecountSettle = 30 * time.Second

// Recount runs fn with the current calendar when it has changed since
// the revision recorded in table, and returns what fn returns. table is
// one row (id 1) with a calendar_revision column, owned by the package
// whose deadlines fn counts again (deadline_recount,
// ticket_deadline_recount, …); a package keeps its own so that each
// counts every change.
//
// A revision is recorded as counted only by a pass that began once the
// change was older than the cached calendars' TTL and RecountSettle:
// until then every call runs fn again, so a deadline another node set
// with its cached, older calendar is counted again too. A failing fn
// records nothing. Two nodes calling at once may both run fn: fn must
// write only what differs.
func (s *Store) Recount(ctx context.Context, table string, fn func(*Calendar) (int, error)) (int, error) {
	start := s.now()
	var rev int64
	var changed db.Time
	if err := s.db.Read().QueryRowContext(ctx, `SELECT revision, NULLIF(changed_at, '') FROM calendar_revision WHERE id = 1`).Scan(&rev, &changed); err != nil {
		return 0, fmt.Errorf("calendar: recount %s: %w", table, err)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return 0, err
	}
	if cal.revision < rev {
		// The cache is behind the change; count on the change itself.
		s.invalidate()
		if cal, err = s.Calendar(ctx); err != nil {
			return 0, err
		}
	}
	var done int64
	if err := s.db.Read().QueryRowContext(ctx, `SELECT calendar_revision FROM `+table+` WHERE id = 1`).Scan(&done); err != nil {
		return 0, fmt.Errorf("calendar: recount %s: %w", table, err)
	}
	if done >= cal.revision {
		return 0, nil
	}
	n, err := fn(cal)
	if err != nil {
		return n, err
	}
	if cal.revision != rev || start.Sub(changed.Time) < s.TTL+RecountSettle {
		return n, nil // counted, but not yet for good
	}
	if _, err := s.db.Write().ExecContext(ctx, `UPDATE `+table+` SET calendar_revision = $1 WHERE id = 1 AND calendar_revision < $1`, rev); err != nil {
		return n, fmt.Errorf("calendar: recount %s: %w", table, err)
	}
	return n, nil
}

func (s *Store) revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := s.db.Read().QueryRowContext(ctx, `SELECT revision FROM calendar_revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("calendar: revision: %w", err)
	}
	return rev, nil
}

func (s *Store) invalidate() {
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Day, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("calendar: days: %w", err)
	}
	defer rows.Close()
	var out []Day
	for rows.Next() {
		var d Day
		var date, kind string
		var at db.Time
		if err := rows.Scan(&date, &kind, &d.Name, &at, &d.UpdatedBy); err != nil {
			return nil, fmt.Errorf("calendar: days: %w", err)
		}
		if d.Date, err = ParseDate(date); err != nil {
			return nil, err
		}
		d.Kind, d.UpdatedAt = Kind(kind), at.Time
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("calendar: days: %w", err)
	}
	return out, nil
}

// Days returns the special days of year as stored, in date order. A year
// outside MinYear..MaxYear is a field error on "year".
func (s *Store) Days(ctx context.Context, year int) ([]Day, error) {
	if year < MinYear || year > MaxYear {
		return nil, fielderr.New("year", "calendar_year_invalid", MinYear, MaxYear)
	}
	lo, hi := fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)
	return s.query(ctx, `SELECT date, kind, name, updated_at, updated_by FROM calendar_days
		WHERE date >= $1 AND date <= $2 ORDER BY date`, lo, hi)
}

// ParseDateField reads a date typed by a person: a field error on field
// when it is not a date of MinYear..MaxYear in the form YYYY-MM-DD.
func ParseDateField(field, text string) (Date, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Date{}, fielderr.New(field, "required")
	}
	d, err := ParseDate(text)
	if err != nil {
		return Date{}, fielderr.New(field, "date_invalid")
	}
	if d.Year < MinYear || d.Year > MaxYear {
		return Date{}, fielderr.New(field, "calendar_year_invalid", MinYear, MaxYear)
	}
	return d, nil
}

// maxNameRunes bounds a day's name.
const maxNameRunes = 40

// SetDay makes date (YYYY-MM-DD) a special day of kind, named name (the
// festival, such as 春节), replacing what was there. A make-up workday must
// fall on a Saturday or Sunday: Monday to Friday work anyway. The actor
// needs PermCalendarManage.
func (s *Store) SetDay(ctx context.Context, actor *identity.Principal, date string, kind Kind, name string) (Day, error) {
	if !actor.Can(identity.PermCalendarManage) {
		return Day{}, identity.ErrForbidden
	}
	var fe fielderr.Errors
	d, err := ParseDateField("date", date)
	if err != nil {
		fe.Merge("", err)
	}
	switch {
	case !kind.Valid():
		fe.Add("kind", "calendar_kind_invalid")
	case kind == Workday && err == nil && d.Weekday() != time.Saturday && d.Weekday() != time.Sunday:
		fe.Add("kind", "calendar_workday_on_weekday")
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		fe.Add("name", "required")
	case utf8.RuneCountInString(name) > maxNameRunes:
		fe.Add("name", "text_too_long", maxNameRunes)
	}
	if err := fe.Err(); err != nil {
		return Day{}, err
	}
	day := Day{Date: d, Kind: kind, Name: name, UpdatedAt: s.now().UTC(), UpdatedBy: actor.Account.ID}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_days (date, kind, name, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			day.Date.String(), string(day.Kind), day.Name, db.NewTime(day.UpdatedAt), day.UpdatedBy); err != nil {
			return fmt.Errorf("calendar: set day: %w", err)
		}
		return s.bumpRevision(ctx, tx)
	})
	if err != nil {
		return Day{}, err
	}
	s.invalidate()
	return day, nil
}

// DeleteDay removes the special day at date (YYYY-MM-DD), which then
// follows the week again. It returns db.ErrNotFound when date is not a
// special day. The actor needs PermCalendarManage.
func (s *Store) DeleteDay(ctx context.Context, actor *identity.Principal, date string) error {
	if !actor.Can(identity.PermCalendarManage) {
		return identity.ErrForbidden
	}
	d, err := ParseDateField("date", date)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE date = $1`, d.String())
		if err != nil {
			return fmt.Errorf("calendar: delete day: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("calendar: day %s: %w", d, db.ErrNotFound)
		}
		return s.bumpRevision(ctx, tx)
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return nil
}

func (s *Store) bumpRevision(ctx context.Context, tx *db.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE calendar_revision SET revision = revision + 1, changed_at = $1 WHERE id = 1`, db.NewTime(s.now())); err != nil {
		return fmt.Errorf("calendar: bump revision: %w", err)
	}
	return nil
}

// Seed writes the shipped official notices into the database, each year
// once: a year already seeded is left alone, so a day an administrator
// deleted or changed stays as they left it, and a day an administrator
// entered before a release shipped its notice is kept. Several nodes may
// seed at once. It returns the years it seeded now.
func (s *Store) Seed(ctx context.Context) ([]int, error) {
	var seeded []int
	for _, n := range OfficialNotices() {
		did := false
		err := s.db.Tx(ctx, func(tx *db.Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO calendar_notices (year, title, seeded_at) VALUES ($1, $2, $3) ON CONFLICT (year) DO NOTHING`,
				n.Year, n.Title, db.NewTime(s.now()))
			if err != nil {
				return fmt.Errorf("calendar: seed %d: %w", n.Year, err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			for _, d := range n.Days() {
				if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_days (date, kind, name, updated_at, updated_by) VALUES ($1, $2, $3, $4, '')
					ON CONFLICT (date) DO NOTHING`, d.Date.String(), string(d.Kind), d.Name, db.NewTime(s.now())); err != nil {
					return fmt.Errorf("calendar: seed %s: %w", d.Date, err)
				}
			}
			did = true
			return s.bumpRevision(ctx, tx)
		})
		if err != nil {
			return seeded, err
		}
		if did {
			seeded = append(seeded, n.Year)
		}
	}
	if len(seeded) > 0 {
		s.invalidate()
	}
	return seeded, nil
}

// SeededNotice is a shipped notice recorded as seeded.
type SeededNotice struct {
	Year     int       `json:"year"`
	Title    string    `json:"title"`
	SeededAt time.Time `json:"seeded_at"`
}

// Notices lists the shipped notices seeded into this database, by year.
func (s *Store) Notices(ctx context.Context) ([]SeededNotice, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT year, title, seeded_at FROM calendar_notices ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("calendar: notices: %w", err)
	}
	defer rows.Close()
	var out []SeededNotice
	for rows.Next() {
		var n SeededNotice
		var at db.Time
		if err := rows.Scan(&n.Year, &n.Title, &at); err != nil {
			return nil, fmt.Errorf("calendar: notices: %w", err)
		}
		n.SeededAt = at.Time
		out = append(out, n)
	}
	return out, rows.Err()
}
