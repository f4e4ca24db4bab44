package blob

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocal(t *testing.T) {
	testStore(t, func(t *testing.T) (Store, storeCheck) {
		dir := t.TempDir()
		s, err := NewLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s, func(t *testing.T) (int, int) { return countFiles(t, dir, "sha256"), countFiles(t, dir, "tmp") }
	})
}

// countFiles counts the regular files under dir/sub.
func countFiles(t *testing.T, dir, sub string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLocalLayoutAndPermissions(t *testing.T) {
	dir := t.TempDir()
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Put(context.Background(), bytes.NewReader(samplePDF()), 1<<20, MaterialTypes)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "sha256", obj.SHA256[:2], obj.SHA256[2:])
	info, err := os.Stat(p)
	if err != nil {
		t.Fatalf("stored file not at %s: %v", p, err)
	}
	// Uploaded materials carry personal data: only the server may read them.
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("stored file mode %v, want no access for group or others", perm)
	}
	dinfo, err := os.Stat(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	if perm := dinfo.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("directory mode %v, want no access for group or others", perm)
	}
}

func TestLocalExistingContentIsNotRewritten(t *testing.T) {
	dir := t.TempDir()
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	obj, err := s.Put(ctx, bytes.NewReader(samplePDF()), 1<<20, MaterialTypes)
	if err != nil {
		t.Fatal(err)
	}
	p := s.path(obj.Key)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, bytes.NewReader(samplePDF()), 1<<20, MaterialTypes); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(old) {
		t.Errorf("second Put of the same content replaced the file (mtime %v, want %v)", info.ModTime(), old)
	}
	// A file damaged outside the store (here: truncated) is repaired by
	// the next Put of its content.
	if err := os.Truncate(p, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, bytes.NewReader(samplePDF()), 1<<20, MaterialTypes); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, obj.Key); !bytes.Equal(got, samplePDF()) {
		t.Errorf("truncated file not repaired: %d bytes", len(got))
	}
}

func TestLocalRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewLocal(dir); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	stale := filepath.Join(tmp, spoolPrefix+"crashed")
	fresh := filepath.Join(tmp, spoolPrefix+"in-progress")
	other := filepath.Join(tmp, "operator-notes.txt")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("%PDF-partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewLocal(dir); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{stale: false, fresh: true, other: true} {
		_, err := os.Stat(p)
		if got := err == nil; got != want {
			t.Errorf("after reopening, %s exists = %v, want %v", filepath.Base(p), got, want)
		}
	}
}

func TestLocalRefusesAFileWhereTheDirectoryShouldBe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "blobs")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocal(p); err == nil || !strings.HasPrefix(err.Error(), "blob:") {
		t.Errorf("NewLocal(a file) = %v, want a blob: error", err)
	}
}
