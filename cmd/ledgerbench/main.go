// Command ledgerbench compares the ledger's integration rate with that of
// transparency-dev/tessera's POSIX storage on the same machine, in one run,
// with the same entries.
//
// For each size it appends that many ledger entries (canonical JSON of
// about 400 bytes, shaped like internal/ledger's BenchmarkIntegrate) to a
// fresh SQLite database and to a fresh scratch PostgreSQL database, then
// times Log.Integrate until nothing is pending (batches of 4096, a signed
// checkpoint per batch). It then adds the very same entry bytes to a
// tessera POSIX log in a temporary directory (batches of 4096, no
// pushback) and times until every entry is integrated into the tiles and
// until a checkpoint of the full size is published.
//
// Tessera writes the entries and integrates them in one step, while the
// ledger writes them when the change commits and integrates them later, so
// the table shows the ledger's append time too, and the rate of both
// steps together.
//
// It is a separate program so that tessera is not linked into tongban:
//
//	go run ./cmd/ledgerbench -n 10000,100000
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/ledger"
)

// appendPerTx is how many entries the ledger runs append in one
// transaction. The append is not what is compared; batching it only keeps
// the set-up of 100,000 entries short.
const appendPerTx = 4096

func main() {
	sizes := flag.String("n", "10000,100000", "comma-separated numbers of entries")
	pg := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL superuser URL for the scratch database; empty skips PostgreSQL")
	flag.Parse()
	if err := run(context.Background(), *sizes, *pg); err != nil {
		fmt.Fprintln(os.Stderr, "ledgerbench:", err)
		os.Exit(1)
	}
}

// result is one row of the table.
type result struct {
	store     string
	n         int
	append    time.Duration // ledger only
	integrate time.Duration // ledger: Integrate loop; tessera: Add until every index is known
	published time.Duration // tessera only: Add until a checkpoint of size n is published
}

func run(ctx context.Context, sizes, pg string) error {
	var ns []int
	for s := range strings.SplitSeq(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad size %q", s)
		}
		ns = append(ns, n)
	}
	tmp, err := os.MkdirTemp("", "ledgerbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var results []result
	for _, n := range ns {
		entries := makeEntries(n)
		dir := filepath.Join(tmp, strconv.Itoa(n))
		r, bodies, err := benchLedger(ctx, "tongban sqlite", "sqlite:"+filepath.Join(dir, "tongban.db"), entries)
		if err != nil {
			return err
		}
		results = append(results, r)
		if pg != "" {
			r, err := withScratchDB(pg, func(dsn string) (result, error) {
				r, _, err := benchLedger(ctx, "tongban postgres", dsn, entries)
				return r, err
			})
			if err != nil {
				return err
			}
			results = append(results, r)
		}
		r, err = benchTessera(ctx, filepath.Join(dir, "tessera"), bodies)
		if err != nil {
			return err
		}
		results = append(results, r)
	}

	host, _ := os.Hostname()
	fmt.Printf("%s, %s/%s, %d CPUs, %s\n\n", time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), host)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "store\tentries\tappend\tintegrate\tintegrated/s\tappend+integrate/s\tto checkpoint\t")
	for _, r := range results {
		app, both, pub := "-", "-", "-"
		if r.append > 0 {
			app = r.append.Round(time.Millisecond).String()
			both = rate(r.n, r.append+r.integrate)
		}
		if r.published > 0 {
			pub = r.published.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.store, r.n, app,
			r.integrate.Round(time.Millisecond), rate(r.n, r.integrate), both, pub)
	}
	return w.Flush()
}

func rate(n int, d time.Duration) string {
	return strconv.Itoa(int(float64(n) / d.Seconds()))
}

// makeEntries returns n entries shaped like BenchmarkIntegrate's: 500
// objects, so each entry after the first 500 links to a previous one.
func makeEntries(n int) []ledger.Entry {
	es := make([]ledger.Entry, n)
	for i := range es {
		es[i] = ledger.Entry{Event: "approve", ObjectType: "application", ObjectID: fmt.Sprintf("obj-%d", i%500),
			Department: "SCJG", Role: "approver", State: fmt.Appendf(nil, "state %d", i)}
	}
	return es
}

// benchLedger appends entries to a fresh migrated database at dsn and
// times integrating them. It returns the stored entries' canonical bodies,
// which are what the log's leaves hash.
func benchLedger(ctx context.Context, name, dsn string, entries []ledger.Entry) (result, [][]byte, error) {
	r := result{store: name, n: len(entries)}
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return r, nil, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return r, nil, err
	}
	keys, _, err := ledger.GenerateKeys("bench.example/ledger")
	if err != nil {
		return r, nil, err
	}
	bodies := make([][]byte, 0, len(entries))
	start := time.Now()
	for i := 0; i < len(entries); i += appendPerTx {
		err := d.Tx(ctx, func(tx *db.Tx) error {
			for _, e := range entries[i:min(i+appendPerTx, len(entries))] {
				stored, err := ledger.Append(ctx, tx, e)
				if err != nil {
					return err
				}
				b, err := stored.Canonical()
				if err != nil {
					return err
				}
				bodies = append(bodies, b)
			}
			return nil
		})
		if err != nil {
			return r, nil, err
		}
	}
	r.append = time.Since(start)

	l := &ledger.Log{DB: d, Keys: keys}
	start = time.Now()
	total := 0
	for {
		k, err := l.Integrate(ctx)
		if err != nil {
			return r, nil, err
		}
		if k == 0 {
			break
		}
		total += k
	}
	r.integrate = time.Since(start)
	if total != len(entries) {
		return r, nil, fmt.Errorf("%s: integrated %d of %d", name, total, len(entries))
	}
	return r, bodies, nil
}

// benchTessera adds bodies to a new tessera POSIX log in dir and times
// until each has its index (tessera's POSIX storage integrates a batch
// into the tiles before it resolves the batch's indexes) and until a
// checkpoint covering all of them is published.
func benchTessera(ctx context.Context, dir string, bodies [][]byte) (result, error) {
	r := result{store: "tessera posix", n: len(bodies)}
	skey, _, err := note.GenerateKey(rand.Reader, "bench.example/tessera")
	if err != nil {
		return r, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return r, err
	}
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		return r, err
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithBatching(4096, 100*time.Millisecond).
		WithPushback(uint(len(bodies)) + 1).
		WithCheckpointInterval(100 * time.Millisecond)
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		return r, err
	}
	awaiter := tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 10*time.Millisecond)

	start := time.Now()
	futures := make([]tessera.IndexFuture, len(bodies))
	for i, b := range bodies {
		futures[i] = appender.Add(ctx, tessera.NewEntry(b))
	}
	for _, f := range futures {
		if _, err := f(); err != nil {
			return r, fmt.Errorf("tessera add: %w", err)
		}
	}
	r.integrate = time.Since(start)
	if _, _, err := awaiter.Await(ctx, futures[len(futures)-1]); err != nil {
		return r, fmt.Errorf("tessera publish: %w", err)
	}
	r.published = time.Since(start)
	if size, err := reader.IntegratedSize(ctx); err != nil || size != uint64(len(bodies)) {
		return r, fmt.Errorf("tessera: integrated size %d of %d (%v)", size, len(bodies), err)
	}
	if err := shutdown(ctx); err != nil {
		return r, fmt.Errorf("tessera shutdown: %w", err)
	}
	return r, nil
}

// withScratchDB creates an empty PostgreSQL database through the admin
// URL, runs fn with its URL and drops it.
func withScratchDB(admin string, fn func(dsn string) (result, error)) (result, error) {
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		return result{}, err
	}
	defer adb.Close()
	var b [6]byte
	rand.Read(b[:])
	name := "ledgerbench_" + hex.EncodeToString(b[:])
	if _, err := adb.Exec("CREATE DATABASE " + name); err != nil {
		return result{}, fmt.Errorf("create scratch database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return result{}, err
	}
	u.Path = "/" + name
	r, err := fn(u.String())
	if _, derr := adb.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); derr != nil {
		err = errors.Join(err, fmt.Errorf("drop scratch database %s: %w", name, derr))
	}
	return r, err
}
