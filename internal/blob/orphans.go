package blob

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Files nobody refers to any more are deleted by a [Sweeper]. Stored
// content is shared (identical uploads share a key), so a key can be
// deleted only when no record refers to it, and only in a way that cannot
// race with a new upload of the same content:
//
//   - Whoever deletes a record that refers to a key calls [Release] in the
//     same transaction: the key becomes a candidate (a row of
//     blob_orphans). An upload whose record then fails to commit releases
//     its key too ([ReleaseFailed]).
//   - Whoever stores a record that refers to a key calls [Claim] in that
//     record's transaction: it deletes the key's candidate row, waiting
//     for a sweeper that holds it, and then checks the content is still
//     stored; if a sweeper deleted it meanwhile, Claim fails with
//     [ErrGone] and the record is not stored (the uploader is asked to
//     upload again).
//   - The sweeper takes one candidate at a time, older than its grace
//     period, in a transaction that locks the candidate row (skipping rows
//     an upload holds), checks that no record refers to the key, deletes
//     the content, and only then deletes the row and commits.
//
// So a key is deleted only while no committed record refers to it and no
// upload of it can commit before the deletion is complete.

// ErrGone is returned by [Claim] when the content was deleted after it was
// stored for the claiming upload; the upload should be made again.
var ErrGone = errors.New("blob: content deleted while the upload was in progress")

// Release records keys that a record referring to them was deleted from
// (or was never stored for) within tx, as candidates for the sweeper.
// Keys referred to by other records are kept: the sweeper checks.
func Release(ctx context.Context, tx *db.Tx, now time.Time, keys ...string) error {
	for _, k := range keys {
		if !validKey(k) {
			return fmt.Errorf("blob: release: %w", errInvalidKey)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blob_orphans (key, since) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
			k, db.NewTime(now)); err != nil {
			return fmt.Errorf("blob: release: %w", err)
		}
	}
	return nil
}

// ReleaseFailed releases, in a transaction of its own, the keys of uploads
// whose records were not stored (their transaction failed), so the content
// does not stay behind for good. It is best effort: an error is returned
// for logging, and the upload's own error is what the user is told.
func ReleaseFailed(ctx context.Context, d *db.DB, now time.Time, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	// The upload's context may be what failed; the release should not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return d.Tx(ctx, func(tx *db.Tx) error { return Release(ctx, tx, now, keys...) })
}

// Claim is called in the transaction that stores a record referring to
// key, after the content was put into s: it withdraws the key from the
// sweeper and checks the content is still there (see the protocol above).
func Claim(ctx context.Context, tx *db.Tx, s Store, key string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM blob_orphans WHERE key = $1`, key); err != nil {
		return fmt.Errorf("blob: claim: %w", err)
	}
	r, err := s.Open(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return ErrGone
	}
	if err != nil {
		return err
	}
	return r.Close()
}

// A Ref names a table column that holds blob keys; the sweeper deletes a
// key only when no row of any Ref holds it. Each column needs an index.
type Ref struct{ Table, Column string }

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Sweeper deletes content no record refers to any more (see the protocol
// above). Run it on one node at a time (it is safe, only wasteful, on
// several).
type Sweeper struct {
	DB    *db.DB
	Store Store
	// Refs are every column that holds blob keys.
	Refs []Ref
	// Grace is how long a candidate waits before it is deleted, so a
	// download that began before its record was deleted can finish;
	// default [DefaultGrace].
	Grace time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives a line per deleted key (keys name content, never a
	// person); default: discarded.
	Log *slog.Logger
}

// DefaultGrace is a Sweeper's default grace period.
const DefaultGrace = time.Hour

// SweepStats counts what one Sweep did.
type SweepStats struct {
	// Deleted is the number of keys whose content was deleted.
	Deleted int
	// Kept is the number of candidates dropped because a record still
	// refers to them.
	Kept int
	// Failed is the number of candidates whose content the store would
	// not delete: each waits a grace period again before the next try.
	Failed int
}

// Sweep deletes the content of every candidate older than the grace
// period that no record refers to, one at a time, until none is left or
// ctx ends. A candidate the store fails to delete is put back to wait a
// grace period again, and the sweep goes on with the others: one key the
// store keeps refusing (a permission, an object lock) must not hold up
// every later one, as it did when each sweep stopped at the oldest
// candidate. The failures are returned together, after the sweep.
func (s *Sweeper) Sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	referenced, err := s.referenced()
	if err != nil {
		return st, err
	}
	now, grace, log := s.now(), s.Grace, s.Log
	if grace <= 0 {
		grace = DefaultGrace
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pick := `SELECT key FROM blob_orphans WHERE since <= $1 ORDER BY since, key LIMIT 1`
	if s.DB.Dialect == db.Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	var failures []error
	for ctx.Err() == nil {
		var key string
		var kept bool
		var deleteErr error
		err := s.DB.Tx(ctx, func(tx *db.Tx) error {
			if err := tx.QueryRowContext(ctx, pick, db.NewTime(now.Add(-grace))).Scan(&key); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, referenced, key).Scan(&kept); err != nil {
				return fmt.Errorf("blob: sweep: %w", err)
			}
			if !kept {
				if deleteErr = s.Store.Delete(ctx, key); deleteErr != nil {
					// Later, after the others: since moves to now,
					// which this sweep's pick no longer reaches.
					_, err := tx.ExecContext(ctx, `UPDATE blob_orphans SET since = $1 WHERE key = $2`, db.NewTime(now), key)
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM blob_orphans WHERE key = $1`, key)
			return err
		})
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return st, errors.Join(failures...)
		case err != nil:
			return st, errors.Join(append(failures, fmt.Errorf("blob: sweep %s: %w", key, err))...)
		case deleteErr != nil:
			st.Failed++
			failures = append(failures, fmt.Errorf("blob: sweep %s: %w", key, deleteErr))
			log.Warn("blob: content could not be deleted; tried again after the grace period", "key", key, "err", deleteErr)
		case kept:
			st.Kept++
		default:
			st.Deleted++
			log.Info("blob: deleted content no record refers to", "key", key)
		}
	}
	return st, errors.Join(append(failures, ctx.Err())...)
}

// now is the sweeper's clock reading.
func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// referenced is the query that tells whether a record refers to key $1.
func (s *Sweeper) referenced() (string, error) {
	if len(s.Refs) == 0 {
		return "", errors.New("blob: sweeper has no refs")
	}
	var exists []string
	for _, r := range s.Refs {
		if !identifier.MatchString(r.Table) || !identifier.MatchString(r.Column) {
			return "", fmt.Errorf("blob: sweeper ref %s.%s is not a plain identifier", r.Table, r.Column)
		}
		exists = append(exists, fmt.Sprintf("EXISTS (SELECT 1 FROM %s WHERE %s = $1)", r.Table, r.Column))
	}
	return "SELECT " + strings.Join(exists, " OR "), nil
}

// Scan lists every file in the store and releases those no record refers
// to, for Sweep to delete once the grace period has passed: files left
// behind before the platform deleted unreferenced uploads, or by a node
// that crashed between storing an upload and its record. It reports how
// many files it found and how many of them it released.
func (s *Sweeper) Scan(ctx context.Context) (files, released int, err error) {
	referenced, err := s.referenced()
	if err != nil {
		return 0, 0, err
	}
	var orphans []string
	err = s.Store.List(ctx, func(key string) error {
		files++
		var held bool
		if err := s.DB.Read().QueryRowContext(ctx, referenced, key).Scan(&held); err != nil {
			return fmt.Errorf("blob: scan: %w", err)
		}
		if !held {
			orphans = append(orphans, key)
		}
		return nil
	})
	if err != nil {
		return files, 0, err
	}
	// A record stored since the check is safe: the sweeper checks again,
	// and an upload's claim withdraws the key.
	for batch := range slices.Chunk(orphans, 100) {
		if err := s.DB.Tx(ctx, func(tx *db.Tx) error { return Release(ctx, tx, s.now(), batch...) }); err != nil {
			return files, released, err
		}
		released += len(batch)
	}
	return files, released, nil
}

// Candidates counts the keys noted for the sweeper, for the operators'
// metrics.
func Candidates(ctx context.Context, q db.Querier) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM blob_orphans`).Scan(&n); err != nil {
		return 0, fmt.Errorf("blob: candidates: %w", err)
	}
	return n, nil
}
