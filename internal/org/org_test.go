package org_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/org"
)

// fieldKey returns the message key err reports for field, or "" (failing
// the test when err is not a validation error at all).
func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("error %v, want a validation error on %s", err, field)
	}
	return inv.Get(field)
}

// seed puts a city with one district, and two departments (one under the
// other) in it.
func seed(t *testing.T, ctx context.Context, d *db.DB, s *org.Store) {
	t.Helper()
	err := d.Tx(ctx, func(tx *db.Tx) error {
		for _, v := range []org.Division{
			{Code: "330100", Name: "杭州市", Level: "city"},
			{Code: "330106", Name: "西湖区", Level: "district", ParentCode: "330100"},
		} {
			if err := s.PutDivision(ctx, tx, v); err != nil {
				return err
			}
		}
		if err := s.PutDepartment(ctx, tx, org.Department{Code: "SCJG", Name: "市场监督管理局", DivisionCode: "330100", Phone: "0571-86701200"}); err != nil {
			return err
		}
		return s.PutDepartment(ctx, tx, org.Department{Code: "XHSCJG", Name: "西湖区市场监督管理局", DivisionCode: "330106", ParentCode: "SCJG"})
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func TestDivisions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := org.NewStore(d)
		seed(t, ctx, d, s)
		put := func(create bool, v org.Division) error {
			return d.Tx(ctx, func(tx *db.Tx) error {
				if create {
					return s.CreateDivision(ctx, tx, v)
				}
				return s.PutDivision(ctx, tx, v)
			})
		}

		if err := put(true, org.Division{Code: "330108", Name: "滨江区", NameEn: "Binjiang", Level: "district", ParentCode: "330100"}); err != nil {
			t.Fatalf("CreateDivision: %v", err)
		}
		got, err := s.Division(ctx, "330108")
		if err != nil {
			t.Fatalf("Division: %v", err)
		}
		if want := (org.Division{Code: "330108", Name: "滨江区", NameEn: "Binjiang", Level: "district", ParentCode: "330100"}); got != want {
			t.Errorf("Division(330108) = %+v, want %+v", got, want)
		}
		if _, err := s.Division(ctx, "999999"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Division(unknown) = %v, want ErrNotFound", err)
		}

		tests := []struct {
			name   string
			create bool
			v      org.Division
			field  string
			key    string
		}{
			{"code taken", true, org.Division{Code: "330106", Name: "重复", Level: "district", ParentCode: "330100"}, "code", "code_taken"},
			{"bad code", true, org.Division{Code: "33A", Name: "坏", Level: "city"}, "code", "division_code_invalid"},
			{"bad level", true, org.Division{Code: "330109", Name: "坏", Level: "town"}, "level", "division_level_invalid"},
			{"unknown parent", true, org.Division{Code: "330109", Name: "坏", Level: "district", ParentCode: "999999"}, "parent_code", "division_unknown"},
			{"parent not above", true, org.Division{Code: "330109", Name: "坏", Level: "district", ParentCode: "330106"}, "parent_code", "division_parent_level"},
			{"own parent", false, org.Division{Code: "330100", Name: "杭州市", Level: "city", ParentCode: "330100"}, "parent_code", "division_parent_cycle"},
			{"under own subdivision", false, org.Division{Code: "330100", Name: "杭州市", Level: "street", ParentCode: "330106"}, "parent_code", "division_parent_cycle"},
			{"below own subdivisions", false, org.Division{Code: "330100", Name: "杭州市", Level: "street"}, "level", "division_level_children"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before, _ := s.Divisions(ctx)
				err := put(tc.create, tc.v)
				if got := fieldKey(t, err, tc.field); got != tc.key {
					t.Errorf("put %+v: %s = %q (%v), want %q", tc.v, tc.field, got, err, tc.key)
				}
				if after, _ := s.Divisions(ctx); len(after) != len(before) {
					t.Errorf("a refused write changed the divisions: %v, was %v", after, before)
				}
			})
		}
		if v, _ := s.Division(ctx, "330106"); v.Name != "西湖区" {
			t.Errorf("CreateDivision with a taken code overwrote it: %+v", v)
		}

		// Editing keeps working through the upsert.
		if err := put(false, org.Division{Code: "330106", Name: "西湖区", NameEn: "Xihu District", Level: "district", ParentCode: "330100"}); err != nil {
			t.Fatalf("PutDivision: %v", err)
		}
		if v, _ := s.Division(ctx, "330106"); v.NameEn != "Xihu District" {
			t.Errorf("after edit, name_en = %q", v.NameEn)
		}
	})
}

func TestDepartments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := org.NewStore(d)
		seed(t, ctx, d, s)
		put := func(create bool, dp org.Department) error {
			return d.Tx(ctx, func(tx *db.Tx) error {
				if create {
					return s.CreateDepartment(ctx, tx, dp)
				}
				return s.PutDepartment(ctx, tx, dp)
			})
		}
		newGA := org.Department{Code: "GA", Name: "公安局", DivisionCode: "330100", Phone: "12345", Address: "平安路 1 号", OfficeHours: "工作日", Description: "户籍", Position: 2}
		if err := put(true, newGA); err != nil {
			t.Fatalf("CreateDepartment: %v", err)
		}
		if got, err := s.Department(ctx, "GA"); err != nil || got != newGA {
			t.Errorf("Department(GA) = %+v, %v; want %+v", got, err, newGA)
		}

		tests := []struct {
			name   string
			create bool
			dp     org.Department
			field  string
			key    string
		}{
			{"code taken", true, org.Department{Code: "SCJG", Name: "重复", DivisionCode: "330100"}, "code", "code_taken"},
			{"bad code", true, org.Department{Code: "scjg", Name: "小写", DivisionCode: "330100"}, "code", "department_code_invalid"},
			{"unknown division", true, org.Department{Code: "MZ", Name: "民政局", DivisionCode: "999999"}, "division_code", "division_unknown"},
			{"unknown parent", true, org.Department{Code: "MZ", Name: "民政局", DivisionCode: "330100", ParentCode: "NOPE"}, "parent_code", "department_unknown"},
			{"bad phone", true, org.Department{Code: "MZ", Name: "民政局", DivisionCode: "330100", Phone: "123"}, "phone", "phone_invalid"},
			{"bad position", true, org.Department{Code: "MZ", Name: "民政局", DivisionCode: "330100", Position: -1}, "position", "position_invalid"},
			{"own parent", false, org.Department{Code: "SCJG", Name: "市场监督管理局", DivisionCode: "330100", ParentCode: "SCJG"}, "parent_code", "department_parent_cycle"},
			{"under own branch", false, org.Department{Code: "SCJG", Name: "市场监督管理局", DivisionCode: "330100", ParentCode: "XHSCJG"}, "parent_code", "department_parent_cycle"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before, _ := s.Departments(ctx)
				err := put(tc.create, tc.dp)
				if got := fieldKey(t, err, tc.field); got != tc.key {
					t.Errorf("put %+v: %s = %q (%v), want %q", tc.dp, tc.field, got, err, tc.key)
				}
				after, _ := s.Departments(ctx)
				if len(after) != len(before) {
					t.Errorf("a refused write changed the departments: %v, was %v", after, before)
				}
			})
		}
		if got, _ := s.Department(ctx, "SCJG"); got.Name != "市场监督管理局" || got.ParentCode != "" || got.Phone != "0571-86701200" {
			t.Errorf("a refused write changed SCJG: %+v", got)
		}
	})
}
