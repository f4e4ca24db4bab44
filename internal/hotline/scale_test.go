package hotline_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/hotline"
)

// TestSuperviseAtScale seeds TONGBAN_BENCH_TICKETS tickets (a year of a
// large city's hotline) and times the supervisors' list under a realistic
// set of filters, reporting p50, p95 and the slowest per filter and over
// all. It runs only when the variable is set (docs/benchmarks.md):
//
//	TONGBAN_BENCH_TICKETS=1000000 go test -run TestSuperviseAtScale -v -timeout 60m ./internal/hotline/
func TestSuperviseAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TONGBAN_BENCH_TICKETS"))
	if n <= 0 {
		t.Skip("set TONGBAN_BENCH_TICKETS to the number of tickets to seed")
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f0 := setup(t, d)
		ctx := context.Background()
		start := time.Now()
		w := seedTickets(t, d, n)
		t.Logf("seeded %d tickets in %s", n, time.Since(start).Round(time.Millisecond))
		if d.Dialect == db.Postgres {
			// What autovacuum does after a bulk load.
			if _, err := d.Write().ExecContext(ctx, `ANALYZE tickets`); err != nil {
				t.Fatal(err)
			}
		}
		sup := f0.p["jiancha"]
		rng := rand.New(rand.NewPCG(1, 2))
		day := func() string { return w.first.AddDate(0, 0, rng.IntN(w.days)).Format("2006-01-02") }
		month := func() (string, string) {
			from := w.first.AddDate(0, 0, rng.IntN(w.days-30))
			return from.Format("2006-01-02"), from.AddDate(0, 0, 29).Format("2006-01-02")
		}
		pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
		filters := []struct {
			name string
			make func() hotline.SuperviseFilter
		}{
			{"newest, no filter", func() hotline.SuperviseFilter { return hotline.SuperviseFilter{} }},
			{"state in hand", func() hotline.SuperviseFilter { return hotline.SuperviseFilter{State: hotline.Handling} }},
			{"one department", func() hotline.SuperviseFilter { return hotline.SuperviseFilter{Department: pick(w.depts)} }},
			{"department and state", func() hotline.SuperviseFilter {
				return hotline.SuperviseFilter{Department: pick(w.depts), State: hotline.Handling}
			}},
			{"overdue (red)", func() hotline.SuperviseFilter { return hotline.SuperviseFilter{Warning: "red"} }},
			{"any warning in a department", func() hotline.SuperviseFilter {
				return hotline.SuperviseFilter{Warning: "any", Department: pick(w.depts)}
			}},
			{"kind over a month", func() hotline.SuperviseFilter {
				from, to := month()
				return hotline.SuperviseFilter{Kind: hotline.Report, From: from, To: to}
			}},
			{"category over a month", func() hotline.SuperviseFilter {
				from, to := month()
				return hotline.SuperviseFilter{Category: pick(w.cats), From: from, To: to}
			}},
			{"division", func() hotline.SuperviseFilter { return hotline.SuperviseFilter{Division: pick(w.divs)} }},
			{"one day", func() hotline.SuperviseFilter {
				dd := day()
				return hotline.SuperviseFilter{From: dd, To: dd}
			}},
			{"number prefix (a day)", func() hotline.SuperviseFilter {
				return hotline.SuperviseFilter{Number: "RX" + strings.ReplaceAll(day(), "-", "")}
			}},
			{"whole number", func() hotline.SuperviseFilter {
				return hotline.SuperviseFilter{Number: fmt.Sprintf("RX%s%05d", strings.ReplaceAll(day(), "-", ""), 1+rng.IntN(w.perDay))}
			}},
		}
		const runs = 20
		var all []time.Duration
		for _, fl := range filters {
			var lat []time.Duration
			for range runs {
				f := fl.make()
				t0 := time.Now()
				p, err := f0.store.Supervise(ctx, sup, f)
				lat = append(lat, time.Since(t0))
				if err != nil {
					t.Fatalf("%s: %v", fl.name, err)
				}
				// A small seed leaves some departments without warnings
				// and some days without tickets.
				if len(p.Tickets) == 0 && fl.name != "whole number" && n >= 100_000 {
					t.Errorf("%s (%+v): no tickets", fl.name, f)
				}
			}
			all = append(all, lat...)
			slices.Sort(lat)
			t.Logf("%-30s p50 %8s  p95 %8s  max %8s", fl.name, pct(lat, 0.5), pct(lat, 0.95), lat[len(lat)-1].Round(10*time.Microsecond))
		}
		// Deep paging: 50 pages of one department, each after the last.
		var lat []time.Duration
		fl := hotline.SuperviseFilter{Department: w.depts[0]}
		for range 50 {
			t0 := time.Now()
			p, err := f0.store.Supervise(ctx, sup, fl)
			lat = append(lat, time.Since(t0))
			if err != nil {
				t.Fatalf("paging: %v", err)
			}
			if p.Next == "" {
				break // a small seed
			}
			fl.After = p.Next
		}
		all = append(all, lat...)
		slices.Sort(lat)
		t.Logf("%-30s p50 %8s  p95 %8s  max %8s", "pages 1-50 of a department", pct(lat, 0.5), pct(lat, 0.95), lat[len(lat)-1].Round(10*time.Microsecond))
		slices.Sort(all)
		t.Logf("ALL %d queries over %d tickets (%s): p50 %s  p95 %s  max %s", len(all), n, d.Dialect, pct(all, 0.5), pct(all, 0.95), all[len(all)-1].Round(10*time.Microsecond))
	})
}

func pct(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Round(10 * time.Microsecond)
}

// world is what seedTickets made, for choosing realistic filters.
type world struct {
	first        time.Time
	days, perDay int
	depts, cats  []string
	divs         []string
}

// seedTickets inserts n tickets over a year in multi-row INSERTs: 20
// categories under 4 parents, 12 departments, 6 districts; three in four
// closed, the rest spread over the open states, 1% of the open ones red
// and 2% yellow; reports, complaints and inquiries most often.
func seedTickets(t *testing.T, d *db.DB, n int) world {
	t.Helper()
	ctx := context.Background()
	w := world{first: time.Date(2025, 10, 1, 0, 0, 0, 0, shanghai), days: 365} // days of the platform's zone, as ticket numbers count them
	w.perDay = (n + w.days - 1) / w.days
	err := d.Tx(ctx, func(tx *db.Tx) error {
		for i := range 6 {
			code := fmt.Sprintf("3399%02d", 10+i)
			w.divs = append(w.divs, code)
			if _, err := tx.ExecContext(ctx, `INSERT INTO divisions (code, name, level, parent_code) VALUES ($1, $2, 'district', '339900')`, code, "区"+code); err != nil {
				return err
			}
		}
		for i := range 12 {
			code := fmt.Sprintf("B%02d", i)
			w.depts = append(w.depts, code)
			if _, err := tx.ExecContext(ctx, `INSERT INTO departments (code, name, division_code) VALUES ($1, $2, '339900')`, code, "部门"+code); err != nil {
				return err
			}
		}
		for i := range 4 {
			parent := fmt.Sprintf("P%d", i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO hotline_categories (code, name) VALUES ($1, $2)`, parent, "大类"+parent); err != nil {
				return err
			}
			for j := range 5 {
				code := fmt.Sprintf("C%d%d", i, j)
				w.cats = append(w.cats, code)
				if _, err := tx.ExecContext(ctx, `INSERT INTO hotline_categories (code, parent_code, name) VALUES ($1, $2, $3)`, code, parent, "小类"+code); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{"complaint", "complaint", "complaint", "report", "report", "inquiry", "inquiry", "help", "suggestion", "praise"}
	openStates := []string{"dispatching", "dispatched", "handling", "handling", "handling", "replied"}
	rng := rand.New(rand.NewPCG(7, 8))
	const rows, perTx = 100, 100
	for i := 0; i < n; {
		err := d.Tx(ctx, func(tx *db.Tx) error {
			for range perTx {
				if i >= n {
					return nil
				}
				var q strings.Builder
				q.WriteString(`INSERT INTO tickets (id, number, kind, category_code, text, division_code, channel, state, suggested_department, department_code,
					days, clock_date, due_date, warning, created_at, updated_at, closed_at) VALUES `)
				var args []any
				for k := 0; k < rows && i < n; k, i = k+1, i+1 {
					dayN, seq := i/w.perDay, i%w.perDay+1
					at := w.first.AddDate(0, 0, dayN).Add(time.Duration(seq) * 86400 * time.Second / time.Duration(w.perDay+1))
					state, warning := "closed", ""
					var closed any = db.NewTime(at.Add(72 * time.Hour))
					if rng.IntN(4) == 0 {
						state, closed = openStates[rng.IntN(len(openStates))], nil
						if r := rng.IntN(100); r == 0 {
							warning = "red"
						} else if r < 3 {
							warning = "yellow"
						}
					}
					dept := w.depts[rng.IntN(len(w.depts))]
					var deptV any = dept
					if state == "dispatching" {
						deptV, warning = nil, ""
					}
					date := at.Format("2006-01-02")
					if k > 0 {
						q.WriteString(", ")
					}
					p := len(args)
					fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, '压力测试', $%d, 'web', $%d, $%d, $%d, 5, $%d, $%d, $%d, $%d, $%d, $%d)",
						p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+8, p+9, p+10, p+11, p+12, p+13, p+14)
					args = append(args, fmt.Sprintf("t%08d", i), fmt.Sprintf("RX%s%05d", at.Format("20060102"), seq), kinds[rng.IntN(len(kinds))],
						w.cats[rng.IntN(len(w.cats))], w.divs[rng.IntN(len(w.divs))], state, dept, deptV, date, date, warning,
						db.NewTime(at), db.NewTime(at), closed)
				}
				if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return w
}
