package hotline

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// recomputeBatch is how many tickets one recount reads at a time.
const recomputeBatch = 200

// RecomputeDeadlines counts again, on the calendar as it is now, the
// deadlines of the tickets waiting for their department (dispatched or
// being handled) when the calendar has changed since the last recount,
// and returns how many moved. A deadline is counted when the ticket is
// dispatched, with the calendar of that day; an administrator entering
// holidays afterwards (next year's notice, typically) moves it. Each
// ticket whose deadline moves gets the log entry deadline_recomputed
// ("from → to"), stamped in the ledger; a warning the new date no longer
// calls for is withdrawn, one it calls for anew is the warning scan's to
// give. The revision counted for good is kept in the database (see
// calendar.Store.Recount); two nodes counting at once still move and log each
// ticket once, since each is recounted under its row lock and only a date
// that differs is written. ScanWarnings runs it first.
func (s *Store) RecomputeDeadlines(ctx context.Context) (int, error) {
	return s.calendar.Recount(ctx, "ticket_deadline_recount", func(cal *calendar.Calendar) (int, error) {
		today := s.today()
		moved, after := 0, ""
		for {
			ids, err := s.toRecount(ctx, cal, after)
			if err != nil || ids == nil {
				return moved, err
			}
			after = ids[len(ids)-1]
			for _, id := range ids[:len(ids)-1] {
				ok, err := s.recount(ctx, id, cal, today)
				if err != nil {
					return moved, err
				}
				if ok {
					moved++
				}
			}
		}
	})
}

// toRecount reads the next batch of waiting tickets after the ID after
// and returns the IDs of those whose deadline cal moves, followed by the
// last ID read (where the next batch starts); nil when none is left.
func (s *Store) toRecount(ctx context.Context, cal *calendar.Calendar, after string) ([]string, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, clock_date, days, due_date FROM tickets
		WHERE state IN ('dispatched', 'handling') AND due_date IS NOT NULL AND id > $1 ORDER BY id LIMIT `+fmt.Sprint(recomputeBatch), after)
	if err != nil {
		return nil, fmt.Errorf("hotline: deadline recount: %w", err)
	}
	defer rows.Close()
	var out []string
	last := ""
	for rows.Next() {
		var id, clockDate, due string
		var days int
		if err := rows.Scan(&id, &clockDate, &days, &due); err != nil {
			return nil, fmt.Errorf("hotline: deadline recount: %w", err)
		}
		last = id
		start, err := calendar.ParseDate(clockDate)
		if err != nil {
			return nil, fmt.Errorf("hotline: ticket %s clock date: %w", id, err)
		}
		if d, _ := s.dueOn(cal, start, days); d.String() != due {
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if last == "" {
		return nil, nil
	}
	return append(out, last), nil
}

// recount moves the deadline of ticket id to what cal says, in a
// transaction of its own, and reports whether it moved.
func (s *Store) recount(ctx context.Context, id string, cal *calendar.Calendar, today calendar.Date) (bool, error) {
	moved := false
	_, err := s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if (t.State != Dispatched && t.State != Handling) || t.DueDate == "" {
			return nil
		}
		start, err := calendar.ParseDate(t.ClockDate)
		if err != nil {
			return fmt.Errorf("hotline: ticket %s clock date: %w", id, err)
		}
		due, yellow := s.dueOn(cal, start, t.Days)
		if due.String() == t.DueDate {
			return nil
		}
		w := calendar.Milder(string(t.Warning), calendar.WarningOn(today, yellow, due))
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET due_date = $1, yellow_date = $2, warning = $3, updated_at = $4 WHERE id = $5`,
			due.String(), yellow.String(), w, db.NewTime(s.now()), id); err != nil {
			return fmt.Errorf("hotline: recount %s: %w", id, err)
		}
		moved = true
		return s.event(ctx, tx, id, nil, t.DepartmentCode, "deadline_recomputed", "", "", t.DueDate+" → "+due.String())
	})
	return moved, err
}
