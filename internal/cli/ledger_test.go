package cli

import (
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/ledger/ledgertest"
)

// TestVerifyExitsNonZeroOnTampering runs `tongban verify` on a clean store
// and after a direct database edit of a logged entry.
func TestVerifyExitsNonZeroOnTampering(t *testing.T) {
	dir, dsn, run := sqliteCLI(t)
	// An upgrade can be taken in steps.
	if code, out := run("migrate", "-to", "18"); code != 0 || !strings.Contains(out, "version 18") {
		t.Fatalf("migrate -to 18: %d %s", code, out)
	}
	if code, out := run("migrate"); code != 0 || !regexp.MustCompile(`applied [1-9][0-9]* migration\(s\)`).MatchString(out) {
		t.Fatalf("migrate: %d %s", code, out)
	}
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(dir, "ledger.key"), "test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := d.Tx(ctx, func(tx *db.Tx) error {
			_, err := ledger.Append(ctx, tx, ledger.Entry{Event: "published", ObjectType: "service", ObjectID: "S1", State: []byte{byte(i)}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ledgertest.IntegrateAll(t, &ledger.Log{DB: d, Keys: keys})
	if code, out := run("verify"); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify on a clean store: exit %d\n%s", code, out)
	}
	if _, err := d.Write().ExecContext(ctx, `UPDATE ledger_entries SET body = REPLACE(body, '"published"', '"withdrawn"') WHERE ord = (SELECT ord FROM ledger_entries ORDER BY ord LIMIT 1 OFFSET 1)`); err != nil {
		t.Fatal(err)
	}
	code, out := run("verify")
	if code == 0 || !strings.Contains(out, "BREAK: service S1") || !strings.Contains(out, "index 1") {
		t.Fatalf("verify after tampering: exit %d\n%s", code, out)
	}
	// The outcome is recorded for the supervisors' dashboard.
	v, err := ledger.LastVerification(ctx, d)
	if err != nil || v.Source != "command" || v.BreakCount == 0 || !strings.Contains(strings.Join(v.Breaks, "\n"), "service S1") {
		t.Fatalf("recorded verification = %+v, %v; want the breaks of the last run", v, err)
	}
}

// TestIntegrateComesBackForHeldBackEntries: on PostgreSQL an entry whose
// transaction ended while an older one still ran waits behind it; one run
// of the sequencer comes back for it shortly rather than leaving it to the
// next period.
func TestIntegrateComesBackForHeldBackEntries(t *testing.T) {
	d := dbtest.Postgres(t)
	ctx := t.Context()
	keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(t.TempDir(), "ledger.key"), "test.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	l := &ledger.Log{DB: d, Keys: keys}
	older, err := d.Write().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback()
	if _, err := older.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	err = d.Tx(ctx, func(tx *db.Tx) error {
		_, err := ledger.Append(ctx, tx, ledger.Entry{Event: "published", ObjectType: "service", ObjectID: "S1", State: []byte("v1")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(heldBackWait/2, func() { older.Commit() })
	if err := integrate(ctx, l, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if tree, err := l.CurrentTree(ctx); err != nil || tree.N != 1 {
		t.Fatalf("tree after one run = %d, %v; want the held-back entry integrated", tree.N, err)
	}
}
