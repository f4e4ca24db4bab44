package rating

import (
	"context"
	"fmt"

	"github.com/tongban/tongban/internal/db"
)

// The figures' running tallies (rating_tallies, rectification_tallies)
// change in the transaction of the change they count, so they always
// agree with the rows; a test checks them against a full recount.

// tallyRating adds delta ratings of level l for the department and
// service.
func tallyRating(ctx context.Context, tx *db.Tx, dept, service, serviceName string, l Level, delta int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rating_tallies (department_code, service_code, level, service_name, n) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (department_code, service_code, level) DO UPDATE SET n = rating_tallies.n + excluded.n, service_name = excluded.service_name`,
		dept, service, string(l), serviceName, delta)
	if err != nil {
		return fmt.Errorf("rating: tally: %w", err)
	}
	return nil
}

// rectTally is a change to a department's and service's rectification
// tally.
type rectTally struct {
	opened, done, doneOnTime, overdue, calledBack, satisfied int
}

func tallyRectification(ctx context.Context, tx *db.Tx, dept, service string, d rectTally) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rectification_tallies (department_code, service_code, opened, done, done_on_time, overdue, called_back, satisfied)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (department_code, service_code) DO UPDATE SET opened = rectification_tallies.opened + excluded.opened,
			done = rectification_tallies.done + excluded.done, done_on_time = rectification_tallies.done_on_time + excluded.done_on_time,
			overdue = rectification_tallies.overdue + excluded.overdue, called_back = rectification_tallies.called_back + excluded.called_back,
			satisfied = rectification_tallies.satisfied + excluded.satisfied`,
		dept, service, d.opened, d.done, d.doneOnTime, d.overdue, d.calledBack, d.satisfied)
	if err != nil {
		return fmt.Errorf("rating: tally: %w", err)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
