package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
)

func testKeys(t *testing.T) *ledger.Keys {
	t.Helper()
	k, _, err := ledger.LoadOrCreateKeys(filepath.Join(t.TempDir(), "ledger.key"), "tongban.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func appendN(t *testing.T, d *db.DB, n int, object string) []*ledger.Entry {
	t.Helper()
	var out []*ledger.Entry
	for i := range n {
		err := d.Tx(t.Context(), func(tx *db.Tx) error {
			e, err := ledger.Append(t.Context(), tx, ledger.Entry{Event: "submitted", ObjectType: "application", ObjectID: object,
				Department: "SCJG", Role: "clerk", State: fmt.Appendf(nil, `{"n":%d}`, i)})
			out = append(out, e)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestKeysRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.key")
	k1, created, err := ledger.LoadOrCreateKeys(path, "tongban.example/ledger")
	if err != nil || !created {
		t.Fatalf("LoadOrCreateKeys (first) = %v, %v", created, err)
	}
	k2, created, err := ledger.LoadOrCreateKeys(path, "other.example/ignored")
	if err != nil || created {
		t.Fatalf("LoadOrCreateKeys (second) = %v, %v", created, err)
	}
	if k1.Ed25519Verifier != k2.Ed25519Verifier || k1.SM2Verifier != k2.SM2Verifier || k2.Origin() != "tongban.example/ledger" {
		t.Fatalf("reloaded keys differ: %s %s / %s %s", k1.Ed25519Verifier, k1.SM2Verifier, k2.Ed25519Verifier, k2.SM2Verifier)
	}
	// Each signature verifies with its own key alone.
	msg := "tongban.example/ledger\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
	signed, err := note.Sign(&note.Note{Text: msg}, k1.Ed25519, k1.SM2)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := note.NewVerifier(k1.Ed25519Verifier)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := ledger.NewSM2Verifier(k1.SM2Verifier)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []note.Verifier{ed, sm} {
		n, err := note.Open(signed, note.VerifierList(v))
		if err != nil || len(n.Sigs) != 1 {
			t.Fatalf("Open with %s key: %v", v.Name(), err)
		}
	}
	other := testKeys(t)
	if _, err := note.Open(signed, note.VerifierList(must(ledger.NewSM2Verifier(other.SM2Verifier)))); err == nil {
		t.Fatal("a checkpoint verified with another log's SM2 key")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestIntegrateTilesReceipts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		keys := testKeys(t)
		l := &ledger.Log{DB: d, Keys: keys, Batch: 100}
		// The first run signs the empty tree.
		if n, err := l.Integrate(ctx); n != 0 || err != nil {
			t.Fatalf("Integrate (empty) = %d, %v", n, err)
		}
		entries := appendN(t, d, 300, "app-1")
		if entries[1].Prev != entries[0].ID || entries[0].Prev != "" {
			t.Fatalf("entries not chained: %q -> %q", entries[1].Prev, entries[0].ID)
		}
		// A crash before integration loses nothing: the entries wait.
		total := 0
		for {
			n, err := l.Integrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			total += n
		}
		if total != 300 {
			t.Fatalf("integrated %d entries, want 300", total)
		}
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vs := must(keys.Verifiers())
		n, err := note.Open(cp, vs)
		if err != nil || len(n.Sigs) != 2 {
			t.Fatalf("checkpoint %q: %v (%d signatures)", cp, err, len(n.Sigs))
		}
		origin, tree, err := ledger.ParseCheckpoint(n.Text)
		if err != nil || origin != "tongban.example/ledger" || tree.N != 300 {
			t.Fatalf("checkpoint = %s %d, %v", origin, tree.N, err)
		}
		// The tiles rebuild the same root.
		thr := tlog.TileHashReader(tree, tileReader{t, l})
		root, err := tlog.TreeHash(tree.N, thr)
		if err != nil || root != tree.Hash {
			t.Fatalf("root from tiles = %v, %v; want %v", root, err, tree.Hash)
		}
		// Paths outside the tree are not found.
		for _, p := range []string{"tile/0/001", "tile/0/001.p/45", "tile/1/000", "tile/entries/001.p/45", "tile/2/000.p/1"} {
			tl, err := ledger.ParseTilePath(p)
			if err != nil {
				t.Fatalf("ParseTilePath(%q): %v", p, err)
			}
			if _, err := l.ReadTile(ctx, tl); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("ReadTile(%s) = %v, want not found", p, err)
			}
		}
		// Receipts verify offline.
		for _, e := range []*ledger.Entry{entries[0], entries[299]} {
			r, err := l.Receipt(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			v, err := ledger.VerifyReceipt(r, vs)
			if err != nil || v.Entry.ID != e.ID {
				t.Fatalf("VerifyReceipt = %v, %v", v, err)
			}
			bad := append([]byte(nil), r...)
			bad[len(ledger.ProofHeader)+10] ^= 1
			if _, err := ledger.VerifyReceipt(bad, vs); err == nil {
				t.Fatal("a receipt with a changed entry verified")
			}
		}
	})
}

type tileReader struct {
	t *testing.T
	l *ledger.Log
}

func (r tileReader) Height() int { return ledger.TileHeight }
func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		b, err := r.l.ReadTile(r.t.Context(), tl)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func TestParseTilePath(t *testing.T) {
	good := map[string]tlog.Tile{
		"tile/0/000":            {H: 8, L: 0, N: 0, W: 256},
		"tile/0/x001/x234/067":  {H: 8, L: 0, N: 1234067, W: 256},
		"tile/1/002.p/17":       {H: 8, L: 1, N: 2, W: 17},
		"tile/entries/000.p/1":  {H: 8, L: -1, N: 0, W: 1},
		"tile/entries/x001/000": {H: 8, L: -1, N: 1000, W: 256},
	}
	for p, want := range good {
		got, err := ledger.ParseTilePath(p)
		if err != nil || got != want {
			t.Errorf("ParseTilePath(%q) = %+v, %v; want %+v", p, got, err, want)
		}
		if back := ledger.TilePath(got); back != p {
			t.Errorf("TilePath(%+v) = %q, want %q", got, back, p)
		}
	}
	for _, p := range []string{"tile/0/0", "tile/00/000", "tile/0/000.p/256", "tile/0/000.p/0", "tile/0/000.p/01",
		"tile/data/000", "tile/-1/000", "tile/64/000", "tile/0/1000", "tile/0/x000/001", "tile/0", "tiles/0/000", "tile/entries/abc"} {
		if _, err := ledger.ParseTilePath(p); err == nil {
			t.Errorf("ParseTilePath(%q) succeeded, want an error", p)
		}
	}
}

// TestSequencersRace runs two sequencers against one database at once:
// they must never produce two trees of the same size, and together they
// integrate every entry exactly once.
func TestSequencersRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		keys := testKeys(t)
		appendN(t, d, 120, "app-race")
		var wg sync.WaitGroup
		var mu sync.Mutex
		roots := map[int64]tlog.Hash{}
		races := 0
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := &ledger.Log{DB: d, Keys: keys, Batch: 7}
				for {
					n, err := l.Integrate(ctx)
					if errors.Is(err, ledger.ErrRaced) {
						mu.Lock()
						races++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
					tree, err := l.CurrentTree(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if h, ok := roots[tree.N]; ok && h != tree.Hash {
						t.Errorf("two roots for size %d", tree.N)
					}
					roots[tree.N] = tree.Hash
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		l := &ledger.Log{DB: d, Keys: keys}
		tree, err := l.CurrentTree(ctx)
		if err != nil || tree.N != 120 {
			t.Fatalf("tree size %d, %v; want 120", tree.N, err)
		}
		// The integrated ranges cover the 120 entries once each, in order.
		var ranged, covered int
		if err := d.Read().QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0), COUNT(DISTINCT first_idx) FROM ledger_ranges`).Scan(&ranged, &covered); err != nil || ranged != 120 {
			t.Fatalf("ranges cover %d entries (%d ranges), %v; want 120", ranged, covered, err)
		}
		known := must(keys.Verifiers())
		if rep, err := l.Verify(ctx, known, nil, nil); err != nil || len(rep.Breaks) > 0 || rep.Entries != 120 {
			t.Fatalf("Verify after the race = %+v, %v", rep, err)
		}
		// One checkpoint per size, and each verifies against the tree.
		rows, err := d.Read().QueryContext(ctx, `SELECT size, note FROM ledger_checkpoints ORDER BY size`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		vs := must(keys.Verifiers())
		for rows.Next() {
			var size int64
			var cp string
			if err := rows.Scan(&size, &cp); err != nil {
				t.Fatal(err)
			}
			n, err := note.Open([]byte(cp), vs)
			if err != nil {
				t.Fatal(err)
			}
			_, ct, _ := ledger.ParseCheckpoint(n.Text)
			if h, ok := roots[size]; ok && h != ct.Hash {
				t.Errorf("checkpoint at %d does not match the tree seen", size)
			}
		}
		t.Logf("%d lost races", races)
	})
}

// TestAppendAfterClockAhead: an object's entry written by a node whose
// clock runs an hour ahead is still the previous entry of the next ones
// another node appends, so the object's chain does not fork.
func TestAppendAfterClockAhead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		first := appendN(t, d, 1, "app-skew")[0]
		ahead := db.NewTime(time.Now().Add(time.Hour))
		if _, err := d.Write().ExecContext(ctx, `UPDATE ledger_entries SET created_at = $1 WHERE id = $2`, ahead, first.ID); err != nil {
			t.Fatal(err)
		}
		next := appendN(t, d, 2, "app-skew")
		if next[0].Prev != first.ID || next[1].Prev != next[0].ID {
			t.Fatalf("prev links %s <- %s, %s <- %s; want the chain %s <- %s <- %s",
				next[0].Prev, next[0].ID, next[1].Prev, next[1].ID, first.ID, next[0].ID, next[1].ID)
		}
		keys := testKeys(t)
		l := &ledger.Log{DB: d, Keys: keys}
		if _, err := l.Integrate(ctx); err != nil {
			t.Fatal(err)
		}
		if rep, err := l.Verify(ctx, must(keys.Verifiers()), nil, nil); err != nil || len(rep.Breaks) > 0 || rep.Entries != 3 {
			t.Fatalf("Verify = %+v, %v; want three entries and no breaks", rep, err)
		}
	})
}

func TestRecordVerification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		if _, err := ledger.LastVerification(ctx, d); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("LastVerification on a new store = %v, want ErrNotFound", err)
		}
		t0 := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		var breaks []ledger.Break
		for i := range 150 {
			breaks = append(breaks, ledger.Break{ObjectType: "application", ObjectID: fmt.Sprint("a", i), EntryID: "e", Index: int64(i), Event: "approve", Problem: "changed"})
		}
		first := ledger.NewVerification("command", "n1", t0, t0.Add(time.Second), &ledger.Report{Tree: ledger.Tree{N: 7}, Entries: 7, Objects: 3, Breaks: breaks}, nil)
		second := ledger.NewVerification("serve", "n2", t0.Add(time.Hour), t0.Add(time.Hour+time.Second), nil, errors.New("ledger: checkpoint: not found"))
		for _, v := range []*ledger.Verification{first, second} {
			if err := ledger.RecordVerification(ctx, d, v); err != nil {
				t.Fatal(err)
			}
		}
		got, err := ledger.LastVerification(ctx, d)
		if err != nil || got.ID != second.ID || got.OK() || got.Error == "" || got.Source != "serve" || !got.FinishedAt.Equal(t0.Add(time.Hour+time.Second)) {
			t.Fatalf("LastVerification = %+v, %v; want the second, failed run", got, err)
		}
		if _, err := d.Write().ExecContext(ctx, `DELETE FROM ledger_verifications WHERE id = $1`, second.ID); err != nil {
			t.Fatal(err)
		}
		got, err = ledger.LastVerification(ctx, d)
		if err != nil || got.BreakCount != 150 || len(got.Breaks) != 100 || got.Breaks[0] != breaks[0].String() || got.TreeSize != 7 || got.Objects != 3 {
			t.Fatalf("LastVerification = count %d, %d kept, %v; want 150 breaks counted, the first 100 kept", got.BreakCount, len(got.Breaks), err)
		}
	})
}
