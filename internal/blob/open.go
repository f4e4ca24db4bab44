package blob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Options configure Open. The server builds them from its configuration
// (config.Config.BlobOptions).
type Options struct {
	// URL is "file:DIR" for a Local store or
	// "s3://BUCKET/PREFIX?endpoint=HOST:PORT&region=R&secure=false&lookup=path"
	// for an S3 store; see ParseURL.
	URL string
	// AccessKey and SecretKey authenticate to an S3 service; unused by a
	// local store.
	AccessKey, SecretKey string `json:"-"`
	// TempDir is where an S3 store spools uploads; empty means os.TempDir().
	TempDir string
}

// Location is a parsed store URL: exactly one of Dir and S3 is set. The S3
// configuration carries no keys.
type Location struct {
	Dir string
	S3  *S3Config
}

// ParseURL parses a store URL:
//
//	file:DIR                      a Local store in DIR
//	s3://BUCKET[/PREFIX][?QUERY]  an S3 store
//
// The S3 query parameters are endpoint (host[:port], required), region,
// secure (true or false; default true) and lookup (path or dns). Unknown
// parameters and credentials in the URL are errors: keys belong in the
// environment, where they stay out of process listings and logs.
func ParseURL(raw string) (Location, error) {
	if dir, ok := strings.CutPrefix(raw, "file:"); ok {
		if dir == "" {
			return Location{}, errors.New("blob store file: needs a directory, e.g. file:/var/lib/tongban/blobs")
		}
		return Location{Dir: dir}, nil
	}
	if !strings.HasPrefix(raw, "s3://") {
		return Location{}, errors.New("blob store must be file:DIR or s3://BUCKET/PREFIX?endpoint=HOST:PORT")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse errors quote the URL; it carries no secret (checked
		// below for a parsed one), but keep the message short anyway.
		return Location{}, errors.New("blob store: malformed s3 URL")
	}
	if u.User != nil {
		return Location{}, errors.New("blob store: put the s3 keys in TONGBAN_BLOB_ACCESS_KEY and TONGBAN_BLOB_SECRET_KEY, not in the URL")
	}
	c := &S3Config{Bucket: u.Host, Secure: true}
	if !validBucket(c.Bucket) {
		return Location{}, fmt.Errorf("blob store: s3 bucket %q: want 3 to 63 lowercase letters, digits, dots and hyphens", c.Bucket)
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		c.Prefix = p + "/"
	}
	var errs []error
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		v := q.Get(k)
		switch k {
		case "endpoint":
			c.Endpoint = v
		case "region":
			c.Region = v
		case "secure":
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("blob store: secure=%q: want true or false", v))
			}
			c.Secure = b
		case "lookup":
			if v != "path" && v != "dns" {
				errs = append(errs, fmt.Errorf("blob store: lookup=%q: want path or dns", v))
			}
			c.Lookup = v
		default:
			errs = append(errs, fmt.Errorf("blob store: unknown s3 parameter %q (known: endpoint, region, secure, lookup)", k))
		}
	}
	if c.Endpoint == "" {
		errs = append(errs, errors.New("blob store: s3 URL needs endpoint=HOST:PORT"))
	} else if strings.Contains(c.Endpoint, "/") {
		errs = append(errs, fmt.Errorf("blob store: endpoint %q: want host[:port] without scheme or path", c.Endpoint))
	}
	if len(errs) > 0 {
		return Location{}, errors.Join(errs...)
	}
	return Location{S3: c}, nil
}

// validBucket applies the S3 bucket naming rules that matter here.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return b[0] != '-' && b[0] != '.' && b[len(b)-1] != '-' && b[len(b)-1] != '.'
}

// Open opens the store o.URL names.
func Open(ctx context.Context, o Options) (Store, error) {
	loc, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	if loc.S3 == nil {
		return NewLocal(loc.Dir)
	}
	c := *loc.S3
	c.AccessKey, c.SecretKey, c.TempDir = o.AccessKey, o.SecretKey, o.TempDir
	return NewS3(ctx, c)
}
