package witness_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/witness"
)

// The log submits each new checkpoint, with a consistency proof from the
// last one the witness cosigned, and keeps the cosignature with the
// checkpoint it serves.
func TestLogServesCosignedCheckpoint(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRig(t)
		l := &ledger.Log{DB: d, Keys: r.keys}
		v, err := witness.NewVerifier(r.vkey)
		if err != nil {
			t.Fatal(err)
		}
		clients := []*witness.Client{{URL: r.srv.URL, Verifier: v}}
		logVerifiers, err := r.keys.Verifiers()
		if err != nil {
			t.Fatal(err)
		}
		for round, n := range []int{3, 1, 40} {
			for i := range n {
				err := d.Tx(t.Context(), func(tx *db.Tx) error {
					_, err := ledger.Append(t.Context(), tx, ledger.Entry{Event: "submitted", ObjectType: "application", ObjectID: fmt.Sprintf("obj-%d-%d", round, i),
						Department: "SCJG", Role: "clerk", State: fmt.Appendf(nil, `{"n":%d}`, i)})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := l.Integrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := witness.CosignLatest(t.Context(), l, clients); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			cp, err := l.Checkpoint(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			// The served checkpoint verifies with the log's keys and with
			// the witness's, and carries one cosignature line.
			if _, err := note.Open(cp, logVerifiers); err != nil {
				t.Fatalf("round %d: log signature: %v", round, err)
			}
			n, err := note.Open(cp, note.VerifierList(v))
			if err != nil {
				t.Fatalf("round %d: served checkpoint has no valid cosignature: %v\n%s", round, err, cp)
			}
			if got := strings.Count(string(cp), "— witness.example/w1 "); got != 1 {
				t.Fatalf("round %d: %d cosignature lines, want 1:\n%s", round, got, cp)
			}
			sigs := cp[len(n.Text)+1:]
			var line string
			for l := range strings.Lines(string(sigs)) {
				if strings.HasPrefix(l, "— witness.example/w1 ") {
					line = l
				}
			}
			checkCosignature(t, r.vkey, []byte(n.Text+"\n"), line)
			// Submitting again, also from a client that knows nothing
			// (another node, or after a restart), adds no second line.
			fresh := []*witness.Client{{URL: r.srv.URL, Verifier: v}}
			for _, cs := range [][]*witness.Client{clients, fresh} {
				if err := witness.CosignLatest(t.Context(), l, cs); err != nil {
					t.Fatal(err)
				}
			}
			if again, _ := l.Checkpoint(t.Context()); strings.Count(string(again), "— witness.example/w1 ") != 1 {
				t.Fatalf("round %d: after submitting again:\n%s", round, again)
			}
		}
	})
}
