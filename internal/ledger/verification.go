package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// maxRecordedBreaks is how many breaks a recorded verification keeps; the
// count is always complete, and the command prints them all.
const maxRecordedBreaks = 100

// Verification is the recorded outcome of one verification run.
type Verification struct {
	ID         string
	StartedAt  time.Time
	FinishedAt time.Time
	// Source is "command" (tongban verify) or "serve" (the periodic run).
	Source string
	Node   string
	// TreeSize, Entries, Pending and Objects are the Report's figures.
	TreeSize                  int64
	Entries, Pending, Objects int
	// BreakCount is how many breaks were found; Breaks the first of them.
	BreakCount int
	Breaks     []string
	// Error is why verification could not run; empty when it ran.
	Error string
}

// OK reports whether the run completed and found nothing wrong.
func (v *Verification) OK() bool { return v.Error == "" && v.BreakCount == 0 }

// NewVerification describes the outcome of a run that started at started:
// rep when Verify returned it, runErr when it failed.
func NewVerification(source, node string, started, finished time.Time, rep *Report, runErr error) *Verification {
	v := &Verification{ID: db.NewID(), StartedAt: started, FinishedAt: finished, Source: source, Node: node}
	if runErr != nil {
		v.Error = runErr.Error()
	}
	if rep != nil {
		v.TreeSize, v.Entries, v.Pending, v.Objects = rep.Tree.N, rep.Entries, rep.Pending, rep.Objects
		v.BreakCount = len(rep.Breaks)
		for i, b := range rep.Breaks {
			if i == maxRecordedBreaks {
				break
			}
			v.Breaks = append(v.Breaks, strings.ReplaceAll(b.String(), "\n", " "))
		}
	}
	return v
}

// RecordVerification stores a verification's outcome.
func RecordVerification(ctx context.Context, d *db.DB, v *Verification) error {
	_, err := d.Write().ExecContext(ctx, `INSERT INTO ledger_verifications (id, started_at, finished_at, source, node, tree_size, entries, pending, objects, break_count, breaks, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		v.ID, db.NewTime(v.StartedAt), db.NewTime(v.FinishedAt), v.Source, v.Node, v.TreeSize, v.Entries, v.Pending, v.Objects,
		v.BreakCount, strings.Join(v.Breaks, "\n"), v.Error)
	if err != nil {
		return fmt.Errorf("ledger: record verification: %w", err)
	}
	return nil
}

// LastVerification returns the most recent recorded verification,
// db.ErrNotFound when there is none.
func LastVerification(ctx context.Context, d *db.DB) (*Verification, error) {
	v := &Verification{}
	var started, finished db.Time
	var breaks string
	err := d.Read().QueryRowContext(ctx, `SELECT id, started_at, finished_at, source, node, tree_size, entries, pending, objects, break_count, breaks, error
		FROM ledger_verifications ORDER BY finished_at DESC, id DESC LIMIT 1`).Scan(
		&v.ID, &started, &finished, &v.Source, &v.Node, &v.TreeSize, &v.Entries, &v.Pending, &v.Objects, &v.BreakCount, &breaks, &v.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger: last verification: %w", db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: last verification: %w", err)
	}
	v.StartedAt, v.FinishedAt = started.Time, finished.Time
	if breaks != "" {
		v.Breaks = strings.Split(breaks, "\n")
	}
	return v, nil
}
