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
	if err := l.verifyTree(ctx, rep, tree, mem, func(h []tlog.Hash) { hashes = append(hashes, h...) }); err != nil {
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
	hashes = nil
	if err := l.verifyObjects(ctx, rep, states); err != nil {
		return nil, err
	}
	return rep, nil
}

// verifyTree reads the entries in the log's order, gives each its index
// from the integrated ranges, checks it against its stored leaf and hands
// the hashes of those in the signed tree to add, in index order.
func (l *Log) verifyTree(ctx context.Context, rep *Report, tree Tree, mem tlog.HashReader, add func([]tlog.Hash)) error {
	broke := func(b Break) { rep.Breaks = append(rep.Breaks, b) }
	stored := newTileStore(ctx, l.DB.Read())
	ranges, err := l.readRanges(ctx)
	if err != nil {
		return err
	}
	var at int64
	lo := int64(beforeAll)
	for _, r := range ranges {
		if r.first != at || r.lo != lo {
			broke(Break{Index: r.first, Problem: fmt.Sprintf("the integrated ranges are not contiguous at index %d", r.first)})
		}
		at, lo = r.first+int64(r.size), r.hi
	}
	ri, inRange := 0, 0
	closeRange := func() {
		if r := ranges[ri]; inRange != r.size {
			broke(Break{Index: r.first, Problem: fmt.Sprintf("indexes %d to %d were integrated as %d entries, the store holds %d: entries were deleted or added after integration",
				r.first, r.first+int64(r.size)-1, r.size, inRange)})
		}
		ri, inRange = ri+1, 0
	}

	rows, err := l.DB.Read().QueryContext(ctx, `SELECT ord, id, object_type, object_id, body FROM ledger_entries ORDER BY ord`)
	if err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	defer rows.Close()
	var next int64
	var leaves []byte // the level-0 tile of the entries being checked
	gap := false
	for rows.Next() {
		var ord int64
		var id, otype, oid, body string
		if err := rows.Scan(&ord, &id, &otype, &oid, &body); err != nil {
			return err
		}
		for ri < len(ranges) && ord > ranges[ri].hi {
			closeRange()
		}
		if ri == len(ranges) {
			rep.Pending++
			continue
		}
		r := ranges[ri]
		inRange++
		if inRange > r.size {
			broke(Break{ObjectType: otype, ObjectID: oid, EntryID: id, Index: -1, Problem: "the entry sits among integrated entries but is not in the log: it was added after integration"})
			continue
		}
		index := r.first + int64(inRange-1)
		if index != next {
			broke(Break{Index: next, Problem: fmt.Sprintf("entry at index %d is missing", next)})
			next, gap = index, true
		}
		next++
		if index >= tree.N || gap {
			continue
		}
		leaf := tlog.RecordHash([]byte(body))
		if index%256 == 0 || leaves == nil {
			t := tlog.Tile{H: TileHeight, L: 0, N: index / 256, W: int(min(256, tree.N-index/256*256))}
			data, err := stored.ReadTiles([]tlog.Tile{t})
			if err != nil {
				broke(Break{Index: index, Problem: "the tree's leaves cannot be read: " + err.Error()})
				data = [][]byte{nil}
			}
			leaves = data[0]
		}
		if off := int(index%256) * tlog.HashSize; off+tlog.HashSize > len(leaves) || tlog.Hash(leaves[off:off+tlog.HashSize]) != leaf {
			event := ""
			if e, err := ParseEntry([]byte(body)); err == nil {
				event = e.Event
			}
			broke(Break{ObjectType: otype, ObjectID: oid, EntryID: id, Index: index, Event: event, Problem: "the entry does not hash to its leaf in the tree: it was changed after integration"})
		}
		hs, err := tlog.StoredHashesForRecordHash(index, leaf, mem)
		if err != nil {
			return err
		}
		add(hs)
		rep.Entries++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for ri < len(ranges) {
		closeRange()
	}
	return nil
}

// verifyObjects reads the entries object by object and checks that each
// object's entries form one chain of prev links, whose last entry's
// digests match the record's current state.
func (l *Log) verifyObjects(ctx context.Context, rep *Report, states map[string]StateFunc) error {
	rows, err := l.DB.Read().QueryContext(ctx, `SELECT object_type, object_id, id, body FROM ledger_entries ORDER BY object_type, object_id, created_at, id`)
	if err != nil {
		return fmt.Errorf("ledger: verify: %w", err)
	}
	defer rows.Close()
	var cur [2]string
	var group []chained
	for rows.Next() {
		var otype, oid, id, body string
		if err := rows.Scan(&otype, &oid, &id, &body); err != nil {
			return err
		}
		if k := [2]string{otype, oid}; k != cur {
			if err := l.checkChain(ctx, rep, cur, group, states); err != nil {
				return err
			}
			cur, group = k, group[:0]
		}
		c := chained{id: id}
		e, err := ParseEntry([]byte(body))
		if err != nil {
			rep.Breaks = append(rep.Breaks, l.breakAt(ctx, Break{ObjectType: otype, ObjectID: oid, EntryID: id, Problem: err.Error()}))
			c.bad = true
		} else {
			c.entry = e
			if e.ID != id || e.ObjectType != otype || e.ObjectID != oid {
				rep.Breaks = append(rep.Breaks, l.breakAt(ctx, Break{ObjectType: otype, ObjectID: oid, EntryID: id, Event: e.Event, Problem: "the entry's body does not match its row"}))
			}
		}
		group = append(group, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return l.checkChain(ctx, rep, cur, group, states)
}

type chained struct {
	id    string
	entry *Entry
	bad   bool
}

// checkChain checks one object's entries: exactly one has no previous
// entry, every link points to another of them, none is linked to twice,
// and following the links back from the last reaches them all. The last
// entry's digests must match the record's current state.
func (l *Log) checkChain(ctx context.Context, rep *Report, obj [2]string, group []chained, states map[string]StateFunc) error {
	if len(group) == 0 {
		return nil
	}
	broke := func(c chained, problem string) {
		b := Break{ObjectType: obj[0], ObjectID: obj[1], EntryID: c.id, Problem: problem}
		if c.entry != nil {
			b.Event = c.entry.Event
		}
		rep.Breaks = append(rep.Breaks, l.breakAt(ctx, b))
	}
	byID := make(map[string]int, len(group))
	for i, c := range group {
		byID[c.id] = i
	}
	linked := make([]bool, len(group))
	ok := true
	for _, c := range group {
		if c.bad {
			ok = false
			continue
		}
		if c.entry.Prev == "" {
			continue
		}
		j, found := byID[c.entry.Prev]
		switch {
		case !found:
			broke(c, fmt.Sprintf("links to previous entry %s, which is missing", c.entry.Prev))
			ok = false
		case linked[j]:
			broke(c, fmt.Sprintf("links to previous entry %s, which another entry already follows: the history forks", c.entry.Prev))
			ok = false
		default:
			linked[j] = true
		}
	}
	// The last entry is the one no other follows; with a sound chain it
	// is the newest, group's last.
	tail := -1
	for i := len(group) - 1; i >= 0; i-- {
		if !linked[i] && !group[i].bad {
			if tail >= 0 && ok {
				broke(group[i], "no later entry links to this one, nor is it the latest: the history is split")
				ok = false
			}
			if tail < 0 {
				tail = i
			}
		}
	}
	if ok && tail >= 0 {
		// Walk back from the tail: it must reach every entry once.
		seen := 0
		for i := tail; ; {
			seen++
			p := group[i].entry.Prev
			if p == "" || seen > len(group) {
				break
			}
			i = byID[p]
		}
		if seen != len(group) {
			broke(group[tail], "the entries' links do not form one history")
			ok = false
		}
	}
	fn := states[obj[0]]
	if fn == nil || tail < 0 {
		return nil
	}
	rep.Objects++
	last := group[tail]
	state, err := fn(ctx, obj[1])
	if err != nil {
		broke(last, "the record cannot be read: "+err.Error())
		return nil
	}
	sha, sm := Digests(state)
	if sha != last.entry.SHA256 || sm != last.entry.SM3 {
		broke(last, "the record's current state does not match the digest of its latest entry: it was changed outside the platform")
	}
	return nil
}

// breakAt fills in the index of a break's entry, -1 while it is pending.
func (l *Log) breakAt(ctx context.Context, b Break) Break {
	b.Index = -1
	var idx sql.NullInt64
	if err := l.DB.Read().QueryRowContext(ctx, `SELECT `+indexSQL("e.ord")+` FROM ledger_entries e WHERE e.id = $1`, b.EntryID).Scan(&idx); err == nil && idx.Valid {
		b.Index = idx.Int64
	}
	return b
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

// keyRange is one row of ledger_ranges: the entries with keys in (lo, hi]
// hold indexes first to first+size-1.
type keyRange struct {
	first  int64
	size   int
	lo, hi int64
}

func (l *Log) readRanges(ctx context.Context) ([]keyRange, error) {
	rows, err := l.DB.Read().QueryContext(ctx, `SELECT first_idx, size, lo, hi FROM ledger_ranges ORDER BY first_idx`)
	if err != nil {
		return nil, fmt.Errorf("ledger: ranges: %w", err)
	}
	defer rows.Close()
	var out []keyRange
	for rows.Next() {
		var r keyRange
		if err := rows.Scan(&r.first, &r.size, &r.lo, &r.hi); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
