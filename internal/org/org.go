// Package org owns the administrative hierarchy: divisions (行政区划: city,
// district, street) and the departments (部门) that sit in them. Division
// codes follow GB/T 2260 (six digits); department codes are the platform's
// own short codes, used in URLs and as the prefix of tracking numbers.
package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
)

// Division is an administrative division.
type Division struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en,omitempty"`
	Level      string `json:"level"` // province, city, district, street
	ParentCode string `json:"parent_code,omitempty"`
}

// Department is a government department.
type Department struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	NameEn       string `json:"name_en,omitempty"`
	DivisionCode string `json:"division_code"`
	ParentCode   string `json:"parent_code,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Address      string `json:"address,omitempty"`
	OfficeHours  string `json:"office_hours,omitempty"`
	Description  string `json:"description,omitempty"`
	Position     int    `json:"position,omitempty"`
}

// Store reads and writes divisions and departments.
type Store struct{ db *db.DB }

// NewStore returns a Store on d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

var (
	divisionCodeRE   = regexp.MustCompile(`^[0-9]{6}([0-9]{3})?$`)
	departmentCodeRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,15}$`)
	// levelRank orders the division levels from the top down; a
	// division's parent must rank above it.
	levelRank = map[string]int{"province": 1, "city": 2, "district": 3, "street": 4}
)

// Limits of the free-text fields, in characters, and of Position.
const (
	maxNameEn      = 200
	maxAddress     = 200
	maxOfficeHours = 100
	maxDescription = 2000
	maxPosition    = 9999
)

// Validate checks a division's fields (not where it sits in the tree).
func (v *Division) Validate() error {
	var fe fielderr.Errors
	if !divisionCodeRE.MatchString(v.Code) {
		fe.Add("code", "division_code_invalid")
	}
	if strings.TrimSpace(v.Name) == "" {
		fe.Add("name", "required")
	}
	if len([]rune(v.NameEn)) > maxNameEn {
		fe.Add("name_en", "text_too_long", maxNameEn)
	}
	if levelRank[v.Level] == 0 {
		fe.Add("level", "division_level_invalid")
	}
	if v.ParentCode != "" && v.ParentCode == v.Code {
		fe.Add("parent_code", "division_parent_cycle")
	}
	return fe.Err()
}

// Validate checks a department's fields (not that its division exists).
func (d *Department) Validate() error {
	var fe fielderr.Errors
	if !departmentCodeRE.MatchString(d.Code) {
		fe.Add("code", "department_code_invalid")
	}
	if strings.TrimSpace(d.Name) == "" || len([]rune(d.Name)) > 60 {
		fe.Add("name", "required")
	}
	if len([]rune(d.NameEn)) > maxNameEn {
		fe.Add("name_en", "text_too_long", maxNameEn)
	}
	if d.DivisionCode == "" {
		fe.Add("division_code", "required")
	}
	if d.ParentCode != "" && d.ParentCode == d.Code {
		fe.Add("parent_code", "department_parent_cycle")
	}
	if d.Phone != "" && idcheck.ContactPhone(d.Phone) != nil {
		fe.Add("phone", "phone_invalid")
	}
	if len([]rune(d.Address)) > maxAddress {
		fe.Add("address", "text_too_long", maxAddress)
	}
	if len([]rune(d.OfficeHours)) > maxOfficeHours {
		fe.Add("office_hours", "text_too_long", maxOfficeHours)
	}
	if len([]rune(d.Description)) > maxDescription {
		fe.Add("description", "text_too_long", maxDescription)
	}
	if d.Position < 0 || d.Position > maxPosition {
		fe.Add("position", "position_invalid")
	}
	return fe.Err()
}

// PutDivision inserts or updates a division.
func (s *Store) PutDivision(ctx context.Context, tx *db.Tx, v Division) error {
	return s.putDivision(ctx, tx, v, false)
}

// CreateDivision inserts a new division. A code already in use is a field
// error: creating never overwrites.
func (s *Store) CreateDivision(ctx context.Context, tx *db.Tx, v Division) error {
	return s.putDivision(ctx, tx, v, true)
}

func (s *Store) putDivision(ctx context.Context, tx *db.Tx, v Division, create bool) error {
	if err := v.Validate(); err != nil {
		return err
	}
	if create {
		taken, err := exists(ctx, tx, `SELECT COUNT(*) FROM divisions WHERE code = $1`, v.Code)
		if err != nil {
			return fmt.Errorf("org: put division: %w", err)
		}
		if taken {
			return fielderr.New("code", "code_taken")
		}
	}
	if err := checkDivisionPlace(ctx, tx, v); err != nil {
		return err
	}
	q := `INSERT INTO divisions (code, name, name_en, level, parent_code) VALUES ($1, $2, $3, $4, $5)`
	if !create {
		q += ` ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, level = excluded.level, parent_code = excluded.parent_code`
	}
	_, err := tx.ExecContext(ctx, q, v.Code, v.Name, v.NameEn, v.Level, nullable(v.ParentCode))
	switch {
	case create && db.IsUniqueViolation(err):
		return fielderr.New("code", "code_taken")
	case db.IsForeignKeyViolation(err):
		return fielderr.New("parent_code", "division_unknown")
	case err != nil:
		return fmt.Errorf("org: put division: %w", err)
	}
	return nil
}

// checkDivisionPlace keeps the divisions a tree ordered by level: v's
// parent exists, ranks above v and is neither v nor one of its
// subdivisions, and v still ranks above its own subdivisions.
func checkDivisionPlace(ctx context.Context, tx *db.Tx, v Division) error {
	if v.ParentCode != "" {
		var level string
		err := tx.QueryRowContext(ctx, `SELECT level FROM divisions WHERE code = $1`, v.ParentCode).Scan(&level)
		if errors.Is(err, sql.ErrNoRows) {
			return fielderr.New("parent_code", "division_unknown")
		}
		if err != nil {
			return fmt.Errorf("org: put division: %w", err)
		}
		if levelRank[level] >= levelRank[v.Level] {
			return fielderr.New("parent_code", "division_parent_level")
		}
		cycle, err := reaches(ctx, tx, `SELECT COALESCE(parent_code, '') FROM divisions WHERE code = $1`, v.ParentCode, v.Code)
		if err != nil {
			return fmt.Errorf("org: put division: %w", err)
		}
		if cycle {
			return fielderr.New("parent_code", "division_parent_cycle")
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT level FROM divisions WHERE parent_code = $1`, v.Code)
	if err != nil {
		return fmt.Errorf("org: put division: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var level string
		if err := rows.Scan(&level); err != nil {
			return fmt.Errorf("org: put division: %w", err)
		}
		if levelRank[level] <= levelRank[v.Level] {
			return fielderr.New("level", "division_level_children")
		}
	}
	return rows.Err()
}

// PutDepartment inserts or updates a department.
func (s *Store) PutDepartment(ctx context.Context, tx *db.Tx, d Department) error {
	return s.putDepartment(ctx, tx, d, false)
}

// CreateDepartment inserts a new department. A code already in use is a
// field error: creating never overwrites.
func (s *Store) CreateDepartment(ctx context.Context, tx *db.Tx, d Department) error {
	return s.putDepartment(ctx, tx, d, true)
}

func (s *Store) putDepartment(ctx context.Context, tx *db.Tx, d Department, create bool) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if create {
		taken, err := exists(ctx, tx, `SELECT COUNT(*) FROM departments WHERE code = $1`, d.Code)
		if err != nil {
			return fmt.Errorf("org: put department: %w", err)
		}
		if taken {
			return fielderr.New("code", "code_taken")
		}
	}
	known, err := exists(ctx, tx, `SELECT COUNT(*) FROM divisions WHERE code = $1`, d.DivisionCode)
	if err != nil {
		return fmt.Errorf("org: put department: %w", err)
	}
	if !known {
		return fielderr.New("division_code", "division_unknown")
	}
	if d.ParentCode != "" {
		known, err := exists(ctx, tx, `SELECT COUNT(*) FROM departments WHERE code = $1`, d.ParentCode)
		if err != nil {
			return fmt.Errorf("org: put department: %w", err)
		}
		if !known {
			return fielderr.New("parent_code", "department_unknown")
		}
		cycle, err := reaches(ctx, tx, `SELECT COALESCE(parent_code, '') FROM departments WHERE code = $1`, d.ParentCode, d.Code)
		if err != nil {
			return fmt.Errorf("org: put department: %w", err)
		}
		if cycle {
			return fielderr.New("parent_code", "department_parent_cycle")
		}
	}
	q := `INSERT INTO departments (code, name, name_en, division_code, parent_code, phone, address, office_hours, description, position)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	if !create {
		q += ` ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, division_code = excluded.division_code,
			parent_code = excluded.parent_code, phone = excluded.phone, address = excluded.address,
			office_hours = excluded.office_hours, description = excluded.description, position = excluded.position`
	}
	_, err = tx.ExecContext(ctx, q, d.Code, d.Name, d.NameEn, d.DivisionCode, nullable(d.ParentCode), d.Phone, d.Address, d.OfficeHours, d.Description, d.Position)
	if create && db.IsUniqueViolation(err) {
		return fielderr.New("code", "code_taken")
	}
	if err != nil {
		return fmt.Errorf("org: put department: %w", err)
	}
	return nil
}

// exists runs a COUNT(*) query and reports whether it counted any row.
func exists(ctx context.Context, tx *db.Tx, query string, args ...any) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// reaches walks up a chain of parents from start, parentQuery giving a
// code's parent ("" at the top), and reports whether it meets target. A
// chain longer than any real hierarchy counts as meeting it, so a broken
// chain cannot loop forever.
func reaches(ctx context.Context, tx *db.Tx, parentQuery, start, target string) (bool, error) {
	code := start
	for range 64 {
		if code == "" {
			return false, nil
		}
		if code == target {
			return true, nil
		}
		var parent string
		err := tx.QueryRowContext(ctx, parentQuery, code).Scan(&parent)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		code = parent
	}
	return true, nil
}

// Divisions lists every division, parents before children.
func (s *Store) Divisions(ctx context.Context) ([]Division, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT code, name, name_en, level, COALESCE(parent_code, '') FROM divisions ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("org: divisions: %w", err)
	}
	defer rows.Close()
	var out []Division
	for rows.Next() {
		var v Division
		if err := rows.Scan(&v.Code, &v.Name, &v.NameEn, &v.Level, &v.ParentCode); err != nil {
			return nil, fmt.Errorf("org: divisions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Division returns one division, or an error wrapping db.ErrNotFound.
func (s *Store) Division(ctx context.Context, code string) (Division, error) {
	var v Division
	err := s.db.Read().QueryRowContext(ctx, `SELECT code, name, name_en, level, COALESCE(parent_code, '') FROM divisions WHERE code = $1`, code).
		Scan(&v.Code, &v.Name, &v.NameEn, &v.Level, &v.ParentCode)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("org: division %q: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("org: division: %w", err)
	}
	return v, nil
}

const departmentColumns = `code, name, name_en, division_code, COALESCE(parent_code, ''), phone, address, office_hours, description, position`

func scanDepartment(row interface{ Scan(...any) error }) (Department, error) {
	var d Department
	err := row.Scan(&d.Code, &d.Name, &d.NameEn, &d.DivisionCode, &d.ParentCode, &d.Phone, &d.Address, &d.OfficeHours, &d.Description, &d.Position)
	return d, err
}

// Departments lists every department in display order.
func (s *Store) Departments(ctx context.Context) ([]Department, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+departmentColumns+` FROM departments ORDER BY division_code, position, code`)
	if err != nil {
		return nil, fmt.Errorf("org: departments: %w", err)
	}
	defer rows.Close()
	var out []Department
	for rows.Next() {
		d, err := scanDepartment(rows)
		if err != nil {
			return nil, fmt.Errorf("org: departments: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Department returns one department, or an error wrapping db.ErrNotFound.
func (s *Store) Department(ctx context.Context, code string) (Department, error) {
	d, err := scanDepartment(s.db.Read().QueryRowContext(ctx, `SELECT `+departmentColumns+` FROM departments WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("org: department %q: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("org: department: %w", err)
	}
	return d, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
