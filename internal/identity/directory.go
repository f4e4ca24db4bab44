package identity

import (
	"context"
	"fmt"
)

// DepartmentExists reports whether a department with this code exists.
func (s *Store) DepartmentExists(ctx context.Context, code string) (bool, error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM departments WHERE code = $1`, code).Scan(&n); err != nil {
		return false, fmt.Errorf("identity: department exists: %w", err)
	}
	return n > 0, nil
}

// HasRole reports whether an active (not disabled) staff member holds role
// in department dept.
func (s *Store) HasRole(ctx context.Context, dept string, role Role) (bool, error) {
	n, err := s.CountRole(ctx, dept, role)
	return n > 0, err
}

// CountRole returns how many active staff members hold role in department
// dept: how many distinct people can sign a countersigned step.
func (s *Store) CountRole(ctx context.Context, dept string, role Role) (int, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(DISTINCT a.id) FROM account_roles r JOIN accounts a ON a.id = r.account_id
		WHERE r.department_code = $1 AND r.role = $2 AND a.kind = 'staff' AND a.disabled = FALSE`, dept, string(role)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("identity: count role: %w", err)
	}
	return n, nil
}
