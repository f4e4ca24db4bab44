package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// ConsistencyProof proves that the tree of size old is a prefix of the
// tree of size n (RFC 6962, section 2.1.2), from the stored hashes.
func (l *Log) ConsistencyProof(ctx context.Context, old, n int64) (tlog.TreeProof, error) {
	p, err := tlog.ProveTree(n, old, hashReader(ctx, l.DB.Read()))
	if err != nil {
		return nil, fmt.Errorf("ledger: consistency proof %d→%d: %w", old, n, err)
	}
	return p, nil
}

// AddCosignatures appends signature lines (a witness's cosignatures, as
// c2sp.org/tlog-witness returns them) to the stored checkpoint of size n,
// so /ledger/checkpoint and later receipts carry them. Lines already there
// are not added twice.
func (l *Log) AddCosignatures(ctx context.Context, n int64, lines []byte) error {
	for range 3 {
		var cur string
		err := l.DB.Write().QueryRowContext(ctx, `SELECT note FROM ledger_checkpoints WHERE size = $1`, n).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("ledger: cosign %d: %w", n, db.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("ledger: cosign %d: %w", n, err)
		}
		next := []byte(cur)
		for line := range bytes.Lines(lines) {
			if !bytes.HasPrefix(line, []byte("— ")) || !bytes.HasSuffix(line, []byte("\n")) {
				return fmt.Errorf("ledger: cosign %d: %q is not a signature line", n, line)
			}
			if !bytes.Contains(next, line) {
				next = append(next, line...)
			}
		}
		if string(next) == cur {
			return nil
		}
		res, err := l.DB.Write().ExecContext(ctx, `UPDATE ledger_checkpoints SET note = $1 WHERE size = $2 AND note = $3`, string(next), n, cur)
		if err != nil {
			return fmt.Errorf("ledger: cosign %d: %w", n, err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			return nil
		}
	}
	return fmt.Errorf("ledger: cosign %d: the checkpoint kept changing", n)
}
