// Package blob stores the files applicants upload as application materials
// (申请材料) and the result documents the platform produces.
//
// A file is accepted only if its content, never its name, shows it to be one
// of a few document types (PDF, JPEG, PNG, OFD per GB/T 33190), and only up to
// a size limit. Storage is content-addressed: the key of a file is derived
// from its SHA-256 ("sha256/ab/cdef…"), so identical content is stored once
// and a key reveals nothing about the applicant or the file's name.
//
// Two stores implement [Store]: [Local], a directory on the node's disk
// (written with temp file, fsync, rename, so a crash never leaves a partial
// file under a key), and [S3], an S3-compatible object store such as MinIO
// or a cloud's object storage service. Both use the same key layout, so a
// local directory can be copied into a bucket under the configured prefix
// and keep working. [Open] builds either from a URL.
//
// Because identical content shares one key, several records may refer to the
// same key: callers delete a key only when no record refers to it any more.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The document types the platform accepts, as MIME types.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
	// OFD is the Chinese fixed-layout document format (GB/T 33190), used
	// for official electronic documents and licenses.
	OFD = "application/ofd"
)

// MaterialTypes lists the types accepted for application materials.
var MaterialTypes = []string{PDF, JPEG, PNG, OFD}

// Errors returned by stores. ErrTooLarge and ErrType (and so ErrEmpty) are
// the uploader's fault and deserve a field-level message; ErrNotFound means
// the key is unknown to the store.
var (
	ErrTooLarge = errors.New("blob: file too large")
	ErrType     = errors.New("blob: file type not accepted")
	// ErrEmpty is returned for a file with no bytes. It wraps ErrType, so
	// errors.Is(err, ErrType) holds for it too.
	ErrEmpty    = fmt.Errorf("%w: empty file", ErrType)
	ErrNotFound = errors.New("blob: not found")

	// errInvalidKey is returned for a key that no store would produce.
	errInvalidKey = fmt.Errorf("%w: malformed key", ErrNotFound)
)

// Object describes one stored file.
type Object struct {
	// Key is the file's storage key, "sha256/" followed by the first two
	// hex digits of SHA256, a slash and the other 62. It names content, not
	// a person, so it may appear in URLs and logs.
	Key string
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
	// Size is the content's length in bytes.
	Size int64
	// ContentType is the type detected from the content, one of the
	// allowed types given to Put.
	ContentType string
}

// Store keeps files by content. Implementations are safe for concurrent use.
type Store interface {
	// Put reads r to the end, but at most limit bytes (more is
	// ErrTooLarge), detects the type from the content (a type not in
	// allowed is ErrType; an empty file is ErrEmpty), computes the SHA-256,
	// and stores the bytes durably before returning. Storing content that
	// is already stored returns the same Object and writes nothing new.
	// On any error nothing is stored under the key.
	Put(ctx context.Context, r io.Reader, limit int64, allowed []string) (Object, error)
	// Open returns the content stored under key, or ErrNotFound.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the content stored under key. Deleting a key that is
	// not stored is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn with the key of every stored file, in no particular
	// order, stopping at fn's first error.
	List(ctx context.Context, fn func(key string) error) error
}

// keyFor returns the storage key of content with the given hex SHA-256.
func keyFor(sum string) string {
	return "sha256/" + sum[:2] + "/" + sum[2:]
}

// validKey reports whether key has the form keyFor produces. Stores check it
// before touching storage, so a key from outside can never name a path or
// object outside the store.
func validKey(key string) bool {
	rest, ok := strings.CutPrefix(key, "sha256/")
	if !ok || len(rest) != 2+1+62 || rest[2] != '/' {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if i == 2 {
			continue
		}
		c := rest[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// accepted checks a detected type against the allowed list.
func accepted(typ string, ok bool, allowed []string) error {
	if !ok || !slices.Contains(allowed, typ) {
		return ErrType
	}
	return nil
}

// ctxReader stops a copy when its context is cancelled, so an abandoned
// upload does not keep reading.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
