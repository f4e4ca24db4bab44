package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// StateFunc returns a record's current canonical state, the bytes its
// ledger entries digest.
type StateFunc func(ctx context.Context, id string) ([]byte, error)

// Break is one disagreement between the store and the log.
type Break struct {
	ObjectType string
	ObjectID   string
	EntryID    string
	// Index is the entry's position in the tree; -1 for a pending entry
	// or a break of the tree as a whole.
	Index   int64
	Event   string
	Problem string
}

func (b Break) String() string {
	if b.ObjectID == "" && b.EntryID == "" {
		return b.Problem
	}
	return fmt.Sprintf("%s %s: entry %s (index %d, %s): %s", b.ObjectType, b.ObjectID, b.EntryID, b.Index, b.Event, b.Problem)
}

// Report is the outcome of [Log.Verify].
type Report struct {
	// Tree is the signed tree that was checked.
	Tree Tree
	// Checkpoint is the signed checkpoint checked against.
	Checkpoint []byte
	// Entries is how many integrated entries were rehashed; Pending how
	// many wait for integration; Objects how many records were checked.
	Entries, Pending, Objects int
	Breaks                    []Break
}

// Verify checks the store against the log: the latest checkpoint is signed
// by a known key; every integrated entry hashes to its stored leaf and all
// of them to the signed root; the tree is consistent with last (a
// checkpoint this verifier saw before, or nil); an object's entries link to
// each other; and every logged record's current state hashes to the digests
// of its latest entry. Object types without a StateFunc are not checked
// against their records.
func (l *Log) Verify(ctx context.Context, known note.Verifiers, last []byte, states map[string]StateFunc) (*Report, error) {
	rep := &Report{}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	n, err := note.Open(cp, known)
	if err != nil {
		return nil, fmt.Errorf("ledger: verify: checkpoint signature: %w", err)
	}
	origin, tree, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	rep.Tree, rep.Checkpoint = tree, cp
	broke := func(b Break) { rep.Breaks = append(rep.Breaks, b) }

	// Rehash every integrated entry, in index order, into an in-memory
	// copy of the tree.
	var hashes []tlog.Hash
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(hashes)) {
				return nil, fmt.Errorf("ledger: hash %d not computed", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	stored := newHashReader(ctx, l.DB.Read())
	type latest struct {
		id, event, sha, sm3 string
		index               int64
	}
	last2 := map[[2]string]latest{}
	rows, err := l.DB.Read().QueryContext(ctx, `SELECT id, idx, object_type, object_id, body FROM ledger_entries ORDER BY idx IS NULL, idx, created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("ledger: verify: %w", err)
	}
	var next int64
	gap := false
	for rows.Next() {
		var id, otype, oid, body string
		var idx sql.NullInt64
		if err := rows.Scan(&id, &idx, &otype, &oid, &body); err != nil {
			rows.Close()
			return nil, err
		}
		index := int64(-1)
		e, perr := ParseEntry([]byte(body))
		if idx.Valid {
			index = idx.Int64
			if index != next {
				broke(Break{Index: next, Problem: fmt.Sprintf("entry at index %d is missing", next)})
				next, gap = index, true
			}
			next++
			if index < tree.N && !gap {
				if index%256 == 0 {
					// The stored leaves of the next 256 entries, in one query.
					stored.cache = map[int64]tlog.Hash{}
					var block []int64
					for i := index; i < min(index+256, tree.N); i++ {
						block = append(block, tlog.StoredHashIndex(0, i))
					}
					stored.ReadHashes(block)
				}
				leaf := tlog.RecordHash([]byte(body))
				if hs, err := stored.ReadHashes([]int64{tlog.StoredHashIndex(0, index)}); err == nil && hs[0] != leaf {
					broke(Break{ObjectType: otype, ObjectID: oid, EntryID: id, Index: index, Event: eventOf(e), Problem: "the entry does not hash to its leaf in the tree: it was changed after integration"})
				}
				add, err := tlog.StoredHashesForRecordHash(index, leaf, mem)
				if err != nil {
					rows.Close()
					return nil, err
				}
				hashes = append(hashes, add...)
				rep.Entries++
			}
		} else {
			rep.Pending++
		}
		if perr != nil {
			broke(Break{ObjectType: otype, ObjectID: oid, EntryID: id, Index: index, Problem: perr.Error()})
			continue
		}
		if e.ID != id || e.ObjectType != otype || e.ObjectID != oid {
			broke(Break{ObjectType: otype, ObjectID: oid, EntryID: id, Index: index, Event: e.Event, Problem: "the entry's body does not match its row"})
		}
		key := [2]string{otype, oid}
		if prev, ok := last2[key]; ok && e.Prev != prev.id {
			broke(Break{ObjectType: otype, ObjectID: oid, EntryID: id, Index: index, Event: e.Event, Problem: fmt.Sprintf("links to previous entry %q, but the previous entry is %s", e.Prev, prev.id)})
		} else if !ok && e.Prev != "" {
			broke(Break{ObjectType: otype, ObjectID: oid, EntryID: id, Index: index, Event: e.Event, Problem: fmt.Sprintf("links to previous entry %s, which is missing", e.Prev)})
		}
		last2[key] = latest{id: id, event: e.Event, sha: e.SHA256, sm3: e.SM3, index: index}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(rep.Entries) < tree.N {
		broke(Break{Index: -1, Problem: fmt.Sprintf("the signed tree has %d entries, the store %d", tree.N, rep.Entries)})
	} else {
		root := emptyRoot
		if tree.N > 0 {
			if root, err = tlog.TreeHash(tree.N, mem); err != nil {
				return nil, err
			}
		}
		if root != tree.Hash {
			broke(Break{Index: -1, Problem: fmt.Sprintf("the entries hash to a root other than the signed checkpoint's at size %d", tree.N)})
		}
		if last != nil {
			if b := consistent(last, known, origin, tree, mem); b != "" {
				broke(Break{Index: -1, Problem: b})
			}
		}
	}

	// Every logged record against its latest entry.
	for key, e := range last2 {
		fn := states[key[0]]
		if fn == nil {
			continue
		}
		rep.Objects++
		state, err := fn(ctx, key[1])
		if err != nil {
			broke(Break{ObjectType: key[0], ObjectID: key[1], EntryID: e.id, Index: e.index, Event: e.event, Problem: "the record cannot be read: " + err.Error()})
			continue
		}
		sha, sm := Digests(state)
		if sha != e.sha || sm != e.sm3 {
			broke(Break{ObjectType: key[0], ObjectID: key[1], EntryID: e.id, Index: e.index, Event: e.event, Problem: "the record's current state does not match the digest of its latest entry: it was changed outside the platform"})
		}
	}
	return rep, nil
}

func eventOf(e *Entry) string {
	if e == nil {
		return ""
	}
	return e.Event
}

// consistent checks that the tree (whose hashes r reads) contains the tree
// of an earlier checkpoint, and says what is wrong if not.
func consistent(last []byte, known note.Verifiers, origin string, tree Tree, r tlog.HashReader) string {
	n, err := note.Open(last, known)
	if err != nil {
		return "the last verified checkpoint does not verify: " + err.Error()
	}
	o, old, err := ParseCheckpoint(n.Text)
	if err != nil || o != origin {
		return "the last verified checkpoint is of another log"
	}
	if old.N > tree.N {
		return fmt.Sprintf("the log shrank: it was %d entries when last verified, now %d", old.N, tree.N)
	}
	if old.N == 0 {
		return ""
	}
	proof, err := tlog.ProveTree(tree.N, old.N, r)
	if err == nil {
		err = tlog.CheckTree(proof, tree.N, tree.Hash, old.N, old.Hash)
	}
	if err != nil {
		return fmt.Sprintf("the tree at %d is not consistent with the checkpoint last verified at %d: the log was rewritten", tree.N, old.N)
	}
	return ""
}

// ErrBroken is returned by callers that treat any break as failure.
var ErrBroken = errors.New("ledger: the store and the log disagree")
