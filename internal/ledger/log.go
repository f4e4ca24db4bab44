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

// hashReader reads stored hashes from the database, keeping what it read
// (and what the sequencer adds) in memory.
type hashReader struct {
	ctx   context.Context
	q     querier
	cache map[int64]tlog.Hash
}

func newHashReader(ctx context.Context, q querier) *hashReader {
	return &hashReader{ctx: ctx, q: q, cache: map[int64]tlog.Hash{}}
}

// ReadHashes implements tlog.HashReader.
func (r *hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	var need []int64
	lo, hi := int64(-1), int64(-1)
	for _, n := range indexes {
		if _, ok := r.cache[n]; ok {
			continue
		}
		need = append(need, n)
		if lo < 0 || n < lo {
			lo = n
		}
		if n > hi {
			hi = n
		}
	}
	if len(need) > 0 {
		var rows *sql.Rows
		var err error
		if hi-lo < int64(4*len(need)+64) {
			// A tile: a dense range is one index scan.
			rows, err = r.q.QueryContext(r.ctx, `SELECT n, hash FROM ledger_hashes WHERE n >= $1 AND n <= $2`, lo, hi)
		} else {
			ph := make([]string, len(need))
			args := make([]any, len(need))
			for i, n := range need {
				ph[i] = "$" + strconv.Itoa(i+1)
				args[i] = n
			}
			rows, err = r.q.QueryContext(r.ctx, `SELECT n, hash FROM ledger_hashes WHERE n IN (`+strings.Join(ph, ", ")+`)`, args...)
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: read hashes: %w", err)
		}
		for rows.Next() {
			var n int64
			var s string
			if err := rows.Scan(&n, &s); err != nil {
				rows.Close()
				return nil, err
			}
			h, err := parseHex(s)
			if err != nil {
				rows.Close()
				return nil, err
			}
			r.cache[n] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for i, n := range indexes {
		h, ok := r.cache[n]
		if !ok {
			return nil, fmt.Errorf("ledger: stored hash %d missing", n)
		}
		out[i] = h
	}
	return out, nil
}

type pending struct {
	id   string
	body []byte
}

// Integrate takes up to Batch pending entries, in the order they were
// committed, appends them to the tree and signs a checkpoint for the new
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
	tree, err := readTree(ctx, l.DB.Write())
	if err != nil {
		return 0, err
	}
	rows, err := l.DB.Write().QueryContext(ctx, `SELECT id, body FROM ledger_entries WHERE idx IS NULL ORDER BY created_at, id LIMIT $1`, batch)
	if err != nil {
		return 0, fmt.Errorf("ledger: pending: %w", err)
	}
	var entries []pending
	for rows.Next() {
		var p pending
		var body string
		if err := rows.Scan(&p.id, &body); err != nil {
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

	// Compute the new hashes outside the transaction: they depend only on
	// the tree at size N, which the conditional update below pins.
	r := newHashReader(ctx, l.DB.Write())
	var add []storedHash
	for i, e := range entries {
		idx := tree.N + int64(i)
		hs, err := tlog.StoredHashes(idx, e.body, r)
		if err != nil {
			return 0, fmt.Errorf("ledger: hash entry %d: %w", idx, err)
		}
		base := tlog.StoredHashCount(idx)
		for j, h := range hs {
			r.cache[base+int64(j)] = h
			add = append(add, storedHash{base + int64(j), h})
		}
	}
	size := tree.N + int64(len(entries))
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return 0, fmt.Errorf("ledger: tree hash: %w", err)
	}
	signed, err := l.sign(Tree{N: size, Hash: root})
	if err != nil {
		return 0, err
	}
	now := db.NewTime(l.now())
	err = l.DB.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE ledger_tree SET size = $1, root = $2, updated_at = $3 WHERE id = 1 AND size = $4`,
			size, hex.EncodeToString(root[:]), now, tree.N)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrRaced
		}
		if err := insertHashes(ctx, tx, add); err != nil {
			return err
		}
		if err := l.setIndexes(ctx, tx, entries, tree.N); err != nil {
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

// storedHash is one hash of the tree's storage layout (tlog.StoredHashIndex).
type storedHash struct {
	n int64
	h tlog.Hash
}

// hashesPerInsert is how many hashes one INSERT statement stores: a batch
// of 4096 entries stores about 8192 hashes.
const hashesPerInsert = 400

// insertHashes stores hashes many rows to a statement, preparing the full
// statement once so the database parses it once per batch, not per chunk.
func insertHashes(ctx context.Context, tx *db.Tx, add []storedHash) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, 2*hashesPerInsert)
	for len(add) > 0 {
		chunk := add[:min(len(add), hashesPerInsert)]
		add = add[len(chunk):]
		args = args[:0]
		for _, s := range chunk {
			args = append(args, s.n, hex.EncodeToString(s.h[:]))
		}
		if len(chunk) < hashesPerInsert {
			if _, err := tx.ExecContext(ctx, insertHashesSQL(len(chunk)), args...); err != nil {
				return err
			}
			continue
		}
		if full == nil {
			var err error
			if full, err = tx.PrepareContext(ctx, insertHashesSQL(hashesPerInsert)); err != nil {
				return err
			}
		}
		if _, err := full.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

func insertHashesSQL(rows int) string {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO ledger_hashes (n, hash) VALUES `)
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "($%d, $%d)", 2*i+1, 2*i+2)
	}
	return sb.String()
}

// setIndexes gives each integrated entry its index. On SQLite, in-process,
// one prepared single-row UPDATE per entry is fastest; on PostgreSQL each
// statement is a round trip, so indexes are set 200 entries to a
// statement (measured with cmd/ledgerbench). Any row already indexed means
// another sequencer won: ErrRaced.
func (l *Log) setIndexes(ctx context.Context, tx *db.Tx, entries []pending, from int64) error {
	if l.DB.Dialect == db.SQLite {
		st, err := tx.PrepareContext(ctx, `UPDATE ledger_entries SET idx = $1 WHERE id = $2 AND idx IS NULL`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, e := range entries {
			res, err := st.ExecContext(ctx, from+int64(i), e.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return ErrRaced
			}
		}
		return nil
	}
	const chunk = 200
	for lo := 0; lo < len(entries); lo += chunk {
		hi := min(lo+chunk, len(entries))
		var cases, in strings.Builder
		args := make([]any, 0, 2*(hi-lo))
		for i := lo; i < hi; i++ {
			args = append(args, entries[i].id, from+int64(i))
			id, idx := len(args)-1, len(args)
			fmt.Fprintf(&cases, " WHEN $%d THEN CAST($%d AS BIGINT)", id, idx)
			if i > lo {
				in.WriteString(", ")
			}
			fmt.Fprintf(&in, "$%d", id)
		}
		res, err := tx.ExecContext(ctx, `UPDATE ledger_entries SET idx = CASE id`+cases.String()+` END WHERE idx IS NULL AND id IN (`+in.String()+`)`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(hi-lo) {
			return ErrRaced
		}
	}
	return nil
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
