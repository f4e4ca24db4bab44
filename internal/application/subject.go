package application

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tongban/tongban/internal/db"
)

// Case is what another package needs to know of an application to check
// that a lookup of personal or business data serves it (package exchange):
// whom it concerns and which departments hold an open task on it.
type Case struct {
	ID     string
	Number string
	State  State
	// Subjects are the applicant's ID number and, for an application filed
	// for an organization, the organization's credit code.
	Subjects []string
	// OpenDepartments are the departments with an open task on it.
	OpenDepartments []string
}

// Concerns reports whether subject is one of the case's subjects.
func (c *Case) Concerns(subject string) bool {
	for _, s := range c.Subjects {
		if s != "" && s == subject {
			return true
		}
	}
	return false
}

// OpenIn reports whether dept holds an open task on the case.
func (c *Case) OpenIn(dept string) bool {
	for _, d := range c.OpenDepartments {
		if d == dept {
			return true
		}
	}
	return false
}

// LoadCase reads an application as a Case, in q (the database or a
// transaction). It reads only; an unknown or draft application is
// db.ErrNotFound.
func LoadCase(ctx context.Context, q querier, id string) (*Case, error) {
	c := Case{ID: id}
	var idNumber, creditCode sql.NullString
	err := q.QueryRowContext(ctx, `SELECT COALESCE(a.number, ''), a.state, acc.id_number, o.credit_code
		FROM applications a JOIN accounts acc ON acc.id = a.applicant_id
		LEFT JOIN organizations o ON o.id = a.organization_id
		WHERE a.id = $1 AND a.state <> 'draft'`, id).Scan(&c.Number, &c.State, &idNumber, &creditCode)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("application %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("application: case: %w", err)
	}
	for _, s := range []sql.NullString{idNumber, creditCode} {
		if s.Valid && s.String != "" {
			c.Subjects = append(c.Subjects, s.String)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT department_code FROM tasks WHERE application_id = $1 AND state = 'open' ORDER BY department_code`, id)
	if err != nil {
		return nil, fmt.Errorf("application: case: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		c.OpenDepartments = append(c.OpenDepartments, d)
	}
	return &c, rows.Err()
}
