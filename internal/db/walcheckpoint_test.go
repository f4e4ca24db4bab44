package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// What SQLite commits reaches the database file without waiting for the
// writer's own checkpoint, and the write-ahead log does not keep growing.
func TestSQLiteWALIsCheckpointedOffTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	d, err := db.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Write().ExecContext(ctx, `CREATE TABLE pages (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const size = 4000
	body := strings.Repeat("x", size)
	insert := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if err := d.Tx(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO pages (id, body) VALUES ($1, $2)`, i, body)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	dbSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}

	// 200 commits of a page each put fewer than the 1,000 pages in the
	// log at which the writer checkpoints by itself: only the background
	// checkpoint copies them.
	const few = 200
	insert(0, few)
	deadline := time.Now().Add(30 * time.Second)
	for dbSize() < few*size {
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes after %d commits of %d bytes: the log was not checkpointed", dbSize(), few, size)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// 16 MB more through the log: it is started over again and again.
	const rows = 4000
	insert(few, rows)
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if wal.Size() >= rows*size/2 {
		t.Errorf("write-ahead log grew to %d bytes for %d bytes written: it is not restarted", wal.Size(), rows*size)
	}
	var n int
	if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM pages`).Scan(&n); err != nil || n != rows {
		t.Fatalf("rows = %d, %v; want %d", n, err, rows)
	}
}
