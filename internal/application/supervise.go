package application

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// RepeatSupplement is a supplement request (补正) that was not its
// application's first. Tell-once (一次告知) asks for everything missing at
// once, so every further request needs a reason and is shown to
// supervisors with it.
type RepeatSupplement struct {
	ApplicationID string `json:"application_id"`
	// TaskID is the task that asked for it, which supervisors can open.
	TaskID         string `json:"task_id"`
	Number         string `json:"number"`
	ServiceName    string `json:"service_name"`
	DepartmentCode string `json:"department_code"`
	// Seq is which request of the application it was (2 for the second).
	Seq    int    `json:"seq"`
	Reason string `json:"reason"`
	// Items is how many materials and fields it asked for.
	Items       int       `json:"items"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	Answered    bool      `json:"answered"`
}

// repeatLimit caps the list of repeat supplement requests.
const repeatLimit = 200

// RepeatSupplements lists the latest supplement requests that were not
// their application's first, newest first, for supervisors (of one
// department when dept is set).
func (s *Store) RepeatSupplements(ctx context.Context, p *identity.Principal, dept string) ([]RepeatSupplement, error) {
	if !p.Can(identity.PermSupervise) {
		return nil, identity.ErrForbidden
	}
	q := `SELECT r.application_id, r.task_id, COALESCE(ap.number, ''), ap.service_name, ap.department_code, r.seq, r.repeat_reason, r.items,
		COALESCE(acc.name, ''), r.requested_at, r.answered_at IS NOT NULL
		FROM supplement_requests r JOIN applications ap ON ap.id = r.application_id LEFT JOIN accounts acc ON acc.id = r.requested_by
		WHERE r.seq > 1`
	args := []any{}
	if dept != "" {
		q += ` AND ap.department_code = $1`
		args = append(args, dept)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+` ORDER BY r.requested_at DESC, r.id LIMIT `+fmt.Sprint(repeatLimit), args...)
	if err != nil {
		return nil, fmt.Errorf("application: repeat supplements: %w", err)
	}
	defer rows.Close()
	out := []RepeatSupplement{}
	for rows.Next() {
		var r RepeatSupplement
		var items string
		var at db.Time
		if err := rows.Scan(&r.ApplicationID, &r.TaskID, &r.Number, &r.ServiceName, &r.DepartmentCode, &r.Seq, &r.Reason, &items,
			&r.RequestedBy, &at, &r.Answered); err != nil {
			return nil, err
		}
		r.RequestedAt = at.Time
		var list []json.RawMessage
		if err := json.Unmarshal([]byte(items), &list); err != nil {
			return nil, fmt.Errorf("application: supplement items of %s: %w", r.ApplicationID, err)
		}
		r.Items = len(list)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DepartmentWarnings is how many of a department's open tasks are marked
// yellow and red while their clock runs.
type DepartmentWarnings struct {
	Department string
	Yellow     int
	Red        int
}

// Warned counts, for every department, the open tasks marked yellow and
// red whose clock runs (a task whose clock a supplement request stopped
// keeps its mark but waits for the applicant). A red task's deadline has
// passed and a yellow one's warning date has come, so both are read
// through the indexes of open tasks by those dates: the count costs what
// is marked, not what is open, and suits a metrics scrape at province
// scale.
func (s *Store) Warned(ctx context.Context) ([]DepartmentWarnings, error) {
	today := s.today().String()
	byDept := map[string]*DepartmentWarnings{}
	depts, err := s.org.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("application: warned: %w", err)
	}
	out := make([]DepartmentWarnings, len(depts))
	for i, d := range depts {
		out[i].Department = d.Code
	}
	for i := range out {
		byDept[out[i].Department] = &out[i]
	}
	for _, c := range []struct {
		q   string
		set func(*DepartmentWarnings, int)
	}{
		{`SELECT department_code, COUNT(*) FROM tasks WHERE state = 'open' AND due_date < $1 AND warning = 'red' GROUP BY department_code`,
			func(w *DepartmentWarnings, n int) { w.Red = n }},
		{`SELECT department_code, COUNT(*) FROM tasks WHERE state = 'open' AND yellow_date <= $1 AND warning = 'yellow' GROUP BY department_code`,
			func(w *DepartmentWarnings, n int) { w.Yellow = n }},
	} {
		rows, err := s.db.Read().QueryContext(ctx, c.q, today)
		if err != nil {
			return nil, fmt.Errorf("application: warned: %w", err)
		}
		for rows.Next() {
			var dept string
			var n int
			if err := rows.Scan(&dept, &n); err != nil {
				rows.Close()
				return nil, err
			}
			if w := byDept[dept]; w != nil {
				c.set(w, n)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DepartmentLoad is how many of a department's applications are in
// process (在办), by state: waiting for intake, accepted, and waiting for
// the applicant's supplement.
type DepartmentLoad struct {
	Department string
	Submitted  int
	Accepted   int
	Supplement int
}

// InProcess counts, for every department, its applications in process by
// state. Each department's count is read through the index of
// applications by department and state, so a scrape costs what is in
// process, not the concluded applications of every year before.
func (s *Store) InProcess(ctx context.Context) ([]DepartmentLoad, error) {
	depts, err := s.org.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("application: in process: %w", err)
	}
	out := make([]DepartmentLoad, len(depts))
	for i, d := range depts {
		out[i].Department = d.Code
		rows, err := s.db.Read().QueryContext(ctx, `SELECT state, COUNT(*) FROM applications
			WHERE department_code = $1 AND state IN ('submitted', 'accepted', 'supplement') GROUP BY state`, d.Code)
		if err != nil {
			return nil, fmt.Errorf("application: in process: %w", err)
		}
		for rows.Next() {
			var state State
			var n int
			if err := rows.Scan(&state, &n); err != nil {
				rows.Close()
				return nil, err
			}
			switch state {
			case Submitted:
				out[i].Submitted = n
			case Accepted:
				out[i].Accepted = n
			case Supplement:
				out[i].Supplement = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
