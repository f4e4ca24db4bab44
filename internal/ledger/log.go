package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// ErrRaced is returned by [Log.Integrate] when another sequencer moved the
// tree while this one was computing its batch; nothing was written, and the
// next run starts from the new tree.
var ErrRaced = errors.New("ledger: another sequencer integrated first")

// Log is the ledger's tree over the database: the sequencer that
// integrates pending entries and signs checkpoints, and the readers behind
// the public tiles and receipts.
type Log struct {
	DB *db.DB
	// Keys sign checkpoints. Readers need only the public halves, but a
	// Log without Keys cannot integrate.
	Keys *Keys
	// Batch is the most entries one Integrate call takes; default 4096.
	Batch int
	// Now is the clock for checkpoint times; default time.Now.
	Now func() time.Time
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Tree is a tree size and its root hash.
type Tree = tlog.Tree

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256 of nothing.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// CurrentTree returns the integrated tree's size and root.
func (l *Log) CurrentTree(ctx context.Context) (Tree, error) {
	return readTree(ctx, l.DB.Read())
}

type querier = db.Querier

func readTree(ctx context.Context, q querier) (Tree, error) {
	var t Tree
	var root string
	if err := q.QueryRowContext(ctx, `SELECT size, root FROM ledger_tree WHERE id = 1`).Scan(&t.N, &root); err != nil {
		return t, fmt.Errorf("ledger: tree: %w", err)
	}
	h, err := parseHex(root)
	if err != nil {
		return t, err
	}
	t.Hash = h
	return t, nil
}

func parseHex(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("ledger: bad stored hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

type pending struct {
	ord  int64
	body []byte
}

// Integrate takes up to Batch pending entries, in the log's order (see
// store.go), appends them to the tree and signs a checkpoint for the new
// size, all in one transaction that moves the tree state from the size it
// started from (UPDATE ... WHERE size = N): if another sequencer got there
// first it returns ErrRaced and writes nothing. With no pending entries it
// signs a checkpoint only when there is none for the current size (the
// empty tree on first start). It returns how many entries it integrated.
func (l *Log) Integrate(ctx context.Context) (int, error) {
	if l.Keys == nil {
		return 0, errors.New("ledger: integrate: no signing keys")
	}
	batch := l.Batch
	if batch <= 0 {
		batch = 4096
	}
	// The tree and the last integrated key, from one snapshot.
	var tree Tree
	var root string
	var last, rangeEnd sql.NullInt64
	err := l.DB.Write().QueryRowContext(ctx, `SELECT t.size, t.root, r.hi, r.first_idx + r.size
		FROM ledger_tree t LEFT JOIN (SELECT * FROM ledger_ranges ORDER BY first_idx DESC LIMIT 1) r ON 1 = 1
		WHERE t.id = 1`).Scan(&tree.N, &root, &last, &rangeEnd)
	if err != nil {
		return 0, fmt.Errorf("ledger: tree: %w", err)
	}
	if tree.Hash, err = parseHex(root); err != nil {
		return 0, err
	}
	if rangeEnd.Int64 != tree.N {
		return 0, fmt.Errorf("ledger: the integrated ranges end at %d but the tree has %d entries", rangeEnd.Int64, tree.N)
	}
	if !last.Valid {
		last.Int64 = beforeAll
	}
	rows, err := l.DB.Write().QueryContext(ctx, `SELECT ord, body FROM ledger_entries
		WHERE ord > $1`+fence(l.DB)+` ORDER BY ord LIMIT $2`, last.Int64, batch)
	if err != nil {
		return 0, fmt.Errorf("ledger: pending: %w", err)
	}
	var entries []pending
	for rows.Next() {
		var p pending
		var body string
		if err := rows.Scan(&p.ord, &body); err != nil {
			rows.Close()
			return 0, err
		}
		p.body = []byte(body)
		entries = append(entries, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 0, l.ensureCheckpoint(ctx, tree)
	}

	// Compute the new hashes and tiles outside the transaction: they
	// depend only on the tree at size N, which the conditional update
	// below pins.
	mem := &memHashes{m: make(map[int64]tlog.Hash, 2*len(entries)+64)}
	if tree.N > 0 {
		mem.next = newTileStore(ctx, l.DB.Write())
	}
	for i, e := range entries {
		idx := tree.N + int64(i)
		hs, err := tlog.StoredHashes(idx, e.body, mem)
		if err != nil {
			return 0, fmt.Errorf("ledger: hash entry %d: %w", idx, err)
		}
		base := tlog.StoredHashCount(idx)
		for j, h := range hs {
			mem.m[base+int64(j)] = h
		}
	}
	size := tree.N + int64(len(entries))
	newRoot, err := tlog.TreeHash(size, mem)
	if err != nil {
		return 0, fmt.Errorf("ledger: tree hash: %w", err)
	}
	tiles := tlog.NewTiles(TileHeight, tree.N, size)
	tileData := make([][]byte, len(tiles))
	for i, t := range tiles {
		if tileData[i], err = tlog.ReadTileData(t, mem); err != nil {
			return 0, fmt.Errorf("ledger: tile %s: %w", TilePath(t), err)
		}
	}
	signed, err := l.sign(Tree{N: size, Hash: newRoot})
	if err != nil {
		return 0, err
	}
	now := db.NewTime(l.now())
	err = l.DB.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE ledger_tree SET size = $1, root = $2, updated_at = $3 WHERE id = 1 AND size = $4`,
			size, hex.EncodeToString(newRoot[:]), now, tree.N)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrRaced
		}
		if err := writeTiles(ctx, tx, tiles, tileData); err != nil {
			return err
		}
		if err := writeRanges(ctx, tx, tree.N, last.Int64, entries); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, note, created_at) VALUES ($1, $2, $3)`, size, string(signed), now)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrRaced) || db.IsUniqueViolation(err) {
			return 0, ErrRaced
		}
		return 0, fmt.Errorf("ledger: integrate: %w", err)
	}
	return len(entries), nil
}

// Waiting reports whether committed entries wait for integration: on
// PostgreSQL, after a run, those of transactions that ended while an older
// one was still running (see store.go).
func (l *Log) Waiting(ctx context.Context) (bool, error) {
	var waiting bool
	err := l.DB.Read().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_entries
		WHERE ord > COALESCE((SELECT MAX(hi) FROM ledger_ranges), $1))`, int64(beforeAll)).Scan(&waiting)
	if err != nil {
		return false, fmt.Errorf("ledger: waiting: %w", err)
	}
	return waiting, nil
}

// writeTiles stores each tile, replacing a narrower version of it.
func writeTiles(ctx context.Context, tx *db.Tx, tiles []tlog.Tile, data [][]byte) error {
	st, err := tx.PrepareContext(ctx, `INSERT INTO ledger_tiles (level, n, width, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (level, n) DO UPDATE SET width = excluded.width, data = excluded.data WHERE ledger_tiles.width < excluded.width`)
	if err != nil {
		return err
	}
	defer st.Close()
	for i, t := range tiles {
		if _, err := st.ExecContext(ctx, t.L, t.N, t.W, data[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeRanges records the key ranges of the entries integrated from index
// from on, split at entry bundle boundaries. last is the key of the entry
// before them.
func writeRanges(ctx context.Context, tx *db.Tx, from, last int64, entries []pending) error {
	var args []any
	lo := last
	for i := 0; i < len(entries); {
		first := from + int64(i)
		end := min(len(entries), i+int(256-first%256))
		hi := entries[end-1].ord
		args = append(args, first, end-i, lo, hi)
		lo, i = hi, end
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger_ranges (first_idx, size, lo, hi) VALUES `+db.Rows(4, len(args)/4), args...)
	return err
}

// ensureCheckpoint signs a checkpoint for tree when there is none yet.
func (l *Log) ensureCheckpoint(ctx context.Context, tree Tree) error {
	var n int
	if err := l.DB.Write().QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_checkpoints WHERE size = $1`, tree.N).Scan(&n); err != nil {
		return fmt.Errorf("ledger: checkpoint: %w", err)
	}
	if n > 0 {
		return nil
	}
	if tree.N == 0 {
		tree.Hash = emptyRoot
	}
	signed, err := l.sign(tree)
	if err != nil {
		return err
	}
	_, err = l.DB.Write().ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, note, created_at) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING`,
		tree.N, string(signed), db.NewTime(l.now()))
	if err != nil {
		return fmt.Errorf("ledger: checkpoint: %w", err)
	}
	return nil
}

// CheckpointText is the c2sp.org/tlog-checkpoint note text for a tree.
func CheckpointText(origin string, t Tree) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, t.N, base64.StdEncoding.EncodeToString(t.Hash[:]))
}

func (l *Log) sign(t Tree) ([]byte, error) {
	b, err := note.Sign(&note.Note{Text: CheckpointText(l.Keys.Origin(), t)}, l.Keys.Ed25519, l.Keys.SM2)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign checkpoint: %w", err)
	}
	return b, nil
}

// ParseCheckpoint reads a checkpoint's note text: origin, size, root hash.
// Extension lines are allowed and ignored.
func ParseCheckpoint(text string) (origin string, t Tree, err error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return "", t, errors.New("ledger: malformed checkpoint")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return "", t, errors.New("ledger: malformed checkpoint size")
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return "", t, errors.New("ledger: malformed checkpoint root")
	}
	t.N = n
	copy(t.Hash[:], h)
	return lines[0], t, nil
}

// Checkpoint returns the latest signed checkpoint, db.ErrNotFound before
// the first one is signed.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	var s string
	err := l.DB.Read().QueryRowContext(ctx, `SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger: checkpoint: %w", db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: checkpoint: %w", err)
	}
	return []byte(s), nil
}

// Backlog reports how many appended entries wait past the last one
// integrated (those Waiting reports) and the size of the tree, for the
// operators' metrics: entries that keep waiting mean the sequencer is not
// running.
func (l *Log) Backlog(ctx context.Context) (pending, size int64, err error) {
	if err := l.DB.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entries
		WHERE ord > COALESCE((SELECT MAX(hi) FROM ledger_ranges), $1)`, int64(beforeAll)).Scan(&pending); err != nil {
		return 0, 0, fmt.Errorf("ledger: backlog: %w", err)
	}
	if err := l.DB.Read().QueryRowContext(ctx, `SELECT size FROM ledger_tree WHERE id = 1`).Scan(&size); err != nil {
		return 0, 0, fmt.Errorf("ledger: backlog: %w", err)
	}
	return pending, size, nil
}
