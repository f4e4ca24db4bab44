package db_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

func TestMigrateAndCheckSchema(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "x.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		checkMigrate(t, d)
	})
	t.Run("postgres", func(t *testing.T) {
		d, err := db.Open(ctx, dbtest.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		checkMigrate(t, d)
	})
}

func checkMigrate(t *testing.T, d *db.DB) {
	ctx := context.Background()
	if err := d.CheckSchema(ctx); !errors.Is(err, db.ErrSchemaOutOfDate) {
		t.Fatalf("CheckSchema on empty database = %v, want ErrSchemaOutOfDate", err)
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 {
		t.Fatal("Migrate applied nothing on an empty database")
	}
	if err := d.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after Migrate = %v", err)
	}
	again, err := d.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing applied", again, err)
	}
}

func TestTxRollsBackOnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.Tx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO divisions (code, name, level) VALUES ($1, $2, $3)`, "330000", "浙江省", "province"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want boom", err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM divisions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rows after rolled-back Tx = %d, want 0", n)
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		want := time.Date(2026, 10, 1, 8, 30, 15, 123456000, time.FixedZone("CST", 8*3600))
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO search_synonyms (term, expansions, updated_at) VALUES ($1, $2, $3)`, "x", "y", db.NewTime(want)); err != nil {
			t.Fatal(err)
		}
		var got db.Time
		if err := d.Read().QueryRowContext(ctx, `SELECT updated_at FROM search_synonyms WHERE term = $1`, "x").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			t.Fatalf("round trip = %v, want %v", got, want)
		}
	})
}

func TestUniqueViolationDetected(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q := `INSERT INTO divisions (code, name, level) VALUES ($1, $2, $3)`
		if _, err := d.Write().ExecContext(ctx, q, "330000", "浙江省", "province"); err != nil {
			t.Fatal(err)
		}
		_, err := d.Write().ExecContext(ctx, q, "330000", "浙江省", "province")
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert error = %v, want a unique violation", err)
		}
	})
}

// The SQLite settings an acknowledged write relies on: the WAL journal,
// a flush at every commit (synchronous FULL = 2), foreign keys, and
// savepoint journals in memory (temp_store MEMORY = 2), on the writer and
// on readers alike.
func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "temp_store": "2"}
	for name, pool := range map[string]interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}{"writer": d.Write(), "reader": d.Read()} {
		for p, v := range want {
			var got string
			if err := pool.QueryRowContext(ctx, "PRAGMA "+p).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, p, err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, p, got, v)
			}
		}
	}
}

func TestLikeEscape(t *testing.T) {
	for in, want := range map[string]string{`50%`: `50\%`, `a_b`: `a\_b`, `c:\dir`: `c:\\dir`, `张三`: `张三`} {
		if got := db.LikeEscape(in); got != want {
			t.Errorf("LikeEscape(%q) = %q, want %q", in, got, want)
		}
	}
}
