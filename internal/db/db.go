// Package db opens Tongban's store: an embedded SQLite file by default, or a
// PostgreSQL server in production. It owns the differences between the two
// (connection settings, the migration dialect, the schema lock) so the domain
// packages can write one dialect of plain SQL: numbered $N placeholders,
// TEXT timestamps produced by [Time], BOOLEAN columns, ON CONFLICT and
// RETURNING, all of which both databases accept.
//
// SQLite follows the pattern of embedded Go servers such as PocketBase: one
// write connection (so writers queue in Go instead of failing with
// SQLITE_BUSY) and a pool of readers, with busy_timeout set first, then WAL,
// synchronous=FULL and foreign_keys=ON. FULL rather than the usual NORMAL
// because an acknowledged submission, decision or payment must survive a
// power cut: in WAL mode NORMAL syncs only at checkpoints, so the last
// commits before a crash of the machine can vanish although the caller was
// told they succeeded. FULL syncs the WAL at every commit; [DB.Batch] lets
// concurrent writers share that sync (group commit). PostgreSQL is used
// with its default synchronous_commit=on for the same reason.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Dialect names the database engine behind a [DB].
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNotFound is returned (wrapped) by stores when a row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) by stores when a write collides with
// existing data, such as a duplicate key.
var ErrConflict = errors.New("conflict")

// DB is an open store. Write runs statements that change data; Read serves
// queries. On PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	dsn     string
	batch   batcher
	// wal checkpoints SQLite's write-ahead log off the writer; nil on
	// PostgreSQL.
	wal *walCheckpointer
}

// Open connects to the database named by dsn: "sqlite:PATH" (or a bare path
// ending in .db) for SQLite, "postgres://..." or "postgresql://..." for
// PostgreSQL. It pings the database before returning.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var d *DB
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		// Two pools: transactions take their connection from one, queries
		// from the other. A transaction that reads through another store
		// (a license, a grant, a department) while it runs holds its own
		// connection and waits for a second; with one pool, as many such
		// transactions as the pool has connections would each hold one
		// and wait for another for ever.
		var pools [2]*sql.DB
		for i := range pools {
			pool, err := sql.Open("pgx", dsn)
			if err != nil {
				if i > 0 {
					pools[0].Close()
				}
				return nil, fmt.Errorf("db: open postgres: %w", err)
			}
			pool.SetMaxOpenConns(PostgresConns)
			pool.SetMaxIdleConns(PostgresConns)
			pool.SetConnMaxIdleTime(5 * time.Minute)
			pools[i] = pool
		}
		d = &DB{Dialect: Postgres, write: pools[0], read: pools[1], dsn: dsn}
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasSuffix(dsn, ".db"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New("db: sqlite DSN has no path")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("db: create directory for sqlite file: %w", err)
			}
		}
		w, err := openSQLite(path, 1)
		if err != nil {
			return nil, err
		}
		r, err := openSQLite(path, max(4, runtime.NumCPU()))
		if err != nil {
			w.Close()
			return nil, err
		}
		wal, err := startWALCheckpointer(path, WALCheckpointEvery)
		if err != nil {
			w.Close()
			r.Close()
			return nil, err
		}
		d = &DB{Dialect: SQLite, write: w, read: r, dsn: dsn, wal: wal}
	default:
		return nil, fmt.Errorf("db: unsupported database %q: use sqlite:PATH or postgres://URL", redact(dsn))
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.write.PingContext(pctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", redact(dsn), err)
	}
	return d, nil
}

// openSQLite opens a pool of conns connections to the SQLite file at path.
func openSQLite(path string, conns int) (*sql.DB, error) {
	q := url.Values{}
	// busy_timeout must come first so the following pragmas wait instead of
	// failing while another process holds a lock. temp_store keeps the
	// journals of savepoints (one per call in a group commit) in memory
	// rather than in a temporary file written page by page; they matter only
	// until their transaction ends, so durability does not depend on them.
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	conn, err := newSQLiteConnector("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	pool := sql.OpenDB(conn)
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	pool.SetConnMaxIdleTime(0)
	return pool, nil
}

// redact hides a password in a connection URL so it can be logged.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// String describes the database without secrets.
func (d *DB) String() string { return string(d.Dialect) + " " + redact(d.dsn) }

// Close closes all connections.
func (d *DB) Close() error {
	var err error
	if d.wal != nil {
		err = d.wal.close()
	}
	err = errors.Join(err, d.write.Close())
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// PostgresConns is how many connections each of a node's two PostgreSQL
// pools (transactions, queries) opens at most: 16 a node in all.
const PostgresConns = 8

// SetPoolSizes sets how many connections the pools of transactions and of
// queries open at most (on PostgreSQL [PostgresConns] each by default;
// SQLite keeps its one writer whatever write says). Tests use it to check
// that no transaction waits for a second connection of its own pool.
func (d *DB) SetPoolSizes(write, read int) {
	if d.Dialect == Postgres {
		d.write.SetMaxOpenConns(write)
		d.write.SetMaxIdleConns(write)
	}
	d.read.SetMaxOpenConns(read)
	d.read.SetMaxIdleConns(read)
}

// Read returns the pool for queries.
func (d *DB) Read() *sql.DB { return d.read }

// Write returns the pool for statements that change data.
func (d *DB) Write() *sql.DB { return d.write }

// Ping checks the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.write.PingContext(ctx) }

// Tx runs fn in a transaction on the write pool and commits it if fn returns
// nil; otherwise it rolls back and returns fn's error. A panic rolls back too.
func (d *DB) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") // PostgreSQL
}

// IsForeignKeyViolation reports whether err is a foreign-key violation on
// either database.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

// Tx is a database transaction.
type Tx = sql.Tx

// Querier is what both the database's pools and a transaction offer for
// reading, so a domain's loaders run alike inside and outside a
// transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Lock takes, in tx, a lock named key that other transactions taking it
// wait for until tx ends: for rules that span tables two transactions
// could otherwise check at once, each seeing the other's data as it was
// before (a process's conditions and the forms of the services using it).
// On PostgreSQL it is a transaction-scoped advisory lock; SQLite's write
// transactions already run one at a time (BEGIN IMMEDIATE), so there it
// is nothing.
func (d *DB) Lock(ctx context.Context, tx *Tx, key string) error {
	if d.Dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
		return fmt.Errorf("db: lock %s: %w", key, err)
	}
	return nil
}
