package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/blob"
)

// TestSweepBlobsScan runs `tongban sweep-blobs -scan` over a store holding
// a file no record refers to: the scan finds it and releases it for
// deletion after the grace period, so the sweep right after deletes
// nothing yet.
func TestSweepBlobsScan(t *testing.T) {
	dir, _, run := sqliteCLI(t)
	if code, out := run("migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, out)
	}
	store, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := store.Put(context.Background(), strings.NewReader("%PDF-1.7\n%%EOF\n"), 1<<20, blob.MaterialTypes)
	if err != nil {
		t.Fatal(err)
	}
	code, out := run("sweep-blobs", "-scan")
	if code != 0 || !strings.Contains(out, "1 stored files, 1 of them referred to by no record") || !strings.Contains(out, "0 files deleted") {
		t.Fatalf("sweep-blobs -scan: exit %d\n%s", code, out)
	}
	rc, err := store.Open(context.Background(), obj.Key)
	if err != nil {
		t.Fatalf("the file went before its grace period: %v", err)
	}
	rc.Close()
}
