package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Local is a Store in a directory on the node's file system. A file with
// key "sha256/ab/cdef…" lives at DIR/sha256/ab/cdef…; uploads in progress
// are written to DIR/tmp, which is on the same file system so a finished
// upload can be renamed into place.
//
// Put writes to a temporary file, fsyncs it, renames it to its final name
// and fsyncs the directory, so after a crash a key names either the whole
// content or nothing. Files and directories are created readable by the
// server's user only.
type Local struct {
	dir string
}

var _ Store = (*Local)(nil)

// NewLocal opens (creating it if needed) a store in dir, and removes
// temporary files that crashed uploads left there more than a day ago.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("blob: local store needs a directory")
	}
	l := &Local{dir: dir}
	for _, d := range []string{l.tmpDir(), filepath.Join(dir, "sha256")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob: %w", err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	if err := removeStale(l.tmpDir(), time.Now()); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Local) tmpDir() string { return filepath.Join(l.dir, "tmp") }

func (l *Local) path(key string) string {
	return filepath.Join(l.dir, filepath.FromSlash(key))
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, r io.Reader, limit int64, allowed []string) (Object, error) {
	s, err := spool(ctx, l.tmpDir(), r, limit, allowed)
	if err != nil {
		return Object{}, err
	}
	defer s.discard()
	final := l.path(s.obj.Key)
	// Identical content already stored: keep it, write nothing. A size
	// check guards against a file damaged outside the store's control.
	if info, err := os.Stat(final); err == nil && info.Mode().IsRegular() && info.Size() == s.obj.Size {
		return s.obj, nil
	}
	if err := s.f.Sync(); err != nil {
		return Object{}, fmt.Errorf("blob: sync: %w", err)
	}
	if err := s.f.Close(); err != nil {
		return Object{}, fmt.Errorf("blob: close: %w", err)
	}
	parent := filepath.Dir(final)
	_, statErr := os.Stat(parent)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return Object{}, fmt.Errorf("blob: %w", err)
	}
	if err := os.Rename(s.f.Name(), final); err != nil {
		return Object{}, fmt.Errorf("blob: %w", err)
	}
	s.moved = true
	if err := syncDir(parent); err != nil {
		return Object{}, err
	}
	if statErr != nil { // the fan-out directory is new: make its entry durable too
		if err := syncDir(filepath.Dir(parent)); err != nil {
			return Object{}, err
		}
	}
	return s.obj, nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, errInvalidKey
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return f, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return errInvalidKey
	}
	p := l.path(key)
	if err := os.Remove(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("blob: %w", err)
	}
	return syncDir(filepath.Dir(p))
}

// List implements Store.
func (l *Local) List(ctx context.Context, fn func(key string) error) error {
	root := filepath.Join(l.dir, "sha256")
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("blob: list: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return fmt.Errorf("blob: list: %w", err)
		}
		if key := filepath.ToSlash(rel); validKey(key) {
			return fn(key)
		}
		return nil // not a file the store wrote
	})
}

// syncDir fsyncs a directory, making the creation, renaming or removal of
// its entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: sync %s: %w", dir, err)
	}
	return nil
}
