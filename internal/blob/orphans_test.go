package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// orphanEnv is a database with a table of records referring to keys, and a
// local store.
type orphanEnv struct {
	d     *db.DB
	store *Local
	now   atomic.Int64
}

func newOrphanEnv(t *testing.T, d *db.DB) *orphanEnv {
	t.Helper()
	if _, err := d.Write().ExecContext(t.Context(), `CREATE TABLE test_records (id TEXT PRIMARY KEY, blob_key TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	s, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &orphanEnv{d: d, store: s}
	e.now.Store(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC).UnixNano())
	return e
}

func (e *orphanEnv) clock() time.Time        { return time.Unix(0, e.now.Load()) }
func (e *orphanEnv) advance(d time.Duration) { e.now.Add(int64(d)) }

func (e *orphanEnv) sweeper(store Store) *Sweeper {
	return &Sweeper{DB: e.d, Store: store, Refs: []Ref{{Table: "test_records", Column: "blob_key"}}, Now: e.clock}
}

// put stores a distinct small PDF.
func (e *orphanEnv) put(t *testing.T, n int) string {
	t.Helper()
	obj, err := e.store.Put(t.Context(), bytes.NewReader(append(samplePDF(), fmt.Sprintf("%% %d\n", n)...)), 1<<20, MaterialTypes)
	if err != nil {
		t.Fatal(err)
	}
	return obj.Key
}

// record stores a record referring to key the way uploads do: claiming
// the key in the record's transaction.
func (e *orphanEnv) record(t *testing.T, id, key string) error {
	t.Helper()
	return e.d.Tx(t.Context(), func(tx *db.Tx) error {
		if err := Claim(t.Context(), tx, e.store, key); err != nil {
			return err
		}
		_, err := tx.ExecContext(t.Context(), `INSERT INTO test_records (id, blob_key) VALUES ($1, $2)`, id, key)
		return err
	})
}

// unrecord deletes a record and releases its key, as deleting a material does.
func (e *orphanEnv) unrecord(t *testing.T, id string) {
	t.Helper()
	err := e.d.Tx(t.Context(), func(tx *db.Tx) error {
		var key string
		if err := tx.QueryRowContext(t.Context(), `DELETE FROM test_records WHERE id = $1 RETURNING blob_key`, id).Scan(&key); err != nil {
			return err
		}
		return Release(t.Context(), tx, e.clock(), key)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *orphanEnv) stored(t *testing.T, key string) bool {
	t.Helper()
	r, err := e.store.Open(t.Context(), key)
	if errors.Is(err, ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	return true
}

func (e *orphanEnv) candidates(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.d.Read().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM blob_orphans`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSweepDeletesWhatNoRecordHolds: content whose last record was deleted
// goes after the grace period; content another record still holds, and
// content never released, stay; an upload that failed is released too.
func TestSweepDeletesWhatNoRecordHolds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newOrphanEnv(t, d)
		ctx := t.Context()
		gone, shared, kept, failed := e.put(t, 1), e.put(t, 2), e.put(t, 3), e.put(t, 4)
		for id, key := range map[string]string{"a": gone, "b": shared, "c": shared, "d": kept} {
			if err := e.record(t, id, key); err != nil {
				t.Fatal(err)
			}
		}
		e.unrecord(t, "a")
		e.unrecord(t, "b") // "c" still holds the same content
		if err := ReleaseFailed(ctx, d, e.clock(), failed); err != nil {
			t.Fatal(err)
		}
		if got := e.candidates(t); got != 3 {
			t.Fatalf("%d candidates, want 3 (two deleted records, one failed upload)", got)
		}

		// Within the grace period nothing goes.
		e.advance(DefaultGrace - time.Minute)
		st, err := e.sweeper(e.store).Sweep(ctx)
		if err != nil || st != (SweepStats{}) {
			t.Fatalf("sweep within the grace period: %+v %v, want nothing done", st, err)
		}
		e.advance(2 * time.Minute)
		st, err = e.sweeper(e.store).Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st != (SweepStats{Deleted: 2, Kept: 1}) {
			t.Errorf("sweep: %+v, want 2 deleted and 1 kept", st)
		}
		for key, want := range map[string]bool{gone: false, failed: false, shared: true, kept: true} {
			if got := e.stored(t, key); got != want {
				t.Errorf("after the sweep %s stored = %t, want %t", key, got, want)
			}
		}
		if got := e.candidates(t); got != 0 {
			t.Errorf("%d candidates left after the sweep", got)
		}

		// Uploading deleted content again stores it again, and a record
		// claims it.
		if again := e.put(t, 1); again != gone || !e.stored(t, gone) {
			t.Fatalf("re-upload: key %s stored %t", again, e.stored(t, gone))
		}
		if err := e.record(t, "a2", gone); err != nil {
			t.Fatal(err)
		}
	})
}

// blockingDelete holds the sweeper inside its transaction, at the moment
// it deletes content, until released.
type blockingDelete struct {
	Store
	inside, release chan struct{}
}

func (b blockingDelete) Delete(ctx context.Context, key string) error {
	close(b.inside)
	<-b.release
	return b.Store.Delete(ctx, key)
}

// TestClaimWaitsForTheSweeper: an upload of content the sweeper is
// deleting (a user removed a file and uploads the same file again) must not
// store a record of content that is gone. Its claim waits until the
// sweeper has finished and then reports ErrGone, so the record is not
// stored and the user is asked to upload again; the next upload works.
func TestClaimWaitsForTheSweeper(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newOrphanEnv(t, d)
		ctx := t.Context()
		key := e.put(t, 7)
		if err := e.record(t, "a", key); err != nil {
			t.Fatal(err)
		}
		e.unrecord(t, "a")
		e.advance(2 * DefaultGrace)
		// The user uploads the same file again: the content is there, so
		// the store writes nothing new.
		if again := e.put(t, 7); again != key {
			t.Fatal(again)
		}
		// The sweeper has checked no record holds the key and is deleting it.
		b := blockingDelete{Store: e.store, inside: make(chan struct{}), release: make(chan struct{})}
		swept := make(chan error, 1)
		go func() {
			_, err := e.sweeper(b).Sweep(ctx)
			swept <- err
		}()
		<-b.inside
		claimed := make(chan error, 1)
		go func() { claimed <- e.record(t, "b", key) }()
		select {
		case err := <-claimed:
			t.Fatalf("the upload's record committed (%v) while the sweeper was deleting its content", err)
		case <-time.After(200 * time.Millisecond):
		}
		close(b.release)
		if err := <-swept; err != nil {
			t.Fatal(err)
		}
		if err := <-claimed; !errors.Is(err, ErrGone) {
			t.Fatalf("claim after the sweeper deleted the content: %v, want ErrGone", err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM test_records`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("records: %d %v, want none", n, err)
		}
		// Uploading once more stores the content and the record.
		e.put(t, 7)
		if err := e.record(t, "c", key); err != nil || !e.stored(t, key) {
			t.Fatalf("upload after ErrGone: %v, stored %t", err, e.stored(t, key))
		}
	})
}

// TestClaimFirstKeepsTheContent: when the upload's record commits first,
// the sweeper finds the candidate gone and deletes nothing.
func TestClaimFirstKeepsTheContent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newOrphanEnv(t, d)
		key := e.put(t, 8)
		if err := e.record(t, "a", key); err != nil {
			t.Fatal(err)
		}
		e.unrecord(t, "a")
		e.advance(2 * DefaultGrace)
		if err := e.record(t, "b", key); err != nil {
			t.Fatal(err)
		}
		st, err := e.sweeper(e.store).Sweep(t.Context())
		if err != nil || st != (SweepStats{}) || !e.stored(t, key) {
			t.Fatalf("sweep after the key was claimed again: %+v %v, stored %t", st, err, e.stored(t, key))
		}
	})
}

func TestSweeperRefsArePlainIdentifiers(t *testing.T) {
	d := dbtest.SQLite(t)
	e := newOrphanEnv(t, d)
	s := &Sweeper{DB: d, Store: e.store, Refs: []Ref{{Table: "test_records; DROP TABLE blob_orphans", Column: "blob_key"}}}
	if _, err := s.Sweep(t.Context()); err == nil {
		t.Fatal("a ref that is not a plain identifier was accepted")
	}
}

// TestScanFindsFilesNoRecordHolds: files stored before the platform
// released them (or left by a crash between the upload and its record)
// are found by a scan and deleted by the sweep after the grace period.
func TestScanFindsFilesNoRecordHolds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newOrphanEnv(t, d)
		held, left1, left2 := e.put(t, 1), e.put(t, 2), e.put(t, 3)
		if err := e.record(t, "a", held); err != nil {
			t.Fatal(err)
		}
		files, released, err := e.sweeper(e.store).Scan(t.Context())
		if err != nil || files != 3 || released != 2 {
			t.Fatalf("scan: %d files, %d released, %v; want 3 and 2", files, released, err)
		}
		e.advance(DefaultGrace + time.Minute)
		st, err := e.sweeper(e.store).Sweep(t.Context())
		if err != nil || st != (SweepStats{Deleted: 2}) {
			t.Fatalf("sweep after the scan: %+v %v", st, err)
		}
		for key, want := range map[string]bool{held: true, left1: false, left2: false} {
			if got := e.stored(t, key); got != want {
				t.Errorf("%s stored = %t, want %t", key, got, want)
			}
		}
	})
}

// refusingDelete is a store that will not delete one key.
type refusingDelete struct {
	Store
	key string
}

func (r refusingDelete) Delete(ctx context.Context, key string) error {
	if key == r.key {
		return errors.New("access denied")
	}
	return r.Store.Delete(ctx, key)
}

// TestSweepGoesOnPastAKeyItCannotDelete: content the store refuses to
// delete waits a grace period again while the sweep deletes the rest; it
// used to end every sweep at that oldest candidate, so nothing released
// after it was ever deleted.
func TestSweepGoesOnPastAKeyItCannotDelete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newOrphanEnv(t, d)
		ctx := t.Context()
		stuck := e.put(t, 1)
		if err := ReleaseFailed(ctx, d, e.clock(), stuck); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute)
		var later []string
		for i := range 3 {
			key := e.put(t, 10+i)
			if err := ReleaseFailed(ctx, d, e.clock(), key); err != nil {
				t.Fatal(err)
			}
			later = append(later, key)
		}
		e.advance(DefaultGrace + time.Minute)
		refusing := refusingDelete{Store: e.store, key: stuck}
		st, err := e.sweeper(refusing).Sweep(ctx)
		if err == nil || !strings.Contains(err.Error(), "access denied") {
			t.Errorf("sweep past a refused delete: err %v, want the refusal reported", err)
		}
		if st != (SweepStats{Deleted: 3, Failed: 1}) {
			t.Errorf("sweep: %+v, want 3 deleted and 1 failed", st)
		}
		for _, key := range later {
			if e.stored(t, key) {
				t.Errorf("%s released after the refused key is still stored", key)
			}
		}
		if !e.stored(t, stuck) || e.candidates(t) != 1 {
			t.Fatalf("the refused key: stored %t, %d candidates; want it kept as the one candidate", e.stored(t, stuck), e.candidates(t))
		}
		// It waits a grace period again, then goes once the store lets it.
		st, err = e.sweeper(e.store).Sweep(ctx)
		if err != nil || st != (SweepStats{}) {
			t.Errorf("sweep right after: %+v %v, want nothing tried", st, err)
		}
		e.advance(DefaultGrace + time.Minute)
		st, err = e.sweeper(e.store).Sweep(ctx)
		if err != nil || st != (SweepStats{Deleted: 1}) || e.stored(t, stuck) {
			t.Errorf("sweep a grace period later: %+v %v, stored %t; want it deleted", st, err, e.stored(t, stuck))
		}
	})
}
