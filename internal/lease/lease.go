// Package lease coordinates work between the nodes that share one database.
//
// A lease is a named, time-limited right to do something that must happen on
// one node at a time, such as the deadline-warning scheduler or a log
// sequencer. [Acquire] takes a lease that is free, expired or already held
// by the caller, in one atomic INSERT … ON CONFLICT DO UPDATE … WHERE
// statement on both SQLite and PostgreSQL; [Runner] keeps one while it runs a
// job periodically, and stops the job as soon as the lease may be lost.
//
// [Queue.Claim] serves the other shape of shared work: a table of due rows
// that every node helps to drain. Each claim marks a batch of rows with the
// claimant and an expiry, so no two nodes take the same row at once, and a
// row claimed by a node that crashed becomes due again when its claim
// lapses. On PostgreSQL the batch is chosen with FOR UPDATE SKIP LOCKED, so
// nodes claiming at the same moment skip each other's rows instead of
// waiting; SQLite has a single writer, so the same UPDATE is enough.
//
// Leases compare the nodes' clocks: keep them synchronized (NTP) and make
// lifetimes much longer than any skew between them.
package lease

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Acquire takes or renews the lease called name for owner until ttl from
// now. It reports true when owner holds the lease afterwards: the lease was
// free, had expired, or was already owner's. It reports false, without
// error, while another owner holds it.
func Acquire(ctx context.Context, d *db.DB, name, owner string, ttl time.Duration) (bool, error) {
	return AcquireAt(ctx, d, name, owner, time.Now(), ttl)
}

// AcquireAt is [Acquire] with the current time given, for callers with
// their own clock.
func AcquireAt(ctx context.Context, d *db.DB, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if name == "" || owner == "" || ttl <= 0 {
		return false, errors.New("lease: acquire needs a name, an owner and a positive lifetime")
	}
	// The conflict branch updates only a row that has expired or is ours;
	// otherwise it changes nothing and the statement affects no row. Both
	// databases decide this under the row's lock, so two owners racing for
	// a free or expired lease cannot both win.
	res, err := d.Write().ExecContext(ctx, `
		INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.expires_at <= $4 OR leases.owner = excluded.owner`,
		name, owner, db.NewTime(now.Add(ttl)), db.NewTime(now))
	if err != nil {
		return false, fmt.Errorf("lease: acquire %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease: acquire %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives up owner's lease called name, so another owner can take it
// at once instead of waiting for it to expire. Releasing a lease one does
// not hold does nothing.
func Release(ctx context.Context, d *db.DB, name, owner string) error {
	if _, err := d.Write().ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND owner = $2`, name, owner); err != nil {
		return fmt.Errorf("lease: release %s: %w", name, err)
	}
	return nil
}

// Holder returns the current owner of the lease called name and when it
// expires, or db.ErrNotFound when nobody has taken it. An expired lease is
// still returned: the caller compares the expiry with its clock.
func Holder(ctx context.Context, d *db.DB, name string) (owner string, expires time.Time, err error) {
	var exp db.Time
	err = d.Read().QueryRowContext(ctx, `SELECT owner, expires_at FROM leases WHERE name = $1`, name).Scan(&owner, &exp)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", time.Time{}, fmt.Errorf("lease: %s: %w", name, db.ErrNotFound)
		}
		return "", time.Time{}, fmt.Errorf("lease: %s: %w", name, err)
	}
	return owner, exp.Time, nil
}

// NewOwner returns an owner name unique to this process and call: the host
// name, the process ID and a random suffix, so operators can tell which node
// holds a lease.
func NewOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
