package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
)

// ErrPending is returned for a receipt of an entry not yet integrated.
var ErrPending = errors.New("ledger: entry not yet integrated")

// Stamp is an entry as stored: its body and, once integrated, its index.
type Stamp struct {
	Entry
	// Index is the entry's position in the tree; -1 while pending.
	Index int64
	Body  []byte
}

// Stamps returns an object's entries, oldest first.
func (l *Log) Stamps(ctx context.Context, objectType, objectID string) ([]Stamp, error) {
	rows, err := l.DB.Read().QueryContext(ctx, `SELECT `+indexSQL("e.ord")+`, e.body FROM ledger_entries e WHERE e.object_type = $1 AND e.object_id = $2 ORDER BY e.created_at, e.id`, objectType, objectID)
	if err != nil {
		return nil, fmt.Errorf("ledger: stamps: %w", err)
	}
	defer rows.Close()
	var out []Stamp
	for rows.Next() {
		var idx sql.NullInt64
		var body string
		if err := rows.Scan(&idx, &body); err != nil {
			return nil, err
		}
		s := Stamp{Index: -1, Body: []byte(body)}
		if idx.Valid {
			s.Index = idx.Int64
		}
		e, err := ParseEntry(s.Body)
		if err != nil {
			return nil, err
		}
		s.Entry = *e
		out = append(out, s)
	}
	return out, rows.Err()
}

// ProofHeader is the first line of a c2sp.org/tlog-proof@v1 receipt.
const ProofHeader = "c2sp.org/tlog-proof@v1"

// Receipt returns a c2sp.org/tlog-proof@v1 receipt (存证回执) for the entry
// with the given ID: the entry itself on the extra line, its index, the
// inclusion proof, and the latest signed checkpoint. An unknown entry is
// db.ErrNotFound; one still pending is ErrPending.
func (l *Log) Receipt(ctx context.Context, entryID string) ([]byte, error) {
	var idx sql.NullInt64
	var body string
	err := l.DB.Read().QueryRowContext(ctx, `SELECT `+indexSQL("e.ord")+`, e.body FROM ledger_entries e WHERE e.id = $1`, entryID).Scan(&idx, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ledger: entry %s: %w", entryID, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt: %w", err)
	}
	if !idx.Valid {
		return nil, ErrPending
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	n, err := note.Open(cp, nil)
	var unverified *note.UnverifiedNoteError
	if errors.As(err, &unverified) {
		n = unverified.Note
	} else if err != nil {
		return nil, fmt.Errorf("ledger: receipt: checkpoint: %w", err)
	}
	_, tree, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	if idx.Int64 >= tree.N {
		return nil, ErrPending
	}
	proof, err := tlog.ProveRecord(tree.N, idx.Int64, hashReader(ctx, l.DB.Read()))
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nextra %s\nindex %d\n", ProofHeader, base64.StdEncoding.EncodeToString([]byte(body)), idx.Int64)
	for _, h := range proof {
		fmt.Fprintf(&b, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
	}
	b.WriteString("\n")
	b.Write(cp)
	return b.Bytes(), nil
}

// Verified is what a checked receipt proves.
type Verified struct {
	Entry *Entry
	Index int64
	Tree  Tree
	// Origin is the checkpoint's origin line.
	Origin string
}

// VerifyReceipt checks a c2sp.org/tlog-proof@v1 receipt offline: the
// checkpoint must be signed by one of known (and name the log's origin,
// the key's name), and the entry on the extra line must hash, through the
// inclusion proof, to the checkpoint's root at the given index.
func VerifyReceipt(data []byte, known note.Verifiers) (*Verified, error) {
	text := string(data)
	line := func() (string, bool) {
		l, rest, ok := strings.Cut(text, "\n")
		if !ok {
			return "", false
		}
		text = rest
		return l, true
	}
	if l, ok := line(); !ok || l != ProofHeader {
		return nil, errors.New("ledger: not a c2sp.org/tlog-proof@v1 receipt")
	}
	l, ok := line()
	if !ok {
		return nil, errors.New("ledger: truncated receipt")
	}
	var extra []byte
	if e, ok := strings.CutPrefix(l, "extra "); ok {
		var err error
		if extra, err = base64.StdEncoding.DecodeString(e); err != nil {
			return nil, errors.New("ledger: receipt: bad extra line")
		}
		if l, ok = line(); !ok {
			return nil, errors.New("ledger: truncated receipt")
		}
	}
	is, ok := strings.CutPrefix(l, "index ")
	index, err := strconv.ParseInt(is, 10, 64)
	if !ok || err != nil || index < 0 || strconv.FormatInt(index, 10) != is {
		return nil, errors.New("ledger: receipt: bad index line")
	}
	var proof tlog.RecordProof
	for {
		l, ok := line()
		if !ok {
			return nil, errors.New("ledger: truncated receipt")
		}
		if l == "" {
			break
		}
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return nil, errors.New("ledger: receipt: bad proof line")
		}
		proof = append(proof, tlog.Hash(h))
	}
	n, err := note.Open([]byte(text), known)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt: checkpoint signature: %w", err)
	}
	origin, tree, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	for _, s := range n.Sigs {
		if s.Name != origin {
			return nil, fmt.Errorf("ledger: receipt: checkpoint of %q signed by %q", origin, s.Name)
		}
	}
	if extra == nil {
		return nil, errors.New("ledger: receipt carries no entry")
	}
	if index >= tree.N {
		return nil, errors.New("ledger: receipt: index beyond the checkpoint's tree")
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(extra)); err != nil {
		return nil, fmt.Errorf("ledger: receipt: inclusion proof: %w", err)
	}
	e, err := ParseEntry(extra)
	if err != nil {
		return nil, err
	}
	return &Verified{Entry: e, Index: index, Tree: tree, Origin: origin}, nil
}
