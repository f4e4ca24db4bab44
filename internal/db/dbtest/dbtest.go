// Package dbtest gives tests a fresh, migrated database on each engine Tongban
// supports, so one store test suite runs on SQLite and on PostgreSQL.
//
// SQLite always runs (a file in t.TempDir). PostgreSQL runs against the
// server named by TONGBAN_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/postgres), in a database created for the
// test and dropped after it. When that server cannot be reached the
// PostgreSQL subtests skip with a message saying how to run them, unless
// TONGBAN_TEST_STRICT=1 is set (as .ci/run does), which turns the skip into a
// failure so CI never passes without having run them.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// DefaultPostgres is the server the PostgreSQL tests use unless
// TONGBAN_TEST_POSTGRES names another.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Strict reports whether tests must fail rather than skip when an external
// dependency (PostgreSQL, Chromium) is missing.
func Strict() bool { return os.Getenv("TONGBAN_TEST_STRICT") == "1" }

// Each runs fn as a subtest once per database engine, each with a fresh
// migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a fresh migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "tongban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// PostgresDSN returns a DSN for a fresh, empty PostgreSQL database that is
// dropped when the test ends, or skips (fails, in strict mode) when no
// server is reachable.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TONGBAN_TEST_POSTGRES")
	if admin == "" {
		admin = DefaultPostgres
	}
	adb, err := pgAdmin(admin)
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable (%v): start a server on 127.0.0.1:5432 with user postgres, or set TONGBAN_TEST_POSTGRES to a superuser URL, to run the PostgreSQL store tests", err)
		if Strict() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "tongban_test_" + hex.EncodeToString(b[:])
	if _, err := adb.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := adb.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Postgres returns a fresh migrated PostgreSQL database (see PostgresDSN).
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

var (
	adminOnce sync.Map // dsn -> *adminConn
)

type adminConn struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func pgAdmin(dsn string) (*sql.DB, error) {
	v, _ := adminOnce.LoadOrStore(dsn, &adminConn{})
	ac := v.(*adminConn)
	ac.once.Do(func() {
		d, err := sql.Open("pgx", dsn)
		if err != nil {
			ac.err = err
			return
		}
		d.SetMaxOpenConns(2)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := d.PingContext(ctx); err != nil {
			d.Close()
			ac.err = err
			return
		}
		ac.db = d
	})
	return ac.db, ac.err
}

// WaitForLockWaiters waits until n transactions wait for a lock
// (PostgreSQL) or, on SQLite, where every write waits for the one writer,
// gives them a moment to start waiting. Tests of what a lock keeps apart
// use it to be sure the other side is blocked before they go on.
func WaitForLockWaiters(t testing.TB, d *db.DB, n int) {
	t.Helper()
	if d.Dialect != db.Postgres {
		time.Sleep(100 * time.Millisecond)
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := d.Read().QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Error(err)
			return
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d transactions wait for a lock, want %d", waiting, n)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
