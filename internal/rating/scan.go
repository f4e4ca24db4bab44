package rating

import (
	"context"
	"fmt"
	"slices"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// ScanStats counts what one warning scan did.
type ScanStats struct {
	Recounted int // rectifications whose deadline a calendar edit moved
	Yellow    int // rectifications newly marked yellow
	Red       int // rectifications newly marked red
}

const scanBatch = 500

func mustDate(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		panic(fmt.Sprintf("rating: stored date %q: %v", s, err))
	}
	return d
}

// ScanWarnings marks open rectifications yellow when the deadline is near
// and red when it has passed, and tells the department's staff (red: also
// the supervisors). Each mark is a conditional update in the same
// transaction as its notices, so a rectification is marked and its people
// told once even if two scans overlap; serve runs it under the lease
// "rectification-warnings" so normally only one node scans. First, when
// the calendar has been edited since, it counts the deadlines again
// (RecomputeDeadlines).
func (s *Store) ScanWarnings(ctx context.Context) (ScanStats, error) {
	var st ScanStats
	var err error
	if st.Recounted, err = s.RecomputeDeadlines(ctx); err != nil {
		return st, err
	}
	today := s.today().String()
	// Red first, so one that jumped past its deadline is not told
	// "yellow" and "red" at once.
	st.Red, err = s.scan(ctx, `SELECT id FROM rectifications WHERE state = 'open' AND due_date < $1 AND warning <> 'red' ORDER BY due_date LIMIT `+fmt.Sprint(scanBatch), today, Red)
	if err != nil {
		return st, err
	}
	st.Yellow, err = s.scan(ctx, `SELECT id FROM rectifications WHERE state = 'open' AND yellow_date <= $1 AND warning = '' ORDER BY yellow_date LIMIT `+fmt.Sprint(scanBatch), today, Yellow)
	return st, err
}

func (s *Store) scan(ctx context.Context, q, today string, w Warning) (int, error) {
	n, err := s.db.Sweep(ctx, q, today, scanBatch, func(ids []string) (int, error) {
		changed := 0
		// Locked in the order of their IDs, so that two overlapping scans
		// never wait on each other in a circle.
		slices.Sort(ids)
		err := s.db.Tx(ctx, func(tx *db.Tx) error {
			changed = 0
			for _, id := range ids {
				ok, err := s.mark(ctx, tx, id, w)
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
		return n, fmt.Errorf("rating: scan: %w", err)
	}
	return n, nil
}

func (s *Store) mark(ctx context.Context, tx *db.Tx, id string, w Warning) (bool, error) {
	cond := "warning = ''"
	if w == Red {
		cond = "warning <> 'red'"
	}
	res, err := tx.ExecContext(ctx, `UPDATE rectifications SET warning = $1 WHERE id = $2 AND state = 'open' AND `+cond, string(w), id)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // answered meanwhile, or another scan got there first
	}
	x, err := s.loadRect(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if w == Red {
		if err := tallyRectification(ctx, tx, x.DepartmentCode, x.Rating.ServiceCode, rectTally{overdue: 1}); err != nil {
			return false, err
		}
	}
	to, err := holders(ctx, tx, x.DepartmentCode, identity.StaffRoles...)
	if err != nil {
		return false, err
	}
	if w == Red {
		sup, err := holders(ctx, tx, "", identity.Supervisor)
		if err != nil {
			return false, err
		}
		to = append(to, sup...)
	}
	return true, s.tell(ctx, tx, to, "rectification_"+string(w), "/rectifications/"+id, s.now(), x.Rating.ID, x.Rating.ObjectNumber, x.Rating.ServiceName, x.DueDate)
}
