package application_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestScanWarningsAtScale times one warning scan over a large number of
// open tasks, first when none is due and then when 1% have passed their
// deadline. It runs only when TONGBAN_BENCH_TASKS names how many tasks to
// seed (docs/benchmarks.md):
//
//	TONGBAN_BENCH_TASKS=1000000 go test -run TestScanWarningsAtScale -v -timeout 60m ./internal/application/
func TestScanWarningsAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TONGBAN_BENCH_TASKS"))
	if n <= 0 {
		t.Skip("set TONGBAN_BENCH_TASKS to the number of open tasks to seed")
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := setup(t, d)
		a := f.filed(t, "SCJG-FOOD", 80)
		// The filed application's own intake task would be due at once.
		if _, err := d.Write().ExecContext(ctx, `UPDATE tasks SET state = 'done' WHERE application_id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		// The calendar seeded by setup is counted for good now (a minute
		// after it changed), before the seeded tasks (made-up deadlines,
		// all of one application) are there to be recounted: the scans
		// below measure the warnings alone.
		f.clock.set("2026-09-28 09:01")
		if _, err := f.store.ScanWarnings(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		seedTasks(t, d, a.ID, n)
		t.Logf("seeded %d open tasks in %s", n, time.Since(start).Round(time.Millisecond))

		start = time.Now()
		st, err := f.store.ScanWarnings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("scan, none due: %s (%+v)", time.Since(start).Round(time.Microsecond), st)
		if st.Yellow+st.Red+st.Reminded != 0 {
			t.Errorf("scan with none due = %+v, want nothing marked", st)
		}

		f.clock.set("2026-10-21 09:00") // past the 1% that are due on 2026-10-20
		start = time.Now()
		st, err = f.store.ScanWarnings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("scan, 1%% overdue: %s (%+v)", time.Since(start).Round(time.Millisecond), st)
		if want := overdue(n); st.Red != want || st.Yellow != 0 {
			t.Errorf("scan with 1%% overdue = %+v, want %d red", st, want)
		}

		start = time.Now()
		st, err = f.store.ScanWarnings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("scan again, nothing new: %s (%+v)", time.Since(start).Round(time.Microsecond), st)

		// The metrics' count of marked tasks reads only the marked ones.
		start = time.Now()
		ws, err := f.store.Warned(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("marked tasks by department (metrics): %s", time.Since(start).Round(time.Microsecond))
		for _, w := range ws {
			if w.Department == "SCJG" && (w.Red != overdue(n) || w.Yellow != 0) {
				t.Errorf("marked in SCJG: %+v, want %d red", w, overdue(n))
			}
		}

		// The metrics' count of applications in process, by department.
		start = time.Now()
		ls, err := f.store.InProcess(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("applications in process by department (metrics): %s", time.Since(start).Round(time.Microsecond))
		for _, l := range ls {
			if l.Department == "SCJG" && l.Submitted+l.Accepted+l.Supplement < n/tasksPerApplication {
				t.Errorf("in process in SCJG: %+v, want at least the %d seeded", l, n/tasksPerApplication)
			}
		}

		// The work queue over them: a page of 50 and the counts, for the
		// department's clerk and for a supervisor (every department).
		for _, who := range []string{"clerk", "jiancha"} {
			for _, qf := range []struct {
				name string
				f    application.QueueFilter
				want int
			}{{"first page", application.QueueFilter{Limit: 50}, 50}, {"red, first page", application.QueueFilter{Warning: application.Red, Limit: 50}, 50},
				{"page 100", application.QueueFilter{Offset: 4950, Limit: 50}, 50}, {"by a number prefix all have", application.QueueFilter{Query: "SCJG2025", Limit: 50}, 50},
				{"by one number", application.QueueFilter{Query: seedNumber(n / tasksPerApplication / 2), Limit: 50}, tasksPerApplication},
				{"by a number nobody has", application.QueueFilter{Query: "SCJG1999", Limit: 50}, 0},
				{"by a name nobody has", application.QueueFilter{Query: "无此人", Limit: 50}, 0}} {
				start = time.Now()
				tasks, err := f.store.Queue(ctx, f.p[who], qf.f)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("queue of %s, %s: %s (%d tasks)", who, qf.name, time.Since(start).Round(time.Microsecond), len(tasks))
				if len(tasks) != min(qf.want, n) {
					t.Errorf("queue of %s, %s: %d tasks, want %d", who, qf.name, len(tasks), min(qf.want, n))
				}
			}
			start = time.Now()
			c, err := f.store.QueueCounts(ctx, f.p[who], application.QueueFilter{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("queue counts of %s: %s (%+v)", who, time.Since(start).Round(time.Microsecond), c)
			if c.Total != n || c.Red != overdue(n) {
				t.Errorf("counts of %s = %+v, want %d with %d red", who, c, n, overdue(n))
			}
		}
	})
}

// overdue is how many of n seeded tasks are overdue on 2026-10-21.
func overdue(n int) int { return (n + 99) / 100 }

// tasksPerApplication is how many of the seeded tasks share an
// application.
const tasksPerApplication = 4

// seedNumber is the tracking number of the j-th seeded application.
func seedNumber(j int) string { return fmt.Sprintf("SCJG2025%04d%05d", j/90000, j%90000+1) }

// seedTasks inserts n open tasks in multi-row INSERTs, four to an
// application copied from application id (numbered by seedNumber):
// every hundredth is due on 2026-10-20, the others on 2027-06-30.
func seedTasks(t *testing.T, d *db.DB, id string, n int) {
	t.Helper()
	ctx := context.Background()
	const rows, perTx = 500, 40
	opened := db.NewTime(time.Date(2026, 9, 28, 1, 0, 0, 0, time.UTC))
	for i := 0; i < n; {
		err := d.Tx(ctx, func(tx *db.Tx) error {
			for range perTx {
				if i >= n {
					return nil
				}
				// The applications of the next rows tasks, then the tasks.
				var q strings.Builder
				q.WriteString(`INSERT INTO applications (id, number, service_code, service_version, service_name, process_code, process_version,
					department_code, applicant_id, applicant_name, state, form, statutory_days, promised_days, accept_date, created_at, updated_at, submitted_at)
					SELECT v.column1, v.column2, a.service_code, a.service_version, a.service_name, a.process_code, a.process_version,
					a.department_code, a.applicant_id, a.applicant_name, a.state, a.form, a.statutory_days, a.promised_days, a.accept_date, a.created_at, a.updated_at, a.submitted_at
					FROM applications a, (VALUES `)
				args := []any{id}
				for j := i / tasksPerApplication; j*tasksPerApplication < min(i+rows, n); j++ {
					if len(args) > 1 {
						q.WriteString(", ")
					}
					fmt.Fprintf(&q, "($%d, $%d)", len(args)+1, len(args)+2)
					args = append(args, fmt.Sprintf("benchapp%08d", j), seedNumber(j))
				}
				q.WriteString(`) AS v WHERE a.id = $1`)
				if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
					return err
				}
				q.Reset()
				q.WriteString(`INSERT INTO tasks (id, application_id, step_id, kind, department_code, role, state, days, opened_at, opened_date, due_date, yellow_date) VALUES `)
				args = []any{opened}
				for k := 0; k < rows && i < n; k, i = k+1, i+1 {
					due, yellow := "2027-06-30", "2027-06-29"
					if i%100 == 0 {
						due, yellow = "2026-10-20", "2026-10-19"
					}
					if k > 0 {
						q.WriteString(", ")
					}
					p := len(args)
					fmt.Fprintf(&q, "($%d, $%d, 'accept', 'accept', 'SCJG', 'clerk', 'open', 15, $1, '2026-09-28', $%d, $%d)", p+1, p+2, p+3, p+4)
					args = append(args, fmt.Sprintf("bench%08d", i), fmt.Sprintf("benchapp%08d", i/tasksPerApplication), due, yellow)
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
	if d.Dialect == db.Postgres {
		for _, table := range []string{"tasks", "applications"} {
			if _, err := d.Write().ExecContext(ctx, `ANALYZE `+table); err != nil {
				t.Fatal(err)
			}
		}
	} else if _, err := d.Write().ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
}
