// Package ledger is Tongban's tamper-evident log (上链盖戳): a transparency
// log in the design of Certificate Transparency (RFC 6962) and the Go
// checksum database, published per the C2SP specifications
// (c2sp.org/tlog-tiles, tlog-checkpoint, signed-note, tlog-proof).
//
// A domain package stamps a state change with [Append] in the transaction
// that makes the change, so there is never a decision without its entry nor
// an entry without its decision. An entry is canonical JSON carrying no
// personal data: the event, the object's type and opaque ID, the time, the
// acting department and role, the SHA-256 and SM3 digests of the object's
// canonical state after the change, and a link to the object's previous
// entry. Entries are pending until a [Log]'s sequencer integrates them into
// the Merkle tree (hashes from golang.org/x/mod/sumdb/tlog, stored in the
// database) and signs a checkpoint with Ed25519 and SM2.
package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/tongban/tongban/internal/db"
)

// MaxEntrySize is the largest entry body, in bytes. Entry bundles prefix
// each entry with a 16-bit length, so no entry can be larger than 65535.
const MaxEntrySize = 4096

// Entry is one stamp. Its JSON form, with the keys in this (lexicographic)
// order, no insignificant whitespace and times in UTC, is the canonical
// body that is hashed into the tree.
type Entry struct {
	// At is when the change happened, UTC, millisecond precision.
	At string `json:"at"`
	// Department is the acting department's code; empty for applicants.
	Department string `json:"department,omitempty"`
	// Event names the change, such as "submitted" or "approve".
	Event string `json:"event"`
	// ID is the entry's own random identifier, known from the moment it
	// is appended, before it has an index.
	ID string `json:"id"`
	// ObjectID is the record's opaque identifier.
	ObjectID string `json:"object_id"`
	// ObjectType is the kind of record, such as "application".
	ObjectType string `json:"object_type"`
	// Prev is the ID of the record's previous entry; empty for the first.
	Prev string `json:"prev,omitempty"`
	// PrevIndex is the previous entry's index in the tree when it was
	// already integrated at the time of appending.
	PrevIndex *int64 `json:"prev_index,omitempty"`
	// Role is the acting role, such as "clerk" or "applicant".
	Role string `json:"role,omitempty"`
	// SHA256 and SM3 are the hex digests of the record's canonical state
	// after the change.
	SHA256 string `json:"sha256"`
	SM3    string `json:"sm3"`

	// State is the record's canonical state after the change; Append
	// digests it. It is not part of the entry.
	State []byte `json:"-"`
}

// Digests returns the lowercase hex SHA-256 and SM3 digests of state.
func Digests(state []byte) (sha, sm string) {
	s := sha256.Sum256(state)
	h := sm3.New()
	h.Write(state)
	return hex.EncodeToString(s[:]), hex.EncodeToString(h.Sum(nil))
}

// Canonical returns the entry's canonical JSON body.
func (e *Entry) Canonical() ([]byte, error) {
	return json.Marshal(e)
}

// ParseEntry reads an entry body and checks it is canonical: re-encoding
// it gives the same bytes.
func ParseEntry(body []byte) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("ledger: entry: %w", err)
	}
	again, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	if string(again) != string(body) {
		return nil, errors.New("ledger: entry is not canonical JSON")
	}
	return &e, nil
}

// Append stamps a change in tx: it digests e.State, links the entry to the
// object's previous entry, and stores it pending integration. It returns
// the stored entry. e.At defaults to now.
func Append(ctx context.Context, tx *db.Tx, e Entry) (*Entry, error) {
	if e.Event == "" || e.ObjectType == "" || e.ObjectID == "" {
		return nil, errors.New("ledger: append: event, object type and object ID are required")
	}
	at := time.Now()
	if e.At != "" {
		t, err := time.Parse(time.RFC3339Nano, e.At)
		if err != nil {
			return nil, fmt.Errorf("ledger: append: time %q: %w", e.At, err)
		}
		at = t
	}
	e.At = FormatTime(at)
	e.ID = db.NewID()
	e.SHA256, e.SM3 = Digests(e.State)
	var prev string
	var prevIdx sql.NullInt64
	var prevAt db.Time
	err := tx.QueryRowContext(ctx, `SELECT e.id, `+indexSQL("e.ord")+`, e.created_at FROM ledger_entries e WHERE e.object_type = $1 AND e.object_id = $2
		ORDER BY e.created_at DESC, e.id DESC LIMIT 1`, e.ObjectType, e.ObjectID).Scan(&prev, &prevIdx, &prevAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("ledger: append: previous entry: %w", err)
	default:
		e.Prev = prev
		if prevIdx.Valid {
			n := prevIdx.Int64
			e.PrevIndex = &n
		}
	}
	body, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	if len(body) > MaxEntrySize {
		return nil, fmt.Errorf("ledger: append: entry of %d bytes is over %d", len(body), MaxEntrySize)
	}
	// created_at orders an object's entries for the previous-entry lookup
	// above; the sequence within one transaction is kept by the clock's
	// monotonic reading, and ties fall back to the ID. An entry always
	// comes after its previous one, also when that was written by a node
	// whose clock runs ahead: otherwise the next lookup would find the
	// previous entry again and the object's chain would fork. The log's
	// own order is the ord column the database fills in (see store.go).
	created := nextStamp()
	if prev != "" && !created.After(prevAt.Time) {
		created = prevAt.Time.Add(time.Microsecond)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO ledger_entries (id, object_type, object_id, event, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, e.ObjectType, e.ObjectID, e.Event, string(body), db.NewTime(created))
	if err != nil {
		return nil, fmt.Errorf("ledger: append: %w", err)
	}
	return &e, nil
}

// FormatTime is the entries' time format: UTC, milliseconds.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

var (
	stampMu   sync.Mutex
	lastStamp time.Time
)

// nextStamp returns the current time, at least a microsecond after the
// last one it returned, so entries appended one after another by this
// process sort in the order they were appended.
func nextStamp() time.Time {
	stampMu.Lock()
	defer stampMu.Unlock()
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(lastStamp) {
		t = lastStamp.Add(time.Microsecond)
	}
	lastStamp = t
	return t
}
