package application

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// The working-day clock. A task's deadline is its step's limit in working
// days counted from the day it opened (that day not counted); an
// application's statutory and promised deadlines count from the day it was
// accepted. While a supplement request is open every clock of the
// application stops: the deadlines are cleared, and recomputed when the
// applicant answers, with the stretch of the request left out.

// pausesSince returns the supplement pauses that matter for a clock started
// on start: those answered after it.
func pausesSince(reqs []SupplementRequest, start calendar.Date) []calendar.Pause {
	var out []calendar.Pause
	for _, r := range reqs {
		p := r.Pause()
		if p.To.IsZero() || p.To.After(start) {
			out = append(out, p)
		}
	}
	return out
}

// deadlines computes a task's due and yellow dates given the application's
// supplement history; ok is false while a pause is open.
func (s *Store) deadlines(cal *calendar.Calendar, opened string, days int, reqs []SupplementRequest) (due, yellow calendar.Date, ok bool, err error) {
	start, err := calendar.ParseDate(opened)
	if err != nil {
		return due, yellow, false, fmt.Errorf("application: task opened on %q: %w", opened, err)
	}
	due, ok = cal.Due(start, days, pausesSince(reqs, start))
	if !ok {
		return due, yellow, false, nil
	}
	return due, cal.WarnFrom(due, s.yellowDays), true, nil
}

// stopClocks clears every deadline of the application: a supplement request
// is open.
func stopClocks(ctx context.Context, tx *db.Tx, appID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET due_date = NULL, yellow_date = NULL, revision = revision + 1 WHERE application_id = $1 AND state = 'open'`, appID); err != nil {
		return fmt.Errorf("application: stop task clocks: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET statutory_due = NULL, promised_due = NULL WHERE id = $1`, appID); err != nil {
		return fmt.Errorf("application: stop clocks: %w", err)
	}
	return nil
}

// restartClocks recomputes every deadline of the application after its
// last supplement request was answered on today.
func (s *Store) restartClocks(ctx context.Context, tx *db.Tx, a *Application, cal *calendar.Calendar, today calendar.Date) error {
	for _, t := range a.Tasks {
		if t.State != TaskOpen {
			continue
		}
		due, yellow, ok, err := s.deadlines(cal, t.OpenedDate, t.Days, a.Supplements)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		w := calendar.Milder(string(t.Warning), calendar.WarningOn(today, yellow, due))
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET due_date = $1, yellow_date = $2, warning = $3, revision = revision + 1 WHERE id = $4`,
			due.String(), yellow.String(), w, t.ID); err != nil {
			return fmt.Errorf("application: restart task clock: %w", err)
		}
	}
	return s.setApplicationDues(ctx, tx, a, cal)
}

// setApplicationDues recomputes the statutory and promised deadlines from
// the acceptance date.
func (s *Store) setApplicationDues(ctx context.Context, tx *db.Tx, a *Application, cal *calendar.Calendar) error {
	if a.AcceptDate == "" {
		return nil
	}
	start, err := calendar.ParseDate(a.AcceptDate)
	if err != nil {
		return err
	}
	pauses := pausesSince(a.Supplements, start)
	var statutory, promised any
	if a.StatutoryDays > 0 {
		if d, ok := cal.Due(start, a.StatutoryDays, pauses); ok {
			statutory = d.String()
		}
	}
	if a.PromisedDays > 0 {
		if d, ok := cal.Due(start, a.PromisedDays, pauses); ok {
			promised = d.String()
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE applications SET statutory_due = $1, promised_due = $2 WHERE id = $3`, statutory, promised, a.ID)
	return err
}
