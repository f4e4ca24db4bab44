package db

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

func openCacheTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Write().Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	return d
}

// writeConn runs fn on the write pool's only connection.
func writeConn(t *testing.T, d *DB, fn func(c *cachingConn)) {
	t.Helper()
	conn, err := d.Write().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		c, ok := dc.(*cachingConn)
		if !ok {
			return fmt.Errorf("connection is %T, not the caching one", dc)
		}
		fn(c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestStmtCachePreparesOnce(t *testing.T) {
	d := openCacheTest(t)
	var before int
	writeConn(t, d, func(c *cachingConn) { before = c.prepared })
	const ins = `INSERT INTO t (k, v) VALUES ($1, $2)`
	for i := range 5 {
		if _, err := d.Write().Exec(ins, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	writeConn(t, d, func(c *cachingConn) {
		if got := c.prepared - before; got != 1 {
			t.Errorf("five runs of one INSERT prepared %d statements, want 1", got)
		}
		if _, ok := c.byKey[ins]; !ok {
			t.Error("the INSERT is not in the cache")
		}
	})
	var n int
	if err := d.Write().QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 5 {
		t.Fatalf("rows = %d, %v; want 5", n, err)
	}
}

// A query run again while its first run's rows are still open (a nested
// loop) gets a statement of its own; both read what they should.
func TestStmtCacheSameQueryNested(t *testing.T) {
	d := openCacheTest(t)
	for i := 1; i <= 3; i++ {
		if _, err := d.Write().Exec(`INSERT INTO t (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT k FROM t WHERE k >= $1 ORDER BY k`
	err := d.Tx(context.Background(), func(tx *Tx) error {
		outer, err := tx.Query(q, 1)
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []string
		for outer.Next() {
			var k int
			if err := outer.Scan(&k); err != nil {
				return err
			}
			// database/sql runs this on the same connection while outer is open.
			inner, err := tx.Query(q, k)
			if err != nil {
				return err
			}
			var ks []int
			for inner.Next() {
				var j int
				if err := inner.Scan(&j); err != nil {
					return err
				}
				ks = append(ks, j)
			}
			if err := inner.Close(); err != nil {
				return err
			}
			got = append(got, fmt.Sprint(k, ks))
		}
		if want := "[1 [1 2 3] 2 [2 3] 3 [3]]"; fmt.Sprint(got) != want {
			t.Errorf("nested reads = %v, want %v", got, want)
		}
		return outer.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// More distinct statements than the cache holds: the oldest go, one whose
// rows are still being read stays usable, and every result is right.
func TestStmtCacheEvicts(t *testing.T) {
	d := openCacheTest(t)
	for i := 1; i <= 3; i++ {
		if _, err := d.Write().Exec(`INSERT INTO t (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	err := d.Tx(context.Background(), func(tx *Tx) error {
		held, err := tx.Query(`SELECT v FROM t ORDER BY k`)
		if err != nil {
			return err
		}
		defer held.Close()
		if !held.Next() {
			return fmt.Errorf("no first row")
		}
		for i := range stmtCacheSize + 50 {
			var got int
			if err := tx.QueryRow(fmt.Sprintf(`SELECT k + %d FROM t WHERE k = $1`, i), 2).Scan(&got); err != nil {
				return err
			}
			if got != 2+i {
				return fmt.Errorf("query %d = %d, want %d", i, got, 2+i)
			}
		}
		var vs []string
		for {
			var v string
			if err := held.Scan(&v); err != nil {
				return err
			}
			vs = append(vs, v)
			if !held.Next() {
				break
			}
		}
		if fmt.Sprint(vs) != "[v1 v2 v3]" {
			t.Errorf("held rows = %v", vs)
		}
		return held.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	writeConn(t, d, func(c *cachingConn) {
		if c.lru.Len() > stmtCacheSize || len(c.byKey) != c.lru.Len() {
			t.Errorf("cache holds %d statements (%d keys), at most %d", c.lru.Len(), len(c.byKey), stmtCacheSize)
		}
	})
}

// A cached statement follows a change of the schema, and a statement that
// failed (a unique violation) runs again.
func TestStmtCacheAfterSchemaChangeAndError(t *testing.T) {
	d := openCacheTest(t)
	w := d.Write()
	const ins = `INSERT INTO t (k, v) VALUES ($1, $2)`
	if _, err := w.Exec(ins, 1, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(ins, 2, "a"); !IsUniqueViolation(err) {
		t.Fatalf("duplicate v: err = %v, want a unique violation", err)
	}
	if _, err := w.Exec(ins, 2, "b"); err != nil {
		t.Fatalf("the INSERT after its failure: %v", err)
	}
	cols := func() []string {
		rows, err := w.Query(`SELECT * FROM t`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		c, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := fmt.Sprint(cols()); got != "[k v]" {
		t.Fatalf("columns = %s", got)
	}
	if _, err := w.Exec(`ALTER TABLE t ADD COLUMN extra TEXT NOT NULL DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cols()); got != "[k v extra]" {
		t.Errorf("columns after ALTER = %s, want [k v extra]", got)
	}
	// A script of several statements runs whole and is not cached.
	const script = `INSERT INTO t (k, v) VALUES (10, 's1'); INSERT INTO t (k, v) VALUES (11, 's2')`
	if _, err := w.Exec(script); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := w.QueryRow(`SELECT count(*) FROM t WHERE k >= 10`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("script rows = %d, %v; want 2", n, err)
	}
	writeConn(t, d, func(c *cachingConn) {
		if _, ok := c.byKey[script]; ok {
			t.Error("a script of two statements was cached")
		}
	})
}
