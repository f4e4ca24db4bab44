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
	levels           = map[string]bool{"province": true, "city": true, "district": true, "street": true}
)

// Validate checks a division's fields.
func (v *Division) Validate() error {
	var fe fielderr.Errors
	if !divisionCodeRE.MatchString(v.Code) {
		fe.Add("code", "division_code_invalid")
	}
	if strings.TrimSpace(v.Name) == "" {
		fe.Add("name", "required")
	}
	if !levels[v.Level] {
		fe.Add("level", "division_level_invalid")
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
	if d.DivisionCode == "" {
		fe.Add("division_code", "required")
	}
	return fe.Err()
}

// PutDivision inserts or updates a division.
func (s *Store) PutDivision(ctx context.Context, tx *db.Tx, v Division) error {
	if err := v.Validate(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO divisions (code, name, name_en, level, parent_code) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, level = excluded.level, parent_code = excluded.parent_code`,
		v.Code, v.Name, v.NameEn, v.Level, nullable(v.ParentCode))
	if db.IsForeignKeyViolation(err) {
		return fielderr.New("parent_code", "division_unknown")
	}
	if err != nil {
		return fmt.Errorf("org: put division: %w", err)
	}
	return nil
}

// PutDepartment inserts or updates a department.
func (s *Store) PutDepartment(ctx context.Context, tx *db.Tx, d Department) error {
	if err := d.Validate(); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM divisions WHERE code = $1`, d.DivisionCode).Scan(&n); err != nil {
		return fmt.Errorf("org: put department: %w", err)
	}
	if n == 0 {
		return fielderr.New("division_code", "division_unknown")
	}
	if d.ParentCode != "" {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM departments WHERE code = $1`, d.ParentCode).Scan(&n); err != nil {
			return fmt.Errorf("org: put department: %w", err)
		}
		if n == 0 || d.ParentCode == d.Code {
			return fielderr.New("parent_code", "department_unknown")
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO departments (code, name, name_en, division_code, parent_code, phone, address, office_hours, description, position)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, division_code = excluded.division_code,
			parent_code = excluded.parent_code, phone = excluded.phone, address = excluded.address,
			office_hours = excluded.office_hours, description = excluded.description, position = excluded.position`,
		d.Code, d.Name, d.NameEn, d.DivisionCode, nullable(d.ParentCode), d.Phone, d.Address, d.OfficeHours, d.Description, d.Position)
	if err != nil {
		return fmt.Errorf("org: put department: %w", err)
	}
	return nil
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
