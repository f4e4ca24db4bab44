// Package ledgertest helps the tests of the packages that stamp the
// ledger bring every entry into the log before they look at it.
package ledgertest

import (
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/ledger"
)

// patience is how long IntegrateAll waits for entries held back.
const patience = 15 * time.Second

// IntegrateAll integrates until no entry is pending. One round that
// integrates nothing is not the end: on PostgreSQL the sequencer holds
// entries back for a moment while a transaction that may precede them
// looks in flight (docs/ledger.md, Storage), such as an autovacuum worker
// or another test database's transaction, which tests running in
// parallel bring about. So it tries again until nothing is waiting, and
// fails the test if entries are still waiting after a while.
func IntegrateAll(t testing.TB, l *ledger.Log) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(patience)
	for {
		n, err := l.Integrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			continue
		}
		waiting, err := l.Waiting(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledger entries still pending after %s", patience)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
