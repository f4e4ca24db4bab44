package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
)

// testStore is the behaviour every Store must have; each implementation's
// test runs it against a fresh store. check reports what a store holds
// beyond its API: the number of stored files and of leftover temporary
// files, so failed Puts can be seen to leave nothing behind.
type storeCheck func(t *testing.T) (stored, temp int)

func testStore(t *testing.T, open func(t *testing.T) (Store, storeCheck)) {
	ctx := context.Background()
	const limit = 1 << 20

	t.Run("round trip", func(t *testing.T) {
		s, _ := open(t)
		for _, tc := range []struct {
			name string
			data []byte
			typ  string
		}{
			{"pdf", samplePDF(), PDF},
			{"jpeg", sampleJPEG(t), JPEG},
			{"png", samplePNG(t), PNG},
			{"ofd", sampleOFD(t), OFD},
		} {
			obj, err := s.Put(ctx, bytes.NewReader(tc.data), limit, MaterialTypes)
			if err != nil {
				t.Fatalf("Put(%s) = %v", tc.name, err)
			}
			sum := sha256.Sum256(tc.data)
			want := Object{
				Key:         "sha256/" + hex.EncodeToString(sum[:1]) + "/" + hex.EncodeToString(sum[1:]),
				SHA256:      hex.EncodeToString(sum[:]),
				Size:        int64(len(tc.data)),
				ContentType: tc.typ,
			}
			if obj != want {
				t.Errorf("Put(%s) = %+v, want %+v", tc.name, obj, want)
			}
			if got := read(t, s, obj.Key); !bytes.Equal(got, tc.data) {
				t.Errorf("Open(%s) returned %d bytes that differ from the %d put", tc.name, len(got), len(tc.data))
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		s, _ := open(t)
		want := map[string]bool{}
		for _, data := range [][]byte{samplePDF(), samplePNG(t), sampleJPEG(t)} {
			obj, err := s.Put(ctx, bytes.NewReader(data), limit, MaterialTypes)
			if err != nil {
				t.Fatal(err)
			}
			want[obj.Key] = true
		}
		got := map[string]bool{}
		if err := s.List(ctx, func(key string) error { got[key] = true; return nil }); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("List = %v, want %v", got, want)
		}
		stop := errors.New("stop")
		calls := 0
		if err := s.List(ctx, func(string) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
			t.Errorf("List with fn failing: %v after %d calls, want fn's error after 1", err, calls)
		}
	})

	t.Run("wrong type by content whatever the name says", func(t *testing.T) {
		s, check := open(t)
		// An upload's file name is never passed to Put: these would all
		// carry names ending in .pdf, .jpg or .ofd in a browser.
		for name, data := range map[string][]byte{
			"申请书.pdf":      []byte("<!DOCTYPE html><html><body>not a pdf</body></html>"),
			"photo.jpg":    []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
			"setup.pdf":    append([]byte("MZ\x90\x00"), make([]byte, 100)...),
			"licence.ofd":  sampleDOCX(t),
			"archive.pdf":  sampleZip(t, "a.txt"),
			"document.png": []byte("plain text"),
		} {
			if _, err := s.Put(ctx, bytes.NewReader(data), limit, MaterialTypes); !errors.Is(err, ErrType) {
				t.Errorf("Put(%s) error = %v, want ErrType", name, err)
			}
		}
		// A real PDF named scan.png is still stored, as a PDF.
		obj, err := s.Put(ctx, bytes.NewReader(samplePDF()), limit, MaterialTypes)
		if err != nil || obj.ContentType != PDF {
			t.Errorf("Put(scan.png holding a PDF) = %+v, %v; want a PDF", obj, err)
		}
		if stored, temp := check(t); stored != 1 || temp != 0 {
			t.Errorf("store holds %d files and %d temporary files, want 1 and 0", stored, temp)
		}
	})

	t.Run("type not in the allowed list", func(t *testing.T) {
		s, check := open(t)
		if _, err := s.Put(ctx, bytes.NewReader(sampleJPEG(t)), limit, []string{PDF, OFD}); !errors.Is(err, ErrType) {
			t.Errorf("Put(JPEG, allowed PDF and OFD) error = %v, want ErrType", err)
		}
		if _, err := s.Put(ctx, bytes.NewReader(samplePDF()), limit, nil); !errors.Is(err, ErrType) {
			t.Errorf("Put(PDF, nothing allowed) error = %v, want ErrType", err)
		}
		if stored, temp := check(t); stored != 0 || temp != 0 {
			t.Errorf("store holds %d files and %d temporary files, want none", stored, temp)
		}
	})

	t.Run("empty", func(t *testing.T) {
		s, check := open(t)
		_, err := s.Put(ctx, strings.NewReader(""), limit, MaterialTypes)
		if !errors.Is(err, ErrEmpty) || !errors.Is(err, ErrType) {
			t.Errorf("Put(empty) error = %v, want ErrEmpty, which is an ErrType", err)
		}
		if stored, temp := check(t); stored != 0 || temp != 0 {
			t.Errorf("store holds %d files and %d temporary files, want none", stored, temp)
		}
	})

	t.Run("size limit", func(t *testing.T) {
		s, check := open(t)
		data := pdfOfSize(4096)
		if _, err := s.Put(ctx, bytes.NewReader(data), 4096, MaterialTypes); err != nil {
			t.Errorf("Put(exactly the limit) = %v", err)
		}
		if _, err := s.Put(ctx, bytes.NewReader(pdfOfSize(4097)), 4096, MaterialTypes); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Put(limit + 1 byte) error = %v, want ErrTooLarge", err)
		}
		// A huge upload is cut off after the limit, not read to the end.
		big := &countingReader{r: io.MultiReader(bytes.NewReader(samplePDF()), zeros{})}
		if _, err := s.Put(ctx, big, 4096, MaterialTypes); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Put(endless) error = %v, want ErrTooLarge", err)
		}
		if big.n > 1<<20 {
			t.Errorf("Put read %d bytes of an endless upload with a 4096-byte limit", big.n)
		}
		if stored, temp := check(t); stored != 1 || temp != 0 {
			t.Errorf("store holds %d files and %d temporary files, want 1 and 0", stored, temp)
		}
	})

	t.Run("duplicate content is stored once", func(t *testing.T) {
		s, check := open(t)
		data := samplePNG(t)
		first, err := s.Put(ctx, bytes.NewReader(data), limit, MaterialTypes)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		objs := make([]Object, 8)
		errs := make([]error, 8)
		for i := range objs {
			wg.Go(func() { objs[i], errs[i] = s.Put(ctx, bytes.NewReader(data), limit, MaterialTypes) })
		}
		wg.Wait()
		for i := range objs {
			if errs[i] != nil || objs[i] != first {
				t.Errorf("Put #%d of the same content = %+v, %v; want %+v", i+2, objs[i], errs[i], first)
			}
		}
		if stored, temp := check(t); stored != 1 || temp != 0 {
			t.Errorf("store holds %d files and %d temporary files, want 1 and 0", stored, temp)
		}
		if got := read(t, s, first.Key); !bytes.Equal(got, data) {
			t.Error("content changed after storing it again")
		}
	})

	t.Run("reader failing midway leaves nothing", func(t *testing.T) {
		s, check := open(t)
		data := pdfOfSize(64 << 10)
		boom := errors.New("connection reset")
		r := io.MultiReader(bytes.NewReader(data[:40<<10]), errReader{boom})
		if _, err := s.Put(ctx, r, limit, MaterialTypes); !errors.Is(err, boom) {
			t.Errorf("Put(failing reader) error = %v, want the reader's error", err)
		}
		// Neither the whole content nor the part read is under a key.
		for _, part := range [][]byte{data, data[:40<<10]} {
			sum := sha256.Sum256(part)
			if _, err := s.Open(ctx, keyFor(hex.EncodeToString(sum[:]))); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open(key of %d bytes) error = %v, want ErrNotFound", len(part), err)
			}
		}
		if stored, temp := check(t); stored != 0 || temp != 0 {
			t.Errorf("store holds %d files and %d temporary files, want none", stored, temp)
		}
	})

	t.Run("cancelled upload", func(t *testing.T) {
		s, check := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, bytes.NewReader(samplePDF()), limit, MaterialTypes); !errors.Is(err, context.Canceled) {
			t.Errorf("Put(cancelled) error = %v, want context.Canceled", err)
		}
		if stored, temp := check(t); stored != 0 || temp != 0 {
			t.Errorf("store holds %d files and %d temporary files, want none", stored, temp)
		}
	})

	t.Run("open and delete", func(t *testing.T) {
		s, check := open(t)
		obj, err := s.Put(ctx, bytes.NewReader(samplePDF()), limit, MaterialTypes)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, obj.Key); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		if _, err := s.Open(ctx, obj.Key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, obj.Key); err != nil {
			t.Errorf("Delete(deleted) = %v, want nil", err)
		}
		if stored, _ := check(t); stored != 0 {
			t.Errorf("store holds %d files after Delete, want 0", stored)
		}
		// Storing it again after a delete brings it back.
		if _, err := s.Put(ctx, bytes.NewReader(samplePDF()), limit, MaterialTypes); err != nil {
			t.Fatal(err)
		}
		if got := read(t, s, obj.Key); !bytes.Equal(got, samplePDF()) {
			t.Error("content differs after storing it again")
		}
	})

	t.Run("malformed keys", func(t *testing.T) {
		s, _ := open(t)
		for _, key := range []string{
			"", "sha256/", "../../etc/passwd", "sha256/ab/../../../etc/passwd",
			"sha256/AB/" + strings.Repeat("c", 62), "sha256/ab/" + strings.Repeat("c", 61),
			"sha256/ab/" + strings.Repeat("c", 61) + "/", "md5/ab/" + strings.Repeat("c", 62),
			"tmp/put-1", "sha256/ab" + strings.Repeat("c", 63),
		} {
			if _, err := s.Open(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open(%q) error = %v, want ErrNotFound", key, err)
			}
			if err := s.Delete(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("Delete(%q) error = %v, want ErrNotFound", key, err)
			}
		}
	})
}

func read(t *testing.T, s Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s) = %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// pdfOfSize returns a PDF padded with a comment to exactly n bytes.
func pdfOfSize(n int) []byte {
	b := samplePDF()
	return append(b, bytes.Repeat([]byte{'%'}, n-len(b))...)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
