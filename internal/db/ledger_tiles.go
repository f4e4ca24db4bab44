package db

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/pressly/goose/v3"
	"golang.org/x/mod/sumdb/tlog"
)

// ledgerTilesVersion is the migration that moves the ledger to a storage
// layout with no write per entry at integration. Its schema differs
// between the dialects and it converts stored hashes into tiles, so it is
// written in Go rather than as a shared SQL file.
const ledgerTilesVersion = 19

// ledgerTilesMigration is migration 00019.
//
// Before it, integrating an entry updated the entry's row to set its
// index and stored each tree hash as a row. After it:
//
//   - entries carry an order key (ord) fixed when they are written. On
//     SQLite it is the rowid, which single-writer SQLite hands out in
//     commit order. On PostgreSQL it is the writing transaction's ID
//     shifted left by LedgerOrdShift bits plus a sequence number; the
//     sequencer integrates only entries of transactions older than every
//     transaction still running, so the prefix of the key order it takes
//     can no longer change.
//   - the sequencer records the key ranges it integrated (ledger_ranges,
//     at most one entry bundle of 256 entries each) instead of an index
//     per entry: an entry's index is its range's first index plus its
//     rank inside the range.
//   - the tree is stored as c2sp.org/tlog-tiles hash tiles of height 8
//     (ledger_tiles, the widest version of each), from which every other
//     tree hash is recomputed.
func ledgerTilesMigration(d Dialect) *goose.Migration {
	return goose.NewGoMigration(ledgerTilesVersion,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return ledgerTilesUp(ctx, tx, d) }},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return fmt.Errorf("db: migration %d (ledger tiles) cannot be undone; restore a backup taken before it", ledgerTilesVersion)
		}})
}

// LedgerOrdShift is how far a PostgreSQL transaction ID is shifted to
// make the high bits of an entry's order key: one transaction may stamp
// up to 2^20 entries.
const LedgerOrdShift = 20

func ledgerTilesUp(ctx context.Context, tx *sql.Tx, d Dialect) error {
	var stmts []string
	if d == Postgres {
		stmts = []string{
			`ALTER TABLE ledger_entries ADD COLUMN ord BIGINT`,
			// Entries written before this migration, in the order the
			// log holds them, get negative keys: below every key that
			// follows.
			`UPDATE ledger_entries e SET ord = o.rn - o.total - 1 FROM (
				SELECT id, ROW_NUMBER() OVER (ORDER BY idx IS NULL, idx, created_at, id) AS rn, COUNT(*) OVER () AS total
				FROM ledger_entries) o
			 WHERE e.id = o.id`,
			`CREATE SEQUENCE ledger_entries_seq`,
			`ALTER TABLE ledger_entries ALTER COLUMN ord SET DEFAULT
				(pg_current_xact_id()::text::bigint * ` + strconv.Itoa(1<<LedgerOrdShift) + ` + nextval('ledger_entries_seq') % ` + strconv.Itoa(1<<LedgerOrdShift) + `),
				ALTER COLUMN ord SET NOT NULL`,
			`DROP INDEX ledger_entries_pending`,
			`ALTER TABLE ledger_entries DROP COLUMN idx`,
			`CREATE UNIQUE INDEX ledger_entries_ord ON ledger_entries (ord)`,
		}
	} else {
		stmts = []string{
			`CREATE TABLE ledger_entries_v2 (
				ord         INTEGER PRIMARY KEY,
				id          TEXT NOT NULL UNIQUE,
				object_type TEXT NOT NULL,
				object_id   TEXT NOT NULL,
				event       TEXT NOT NULL,
				body        TEXT NOT NULL,
				created_at  TEXT NOT NULL
			)`,
			`INSERT INTO ledger_entries_v2 (ord, id, object_type, object_id, event, body, created_at)
			 SELECT ROW_NUMBER() OVER (ORDER BY idx IS NULL, idx, created_at, id), id, object_type, object_id, event, body, created_at
			 FROM ledger_entries`,
			`DROP TABLE ledger_entries`,
			`ALTER TABLE ledger_entries_v2 RENAME TO ledger_entries`,
			`CREATE INDEX ledger_entries_object ON ledger_entries (object_type, object_id, created_at, id)`,
		}
	}
	stmts = append(stmts,
		// BYTEA means nothing to SQLite, which keeps the bytes as a BLOB.
		`CREATE TABLE ledger_tiles (
			level BIGINT NOT NULL,
			n     BIGINT NOT NULL,
			width INTEGER NOT NULL,
			data  BYTEA NOT NULL,
			PRIMARY KEY (level, n)
		)`,
		`CREATE TABLE ledger_ranges (
			first_idx BIGINT PRIMARY KEY,
			size      INTEGER NOT NULL,
			lo        BIGINT NOT NULL,
			hi        BIGINT NOT NULL UNIQUE
		)`,
	)
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("ledger tiles: %w", err)
		}
	}

	var size int64
	if err := tx.QueryRowContext(ctx, `SELECT size FROM ledger_tree WHERE id = 1`).Scan(&size); err != nil {
		return fmt.Errorf("ledger tiles: tree: %w", err)
	}
	if size == 0 {
		_, err := tx.ExecContext(ctx, `DROP TABLE ledger_hashes`)
		return err
	}
	// The integrated entries are the first size in key order; one range
	// per entry bundle of 256.
	rows, err := tx.QueryContext(ctx, `SELECT ord FROM ledger_entries ORDER BY ord LIMIT $1`, size)
	if err != nil {
		return fmt.Errorf("ledger tiles: %w", err)
	}
	var ords []int64
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return err
		}
		ords = append(ords, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if int64(len(ords)) != size {
		return fmt.Errorf("ledger tiles: the tree has %d entries, the store %d integrated", size, len(ords))
	}
	lo := int64(math.MinInt64)
	for first := 0; first < len(ords); first += 256 {
		end := min(first+256, len(ords))
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_ranges (first_idx, size, lo, hi) VALUES ($1, $2, $3, $4)`,
			first, end-first, lo, ords[end-1]); err != nil {
			return fmt.Errorf("ledger tiles: ranges: %w", err)
		}
		lo = ords[end-1]
	}
	r := storedHashReader{ctx: ctx, tx: tx}
	for _, t := range tlog.NewTiles(8, 0, size) {
		data, err := tlog.ReadTileData(t, r)
		if err != nil {
			return fmt.Errorf("ledger tiles: tile %s: %w", t.Path(), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_tiles (level, n, width, data) VALUES ($1, $2, $3, $4)`, t.L, t.N, t.W, data); err != nil {
			return fmt.Errorf("ledger tiles: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE ledger_hashes`); err != nil {
		return fmt.Errorf("ledger tiles: %w", err)
	}
	return nil
}

// storedHashReader reads the hashes migration 00007 stored one to a row.
type storedHashReader struct {
	ctx context.Context
	tx  *sql.Tx
}

func (r storedHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	args := make([]any, len(indexes))
	for i, n := range indexes {
		args[i] = n
	}
	rows, err := r.tx.QueryContext(r.ctx, `SELECT n, hash FROM ledger_hashes WHERE n IN (`+Placeholders(1, len(args))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := map[int64]tlog.Hash{}
	for rows.Next() {
		var n int64
		var s string
		if err := rows.Scan(&n, &s); err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("bad stored hash %d", n)
		}
		got[n] = tlog.Hash(b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, n := range indexes {
		h, ok := got[n]
		if !ok {
			return nil, fmt.Errorf("stored hash %d missing", n)
		}
		out[i] = h
	}
	return out, nil
}
