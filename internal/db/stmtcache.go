package db

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"

	"modernc.org/sqlite"
)

// stmtCacheSize is how many prepared statements each SQLite connection
// keeps. The platform runs a few hundred distinct statements; those built
// with a variable number of placeholders come in many shapes, and the
// least recently used are closed first.
const stmtCacheSize = 512

// sqliteConnector opens SQLite connections that keep their prepared
// statements. The driver (modernc.org/sqlite) runs ExecContext and
// QueryContext on a connection by parsing and planning the statement every
// time, then throwing it away; a statement prepared once and run again
// skips both. Parsing was about a third of the server's CPU under the
// submission and decision workloads (docs/benchmarks.md). PostgreSQL's
// driver (pgx) keeps its own statement cache.
type sqliteConnector struct {
	inner driver.Connector
}

func newSQLiteConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &sqliteConnector{inner: c}, nil
}

func (c *sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn), nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.inner.Driver() }

// innerConn is what the SQLite driver's connection offers and the cache
// uses.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
}

// cachingConn is a connection with a cache of prepared statements keyed by
// their text. database/sql uses a connection from one goroutine at a time,
// so the cache needs no lock. A cached statement that is still being read
// (its rows not closed) is busy: running the same text again meanwhile, as
// a query nested in the loop over another's rows may, prepares a
// statement of its own for that run.
type cachingConn struct {
	inner innerConn
	lru   *list.List
	byKey map[string]*list.Element
	// prepared counts the statements the cache has prepared, for tests.
	prepared int
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	ec    driver.StmtExecContext
	qc    driver.StmtQueryContext
	busy  bool
}

func newCachingConn(conn driver.Conn) driver.Conn {
	in, ok := conn.(innerConn)
	if !ok {
		return conn
	}
	return &cachingConn{inner: in, lru: list.New(), byKey: map[string]*list.Element{}}
}

// cacheable reports whether query is worth keeping: a script of several
// statements is parsed again at every run by the driver anyway.
func cacheable(query string) bool {
	q := strings.TrimSpace(query)
	q = strings.TrimSuffix(q, ";")
	return !strings.Contains(q, ";")
}

// get returns the cached statement for query, preparing it if needed, or
// nil when query is not cached (then the caller runs it directly).
func (c *cachingConn) get(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	if e, ok := c.byKey[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.prepared++
	ec, eok := st.(driver.StmtExecContext)
	qc, qok := st.(driver.StmtQueryContext)
	if !eok || !qok {
		st.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: st, ec: ec, qc: qc}
	c.byKey[query] = c.lru.PushFront(cs)
	c.evict()
	return cs, nil
}

// evict closes the least recently used statements that are not busy while
// the cache holds more than stmtCacheSize.
func (c *cachingConn) evict() {
	for e := c.lru.Back(); e != nil && c.lru.Len() > stmtCacheSize; {
		prev := e.Prev()
		cs := e.Value.(*cachedStmt)
		if !cs.busy {
			c.lru.Remove(e)
			delete(c.byKey, cs.query)
			cs.stmt.Close()
		}
		e = prev
	}
}

// drop removes a statement whose run failed in a way that may have left it
// unusable.
func (c *cachingConn) drop(cs *cachedStmt) {
	if e, ok := c.byKey[cs.query]; ok && e.Value == cs {
		c.lru.Remove(e)
		delete(c.byKey, cs.query)
	}
	cs.stmt.Close()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.ExecContext(ctx, query, args)
	}
	res, err := cs.ec.ExecContext(ctx, args)
	if errors.Is(err, driver.ErrBadConn) {
		c.drop(cs)
	}
	return res, err
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.QueryContext(ctx, query, args)
	}
	rows, err := cs.qc.QueryContext(ctx, args)
	if err != nil {
		if errors.Is(err, driver.ErrBadConn) {
			c.drop(cs)
		}
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, done: func() { cs.busy = false; c.evict() }}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).stmt.Close())
	}
	c.lru.Init()
	clear(c.byKey)
	return errors.Join(append(errs, c.inner.Close())...)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// cachedRows marks its statement free again when closed.
type cachedRows struct {
	driver.Rows
	done func()
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}

// The column-type methods database/sql looks for on rows.

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
