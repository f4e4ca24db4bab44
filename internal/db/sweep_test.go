package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// TestSweep runs the warning scans' loop over a table of marks: it reads
// batches until one is short, and stops at a batch it cannot change rather
// than reading the same rows forever.
func TestSweep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Write().Exec(`CREATE TABLE sweep_marks (id TEXT PRIMARY KEY, marked BOOLEAN NOT NULL DEFAULT FALSE)`); err != nil {
			t.Fatal(err)
		}
		for i := range 23 {
			if _, err := d.Write().Exec(`INSERT INTO sweep_marks (id) VALUES ($1)`, fmt.Sprintf("m%02d", i)); err != nil {
				t.Fatal(err)
			}
		}
		const q = `SELECT id FROM sweep_marks WHERE marked = $1 ORDER BY id LIMIT 5`
		reads := 0
		n, err := d.Sweep(ctx, q, false, 5, func(ids []string) (int, error) {
			reads++
			changed := 0
			for _, id := range ids {
				res, err := d.Write().Exec(`UPDATE sweep_marks SET marked = TRUE WHERE id = $1 AND NOT marked`, id)
				if err != nil {
					return changed, err
				}
				if k, _ := res.RowsAffected(); k == 1 {
					changed++
				}
			}
			return changed, nil
		})
		if err != nil || n != 23 || reads != 5 {
			t.Errorf("Sweep = %d, %v after %d batches; want 23 in 5", n, err, reads)
		}
		// Rows the callback cannot change end the loop after one batch.
		reads = 0
		n, err = d.Sweep(ctx, q, true, 5, func(ids []string) (int, error) { reads++; return 0, nil })
		if err != nil || n != 0 || reads != 1 {
			t.Errorf("Sweep over unchangeable rows = %d, %v after %d batches; want 0 after 1", n, err, reads)
		}
		// An error stops it with what was done so far.
		n, err = d.Sweep(ctx, `SELECT id FROM sweep_marks WHERE marked = $1 ORDER BY id LIMIT 5`, true, 5, func(ids []string) (int, error) { return 2, fmt.Errorf("boom") })
		if err == nil || n != 2 {
			t.Errorf("Sweep with a failing batch = %d, %v; want 2 and the error", n, err)
		}
	})
}
