package application

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
)

// Deadlines follow the calendar. A deadline is computed when its clock
// starts, with the calendar as it stands that day; when an administrator
// then enters a holiday or a make-up workday (typically next year's
// notice, published in November, when December's applications already
// count into January), the deadlines of applications in process are
// counted again with the calendar as edited. Each application whose
// deadlines move gets a log entry saying from what to what, stamped in
// the ledger like every change of its canonical state.

// recomputeBatch is how many applications one recount transaction handles.
const recomputeBatch = 100

// RecomputeDeadlines counts again the deadlines of every application in
// process (submitted or accepted: those of an application waiting for a
// supplement are stopped, and restart on the current calendar) when the
// calendar has changed since the last recount, and returns how many
// applications' deadlines moved. The scheduler runs it before each
// warning scan.
//
// The calendar revision counted for good is kept in the database (see
// calendar.Store.Recount for when), so a change is counted by whichever
// node gets there; two nodes recounting at once would still write and log
// each change once, since each application is recounted under its lock
// and only a deadline that differs is written.
func (s *Store) RecomputeDeadlines(ctx context.Context) (int, error) {
	return s.calendar.Recount(ctx, "deadline_recount", func(cal *calendar.Calendar) (int, error) {
		today := s.today()
		moved, after := 0, ""
		for {
			// Most edits move few deadlines: read a batch first, and lock
			// and write only the applications whose deadlines move.
			move, last, err := s.inProcessAfter(ctx, cal, after)
			if err != nil {
				return moved, err
			}
			if last == "" {
				return moved, nil
			}
			after = last
			if len(move) == 0 {
				continue
			}
			n := 0
			err = s.tx(ctx, func(tx *db.Tx) error {
				n = 0 // a retried transaction counts afresh
				for _, id := range move {
					ok, err := s.recount(ctx, tx, id, cal, today)
					if err != nil {
						return err
					}
					if ok {
						n++
					}
				}
				return nil
			})
			if err != nil {
				return moved, fmt.Errorf("application: deadline recount: %w", err)
			}
			moved += n
		}
	})
}

// DueChange is one deadline a recount moved, as the log entry
// "deadlines_recomputed" records it: the application's statutory or
// promised deadline, or an open step's.
type DueChange struct {
	Kind   string `json:"kind"` // "statutory", "promised" or "step"
	StepID string `json:"step_id,omitempty"`
	TaskID string `json:"task_id,omitempty"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// DueChanges returns the deadlines a "deadlines_recomputed" entry moved,
// or nil for any other entry.
func (e Event) DueChanges() []DueChange {
	if e.Action != "deadlines_recomputed" {
		return nil
	}
	var d struct {
		Changes []DueChange `json:"changes"`
	}
	if json.Unmarshal(e.Detail, &d) != nil {
		return nil
	}
	return d.Changes
}

// StepDue is the deadline an event about a step gave it: when the step
// opened, or when it was marked yellow or red; "" for other events and
// for a step whose clock was stopped.
func (e Event) StepDue() string {
	switch e.Action {
	case "step_opened", "warning_yellow", "warning_red":
	default:
		return ""
	}
	var d struct {
		DueDate string `json:"due_date"`
	}
	if json.Unmarshal(e.Detail, &d) != nil {
		return ""
	}
	return d.DueDate
}

// recount counts the deadlines of application id again on cal within tx,
// writes those that moved and logs the change; it reports whether any
// deadline moved.
func (s *Store) recount(ctx context.Context, tx *db.Tx, id string, cal *calendar.Calendar, today calendar.Date) (bool, error) {
	if err := lockApplication(ctx, tx, id); err != nil {
		return false, err
	}
	a, changes, err := s.planRecount(ctx, tx, id, cal)
	if err != nil || len(changes) == 0 {
		return false, err
	}
	for _, c := range changes {
		if c.Kind != "step" {
			continue
		}
		t := a.task(c.TaskID)
		due, yellow, _, err := s.deadlines(cal, t.OpenedDate, t.Days, a.Supplements)
		if err != nil {
			return false, err
		}
		// A warning the new dates no longer call for is withdrawn; one
		// they call for anew is the scheduler's to give, with its notices.
		w := calendar.Milder(string(t.Warning), calendar.WarningOn(today, yellow, due))
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET due_date = $1, yellow_date = $2, warning = $3, revision = revision + 1 WHERE id = $4 AND state = 'open'`,
			due.String(), yellow.String(), w, t.ID); err != nil {
			return false, fmt.Errorf("application: recount task %s: %w", t.ID, err)
		}
	}
	if changes[len(changes)-1].Kind != "step" { // the application's own come last
		if err := s.setApplicationDues(ctx, tx, a, cal); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET revision = revision + 1, updated_at = $1 WHERE id = $2`, db.NewTime(s.now()), id); err != nil {
		return false, fmt.Errorf("application: recount %s: %w", id, err)
	}
	return true, s.event(ctx, tx, id, nil, "", a.DepartmentCode, "deadlines_recomputed", "", "", "", "", "",
		map[string]any{"calendar_revision": cal.Revision(), "changes": changes})
}

// planRecount reads application id and returns the deadlines cal moves:
// its open steps' first, then its statutory and promised ones. An
// application no longer in process moves none.
func (s *Store) planRecount(ctx context.Context, q querier, id string, cal *calendar.Calendar) (*Application, []DueChange, error) {
	a, err := loadRow(ctx, q, id)
	if err != nil {
		return nil, nil, err
	}
	if a.State != Submitted && a.State != Accepted {
		return a, nil, nil // moved on since it was listed
	}
	if err := s.loadTasks(ctx, q, a); err != nil {
		return nil, nil, err
	}
	if err := s.loadSupplements(ctx, q, a); err != nil {
		return nil, nil, err
	}
	changes, err := s.dueChanges(a, cal)
	return a, changes, err
}

// dueChanges returns the deadlines of a that cal moves, from its row, its
// open tasks and its supplement requests.
func (s *Store) dueChanges(a *Application, cal *calendar.Calendar) ([]DueChange, error) {
	var changes []DueChange
	for _, t := range a.Tasks {
		if t.State != TaskOpen || t.DueDate == "" {
			continue
		}
		due, _, ok, err := s.deadlines(cal, t.OpenedDate, t.Days, a.Supplements)
		if err != nil {
			return nil, err
		}
		// Only a moved deadline counts: a yellow date that differs alone
		// comes from another warning threshold (the demo widens it on
		// days off), not from the calendar.
		if ok && due.String() != t.DueDate {
			changes = append(changes, DueChange{Kind: "step", StepID: t.StepID, TaskID: t.ID, From: t.DueDate, To: due.String()})
		}
	}
	if a.AcceptDate == "" {
		return changes, nil
	}
	start, err := calendar.ParseDate(a.AcceptDate)
	if err != nil {
		return nil, err
	}
	pauses := pausesSince(a.Supplements, start)
	for _, c := range []struct {
		kind string
		days int
		was  string
	}{{"statutory", a.StatutoryDays, a.StatutoryDue}, {"promised", a.PromisedDays, a.PromisedDue}} {
		if c.days <= 0 || c.was == "" {
			continue
		}
		if d, ok := cal.Due(start, c.days, pauses); ok && d.String() != c.was {
			changes = append(changes, DueChange{Kind: c.kind, From: c.was, To: d.String()})
		}
	}
	return changes, nil
}

// inProcessAfter reads the next batch of applications in process after
// the ID after, with what their deadlines are counted from (their open
// tasks with a deadline and their supplement requests) in three queries
// for the whole batch, and returns the IDs of those whose deadlines cal
// moves, and the last ID read ("" when none was left).
func (s *Store) inProcessAfter(ctx context.Context, cal *calendar.Calendar, after string) (move []string, last string, err error) {
	q := s.db.Read()
	rows, err := q.QueryContext(ctx, `SELECT id, state, COALESCE(accept_date, ''), statutory_days, promised_days, COALESCE(statutory_due, ''), COALESCE(promised_due, '')
		FROM applications WHERE state IN ('submitted', 'accepted') AND id > $1 ORDER BY id LIMIT `+fmt.Sprint(recomputeBatch), after)
	if err != nil {
		return nil, "", fmt.Errorf("application: deadline recount: %w", err)
	}
	var apps []*Application
	byID := map[string]*Application{}
	var ids []any
	for rows.Next() {
		a := &Application{Tasks: []Task{}, Supplements: []SupplementRequest{}}
		if err := rows.Scan(&a.ID, &a.State, &a.AcceptDate, &a.StatutoryDays, &a.PromisedDays, &a.StatutoryDue, &a.PromisedDue); err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("application: deadline recount: %w", err)
		}
		apps = append(apps, a)
		byID[a.ID] = a
		ids = append(ids, a.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("application: deadline recount: %w", err)
	}
	if len(apps) == 0 {
		return nil, "", nil
	}
	in := db.Placeholders(1, len(ids))
	err = scanEach(ctx, q, `SELECT application_id, id, step_id, state, opened_date, days, due_date FROM tasks
		WHERE application_id IN (`+in+`) AND state = 'open' AND due_date IS NOT NULL`, ids, func(r *sql.Rows) error {
		var appID string
		var t Task
		if err := r.Scan(&appID, &t.ID, &t.StepID, &t.State, &t.OpenedDate, &t.Days, &t.DueDate); err != nil {
			return err
		}
		byID[appID].Tasks = append(byID[appID].Tasks, t)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	err = scanEach(ctx, q, `SELECT application_id, seq, requested_date, COALESCE(answered_date, '') FROM supplement_requests
		WHERE application_id IN (`+in+`) ORDER BY application_id, seq`, ids, func(r *sql.Rows) error {
		var appID string
		var sr SupplementRequest
		if err := r.Scan(&appID, &sr.Seq, &sr.RequestedDate, &sr.AnsweredDate); err != nil {
			return err
		}
		byID[appID].Supplements = append(byID[appID].Supplements, sr)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	for _, a := range apps {
		changes, err := s.dueChanges(a, cal)
		if err != nil {
			return nil, "", fmt.Errorf("application %s: deadline recount: %w", a.ID, err)
		}
		if len(changes) > 0 {
			move = append(move, a.ID)
		}
	}
	return move, apps[len(apps)-1].ID, nil
}

// scanEach runs query with args and fn on each row.
func scanEach(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("application: deadline recount: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("application: deadline recount: %w", err)
		}
	}
	return rows.Err()
}

// task returns the application's task with id; a has it.
func (a *Application) task(id string) *Task {
	for i := range a.Tasks {
		if a.Tasks[i].ID == id {
			return &a.Tasks[i]
		}
	}
	panic("application: no task " + id)
}
