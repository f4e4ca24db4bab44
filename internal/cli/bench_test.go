package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// commitbench reports durable commits on either database and leaves no
// scratch table behind.
func TestCommitBench(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, dsn string }{
		{"sqlite", "sqlite:" + filepath.Join(dir, "bench.db")},
		{"postgres", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := tc.dsn
			if dsn == "" {
				dsn = dbtest.PostgresDSN(t)
			}
			for _, extra := range [][]string{nil, {"-batch"}} {
				var out, errb bytes.Buffer
				args := append([]string{"commitbench", "-db", dsn, "-data", dir, "-c", "4", "-d", "300ms"}, extra...)
				if code := Main(args, func(string) string { return "" }, &out, &errb); code != 0 {
					t.Fatalf("commitbench %v: exit %d: %s", extra, code, errb.String())
				}
				want := "synchronous=2 (FULL)"
				if tc.name == "postgres" {
					want = "fsync=on, synchronous_commit=on"
				}
				if s := out.String(); !strings.Contains(s, want) || !strings.Contains(s, "commits/s") {
					t.Errorf("commitbench %v printed %q, want the durability settings (%s) and commits/s", extra, s, want)
				}
			}
			d, err := db.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := d.Read().Exec(`SELECT 1 FROM commitbench_rows`); err == nil {
				t.Error("commitbench left its scratch table behind")
			}
		})
	}
}
