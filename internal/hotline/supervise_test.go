package hotline_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/identity"
)

// TestSupervise checks the supervisors' list: each filter, pages that
// together hold every match once in order (also when tickets are filed
// between two pages), who may use it, and its answers to bad input.
func TestSupervise(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		sup := f.p["jiancha"]
		// 12 tickets over three days: potholes from zhang, food reports
		// from lisi in 滨江区 (GA by rule), two of them dispatched.
		var ids []*hotline.Ticket
		for i := range 12 {
			f.clock.set(fmt.Sprintf("2026-09-%02d 10:%02d", 21+i/4, i))
			in := pothole(fmt.Sprintf("坑 %d", i))
			who := "zhang"
			if i%3 == 0 {
				in = hotline.Input{Kind: hotline.Report, Category: "FOOD", Division: "339901", Text: fmt.Sprintf("食品 %d", i), Protection: hotline.Protected}
				who = "lisi"
			}
			tk, err := f.store.File(ctx, f.p[who], hotline.Web, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tk)
		}
		for _, i := range []int{0, 3} {
			if _, err := f.store.Dispatch(ctx, f.p["dispatcher"], ids[i].ID, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Write().ExecContext(ctx, `UPDATE tickets SET warning = 'red' WHERE id = $1`, ids[3].ID); err != nil {
			t.Fatal(err)
		}
		numbers := func(p *hotline.SupervisePage) []string {
			var out []string
			for _, tk := range p.Tickets {
				out = append(out, tk.Number)
			}
			return out
		}
		list := func(fl hotline.SuperviseFilter) []string {
			t.Helper()
			p, err := f.store.Supervise(ctx, sup, fl)
			if err != nil {
				t.Fatalf("Supervise(%+v): %v", fl, err)
			}
			return numbers(p)
		}
		nums := func(is ...int) []string {
			var out []string
			for _, i := range is {
				out = append(out, ids[i].Number)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    hotline.SuperviseFilter
			want []string
		}{
			{"all, newest first", hotline.SuperviseFilter{}, nums(11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
			{"state", hotline.SuperviseFilter{State: hotline.Dispatched}, nums(3, 0)},
			{"kind", hotline.SuperviseFilter{Kind: hotline.Report}, nums(9, 6, 3, 0)},
			{"category", hotline.SuperviseFilter{Category: "POTHOLE", To: "2026-09-21"}, nums(2, 1)},
			{"a category covers its sub-categories", hotline.SuperviseFilter{Category: "ROAD", To: "2026-09-21"}, nums(2, 1)},
			{"department", hotline.SuperviseFilter{Department: "GA"}, nums(3, 0)},
			{"division", hotline.SuperviseFilter{Division: "339901", From: "2026-09-22"}, nums(9, 6)},
			{"red", hotline.SuperviseFilter{Warning: "red"}, nums(3)},
			{"any warning", hotline.SuperviseFilter{Warning: "any"}, nums(3)},
			{"yellow", hotline.SuperviseFilter{Warning: "yellow"}, nil},
			{"one day", hotline.SuperviseFilter{From: "2026-09-22", To: "2026-09-22"}, nums(7, 6, 5, 4)},
			{"number prefix", hotline.SuperviseFilter{Number: ids[5].Number[:10]}, nums(7, 6, 5, 4)},
			{"whole number without RX", hotline.SuperviseFilter{Number: ids[5].Number[2:]}, nums(5)},
			{"number part", hotline.SuperviseFilter{Number: "0003"}, nums(10, 6, 2)},
			{"like is escaped", hotline.SuperviseFilter{Number: "%"}, nil},
			{"combined", hotline.SuperviseFilter{Kind: hotline.Report, State: hotline.Dispatching, From: "2026-09-22"}, nums(9, 6)},
		} {
			if got := list(tc.f); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}

		// Pages of 5: every ticket once, in order, although a ticket is
		// filed between the first and the second page.
		var seen []string
		fl := hotline.SuperviseFilter{Limit: 5}
		for pages := 0; ; pages++ {
			p, err := f.store.Supervise(ctx, sup, fl)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, numbers(p)...)
			if pages == 0 {
				f.clock.set("2026-09-25 09:00")
				if _, err := f.store.File(ctx, f.p["zhang"], hotline.Web, pothole("新坑"), nil); err != nil {
					t.Fatal(err)
				}
			}
			if p.Next == "" {
				if pages != 2 {
					t.Errorf("%d pages, want 3", pages+1)
				}
				break
			}
			fl.After = p.Next
		}
		if fmt.Sprint(seen) != fmt.Sprint(nums(11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)) {
			t.Errorf("pages = %v", seen)
		}

		// Protected reporters stay hidden in the list too.
		p, _ := f.store.Supervise(ctx, sup, hotline.SuperviseFilter{Kind: hotline.Report, Limit: 1})
		if tk := p.Tickets[0]; tk.ReporterName != "" || !tk.IdentityHidden {
			t.Errorf("protected reporter in the list: %q", tk.ReporterName)
		}

		// Only supervisors (and platform admins); staff and dispatchers
		// have their own lists.
		for _, who := range []string{"zhang", "scjg", "dispatcher"} {
			if _, err := f.store.Supervise(ctx, f.p[who], hotline.SuperviseFilter{}); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s: %v, want forbidden", who, err)
			}
		}
		if _, err := f.store.Supervise(ctx, f.p["admin"], hotline.SuperviseFilter{}); err != nil {
			t.Errorf("platform admin: %v", err)
		}

		_, err := f.store.Supervise(ctx, sup, hotline.SuperviseFilter{State: "lost", Kind: "rant", Warning: "green", From: "2026-13-01", To: "x", After: "!!", Limit: 1000})
		got := fieldKeys(t, err)
		for field, key := range map[string]string{"state": "hotline_state_invalid", "kind": "hotline_kind_invalid", "warning": "hotline_warning_invalid",
			"from": "date_invalid", "to": "date_invalid", "after": "hotline_cursor_invalid", "limit": "hotline_limit_range"} {
			if got[field] != key {
				t.Errorf("field %s = %q, want %q", field, got[field], key)
			}
		}
		_, err = f.store.Supervise(ctx, sup, hotline.SuperviseFilter{From: "2026-09-23", To: "2026-09-22"})
		if fieldKeys(t, err)["to"] != "hotline_range_invalid" {
			t.Errorf("to before from: %v", err)
		}
	})
}
