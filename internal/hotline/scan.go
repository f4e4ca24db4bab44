package hotline

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// ScanStats counts what one warning scan did.
type ScanStats struct {
	Recounted int // tickets whose deadline a calendar edit moved
	Yellow    int // tickets newly marked yellow
	Red       int // tickets newly marked red
}

const scanBatch = 500

// ScanWarnings marks tickets waiting for their department yellow when the
// deadline is near and red when it has passed, and tells the department's
// staff (red: also the supervisors). Each mark is a conditional update in
// the same transaction as its notices and its log entry, so a ticket is
// marked and its people told once even if two scans overlap; serve runs it
// under a lease so normally only one node scans. First, when the calendar
// has been edited since, it counts the deadlines again
// (RecomputeDeadlines).
func (s *Store) ScanWarnings(ctx context.Context) (ScanStats, error) {
	var st ScanStats
	n, err := s.RecomputeDeadlines(ctx)
	st.Recounted = n
	if err != nil {
		return st, err
	}
	today := s.today().String()
	n, err = s.scan(ctx, `SELECT id FROM tickets WHERE state IN ('dispatched', 'handling') AND due_date < $1 AND warning <> 'red' ORDER BY due_date LIMIT `+fmt.Sprint(scanBatch), today, Red)
	st.Red += n
	if err != nil {
		return st, err
	}
	n, err = s.scan(ctx, `SELECT id FROM tickets WHERE state IN ('dispatched', 'handling') AND yellow_date <= $1 AND warning = '' ORDER BY yellow_date LIMIT `+fmt.Sprint(scanBatch), today, Yellow)
	st.Yellow += n
	return st, err
}

func (s *Store) scan(ctx context.Context, q, today string, w Warning) (int, error) {
	n, err := s.db.Sweep(ctx, q, today, scanBatch, func(ids []string) (int, error) {
		changed := 0
		for _, id := range ids {
			ok, err := s.mark(ctx, id, w)
			if err != nil {
				return changed, err
			}
			if ok {
				changed++
			}
		}
		return changed, nil
	})
	if err != nil {
		return n, fmt.Errorf("hotline: scan: %w", err)
	}
	return n, nil
}

func (s *Store) mark(ctx context.Context, id string, w Warning) (bool, error) {
	cond := "warning = ''"
	if w == Red {
		cond = "warning <> 'red'"
	}
	marked := false
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET warning = $1 WHERE id = $2 AND state IN ('dispatched', 'handling') AND `+cond, string(w), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // someone acted, or another scan got there first
		}
		marked = true
		t, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, nil, t.DepartmentCode, "warning_"+string(w), "", "", t.DueDate); err != nil {
			return err
		}
		to, err := departmentStaff(ctx, tx, t.DepartmentCode)
		if err != nil {
			return err
		}
		if w == Red {
			sup, err := holders(ctx, tx, "", identity.Supervisor)
			if err != nil {
				return err
			}
			to = append(to, sup...)
		}
		return s.tell(ctx, tx, to, "ticket_"+string(w), t, ticketLink(t))
	})
	return marked, err
}
