package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tongban/tongban/internal/db"
)

// Case is a ticket as a data-sharing lookup sees it (package exchange): a
// department may look a subject up for a ticket it is handling, and only
// the reporter, and only when the reporter is not protected.
type Case struct {
	ID     string
	Number string
	State  State
	// Department is the department the ticket is dispatched to; "" while
	// it waits for a dispatcher.
	Department string
	// Protection hides the reporter from the department: a protected or
	// anonymous reporter is never looked up.
	Protection Protection
	// Subjects are the reporter's keys: the ID number of the account that
	// filed for itself; none for telephone and Open311 tickets.
	Subjects []string
}

// Handling reports whether dept is handling the case: it signed for the
// ticket (签收) and the ticket is not closed.
func (c *Case) Handling(dept string) bool {
	return dept != "" && c.Department == dept && (c.State == Handling || c.State == Replied)
}

// Concerns reports whether the case is about subject.
func (c *Case) Concerns(subject string) bool {
	for _, s := range c.Subjects {
		if s == subject {
			return true
		}
	}
	return false
}

// LoadCase reads the case of ticket id from q (the database or a
// transaction); db.ErrNotFound when there is no such ticket.
func LoadCase(ctx context.Context, q querier, id string) (*Case, error) {
	c := Case{ID: id}
	var idNumber sql.NullString
	err := q.QueryRowContext(ctx, `SELECT t.number, t.state, COALESCE(t.department_code, ''), t.protection, a.id_number
		FROM tickets t LEFT JOIN accounts a ON a.id = t.reporter_id WHERE t.id = $1`, id).Scan(&c.Number, &c.State, &c.Department, &c.Protection, &idNumber)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("hotline: ticket %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("hotline: case: %w", err)
	}
	if idNumber.Valid && idNumber.String != "" {
		c.Subjects = []string{idNumber.String}
	}
	return &c, nil
}
