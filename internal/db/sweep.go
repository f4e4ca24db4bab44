package db

import (
	"context"
	"fmt"
)

// Sweep is the loop of the deadline-warning scans: it reads the IDs that
// query selects (with arg as $1, at most batch of them), hands them to fn,
// and reads again, until a read finds fewer than batch IDs or fn changed
// none of them. fn reports how many it changed; a conditional update that
// finds a row already changed (by an overlapping scan, or a user acting
// first) does not count, so the loop cannot spin on rows it cannot
// change. Sweep returns the total changed.
func (d *DB) Sweep(ctx context.Context, query string, arg any, batch int, fn func(ids []string) (int, error)) (int, error) {
	total := 0
	for {
		rows, err := d.Read().QueryContext(ctx, query, arg)
		if err != nil {
			return total, fmt.Errorf("db: sweep: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return total, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, err
		}
		if len(ids) == 0 {
			return total, nil
		}
		changed, err := fn(ids)
		total += changed
		if err != nil {
			return total, err
		}
		if changed == 0 || len(ids) < batch {
			return total, nil
		}
	}
}
