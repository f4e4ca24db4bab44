package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/metrics"
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

// The workbench reads the server's CPU time from its metrics and reports
// it per operation; a URL that does not give it stops the run at once.
func TestCPUMeter(t *testing.T) {
	srv := httptest.NewServer(metrics.New().Handler())
	defer srv.Close()
	m, err := newCPUMeter(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	server, client, err := m.sample(t.Context())
	if err != nil || server <= 0 || client <= 0 {
		t.Fatalf("sample = %s, %s, %v; want this process's CPU time twice", server, client, err)
	}
	if m, err := newCPUMeter(t.Context(), ""); err != nil {
		t.Fatal(err)
	} else if server, _, err := m.sample(t.Context()); err != nil || server >= 0 {
		t.Errorf("without -metrics the server's CPU time is %s, %v; want it not measured", server, err)
	}
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "# a node without the process collector\ngo_goroutines 12")
	}))
	defer other.Close()
	for _, u := range []string{"localhost:9100/metrics", missing.URL, other.URL} {
		if _, err := newCPUMeter(t.Context(), u); err == nil {
			t.Errorf("-metrics %s accepted", u)
		}
	}

	r := phaseResult{n: 400, elapsed: 2 * time.Second, lat: []time.Duration{time.Millisecond}, conc: 16, server: 600 * time.Millisecond, client: -1}
	if got := r.String(); !strings.HasSuffix(got, "; CPU server 1.50 ms/op (0.30 cores)") {
		t.Errorf("phase = %q, want the server's CPU per operation and in cores", got)
	}
	r.server = -1
	if got := r.String(); strings.Contains(got, "CPU") {
		t.Errorf("phase = %q, want no CPU when none was measured", got)
	}
	// A phase whose server could not be read at its end still reports
	// the rest, and why.
	gone := httptest.NewServer(metrics.New().Handler())
	m, err = newCPUMeter(t.Context(), gone.URL)
	if err != nil {
		t.Fatal(err)
	}
	r, err = timedPhase(t.Context(), m, 2, time.Second, func(ctx context.Context, i int, record func(time.Duration)) error {
		record(time.Millisecond)
		if i == 0 {
			gone.Close()
		}
		return nil
	})
	if err != nil || r.n != 2 || r.server >= 0 || r.client < 0 || !strings.Contains(r.String(), "server not read") {
		t.Errorf("phase with the server gone = %+v (%q), %v; want its two operations, the client's CPU and why the server's is missing", r, r.String(), err)
	}
}
