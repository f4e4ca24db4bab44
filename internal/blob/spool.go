package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// spoolPrefix starts the name of every temporary file a store writes, so
// leftovers of a crash can be recognised and removed.
const spoolPrefix = "put-"

// spooled is an upload written to a temporary file and checked: its size is
// within the limit, its type detected and allowed, its hash computed.
type spooled struct {
	f     *os.File
	obj   Object
	moved bool // the file was renamed into place: discard must not remove the name
}

// discard closes and removes the temporary file.
func (s *spooled) discard() {
	s.f.Close()
	if !s.moved {
		os.Remove(s.f.Name())
	}
}

// spool copies r into a new temporary file in dir, never holding more than
// a small buffer in memory, and checks the result. On error nothing is left
// in dir.
func spool(ctx context.Context, dir string, r io.Reader, limit int64, allowed []string) (*spooled, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("blob: size limit %d must be positive", limit)
	}
	f, err := os.CreateTemp(dir, spoolPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	s := &spooled{f: f}
	h := sha256.New()
	// Read one byte past the limit to tell "exactly limit" from "more".
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, min(limit, math.MaxInt64-1)+1))
	if err != nil {
		s.discard()
		return nil, fmt.Errorf("blob: read upload: %w", err)
	}
	switch {
	case n > limit:
		s.discard()
		return nil, ErrTooLarge
	case n == 0:
		s.discard()
		return nil, ErrEmpty
	}
	typ, ok := Detect(f, n)
	if err := accepted(typ, ok, allowed); err != nil {
		s.discard()
		return nil, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	s.obj = Object{Key: keyFor(sum), SHA256: sum, Size: n, ContentType: typ}
	return s, nil
}

// staleAfter is how old a temporary file must be before removeStale takes
// it for a crash's leftover rather than an upload in progress (perhaps of
// another node sharing the directory).
const staleAfter = 24 * time.Hour

// removeStale deletes temporary files older than staleAfter from dir.
func removeStale(dir string, now time.Time) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), spoolPrefix) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if now.Sub(info.ModTime()) > staleAfter {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("blob: remove stale uploads: %w", errors.Join(errs...))
	}
	return nil
}
