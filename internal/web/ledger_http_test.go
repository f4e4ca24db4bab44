package web

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
)

// logClient is an independent client of a c2sp.org/tlog-tiles log, built
// only on net/http and golang.org/x/mod/sumdb/tlog and note: it shares no
// code with the server.
type logClient struct {
	t      *testing.T
	prefix string
}

func (c *logClient) fetch(path string) []byte {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.prefix+path, nil)
	req.Header.Set("Accept-Encoding", "gzip, identity")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// verifiedTree fetches /checkpoint and checks it with the Ed25519 key
// from /key.
func (c *logClient) verifiedTree() tlog.Tree {
	c.t.Helper()
	var verifier note.Verifier
	for _, line := range strings.Fields(string(c.fetch("/key"))) {
		if v, err := note.NewVerifier(line); err == nil {
			verifier = v
		}
	}
	if verifier == nil {
		c.t.Fatal("/key serves no Ed25519 verifier key")
	}
	n, err := note.Open(c.fetch("/checkpoint"), note.VerifierList(verifier))
	if err != nil {
		c.t.Fatalf("checkpoint does not verify: %v", err)
	}
	var tree tlog.Tree
	var root string
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		c.t.Fatalf("checkpoint %q: want origin %s", n.Text, verifier.Name())
	}
	if _, err := fmt.Sscanf(lines[1]+" "+lines[2], "%d %s", &tree.N, &root); err != nil {
		c.t.Fatal(err)
	}
	h, err := tlog.ParseHash(root)
	if err != nil {
		c.t.Fatal(err)
	}
	tree.Hash = h
	return tree
}

// c2sp converts x/mod's tile path (tile/8/L/N, tile/8/data/N) to the
// tlog-tiles one (tile/L/N, tile/entries/N).
func c2sp(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	p = strings.Replace(p, "data/", "entries/", 1)
	return "/tile/" + p
}

func (c *logClient) Height() int { return 8 }
func (c *logClient) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = c.fetch(c2sp(t))
	}
	return out, nil
}
func (c *logClient) SaveTiles([]tlog.Tile, [][]byte) {}

// checkAll recomputes the root from the tiles and hashes every entry of
// the entry bundles to its authenticated leaf; it returns the entries.
func (c *logClient) checkAll(tree tlog.Tree) [][]byte {
	c.t.Helper()
	r := tlog.TileHashReader(tree, c)
	root, err := tlog.TreeHash(tree.N, r)
	if err != nil || root != tree.Hash {
		c.t.Fatalf("root from tiles = %v, %v; want %v", root, err, tree.Hash)
	}
	var entries [][]byte
	for start := int64(0); start < tree.N; start += 256 {
		w := min(tree.N-start, 256)
		t := tlog.Tile{H: 8, L: -1, N: start / 256, W: int(w)}
		b := c.fetch(c2sp(t))
		var idx []int64
		for i := range w {
			idx = append(idx, tlog.StoredHashIndex(0, start+i))
		}
		leaves, err := r.ReadHashes(idx) // authenticated against the root
		if err != nil {
			c.t.Fatal(err)
		}
		for i := range w {
			if len(b) < 2 {
				c.t.Fatalf("bundle %d ends early", t.N)
			}
			n := int(binary.BigEndian.Uint16(b))
			e := b[2 : 2+n]
			b = b[2+n:]
			if tlog.RecordHash(e) != leaves[i] {
				c.t.Fatalf("entry %d does not hash to its leaf", start+i)
			}
			entries = append(entries, e)
		}
		if len(b) != 0 {
			c.t.Fatalf("bundle %d has trailing bytes", t.N)
		}
	}
	return entries
}

func integrateAll(t *testing.T, e *env) {
	t.Helper()
	ledgertest.IntegrateAll(t, e.srv.Ledger)
}

// TestLedgerIndependentClient is the acceptance test: a client
// built only on x/mod's tlog and note verifies the checkpoint, rebuilds
// the root from the tiles, hashes every entry to its leaf, and checks the
// log stayed consistent across new activity.
func TestLedgerIndependentClient(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	c := &logClient{t: t, prefix: ts.URL + "/ledger"}
	// The demo catalog's published versions come first.
	integrateAll(t, e)
	base := c.verifiedTree().N

	zhang := e.session("zhangsan")
	var apps []application.Application
	for range 3 {
		apps = append(apps, fileApplication(t, e, zhang))
	}
	integrateAll(t, e)
	t1 := c.verifiedTree()
	if t1.N != base+3 {
		t.Fatalf("tree size %d after three submissions, want %d", t1.N, base+3)
	}
	entries := c.checkAll(t1)
	if !strings.Contains(string(entries[base]), `"event":"submitted"`) || strings.Contains(string(entries[base]), "张") {
		t.Fatalf("entry %d = %s", base, entries[base])
	}

	// New activity: the clerk accepts one of them.
	clerk := e.session("scjg-clerk")
	var taskID string
	if err := e.db.Read().QueryRowContext(t.Context(), `SELECT id FROM tasks WHERE application_id = $1 AND step_id = 'accept'`, apps[0].ID).Scan(&taskID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "accept", e.sendJSON("POST", "/api/v1/tasks/"+taskID+"/decision", clerk, `{"action":"accept"}`), http.StatusOK)
	integrateAll(t, e)
	t2 := c.verifiedTree()
	if t2.N <= t1.N {
		t.Fatalf("tree did not grow: %d then %d", t1.N, t2.N)
	}
	c.checkAll(t2)
	proof, err := tlog.ProveTree(t2.N, t1.N, tlog.TileHashReader(t2, c))
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(proof, t2.N, t2.Hash, t1.N, t1.Hash); err != nil {
		t.Fatalf("checkpoints %d and %d are not consistent: %v", t1.N, t2.N, err)
	}

	// Content types and caching per c2sp.org/tlog-tiles.
	for path, want := range map[string]string{"/ledger/checkpoint": "text/plain; charset=utf-8", "/ledger/tile/0/000.p/1": "application/octet-stream", "/ledger/tile/entries/000.p/2": "application/octet-stream"} {
		rec := e.get(path, "")
		wantStatus(t, path, rec, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); ct != want {
			t.Errorf("GET %s: Content-Type %q, want %q", path, ct, want)
		}
		cc := rec.Header().Get("Cache-Control")
		if strings.Contains(path, "tile") != strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
	}
	// Bad paths are 400, tiles beyond the tree 404: never a 500.
	for path, code := range map[string]int{
		"/ledger/tile/0/00":            http.StatusBadRequest,
		"/ledger/tile/0/000.p/0":       http.StatusBadRequest,
		"/ledger/tile/0/000.p/256":     http.StatusBadRequest,
		"/ledger/tile/00/000":          http.StatusBadRequest,
		"/ledger/tile/64/000":          http.StatusBadRequest,
		"/ledger/tile/entries/x1/000":  http.StatusBadRequest,
		"/ledger/tile/0/000":           http.StatusNotFound, // not full yet
		"/ledger/tile/0/000.p/200":     http.StatusNotFound,
		"/ledger/tile/0/x999/x999/999": http.StatusNotFound,
		"/ledger/tile/63/000.p/1":      http.StatusNotFound,
		"/ledger/tile/entries/001.p/1": http.StatusNotFound,
	} {
		wantStatus(t, path, e.get(path, ""), code)
	}

	// A receipt for the applicant, verifiable offline; none for others.
	stamps, err := e.srv.Ledger.Stamps(t.Context(), application.LedgerObject, apps[0].ID)
	if err != nil || len(stamps) < 2 {
		t.Fatalf("stamps = %d, %v", len(stamps), err)
	}
	url := "/applications/" + apps[0].ID + "/receipts/" + stamps[1].ID + ".tlog-proof"
	rec := e.get(url, zhang)
	wantStatus(t, "receipt", rec, http.StatusOK)
	known, err := e.srv.Ledger.Keys.Verifiers()
	if err != nil {
		t.Fatal(err)
	}
	v, err := ledger.VerifyReceipt(rec.Body.Bytes(), known)
	if err != nil || v.Entry.ID != stamps[1].ID || v.Entry.ObjectID != apps[0].ID {
		t.Fatalf("receipt: %v, %v", v, err)
	}
	wantStatus(t, "receipt for another citizen", e.get(url, e.session("lisi")), http.StatusNotFound)
	wantStatus(t, "receipt of another application's entry", e.get("/applications/"+apps[1].ID+"/receipts/"+stamps[1].ID+".tlog-proof", zhang), http.StatusNotFound)
	page := e.get("/applications/"+apps[0].ID, zhang)
	if !bytes.Contains(page.Body.Bytes(), []byte(url)) {
		t.Error("the application page does not link the receipt")
	}
	// The stamps read as the rest of the page: times in the platform's
	// zone, events in the reader's language.
	body := page.Body.String()
	section := body[strings.Index(body, `<section class="stamps">`):]
	section = section[:strings.Index(section, "</section>")]
	at, err := time.Parse(time.RFC3339Nano, stamps[0].At)
	if err != nil {
		t.Fatal(err)
	}
	local := at.In(e.srv.Config.Location).Format("2006-01-02 15:04")
	for _, want := range []string{">" + local + "</time> 提交申请", "</time> 受理", "</time> 状态变为办理中"} {
		if !strings.Contains(section, want) {
			t.Errorf("the stamps section lacks %q: %s", want, section)
		}
	}
	for _, st := range stamps {
		if strings.Contains(section, "</time> "+st.Event) {
			t.Errorf("the stamps section shows the raw event %q: %s", st.Event, section)
		}
	}
}

// TestLedgerVerifyCatchesDirectEdit changes a decision straight in the
// database, as an administrator could, and expects the verification to
// name the record and its latest entry.
func TestLedgerVerifyCatchesDirectEdit(t *testing.T) {
	e := sqliteEnv(t)
	requireApplyService(t, e)
	ctx := t.Context()
	integrateAll(t, e) // the demo catalog's published versions
	base, err := e.srv.Ledger.CurrentTree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := fileApplication(t, e, e.session("zhangsan"))
	integrateAll(t, e)
	known, err := e.srv.Ledger.Keys.Verifiers()
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]ledger.StateFunc{application.LedgerObject: e.srv.Applications.LedgerState}
	rep, err := e.srv.Ledger.Verify(ctx, known, nil, states)
	if err != nil || len(rep.Breaks) != 0 || rep.Objects != 1 || int64(rep.Entries) != base.N+1 {
		t.Fatalf("clean store: %+v, %v", rep, err)
	}
	first := rep.Checkpoint
	if _, err := e.db.Write().ExecContext(ctx, `UPDATE applications SET state = 'concluded', result = 'approved' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	rep, err = e.srv.Ledger.Verify(ctx, known, first, states)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Breaks) != 1 || rep.Breaks[0].ObjectID != a.ID || rep.Breaks[0].Event != "submitted" || rep.Breaks[0].Index != base.N {
		t.Fatalf("breaks after a direct edit = %v, want one naming %s and its submission entry", rep.Breaks, a.ID)
	}
	// Rewriting the entry to match the edit breaks the tree instead.
	if _, err := e.db.Write().ExecContext(ctx, `UPDATE ledger_entries SET body = REPLACE(body, '"submitted"', '"concluded"')`); err != nil {
		t.Fatal(err)
	}
	rep, _ = e.srv.Ledger.Verify(ctx, known, first, states)
	var leaf, root bool
	for _, b := range rep.Breaks {
		leaf = leaf || strings.Contains(b.Problem, "does not hash to its leaf")
		root = root || strings.Contains(b.Problem, "root other than the signed")
	}
	if !leaf || !root {
		t.Fatalf("breaks after rewriting an entry = %v, want the leaf and the root", rep.Breaks)
	}
}
