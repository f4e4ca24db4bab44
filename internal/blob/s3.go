package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says where an S3 store keeps its objects. The URL form is
// s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=REGION&secure=false&lookup=path
// (see ParseURL); the keys come from the environment, never the URL.
type S3Config struct {
	// Endpoint is the service's host[:port], without a scheme.
	Endpoint string
	// Region is the bucket's region; empty lets the client ask the service.
	Region string
	// Bucket holds the objects.
	Bucket string
	// Prefix is prepended to every key, e.g. "tongban/"; empty or ending
	// in a slash.
	Prefix string
	// Secure uses HTTPS. Default true; false only for a service reached
	// over a trusted private network.
	Secure bool
	// Lookup is how the bucket is addressed: "path" (endpoint/bucket) or
	// "dns" (bucket.endpoint). Empty lets the client choose by endpoint:
	// path style for MinIO and other self-hosted services, DNS style for
	// the large clouds.
	Lookup string
	// AccessKey and SecretKey authenticate the platform to the service.
	AccessKey, SecretKey string `json:"-"`
	// TempDir receives uploads while they are checked and hashed, before
	// they are sent; empty means os.TempDir().
	TempDir string
	// Transport, if set, replaces the HTTP transport (tests).
	Transport http.RoundTripper `json:"-"`
}

// S3 is a Store in a bucket of an S3-compatible object storage service.
// Object names are the prefix followed by the key. Put spools the upload to
// a temporary file first: the key is the content's hash, known only once
// the whole file has been read and checked.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	tmp    string
}

var _ Store = (*S3)(nil)

// NewS3 connects to the service and checks that the bucket exists and the
// credentials are accepted, so a wrong setting stops the server at start-up
// rather than at the first upload.
func NewS3(ctx context.Context, c S3Config) (*S3, error) {
	if c.Bucket == "" || c.Endpoint == "" {
		return nil, errors.New("blob: s3 store needs a bucket and an endpoint")
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return nil, errors.New("blob: s3 store needs an access key and a secret key")
	}
	lookup := minio.BucketLookupAuto
	switch c.Lookup {
	case "path":
		lookup = minio.BucketLookupPath
	case "dns":
		lookup = minio.BucketLookupDNS
	case "", "auto":
	default:
		return nil, fmt.Errorf("blob: s3 lookup %q: want path or dns", c.Lookup)
	}
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       c.Secure,
		Region:       c.Region,
		BucketLookup: lookup,
		Transport:    c.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3: %w", err)
	}
	tmp := c.TempDir
	if tmp == "" {
		tmp = os.TempDir()
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	ok, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: s3 bucket %q at %s: %w", c.Bucket, c.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("blob: s3 bucket %q does not exist at %s", c.Bucket, c.Endpoint)
	}
	return &S3{client: client, bucket: c.Bucket, prefix: c.Prefix, tmp: tmp}, nil
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, r io.Reader, limit int64, allowed []string) (Object, error) {
	sp, err := spool(ctx, s.tmp, r, limit, allowed)
	if err != nil {
		return Object{}, err
	}
	defer sp.discard()
	name := s.prefix + sp.obj.Key
	if info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{}); err == nil && info.Size == sp.obj.Size {
		return sp.obj, nil
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return Object{}, fmt.Errorf("blob: %w", err)
	}
	// An *os.File is read in sections, part by part, not loaded whole.
	_, err = s.client.PutObject(ctx, s.bucket, name, sp.f, sp.obj.Size, minio.PutObjectOptions{
		ContentType: sp.obj.ContentType,
	})
	if err != nil {
		return Object{}, fmt.Errorf("blob: s3 put: %w", err)
	}
	return sp.obj, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, errInvalidKey
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Error("get", err)
	}
	// GetObject is lazy; Stat makes the request so a missing key is
	// reported here and not at the first Read.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s3Error("get", err)
	}
	return obj, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return errInvalidKey
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s3Error("delete", err), ErrNotFound) {
			return nil
		}
		return s3Error("delete", err)
	}
	return nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, fn func(key string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn fails
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + "sha256/", Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("blob: s3 list: %w", obj.Err)
		}
		if key := strings.TrimPrefix(obj.Key, s.prefix); validKey(key) {
			if err := fn(key); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// s3Error turns the service's "no such key" into ErrNotFound.
func s3Error(op string, err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return ErrNotFound
	}
	return fmt.Errorf("blob: s3 %s: %w", op, err)
}
