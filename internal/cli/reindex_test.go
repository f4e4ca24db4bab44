package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/segment"
)

// TestMigrateRebuildsTheSearchIndex: the upgrade that indexes services'
// English names (migration 26) rebuilds the index of the services
// published before it, so English searches find them without each being
// published again.
func TestMigrateRebuildsTheSearchIndex(t *testing.T) {
	_, dsn, run := sqliteCLI(t)
	if code, out := run("migrate", "-to", "25"); code != 0 {
		t.Fatalf("migrate -to 25: %d %s", code, out)
	}
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	seg, err := segment.New()
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.NewStore(d, seg, time.Now)
	if _, err := demo.Load(ctx, d, org.NewStore(d), identity.NewStore(d, time.Now), cat, nil); err != nil {
		t.Fatal(err)
	}
	// The index as a release before English names left it.
	if _, err := d.Write().ExecContext(ctx, `DELETE FROM search_terms WHERE term IN ('social', 'security', 'card', 'social security card application')`); err != nil {
		t.Fatal(err)
	}
	found := func() bool {
		hits, err := cat.Search(ctx, "social security card", 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Code == "RS-001" {
				return true
			}
		}
		return false
	}
	if found() {
		t.Fatal("RS-001 is found by its English name before the upgrade")
	}
	code, out := run("migrate")
	if code != 0 || !strings.Contains(out, "search index rebuilt for") {
		t.Fatalf("migrate: %d %s", code, out)
	}
	if !found() {
		t.Error("after the upgrade RS-001 is not found by its English name")
	}
	// Migrating again applies nothing and rebuilds nothing.
	if code, out := run("migrate"); code != 0 || strings.Contains(out, "search index rebuilt") {
		t.Errorf("migrate again: %d %s", code, out)
	}
}
