package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Queue describes a table whose rows are work that several nodes share.
// Its fields are SQL identifiers and a condition written in code, never
// input: they are placed into the statement as they are.
//
// A row can be claimed when it is Ready, its Due time has passed, and it is
// not under a live claim (Until is NULL or has passed). Whoever finishes or
// reschedules a row should clear Owner and Until in the same UPDATE.
type Queue struct {
	// Table is the table's name.
	Table string
	// Key is the primary-key column; Claim returns its values.
	Key string
	// Ready is a condition that marks rows still to be done, such as
	// "status = 'pending'".
	Ready string
	// Due is a db.Time column: a row is not claimed before it.
	Due string
	// Owner is a TEXT column that receives the claimant.
	Owner string
	// Until is a nullable db.Time column that receives the claim's
	// expiry.
	Until string
}

// Claim claims up to limit due rows for owner until now+ttl, the earliest
// due first, and returns their keys. Rows another node holds a live claim
// on are never returned; on PostgreSQL rows that another node is claiming
// at this very moment are skipped rather than waited for.
func (q Queue) Claim(ctx context.Context, d *db.DB, owner string, now time.Time, ttl time.Duration, limit int) ([]string, error) {
	if owner == "" || ttl <= 0 || limit <= 0 {
		return nil, errors.New("lease: claim needs an owner, a positive lifetime and a positive limit")
	}
	pick := fmt.Sprintf(`SELECT %[2]s FROM %[1]s
		WHERE %[3]s AND %[4]s <= $3 AND (%[5]s IS NULL OR %[5]s <= $3)
		ORDER BY %[4]s LIMIT $4`, q.Table, q.Key, q.Ready, q.Due, q.Until)
	var query string
	if d.Dialect == db.Postgres {
		// The CTE is evaluated once; FOR UPDATE SKIP LOCKED makes nodes
		// that claim concurrently take disjoint rows, and PostgreSQL
		// re-checks the condition on each row once it holds the lock.
		query = fmt.Sprintf(`WITH picked AS (%[3]s FOR UPDATE SKIP LOCKED)
			UPDATE %[1]s SET %[4]s = $1, %[5]s = $2
			FROM picked WHERE %[1]s.%[2]s = picked.%[2]s
			RETURNING %[1]s.%[2]s`, q.Table, q.Key, pick, q.Owner, q.Until)
	} else {
		// SQLite runs one writer at a time: the statement's selection
		// and update cannot interleave with another node's.
		query = fmt.Sprintf(`UPDATE %[1]s SET %[3]s = $1, %[4]s = $2
			WHERE %[2]s IN (%[5]s)
			RETURNING %[2]s`, q.Table, q.Key, q.Owner, q.Until, pick)
	}
	rows, err := d.Write().QueryContext(ctx, query, owner, db.NewTime(now.Add(ttl)), db.NewTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("lease: claim from %s: %w", q.Table, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("lease: claim from %s: %w", q.Table, err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lease: claim from %s: %w", q.Table, err)
	}
	return keys, nil
}
