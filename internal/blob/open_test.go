package blob

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want Location
	}{
		{"file:/var/lib/tongban/blobs", Location{Dir: "/var/lib/tongban/blobs"}},
		{"file:tongban-data/blobs", Location{Dir: "tongban-data/blobs"}},
		{"s3://materials?endpoint=oss.example.gov.cn", Location{S3: &S3Config{Bucket: "materials", Endpoint: "oss.example.gov.cn", Secure: true}}},
		{"s3://materials/tongban/prod/?endpoint=10.0.0.5:9000&region=cn-east-1&secure=false&lookup=path",
			Location{S3: &S3Config{Bucket: "materials", Prefix: "tongban/prod/", Endpoint: "10.0.0.5:9000", Region: "cn-east-1", Lookup: "path"}}},
		{"s3://gov.materials/x?endpoint=minio:9000&lookup=dns&secure=true",
			Location{S3: &S3Config{Bucket: "gov.materials", Prefix: "x/", Endpoint: "minio:9000", Lookup: "dns", Secure: true}}},
	} {
		got, err := ParseURL(tc.url)
		if err != nil {
			t.Errorf("ParseURL(%q) error = %v", tc.url, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseURL(%q) = %+v %+v, want %+v %+v", tc.url, got, got.S3, tc.want, tc.want.S3)
		}
	}
}

func TestParseURLInvalid(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"", "must be file:DIR or s3://"},
		{"/var/lib/blobs", "must be file:DIR or s3://"},
		{"file:", "needs a directory"},
		{"https://oss.example.gov.cn/materials", "must be file:DIR or s3://"},
		{"s3://materials", "needs endpoint="},
		{"s3://materials?endpoint=http://minio:9000", "without scheme"},
		{"s3://Materials?endpoint=minio:9000", "bucket"},
		{"s3://ab?endpoint=minio:9000", "bucket"},
		{"s3://-materials?endpoint=minio:9000", "bucket"},
		{"s3://materials?endpoint=minio:9000&secure=maybe", "secure="},
		{"s3://materials?endpoint=minio:9000&lookup=virtual", "lookup="},
		{"s3://materials?endpoint=minio:9000&regoin=cn", `unknown s3 parameter "regoin"`},
		{"s3://AKID:s3cr3tValue@materials?endpoint=minio:9000", "not in the URL"},
	} {
		_, err := ParseURL(tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURL(%q) = %v, want an error containing %q", tc.url, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3tValue") {
			t.Errorf("ParseURL(%q) error repeats the secret: %v", tc.url, err)
		}
	}
}
