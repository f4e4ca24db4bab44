package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

func scratch(t *testing.T, d *db.DB) {
	t.Helper()
	for _, q := range []string{
		`CREATE TABLE batch_rows (id INTEGER PRIMARY KEY, who TEXT NOT NULL)`,
		`CREATE TABLE batch_parents (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE batch_children (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES batch_parents (id) DEFERRABLE INITIALLY DEFERRED)`,
		`INSERT INTO batch_rows (id, who) VALUES (-1, 'taken')`,
	} {
		if _, err := d.Write().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

func insertRow(i int) func(ctx context.Context, tx *db.Tx) error {
	return func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batch_rows (id, who) VALUES ($1, $2)`, i, fmt.Sprint("call ", i))
		return err
	}
}

var errRefused = errors.New("refused")

// outcome is call i's part: every third succeeds, every third writes and
// then returns its own error, every third writes and then fails on a
// duplicate key, which on PostgreSQL aborts the transaction until the
// savepoint is rolled back.
func outcome(i int) func(ctx context.Context, tx *db.Tx) error {
	return func(ctx context.Context, tx *db.Tx) error {
		if err := insertRow(i)(ctx, tx); err != nil {
			return err
		}
		switch i % 3 {
		case 1:
			return errRefused
		case 2:
			return insertRow(-1)(ctx, tx)
		}
		return nil
	}
}

func rows(t *testing.T, d *db.DB) map[int]bool {
	t.Helper()
	rs, err := d.Read().Query(`SELECT id FROM batch_rows WHERE id >= 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[int]bool{}
	for rs.Next() {
		var id int
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func checkOutcomes(t *testing.T, d *db.DB, errs []error) {
	t.Helper()
	got := rows(t, d)
	for i, err := range errs {
		switch i % 3 {
		case 0:
			if err != nil || !got[i] {
				t.Errorf("call %d: Batch = %v, row present %v; want nil and present", i, err, got[i])
			}
		case 1:
			if !errors.Is(err, errRefused) || got[i] {
				t.Errorf("call %d: Batch = %v, row present %v; want its own error and no row", i, err, got[i])
			}
		case 2:
			if !db.IsUniqueViolation(err) || got[i] {
				t.Errorf("call %d: Batch = %v, row present %v; want a unique violation and no row", i, err, got[i])
			}
		}
	}
	if len(got) != (len(errs)+2)/3 {
		t.Errorf("%d rows committed, want %d", len(got), (len(errs)+2)/3)
	}
}

func TestBatchConcurrentCallers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		for _, max := range []int{0, db.MaxBatch} {
			t.Run(fmt.Sprint("max", max), func(t *testing.T) {
				scratch(t, d)
				defer func() {
					for _, table := range []string{"batch_children", "batch_parents", "batch_rows"} {
						d.Write().Exec(`DROP TABLE ` + table)
					}
				}()
				d.SetMaxBatch(max)
				errs := make([]error, 150)
				var wg sync.WaitGroup
				for i := range errs {
					wg.Go(func() { errs[i] = d.Batch(context.Background(), outcome(i)) })
				}
				wg.Wait()
				checkOutcomes(t, d, errs)
			})
		}
	})
}

// lineUp runs the calls as one batch: a first call holds the batcher
// until all of them are queued behind it. It returns each call's error and
// what it panicked with.
func lineUp(t *testing.T, d *db.DB, fns []func(context.Context, *db.Tx) error) ([]error, []any) {
	t.Helper()
	d.SetMaxBatch(db.MaxBatch) // also on PostgreSQL, whose default is 1
	first := make(chan error, 1)
	holding := make(chan struct{})
	go func() {
		first <- d.Batch(context.Background(), func(ctx context.Context, tx *db.Tx) error {
			close(holding)
			for d.BatchQueued() < len(fns) {
				time.Sleep(time.Millisecond)
			}
			return nil
		})
	}()
	<-holding
	errs := make([]error, len(fns))
	panics := make([]any, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = d.Batch(context.Background(), fn)
		})
	}
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("the holding call: %v", err)
	}
	return errs, panics
}

func TestBatchFailureIsTheCallersAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		scratch(t, d)
		fns := make([]func(context.Context, *db.Tx) error, db.MaxBatch)
		for i := range fns {
			fns[i] = outcome(i)
		}
		errs, _ := lineUp(t, d, fns)
		checkOutcomes(t, d, errs)
	})
}

func TestBatchCommitFailureReachesEveryCaller(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		scratch(t, d)
		fns := make([]func(context.Context, *db.Tx) error, 10)
		for i := range fns {
			fns[i] = insertRow(i)
		}
		// A child without a parent passes its statement and fails the
		// deferred check at commit.
		fns[7] = func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO batch_children (id, parent) VALUES (1, 404)`)
			return err
		}
		errs, _ := lineUp(t, d, fns)
		for i, err := range errs {
			if err == nil {
				t.Errorf("call %d: Batch = nil after a failed commit", i)
			}
		}
		if got := rows(t, d); len(got) != 0 {
			t.Errorf("rows %v committed by a failed batch", got)
		}
		// The write connection is usable again.
		if err := d.Batch(context.Background(), insertRow(100)); err != nil {
			t.Fatalf("Batch after a failed commit: %v", err)
		}
		if got := rows(t, d); !got[100] || len(got) != 1 {
			t.Errorf("rows %v, want only 100", got)
		}
	})
}

func TestBatchPanicAbortsTheBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		scratch(t, d)
		fns := make([]func(context.Context, *db.Tx) error, 8)
		for i := range fns {
			fns[i] = insertRow(i)
		}
		fns[3] = func(ctx context.Context, tx *db.Tx) error {
			insertRow(3)(ctx, tx)
			panic("bug in call 3")
		}
		errs, panics := lineUp(t, d, fns)
		for i := range fns {
			if i == 3 {
				if panics[i] != "bug in call 3" {
					t.Errorf("call 3 panicked with %v, want its own panic", panics[i])
				}
				continue
			}
			if panics[i] != nil || !errors.Is(errs[i], db.ErrBatchAborted) {
				t.Errorf("call %d: Batch = %v (panic %v), want ErrBatchAborted", i, errs[i], panics[i])
			}
		}
		if got := rows(t, d); len(got) != 0 {
			t.Errorf("rows %v committed by an aborted batch", got)
		}
		if err := d.Batch(context.Background(), insertRow(100)); err != nil {
			t.Fatalf("Batch after a panic: %v", err)
		}
	})
}

func TestBatchSkipsCancelledCallers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		scratch(t, d)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := d.Batch(ctx, func(ctx context.Context, tx *db.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Errorf("Batch with a cancelled context = %v, ran %v; want context.Canceled, not run", err, ran)
		}
	})
}

func TestBatchWithoutGrouping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		scratch(t, d)
		d.SetMaxBatch(1)
		errs := make([]error, 30)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = d.Batch(context.Background(), outcome(i)) })
		}
		wg.Wait()
		checkOutcomes(t, d, errs)
	})
}
