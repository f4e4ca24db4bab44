package rating

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// recomputeBatch is how many rectifications one recount reads at a time.
const recomputeBatch = 200

// RecomputeDeadlines counts again, on the calendar as it is now, the
// deadlines of open rectifications when the calendar has changed since the
// last recount, and returns how many moved. A deadline is counted when the
// rectification opens, with the calendar of that day; a holiday entered
// afterwards moves it. Each rectification whose deadline moves is stamped
// in the ledger (deadline_recomputed), and a warning the new date no longer
// calls for is withdrawn; one it calls for anew is the scan's to give.
// Rectifications opened before migration 00022 do not know their limit
// and keep their deadline. The revision counted for good is kept in the
// database (see calendar.Store.Recount); two nodes counting at once still
// move and stamp each rectification once (a conditional update on the
// old date). ScanWarnings runs it first.
func (s *Store) RecomputeDeadlines(ctx context.Context) (int, error) {
	return s.calendar.Recount(ctx, "rectification_deadline_recount", func(cal *calendar.Calendar) (int, error) {
		today := s.today()
		moved, after := 0, ""
		for {
			batch, last, err := s.toRecount(ctx, cal, after)
			if err != nil || last == "" {
				return moved, err
			}
			after = last
			for _, m := range batch {
				ok, err := s.recount(ctx, m, cal, today)
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

// dueMove is a rectification whose deadline a calendar edit moves.
type dueMove struct {
	id, dept, was string
	due, yellow   calendar.Date
}

// toRecount reads the next batch of open rectifications after the ID
// after and returns those whose deadline cal moves, and the last ID read
// ("" when none was left).
func (s *Store) toRecount(ctx context.Context, cal *calendar.Calendar, after string) ([]dueMove, string, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, department_code, opened_date, days, due_date FROM rectifications
		WHERE state = 'open' AND days IS NOT NULL AND id > $1 ORDER BY id LIMIT `+fmt.Sprint(recomputeBatch), after)
	if err != nil {
		return nil, "", fmt.Errorf("rating: deadline recount: %w", err)
	}
	defer rows.Close()
	var out []dueMove
	last := ""
	for rows.Next() {
		var m dueMove
		var opened string
		var days int
		if err := rows.Scan(&m.id, &m.dept, &opened, &days, &m.was); err != nil {
			return nil, "", fmt.Errorf("rating: deadline recount: %w", err)
		}
		last = m.id
		start, err := calendar.ParseDate(opened)
		if err != nil {
			return nil, "", fmt.Errorf("rating: rectification %s opened: %w", m.id, err)
		}
		if m.due, m.yellow = s.dueOn(cal, start, days); m.due.String() != m.was {
			out = append(out, m)
		}
	}
	return out, last, rows.Err()
}

// recount moves one rectification's deadline, if it is still open and
// still due on the date read, and stamps the change.
func (s *Store) recount(ctx context.Context, m dueMove, cal *calendar.Calendar, today calendar.Date) (bool, error) {
	moved := false
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		moved = false
		// A warning the new dates no longer call for is withdrawn (the
		// mark becomes the lesser of what it is and what they call for);
		// one they call for anew is the scan's to give, with its notices.
		most := calendar.WarningOn(today, m.yellow, m.due)
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE rectifications SET due_date = $1, yellow_date = $2,
			warning = CASE WHEN $3 = '' THEN '' WHEN $3 = 'yellow' AND warning = 'red' THEN 'yellow' ELSE warning END,
			updated_at = $4, revision = revision + 1
			WHERE id = $5 AND state = 'open' AND due_date = $6`,
			m.due.String(), m.yellow.String(), string(most), db.NewTime(now), m.id, m.was)
		if err != nil {
			return fmt.Errorf("rating: recount %s: %w", m.id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // answered, or moved by another node, since it was read
		}
		moved = true
		return s.stampRectification(ctx, tx, m.id, "deadline_recomputed", m.dept, "", now)
	})
	return moved, err
}
