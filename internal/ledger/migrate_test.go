package ledger_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
)

// TestMigrateToTiles builds a log as the schema before migration 00019
// stored it (an index on each entry row, one row per tree hash), with
// integrated and pending entries, and checks that after the migration the
// same log serves the same tiles, bundles and receipts, verifies, and
// keeps growing from where it was.
func TestMigrateToTiles(t *testing.T) {
	open := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "old.db") },
		"postgres": func(t *testing.T) string { return dbtest.PostgresDSN(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			d, err := db.Open(ctx, open[name](t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := d.MigrateTo(ctx, 18); err != nil {
				t.Fatal(err)
			}
			keys := testKeys(t)
			const total, integrated = 700, 530
			bodies, ids := oldLog(t, d, keys, total, integrated)

			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			l := &ledger.Log{DB: d, Keys: keys}
			known := must(keys.Verifiers())
			rep, err := l.Verify(ctx, known, nil, nil)
			if err != nil || len(rep.Breaks) > 0 || rep.Entries != integrated || rep.Pending != total-integrated {
				t.Fatalf("Verify after migrating = %+v, %v", rep, err)
			}
			// The tiles and bundles are those of the old tree.
			hs := memTree(t, bodies[:integrated])
			for _, tl := range []tlog.Tile{{H: 8, L: 0, N: 1, W: 256}, {H: 8, L: 0, N: 2, W: integrated - 512}, {H: 8, L: 1, N: 0, W: 2}} {
				want, err := tlog.ReadTileData(tl, hs)
				if err != nil {
					t.Fatal(err)
				}
				got, err := l.ReadTile(ctx, tl)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("tile %s after migrating: %v", ledger.TilePath(tl), err)
				}
			}
			bundle, err := l.ReadTile(ctx, tlog.Tile{H: 8, L: -1, N: 2, W: integrated - 512})
			if err != nil || !bytes.Equal(bundle, bundleOf(bodies[512:integrated])) {
				t.Fatalf("entry bundle 2 after migrating: %v", err)
			}
			// Receipts of entries integrated before the migration verify.
			for _, i := range []int{0, 300, integrated - 1} {
				r, err := l.Receipt(ctx, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				if v, err := ledger.VerifyReceipt(r, known); err != nil || v.Index != int64(i) {
					t.Fatalf("receipt of entry %d = %+v, %v", i, v, err)
				}
			}
			if _, err := l.Receipt(ctx, ids[integrated]); err != ledger.ErrPending {
				t.Fatalf("receipt of a pending entry: %v, want ErrPending", err)
			}
			// The pending entries are integrated next, in their old order,
			// then new ones; a new entry links to its object's last one.
			next := appendN(t, d, 3, "obj-3")
			if next[0].Prev != ids[total-7] || next[0].PrevIndex != nil {
				t.Fatalf("new entry links to %q (index %v), want the pending %s", next[0].Prev, next[0].PrevIndex, ids[total-7])
			}
			ledgertest.IntegrateAll(t, l)
			for _, e := range next {
				b, _ := e.Canonical()
				bodies = append(bodies, b)
			}
			tree, err := l.CurrentTree(ctx)
			if err != nil || tree.N != total+3 {
				t.Fatalf("tree after integrating: %d, %v", tree.N, err)
			}
			if root, err := tlog.TreeHash(tree.N, memTree(t, bodies)); err != nil || root != tree.Hash {
				t.Fatalf("root after migrating and integrating differs from the entries' own: %v", err)
			}
			later := appendN(t, d, 1, "obj-3")
			if later[0].PrevIndex == nil || *later[0].PrevIndex != total+2 {
				t.Fatalf("PrevIndex = %v, want %d", later[0].PrevIndex, total+2)
			}
			ledgertest.IntegrateAll(t, l)
			if rep, err := l.Verify(ctx, known, nil, nil); err != nil || len(rep.Breaks) > 0 || rep.Entries != total+4 {
				t.Fatalf("Verify after growing = %+v, %v", rep, err)
			}
		})
	}
}

// oldLog writes total entries over 10 objects in the layout before
// migration 00019, the first integrated of them integrated under a signed
// checkpoint. It returns the bodies and IDs in log order.
func oldLog(t *testing.T, d *db.DB, keys *ledger.Keys, total, integrated int) ([][]byte, []string) {
	ctx := t.Context()
	var bodies [][]byte
	var ids []string
	prev := map[string]string{}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	err := d.Tx(ctx, func(tx *db.Tx) error {
		for i := range total {
			obj := fmt.Sprintf("obj-%d", i%10)
			sha, sm := ledger.Digests(fmt.Appendf(nil, "state %d", i))
			e := ledger.Entry{At: ledger.FormatTime(at), Event: "approve", ID: fmt.Sprintf("%032x", i+1), ObjectID: obj,
				ObjectType: "application", Prev: prev[obj], SHA256: sha, SM3: sm}
			prev[obj] = e.ID
			b, err := e.Canonical()
			if err != nil {
				return err
			}
			var idx any
			if i < integrated {
				idx = i
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (id, idx, object_type, object_id, event, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				e.ID, idx, e.ObjectType, e.ObjectID, e.Event, string(b), db.NewTime(at.Add(time.Duration(i)*time.Millisecond))); err != nil {
				return err
			}
			bodies = append(bodies, b)
			ids = append(ids, e.ID)
		}
		hs := memTree(t, bodies[:integrated])
		for n, h := range hs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_hashes (n, hash) VALUES ($1, $2)`, n, hex.EncodeToString(h[:])); err != nil {
				return err
			}
		}
		root, err := tlog.TreeHash(int64(integrated), hs)
		if err != nil {
			return err
		}
		cp, err := note.Sign(&note.Note{Text: ledger.CheckpointText(keys.Origin(), ledger.Tree{N: int64(integrated), Hash: root})}, keys.Ed25519, keys.SM2)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ledger_tree SET size = $1, root = $2 WHERE id = 1`, integrated, hex.EncodeToString(root[:])); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, note, created_at) VALUES ($1, $2, $3)`, integrated, string(cp), db.NewTime(at))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return bodies, ids
}

// memHashes is a tree's stored hashes in memory, indexed as tlog numbers
// them.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not computed", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func memTree(t *testing.T, bodies [][]byte) memHashes {
	var m memHashes
	for i, b := range bodies {
		hs, err := tlog.StoredHashes(int64(i), b, m)
		if err != nil {
			t.Fatal(err)
		}
		m = append(m, hs...)
	}
	return m
}

func bundleOf(bodies [][]byte) []byte {
	var out []byte
	for _, b := range bodies {
		out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
	}
	return out
}

// TestVerifyCatchesStoreEdits edits an integrated log directly in the
// database, one way per subtest, and checks that Verify names what broke.
func TestVerifyCatchesStoreEdits(t *testing.T) {
	cases := []struct {
		name string
		edit string // run with $1 = the ord of the 10th entry in log order
		want string
	}{
		{"deleted entry", `DELETE FROM ledger_entries WHERE ord = $1`, "entries were deleted or added after integration"},
		{"changed body", `UPDATE ledger_entries SET body = REPLACE(body, '"submitted"', '"approved"') WHERE ord = $1`, "does not hash to its leaf"},
		{"added entry", `INSERT INTO ledger_entries (ord, id, object_type, object_id, event, body, created_at)
			SELECT ord + 1, 'forged', object_type, object_id, event, body, created_at FROM ledger_entries WHERE ord = $1`, "added after integration"},
		{"lost tile", `DELETE FROM ledger_tiles WHERE level = 0 AND n = 0`, "leaves cannot be read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				ctx := t.Context()
				keys := testKeys(t)
				l := &ledger.Log{DB: d, Keys: keys}
				appendN(t, d, 40, "app-edit")
				ledgertest.IntegrateAll(t, l)
				known := must(keys.Verifiers())
				if rep, err := l.Verify(ctx, known, nil, nil); err != nil || len(rep.Breaks) > 0 {
					t.Fatalf("Verify before the edit = %+v, %v", rep, err)
				}
				var ord int64
				if err := d.Read().QueryRowContext(ctx, `SELECT ord FROM ledger_entries ORDER BY ord LIMIT 1 OFFSET 9`).Scan(&ord); err != nil {
					t.Fatal(err)
				}
				if d.Dialect == db.SQLite && c.name == "added entry" {
					// SQLite's keys are dense: make room for the forgery.
					if _, err := d.Write().ExecContext(ctx, `UPDATE ledger_entries SET ord = ord + 1000 WHERE ord > $1`, ord); err != nil {
						t.Fatal(err)
					}
					if _, err := d.Write().ExecContext(ctx, `UPDATE ledger_ranges SET hi = hi + 1000`); err != nil {
						t.Fatal(err)
					}
				}
				var args []any
				if strings.Contains(c.edit, "$1") {
					args = append(args, ord)
				}
				if _, err := d.Write().ExecContext(ctx, c.edit, args...); err != nil {
					t.Fatal(err)
				}
				rep, err := l.Verify(ctx, known, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				var all []string
				found := false
				for _, b := range rep.Breaks {
					all = append(all, b.String())
					found = found || strings.Contains(b.Problem, c.want)
				}
				if len(rep.Breaks) == 0 || !found {
					t.Fatalf("breaks after %s = %q, want one saying %q", c.name, all, c.want)
				}
			})
		})
	}
}

// TestFenceWaitsForOlderTransactions is PostgreSQL's case of a
// transaction that began writing before another yet commits after it: the
// sequencer must not integrate the later one's entry ahead of a gap the
// older one will fill, and Verify follows the object's links, not the
// tree's order, when the older transaction's entry follows the newer's.
func TestFenceWaitsForOlderTransactions(t *testing.T) {
	d := dbtest.Postgres(t)
	ctx := t.Context()
	keys := testKeys(t)
	l := &ledger.Log{DB: d, Keys: keys}
	ledgertest.IntegrateAll(t, l)

	older, err := d.Write().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback()
	// The older transaction writes first, so it has the lower ID.
	if _, err := older.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	newer := appendN(t, d, 1, "app-fence")
	if n, err := l.Integrate(ctx); err != nil || n != 0 {
		t.Fatalf("Integrate while an older transaction is open = %d, %v; want 0", n, err)
	}
	late, err := ledger.Append(ctx, older, ledger.Entry{Event: "approve", ObjectType: "application", ObjectID: "app-fence", State: []byte("late")})
	if err != nil {
		t.Fatal(err)
	}
	if late.Prev != newer[0].ID {
		t.Fatalf("late entry links to %q, want %s", late.Prev, newer[0].ID)
	}
	if err := older.Commit(); err != nil {
		t.Fatal(err)
	}
	ledgertest.IntegrateAll(t, l)
	stamps, err := l.Stamps(ctx, "application", "app-fence")
	if err != nil || len(stamps) != 2 {
		t.Fatalf("Stamps = %v, %v", stamps, err)
	}
	// In the tree the older transaction's entry comes first.
	if stamps[0].ID != newer[0].ID || stamps[0].Index != 1 || stamps[1].Index != 0 {
		t.Fatalf("indexes = %d (%s), %d; want the late entry at 0", stamps[0].Index, stamps[0].ID, stamps[1].Index)
	}
	known := must(keys.Verifiers())
	rep, err := l.Verify(ctx, known, nil, map[string]ledger.StateFunc{
		"application": func(context.Context, string) ([]byte, error) { return []byte("late"), nil },
	})
	if err != nil || len(rep.Breaks) > 0 || rep.Entries != 2 || rep.Objects != 1 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}
