package ledger

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// How the log is stored (migration 00019):
//
// Each entry row carries an order key, ord, fixed when it is written; the
// tree holds the entries in key order. On SQLite ord is the rowid, which
// the single writer hands out in commit order. On PostgreSQL it is the
// writing transaction's ID shifted left by db.LedgerOrdShift bits plus a
// sequence number, and the sequencer takes only entries whose
// transactions are older than every transaction still running (see
// fence), so no entry can later appear before one it has integrated.
//
// Integration writes nothing per entry. It records the key ranges it
// integrated in ledger_ranges, split so that no range crosses an entry
// bundle of 256 entries: an entry's index is its range's first index plus
// its rank in the range, at most 255 rows to count. The tree's hashes are
// kept as c2sp.org/tlog-tiles hash tiles of height 8 in ledger_tiles, the
// widest version of each tile only (a narrower one is a prefix of it).
//
// An entry's key order is not always the order in which an object's
// entries were made (on PostgreSQL a transaction that started writing
// earlier has the lower key even if it commits later), so an object's
// history is its chain of prev links, which Verify follows.

// beforeAll is a key below every entry's.
const beforeAll = math.MinInt64

// fence is the condition, on columns of ledger_entries, that an entry's
// transaction is over, so that its place in the key order is final.
func fence(d *db.DB) string {
	if d.Dialect == db.Postgres {
		return ` AND ord < ` + pgFenceSQL + ` * ` + strconv.Itoa(1<<db.LedgerOrdShift)
	}
	// SQLite has one writer: a committed entry's rowid is final.
	return ""
}

// pgFenceSQL is the lowest ID a transaction of this database that may
// still write can have, by the statement's own snapshot: the lowest of
// the snapshot's running transactions, or the next ID to be assigned when
// none runs. Every transaction below it has committed (and is visible to
// the statement) or rolled back. Transactions that pg_stat_activity shows
// in another database of the cluster never write here and do not count,
// so a long transaction elsewhere does not hold the log back; one whose
// database cannot be seen (another role's, without pg_read_all_stats)
// counts.
const pgFenceSQL = `COALESCE(
		(SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
		 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
			WHERE a.datname <> current_database() AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
		pg_snapshot_xmax(pg_current_snapshot())::text::bigint)`

// indexSQL is a scalar subquery giving the index of the entry whose ord
// column is named by col, or NULL while it is pending.
func indexSQL(col string) string {
	return `(SELECT r.first_idx + r.size - 1 - (SELECT COUNT(*) FROM ledger_entries x WHERE x.ord > ` + col + ` AND x.ord <= r.hi)
		FROM ledger_ranges r WHERE r.hi >= ` + col + ` ORDER BY r.hi LIMIT 1)`
}

// tileStore reads hash tiles from the database for tlog.TileHashReader,
// keeping what it read.
type tileStore struct {
	ctx   context.Context
	q     db.Querier
	cache map[[2]int64][]byte // (level, n) -> widest data read
}

func newTileStore(ctx context.Context, q db.Querier) *tileStore {
	return &tileStore{ctx: ctx, q: q, cache: map[[2]int64][]byte{}}
}

func (s *tileStore) Height() int { return TileHeight }

// ReadTiles implements tlog.TileReader: a tile of width W is the first W
// hashes of the widest stored version of it. The tiles not read before
// are read in one query.
func (s *tileStore) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var where strings.Builder
	var args []any
	asked := map[[2]int64]bool{}
	for _, t := range tiles {
		if t.L < 0 || t.H != TileHeight {
			return nil, fmt.Errorf("ledger: not a hash tile: %+v", t)
		}
		k := [2]int64{int64(t.L), t.N}
		if data, ok := s.cache[k]; asked[k] || ok && len(data) >= t.W*tlog.HashSize {
			continue
		}
		asked[k] = true
		if len(args) > 0 {
			where.WriteString(" OR ")
		}
		fmt.Fprintf(&where, "(level = $%d AND n = $%d)", len(args)+1, len(args)+2)
		args = append(args, t.L, t.N)
	}
	if len(args) > 0 {
		rows, err := s.q.QueryContext(s.ctx, `SELECT level, n, data FROM ledger_tiles WHERE `+where.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("ledger: tiles: %w", err)
		}
		for rows.Next() {
			var level, n int64
			var data []byte
			if err := rows.Scan(&level, &n, &data); err != nil {
				rows.Close()
				return nil, err
			}
			s.cache[[2]int64{level, n}] = data
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("ledger: tiles: %w", err)
		}
	}
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, ok := s.cache[[2]int64{int64(t.L), t.N}]
		if !ok {
			return nil, fmt.Errorf("ledger: tile %s: %w", TilePath(t), db.ErrNotFound)
		}
		if len(data) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("ledger: tile %s: stored only %d hashes wide", TilePath(t), len(data)/tlog.HashSize)
		}
		out[i] = data[:t.W*tlog.HashSize]
	}
	return out, nil
}

// SaveTiles implements tlog.TileReader; the tiles are already stored.
func (s *tileStore) SaveTiles([]tlog.Tile, [][]byte) {}

// memHashes is a tlog.HashReader over the hashes computed in memory,
// falling back to the stored tree.
type memHashes struct {
	m    map[int64]tlog.Hash
	next tlog.HashReader
}

func (r *memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var miss []int
	for i, n := range indexes {
		h, ok := r.m[n]
		if !ok {
			miss = append(miss, i)
			continue
		}
		out[i] = h
	}
	if len(miss) == 0 {
		return out, nil
	}
	if r.next == nil {
		return nil, fmt.Errorf("ledger: hash %d not stored", indexes[miss[0]])
	}
	want := make([]int64, len(miss))
	for j, i := range miss {
		want[j] = indexes[i]
	}
	got, err := r.next.ReadHashes(want)
	if err != nil {
		return nil, err
	}
	for j, i := range miss {
		out[i] = got[j]
		r.m[indexes[i]] = got[j]
	}
	return out, nil
}

// ReadHashes implements tlog.HashReader from the stored tiles: each hash
// is read from, or recomputed within, the tile that holds it. The hashes
// are not authenticated here; readers of proofs check them against a
// signed root, and Verify rehashes every entry.
func (s *tileStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	tiles := make([]tlog.Tile, len(indexes))
	for i, n := range indexes {
		tiles[i] = tlog.TileForIndex(TileHeight, n)
	}
	data, err := s.ReadTiles(tiles)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, n := range indexes {
		if out[i], err = tlog.HashFromTile(tiles[i], data[i], n); err != nil {
			return nil, fmt.Errorf("ledger: hash %d: %w", n, err)
		}
	}
	return out, nil
}

// hashReader reads the stored tree's hashes.
func hashReader(ctx context.Context, q db.Querier) tlog.HashReader {
	return newTileStore(ctx, q)
}
