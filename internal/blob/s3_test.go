package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 starts an in-process S3 service over HTTPS (gofakes3 with its
// in-memory backend) with one bucket, and returns the configuration of a
// store in that bucket and the backend.
//
// HTTPS, as in production: over plain HTTP the client signs uploads in
// aws-chunked encoding, which gofakes3 decodes for single-request uploads
// but not for the parts of a multipart upload.
func fakeS3(t *testing.T, bucket string) (S3Config, *s3mem.Backend) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	return S3Config{
		Endpoint: strings.TrimPrefix(srv.URL, "https://"), Bucket: bucket, Prefix: "tongban/",
		Secure: true, Lookup: "path", Transport: srv.Client().Transport,
		AccessKey: "tongban", SecretKey: "test-secret", TempDir: t.TempDir(),
	}, backend
}

// listObjects returns the names of the objects in a bucket.
func listObjects(t *testing.T, b *s3mem.Backend, bucket string) []string {
	t.Helper()
	list, err := b.ListBucket(bucket, &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range list.Contents {
		names = append(names, o.Key)
	}
	return names
}

func TestS3(t *testing.T) {
	testStore(t, func(t *testing.T) (Store, storeCheck) {
		c, backend := fakeS3(t, "materials")
		s, err := NewS3(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return s, func(t *testing.T) (int, int) {
			return len(listObjects(t, backend, "materials")), countFiles(t, c.TempDir, ".")
		}
	})
}

func TestS3ObjectNamesAndType(t *testing.T) {
	c, backend := fakeS3(t, "materials")
	s, err := NewS3(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Put(context.Background(), bytes.NewReader(sampleOFD(t)), 1<<20, MaterialTypes)
	if err != nil {
		t.Fatal(err)
	}
	// The bucket has the same layout as a local store's directory, under
	// the prefix, so one can be copied into the other.
	names := listObjects(t, backend, "materials")
	if len(names) != 1 || names[0] != "tongban/"+obj.Key {
		t.Errorf("objects = %q, want [tongban/%s]", names, obj.Key)
	}
	head, err := backend.HeadObject("materials", "tongban/"+obj.Key)
	if err != nil {
		t.Fatal(err)
	}
	if ct := head.Metadata["Content-Type"]; ct != OFD {
		t.Errorf("object Content-Type = %q, want %q", ct, OFD)
	}
}

// TestS3LargeUpload stores a file above the client's 16 MiB single-request
// size, which goes up in parts.
func TestS3LargeUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("17 MiB upload")
	}
	c, _ := fakeS3(t, "materials")
	s, err := NewS3(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	const size = 17 << 20
	r := io.MultiReader(bytes.NewReader(samplePDF()), io.LimitReader(zeros{}, size-int64(len(samplePDF()))))
	obj, err := s.Put(context.Background(), r, 20<<20, MaterialTypes)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != size {
		t.Errorf("Size = %d, want %d", obj.Size, size)
	}
	rc, err := s.Open(context.Background(), obj.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil || n != size {
		t.Errorf("read back %d bytes, %v; want %d", n, err, size)
	}
}

func TestS3MissingBucket(t *testing.T) {
	c, _ := fakeS3(t, "materials")
	c.Bucket = "no-such-bucket"
	_, err := NewS3(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Errorf("NewS3(missing bucket) = %v, want an error naming the bucket", err)
	}
}

func TestS3Unreachable(t *testing.T) {
	c, _ := fakeS3(t, "materials")
	srv := httptest.NewServer(nil)
	c.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // nothing listens there any more
	_, err := NewS3(context.Background(), c)
	if err == nil {
		t.Error("NewS3(unreachable endpoint) = nil error")
	}
}

func TestOpenStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{URL: "file:" + dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*Local); !ok {
		t.Errorf("Open(file:) = %T, want *Local", s)
	}

	// Over plain HTTP, configured by URL as an operator would.
	backend := s3mem.New()
	if err := backend.CreateBucket("materials"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer srv.Close()
	endpoint := strings.TrimPrefix(srv.URL, "http://")
	o := Options{URL: "s3://materials/tongban?endpoint=" + endpoint + "&secure=false&lookup=path", AccessKey: "a", SecretKey: "b", TempDir: t.TempDir()}
	s, err = Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Put(ctx, bytes.NewReader(samplePNG(t)), 1<<20, MaterialTypes)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, obj.Key); !bytes.Equal(got, samplePNG(t)) {
		t.Error("content read back from s3 differs")
	}
	if names := listObjects(t, backend, "materials"); len(names) != 1 || names[0] != "tongban/"+obj.Key {
		t.Errorf("objects = %q, want [tongban/%s]", names, obj.Key)
	}

	o.SecretKey = ""
	if _, err := Open(ctx, o); err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("Open(s3 without secret key) = %v, want an error saying so", err)
	}
	if _, err := Open(ctx, Options{URL: "ftp://x"}); err == nil {
		t.Error("Open(ftp://x) = nil error")
	}
}

func TestS3NotFound(t *testing.T) {
	c, _ := fakeS3(t, "materials")
	s, err := NewS3(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	key := keyFor(strings.Repeat("ab", 32))
	if _, err := s.Open(context.Background(), key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(never stored) error = %v, want ErrNotFound", err)
	}
}
