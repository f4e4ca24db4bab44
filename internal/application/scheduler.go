package application

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// ScanStats counts what one warning scan did.
type ScanStats struct {
	Recounted int // applications whose deadlines a calendar edit moved
	Yellow    int // tasks newly marked yellow
	Red       int // tasks newly marked red
	Reminded  int // warnings repeated because nobody acted
}

// scanBatch is how many tasks one scan transaction handles.
const scanBatch = 500

// ScanWarnings marks open tasks yellow when their deadline is near and red
// when it has passed, and reminds again every renotify interval while
// nobody acts (not while a supplement request stops the task's clock:
// nobody in the department can act on it then). Yellow goes to the
// assignee (or, unclaimed, the role's holders); red also to the
// department's admins and to supervisors.
// First, when the calendar has been edited since the last scan, it counts
// the deadlines of applications in process again (RecomputeDeadlines).
//
// Every mark is a conditional update in the same transaction as its
// notices, so a task is marked, and its people told, exactly once even if
// two nodes scan at the same moment; the scheduler's lease normally makes
// sure only one does.
func (s *Store) ScanWarnings(ctx context.Context) (ScanStats, error) {
	var st ScanStats
	n, err := s.RecomputeDeadlines(ctx)
	st.Recounted = n
	if err != nil {
		return st, err
	}
	today := s.today().String()
	now := s.now()
	// Red first, so a task that jumped past its deadline is not told
	// "yellow" and "red" at once.
	n, err = s.scan(ctx, `SELECT id FROM tasks WHERE state = 'open' AND due_date < $1 AND warning <> 'red' ORDER BY due_date LIMIT `+fmt.Sprint(scanBatch), today,
		func(tx *db.Tx, t *Task) (bool, error) { return s.mark(ctx, tx, t, Red, now) })
	st.Red += n
	if err != nil {
		return st, err
	}
	n, err = s.scan(ctx, `SELECT id FROM tasks WHERE state = 'open' AND yellow_date <= $1 AND warning = '' ORDER BY yellow_date LIMIT `+fmt.Sprint(scanBatch), today,
		func(tx *db.Tx, t *Task) (bool, error) { return s.mark(ctx, tx, t, Yellow, now) })
	st.Yellow += n
	if err != nil {
		return st, err
	}
	n, err = s.scan(ctx, `SELECT id FROM tasks WHERE state = 'open' AND notify_after <= $1 AND warning <> '' AND due_date IS NOT NULL ORDER BY notify_after LIMIT `+fmt.Sprint(scanBatch), db.NewTime(now),
		func(tx *db.Tx, t *Task) (bool, error) { return s.remind(ctx, tx, t, now) })
	st.Reminded += n
	return st, err
}

// scan runs fn on the tasks the query finds, a batch per transaction,
// until a batch changes nothing.
func (s *Store) scan(ctx context.Context, q string, arg any, fn func(*db.Tx, *Task) (bool, error)) (int, error) {
	n, err := s.db.Sweep(ctx, q, arg, scanBatch, func(ids []string) (int, error) {
		changed := 0
		err := s.tx(ctx, func(tx *db.Tx) error {
			changed = 0 // a retried transaction counts afresh
			tasks := make([]*Task, 0, len(ids))
			for _, id := range ids {
				t, err := s.loadTask(ctx, tx, id)
				if err != nil {
					return err
				}
				tasks = append(tasks, t)
			}
			// Applications are locked in the order of their IDs, as the
			// deadline recount locks them: two transactions locking
			// several never wait on each other in a circle (on
			// PostgreSQL, two overlapping scans whose batches differ
			// deadlocked).
			slices.SortFunc(tasks, func(a, b *Task) int {
				return cmp.Or(cmp.Compare(a.ApplicationID, b.ApplicationID), cmp.Compare(a.ID, b.ID))
			})
			for _, t := range tasks {
				ok, err := fn(tx, t)
				if err != nil {
					return err
				}
				if ok {
					changed++
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		return changed, nil
	})
	if err != nil {
		return n, fmt.Errorf("application: scan: %w", err)
	}
	return n, nil
}

func (s *Store) mark(ctx context.Context, tx *db.Tx, t *Task, w Warning, now time.Time) (bool, error) {
	cond := "warning = ''"
	if w == Red {
		cond = "warning <> 'red'"
	}
	if err := lockApplication(ctx, tx, t.ApplicationID); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET warning = $1, notify_after = $2 WHERE id = $3 AND state = 'open' AND `+cond,
		string(w), db.NewTime(now.Add(s.renotify)), t.ID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // another node got there first
	}
	if err := s.event(ctx, tx, t.ApplicationID, nil, "", t.DepartmentCode, "warning_"+string(w), "", "", t.StepID, t.ID, "", map[string]any{"due_date": t.DueDate}); err != nil {
		return false, err
	}
	return true, s.warn(ctx, tx, t, w)
}

func (s *Store) remind(ctx context.Context, tx *db.Tx, t *Task, now time.Time) (bool, error) {
	if err := lockApplication(ctx, tx, t.ApplicationID); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET notify_after = $1 WHERE id = $2 AND state = 'open' AND notify_after <= $3 AND due_date IS NOT NULL`,
		db.NewTime(now.Add(s.renotify)), t.ID, db.NewTime(now))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, s.warn(ctx, tx, t, t.Warning)
}

// warn queues the warning notices of a task.
func (s *Store) warn(ctx context.Context, tx *db.Tx, t *Task, w Warning) error {
	var number, service, serviceEn string
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(number, ''), service_name, service_name_en FROM applications WHERE id = $1`, t.ApplicationID).Scan(&number, &service, &serviceEn); err != nil {
		return err
	}
	to := map[string]bool{}
	if t.AssigneeID != "" {
		to[t.AssigneeID] = true
	} else {
		ids, err := roleHolders(ctx, tx, t.DepartmentCode, t.Role)
		if err != nil {
			return err
		}
		for _, id := range ids {
			to[id] = true
		}
	}
	if w == Red {
		ids, err := roleHolders(ctx, tx, t.DepartmentCode, string(identity.DeptAdmin))
		if err != nil {
			return err
		}
		for _, id := range ids {
			to[id] = true
		}
		ids, err = roleHolders(ctx, tx, "", string(identity.Supervisor))
		if err != nil {
			return err
		}
		for _, id := range ids {
			to[id] = true
		}
	}
	for id := range to {
		if err := s.notices(ctx, tx, Notice{AccountID: id, Kind: "task_" + string(w), Link: "/staff/tasks/" + t.ID,
			Params: map[string]string{"number": number, "service": service, "service_en": serviceEn, "due": t.DueDate}}); err != nil {
			return err
		}
	}
	return nil
}
