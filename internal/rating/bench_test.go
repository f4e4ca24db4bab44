package rating_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/rating"
)

// benchRows is how many ratings, and as many hotline tickets, the
// figures benchmark generates: TONGBAN_BENCH_RATINGS, default 100,000.
func benchRows(b *testing.B) int {
	if v := os.Getenv("TONGBAN_BENCH_RATINGS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 100_000
}

// generate fills d with n ratings over 50 departments and 2,000 services
// (15% of them bad, each with a rectification in one of its states), and
// n replied or closed hotline tickets. The values are generated numbers,
// written as literals in multi-row INSERTs of 500 rows.
func generate(b *testing.B, d *db.DB, n int) {
	ctx := context.Background()
	levels := []string{"very_satisfied", "very_satisfied", "satisfied", "satisfied", "satisfied", "basic", "basic", "satisfied", "unsatisfied", "very_satisfied",
		"very_satisfied", "satisfied", "basic", "very_unsatisfied", "satisfied", "very_satisfied", "satisfied", "basic", "unsatisfied", "satisfied"}
	err := d.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO divisions (code, name, level) VALUES ('339900', '临江市', 'city')`); err != nil {
			return err
		}
		for i := range 50 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO departments (code, name, division_code) VALUES ($1, $2, '339900')`, fmt.Sprintf("D%02d", i), fmt.Sprintf("部门%02d", i)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, kind, username, password_hash, name, created_at) VALUES ('rater', 'person', 'rater', '', '评价人', '2026-01-01T00:00:00.000000Z')`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hotline_categories (code, name) VALUES ('ROAD', '道路')`); err != nil {
			return err
		}
		var rs, xs, ts []string
		// flush writes what is queued, ratings before their
		// rectifications, once 500 ratings are queued (or at the end).
		flush := func(force bool) error {
			if !force && len(rs) < 500 {
				return nil
			}
			for _, q := range []struct {
				head string
				rows *[]string
			}{
				{`INSERT INTO ratings (id, object_type, object_id, rater_id, department_code, service_code, service_name, level, channel, amend_until, created_at, updated_at) VALUES `, &rs},
				{`INSERT INTO rectifications (id, rating_id, department_code, service_code, state, opened_date, due_date, yellow_date, warning, on_time, callback_satisfied, created_at, updated_at) VALUES `, &xs},
				{`INSERT INTO tickets (id, number, kind, category_code, text, channel, state, department_code, days, due_date, replied_at, created_at, updated_at) VALUES `, &ts},
			} {
				if len(*q.rows) == 0 {
					continue
				}
				if _, err := tx.ExecContext(ctx, q.head+strings.Join(*q.rows, ", ")); err != nil {
					return err
				}
				*q.rows = (*q.rows)[:0]
			}
			return nil
		}
		const ts0 = "'2026-01-01T00:00:00.000000Z'"
		for i := range n {
			l := levels[i%len(levels)]
			dept := fmt.Sprintf("D%02d", i%50)
			rs = append(rs, fmt.Sprintf("('r%d', 'application', 'a%d', 'rater', '%s', 'S%04d', '事项%04d', '%s', 'web', %s, %s, %s)", i, i, dept, i%2000, i%2000, l, ts0, ts0, ts0))
			if l == "unsatisfied" || l == "very_unsatisfied" {
				state, warning, onTime, sat := "open", "red", "NULL", "NULL"
				switch i % 3 {
				case 1:
					state, warning, onTime = "answered", "", "TRUE"
				case 2:
					state, warning, onTime, sat = "closed", "", "FALSE", "TRUE"
				}
				xs = append(xs, fmt.Sprintf("('x%d', 'r%d', '%s', 'S%04d', '%s', '2026-01-01', '2026-01-22', '2026-01-19', '%s', %s, %s, %s, %s)", i, i, dept, i%2000, state, warning, onTime, sat, ts0, ts0))
			}
			state := "closed"
			if i%4 == 0 {
				state = "replied"
			}
			replied := "2026-01-05T03:00:00.000000Z"
			if i%10 == 0 {
				replied = "2026-01-09T03:00:00.000000Z" // after its due date
			}
			ts = append(ts, fmt.Sprintf("('t%d', 'T%d', 'complaint', 'ROAD', '路面', 'web', '%s', '%s', 5, '2026-01-08', '%s', %s, %s)", i, i, state, dept, replied, ts0, ts0))
			if err := flush(false); err != nil {
				return err
			}
		}
		if err := flush(true); err != nil {
			return err
		}
		// The running tallies, as the store would have kept them.
		if _, err := tx.ExecContext(ctx, `INSERT INTO rating_tallies (department_code, service_code, level, service_name, n)
			SELECT department_code, service_code, level, MAX(service_name), COUNT(*) FROM ratings GROUP BY department_code, service_code, level`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO rectification_tallies (department_code, service_code, opened, done, done_on_time, overdue, called_back, satisfied)
			SELECT department_code, service_code, `+recount+` FROM rectifications GROUP BY department_code, service_code`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if d.Dialect == db.Postgres {
		if _, err := d.Write().Exec(`ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFigures aggregates the public figures over generated ratings,
// rectifications and tickets (TONGBAN_BENCH_RATINGS of each of ratings
// and tickets), without the in-memory cache serve puts in front, and
// reports the median and 95th percentile.
func BenchmarkFigures(b *testing.B) {
	n := benchRows(b)
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(fmt.Sprintf("%s/%d", engine, n), func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = dbtest.SQLite(b)
			} else {
				d = dbtest.Postgres(b)
			}
			start := time.Now()
			generate(b, d, n)
			b.Logf("generated %d ratings and tickets in %s", n, time.Since(start).Round(time.Millisecond))
			s := rating.NewStore(rating.Deps{DB: d, Calendar: calendar.NewStore(d, time.Now), Location: time.FixedZone("CST", 8*3600)})
			ctx := context.Background()
			var times []time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				f, err := s.Figures(ctx)
				if err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(t0))
				if f.Summary.Ratings.Total != n || f.Summary.Tickets.Handled != n {
					b.Fatalf("figures count %d ratings and %d tickets, want %d", f.Summary.Ratings.Total, f.Summary.Tickets.Handled, n)
				}
			}
			b.StopTimer()
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
