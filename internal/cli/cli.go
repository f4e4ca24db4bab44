// Package cli implements the tongban command: it parses the subcommand and
// its configuration, opens the store and wires the domain packages to the
// web server.
package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/i18n"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/lease"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/metrics"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/rating"
	"github.com/tongban/tongban/internal/segment"
	"github.com/tongban/tongban/internal/web"
	"github.com/tongban/tongban/internal/workflow"
)

const usage = `tongban: one-stop government services platform

Usage:
  tongban serve [flags]           run the web server (with -demo: demo city, migrations applied)
  tongban migrate [-to VERSION] [flags]   apply pending database migrations (all, or up to VERSION)
  tongban export-catalog [flags] [FILE]   write the whole catalog as JSON (stdout if no FILE)
  tongban import-catalog [flags] FILE     read a catalog JSON file (all or nothing)
  tongban create-admin [flags] USERNAME   create a platform admin; password from TONGBAN_ADMIN_PASSWORD(_FILE)
  tongban report-avoided-uploads [-json] [flags]   count the material uploads licenses and shared data avoid (免提交)
  tongban sweep-blobs [-scan] [flags]   delete uploaded files no record refers to (with -scan: first look for such files in the whole store)
  tongban verify [flags]          check every logged record and the whole ledger against the signed checkpoint; non-zero on any break
  tongban verify-proof (-key KEY | -key-file FILE) FILE   check a .tlog-proof receipt offline
  tongban verify-license -keys FILE LICENSE.json   check a downloaded signed license offline against the published keys
  tongban rotate-license-key [flags] DEPARTMENT   retire a department's license keys (they still verify what they signed); new keys at its next signature
  tongban witness -log KEY [flags]   run a witness (c2sp.org/tlog-witness) that cosigns the logs' checkpoints
  tongban loadtest [-c N] [-d DURATION] URL...   GET the URLs concurrently; print req/s and latency percentiles
  tongban workbench [-c N] [-d DURATION] [-n N] URL   file and accept demo applications over the API; print submissions/s and decisions/s
  tongban hotlinebench [-c N] [-d DURATION] [-via open311,web] URL   file 12345 tickets through Open311 and the web form; print tickets/s and latency percentiles
  tongban commitbench [flags] [-c N] [-d DURATION] [-batch]   measure durable single-row commits/s of the configured database
  tongban help

Flags (each also from the environment, see docs/operations.md):
`

// Main runs the command and returns the exit code.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// loadtest is a client: it takes none of the server's configuration.
	if len(args) > 0 && (args[0] == "loadtest" || args[0] == "workbench" || args[0] == "hotlinebench") {
		run := loadTest
		switch args[0] {
		case "workbench":
			run = workBench
		case "hotlinebench":
			run = hotlineBench
		}
		if err := run(ctx, args[1:], stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "tongban:", err)
			return 1
		}
		return 0
	}
	if len(args) > 0 && args[0] == "verify-proof" {
		if err := verifyProof(args[1:], stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "tongban:", err)
			return 1
		}
		return 0
	}
	if len(args) > 0 && args[0] == "verify-license" {
		if err := verifyLicense(args[1:], stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "tongban:", err)
			return 1
		}
		return 0
	}
	if len(args) > 0 && args[0] == "witness" {
		if err := runWitness(ctx, args[1:], getenv, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "tongban:", err)
			return 1
		}
		return 0
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		fs := flag.NewFlagSet("tongban", flag.ContinueOnError)
		fs.SetOutput(stdout)
		config.Load(fs, []string{}, getenv)
		fs.PrintDefaults()
		return 0
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("tongban "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var bench commitBenchFlags
	if cmd == "commitbench" {
		bench.register(fs)
	}
	var migrateTo int64
	if cmd == "migrate" {
		fs.Int64Var(&migrateTo, "to", 0, "apply migrations only up to this version (default: all)")
	}
	var asJSON bool
	if cmd == "report-avoided-uploads" {
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	}
	var scanBlobs bool
	if cmd == "sweep-blobs" {
		fs.BoolVar(&scanBlobs, "scan", false, "first list the whole store for files no record refers to")
	}
	cfg, err := config.Load(fs, rest, getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "tongban:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, stdout)
	case "migrate":
		err = migrate(ctx, cfg, migrateTo, stdout)
	case "verify":
		err = verify(ctx, cfg, stdout)
	case "export-catalog":
		err = exportCatalog(ctx, cfg, fs.Args(), stdout)
	case "import-catalog":
		err = importCatalog(ctx, cfg, fs.Args(), stdout)
	case "commitbench":
		err = commitBench(ctx, cfg, bench, stdout)
	case "rotate-license-key":
		err = rotateLicenseKey(cfg, fs.Args(), stdout)
	case "report-avoided-uploads":
		err = reportAvoidedUploads(ctx, cfg, asJSON, stdout)
	case "sweep-blobs":
		err = sweepBlobsNow(ctx, cfg, scanBlobs, stdout)
	case "create-admin":
		err = createAdmin(ctx, cfg, fs.Args(), getenv, stdout)
	default:
		fmt.Fprintf(stderr, "tongban: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "tongban:", err)
		return 1
	}
	return 0
}

// app is the wired platform.
type app struct {
	db           *db.DB
	org          *org.Store
	identity     *identity.Store
	catalog      *catalog.Store
	calendar     *calendar.Store
	processes    *workflow.Store
	applications *application.Store
	// appDeps built applications; the demo files its applications with
	// them.
	appDeps application.Deps
	notify  *notify.Store
	hotline *hotline.Store
	// hotlineDeps built the hotline; the demo files its tickets with them.
	hotlineDeps hotline.Deps
	// licenses issues and verifies electronic licenses.
	licenses *license.Store
	ratings  *rating.Store
	// ratingDeps built the ratings; the demo rates with them.
	ratingDeps rating.Deps
	// blobs holds the uploaded files.
	blobs blob.Store
}

// fulfilFrom rebuilds the application store so that it takes materials
// from the licenses applicants hold and from the shared data the
// departments hold grants on (免提交, docs/fulfilment.md).
func (a *app) fulfilFrom(grants application.DataGrants) {
	a.appDeps.Held = a.licenses.ForApplications()
	a.appDeps.Grants = grants
	a.applications = application.NewStore(a.appDeps)
}

func open(ctx context.Context, cfg *config.Config, migrateOK bool) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	d, err := db.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	d.SetMaxBatch(cfg.CommitBatch)
	var applied []int64
	if migrateOK {
		if applied, err = d.Migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	if err := d.CheckSchema(ctx); err != nil {
		d.Close()
		return nil, err
	}
	seg, err := segment.New()
	if err != nil {
		d.Close()
		return nil, err
	}
	a := &app{db: d, org: org.NewStore(d), identity: identity.NewStore(d, time.Now)}
	a.identity.SessionIdle, a.identity.SessionMax = cfg.SessionIdle, cfg.SessionMax
	a.catalog = catalog.NewStore(d, seg, time.Now)
	a.calendar = calendar.NewStore(d, time.Now)
	a.notify = notify.NewStore(d, time.Now)
	// Service names are words people search for as a whole.
	if list, err := a.catalog.List(ctx, catalog.Filter{}); err == nil {
		names := make([]string, len(list))
		for i, s := range list {
			names[i] = s.Name
		}
		seg.AddWords(names...)
	}
	if _, err := reindexAfter(ctx, applied, a.catalog); err != nil {
		d.Close()
		return nil, err
	}
	a.calendar = calendar.NewStore(d, time.Now)
	if migrateOK {
		if _, err := a.calendar.Seed(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	a.processes = workflow.NewStore(d, a.identity, a.catalog, time.Now)
	blobs, err := blob.Open(ctx, cfg.BlobOptions())
	if err != nil {
		d.Close()
		return nil, err
	}
	a.blobs = blobs
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		d.Close()
		return nil, err
	}
	// Electronic licenses, issued in the transaction that concludes an
	// application, signed with the departments' keys.
	a.licenses = license.NewStore(license.Deps{DB: d, Identity: a.identity, Keys: license.NewKeyring(cfg.LicenseKeyDir(), keyPrefix(cfg)),
		Location: loc, Now: time.Now})
	a.appDeps = application.Deps{DB: d, Catalog: a.catalog, Processes: a.processes, Calendar: a.calendar,
		Blobs: blobs, Identity: a.identity, Org: a.org, Location: loc, Now: time.Now, UploadLimit: cfg.UploadMax, Notices: application.Outbox,
		Licenses: a.licenses}
	a.applications = application.NewStore(a.appDeps)
	// The 12345 hotline.
	a.hotlineDeps = hotline.Deps{DB: d, Calendar: a.calendar, Blobs: blobs, Location: loc, Now: time.Now, UploadLimit: cfg.UploadMax}
	a.hotline = hotline.NewStore(a.hotlineDeps)
	// Service ratings (好差评). The public figures are aggregated at most
	// every figuresTTL per node.
	a.ratingDeps = rating.Deps{DB: d, Calendar: a.calendar, Location: loc, Now: time.Now,
		AmendWindow: cfg.RatingAmendWindow, RectifyDays: cfg.RectifyDays, FiguresTTL: figuresTTL}
	a.ratings = rating.NewStore(a.ratingDeps)
	return a, nil
}

// scanWarnings marks late tasks yellow and red once. Each mark is a
// conditional update, so overlapping scans still mark and notify each task
// once.
func scanWarnings(ctx context.Context, apps *application.Store, log *slog.Logger) error {
	st, err := apps.ScanWarnings(ctx)
	if st.Recounted+st.Yellow+st.Red+st.Reminded > 0 {
		log.Info("warning scan", "recounted", st.Recounted, "yellow", st.Yellow, "red", st.Red, "reminded", st.Reminded)
	}
	return err
}

// scanTicketWarnings marks hotline tickets near or past their deadline
// yellow and red once.
func scanTicketWarnings(ctx context.Context, h *hotline.Store, log *slog.Logger) error {
	st, err := h.ScanWarnings(ctx)
	if st.Recounted+st.Yellow+st.Red > 0 {
		log.Info("hotline warning scan", "recounted", st.Recounted, "yellow", st.Yellow, "red", st.Red)
	}
	return err
}

// figuresTTL is how long a node serves the public figures from memory.
const figuresTTL = 30 * time.Second

// scanRectificationWarnings marks rectifications of bad ratings near or
// past their deadline yellow and red once.
func scanRectificationWarnings(ctx context.Context, r *rating.Store, log *slog.Logger) error {
	st, err := r.ScanWarnings(ctx)
	if st.Recounted+st.Yellow+st.Red > 0 {
		log.Info("rectification warning scan", "recounted", st.Recounted, "yellow", st.Yellow, "red", st.Red)
	}
	return err
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	start := time.Now()
	a, err := open(ctx, cfg, cfg.Migrate)
	if err != nil {
		return err
	}
	defer a.db.Close()
	// The holiday notices shipped with this release, each year once.
	if years, err := a.calendar.Seed(ctx); err != nil {
		return err
	} else if len(years) > 0 {
		log.Info("calendar: seeded the official holiday notices", "years", years)
	}
	// Requests to departments' provider systems are signed with this
	// key; providers verify them with its public half (docs/exchange.md).
	exKey, exKeyID, err := exchange.LoadOrCreateKey(filepath.Join(cfg.DataDir, "exchange.key"))
	if err != nil {
		return err
	}
	log.Info("exchange: provider requests are signed", "key_id", exKeyID,
		"public_key", base64.StdEncoding.EncodeToString(exKey.Public().(ed25519.PublicKey)))
	exchanges := exchange.NewStore(exchange.Deps{DB: a.db, Identity: a.identity, Location: cfg.Location,
		Provider: &exchange.Provider{Key: exKey, KeyID: exKeyID, Timeout: 5 * time.Second}})
	// Materials the department verifies from shared data need no upload
	// (docs/fulfilment.md).
	a.fulfilFrom(exchanges)
	var logins []demo.Login
	if cfg.Demo {
		if logins, err = demo.Load(ctx, a.db, a.org, a.identity, a.catalog, &a.appDeps); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := demo.LoadHotline(ctx, a.hotlineDeps, a.identity, true); err != nil {
			return fmt.Errorf("demo hotline: %w", err)
		}
		if err := demo.LoadConsultations(ctx, a.db, a.identity, cfg.Location); err != nil {
			return fmt.Errorf("demo consultations: %w", err)
		}
		logins = append(logins, demo.ConsultationStaff)
		if err := demo.LoadRatings(ctx, a.hotlineDeps, a.ratingDeps, a.identity); err != nil {
			return fmt.Errorf("demo ratings: %w", err)
		}
	}
	keys, err := ledgerKeys(cfg, log)
	if err != nil {
		return err
	}
	ledgerLog := &ledger.Log{DB: a.db, Keys: keys}
	mx := metrics.New()
	backlogGauges(mx, a.db, ledgerLog, a.applications)
	srv, err := web.New(web.Server{Config: cfg, Metrics: mx, DB: a.db, Ledger: ledgerLog, Exchange: exchanges, Catalog: a.catalog, Identity: a.identity, Org: a.org, Applications: a.applications, Calendar: a.calendar, Notify: a.notify, Processes: a.processes, Hotline: a.hotline, Licenses: a.licenses, Ratings: a.ratings, Log: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	go purgeSessions(ctx, a.identity, log)
	// The deliverer runs until the server stops; stopping waits for it to
	// finish the send in hand, so none is cut off half-way.
	deliverer := newDeliverer(cfg, a.db, log)
	bg, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	background.Go(func() { deliverer.Run(bg) })
	defer background.Wait()
	defer stopBackground()
	// The warning scan runs on one node at a time, under a lease; its
	// conditional updates keep each mark single even if two ever overlap.
	scanner := &lease.Runner{DB: a.db, Observer: mx, Name: "application-warnings", TTL: 30 * time.Second, Every: cfg.WarningScanEvery, Log: log,
		Job: func(ctx context.Context) error { return scanWarnings(ctx, a.applications, log) }}
	background.Go(func() { scanner.Run(bg) })
	// One sequencer at a time integrates the ledger's pending entries and
	// signs a checkpoint; the tree state's conditional update keeps two
	// from forking it even if leases ever overlap.
	sequencer := &lease.Runner{DB: a.db, Observer: mx, Name: "ledger-sequencer", TTL: 10 * time.Second, Every: cfg.LedgerEvery, Log: log,
		Job: func(ctx context.Context) error { return integrate(ctx, ledgerLog, log) }}
	background.Go(func() { sequencer.Run(bg) })
	// The hotline's deadline warnings, likewise on one node at a time.
	ticketScanner := &lease.Runner{DB: a.db, Observer: mx, Name: "hotline-warnings", TTL: 30 * time.Second, Every: cfg.WarningScanEvery, Log: log,
		Job: func(ctx context.Context) error { return scanTicketWarnings(ctx, a.hotline, log) }}
	background.Go(func() { ticketScanner.Run(bg) })
	// Rectifications of bad ratings, the third warning scan.
	rectScanner := &lease.Runner{DB: a.db, Observer: mx, Name: "rectification-warnings", TTL: 30 * time.Second, Every: cfg.WarningScanEvery, Log: log,
		Job: func(ctx context.Context) error { return scanRectificationWarnings(ctx, a.ratings, log) }}
	background.Go(func() { rectScanner.Run(bg) })
	// Uploads no record refers to any more (a discarded draft's, a
	// removed material's, a failed upload's) are deleted after an hour,
	// by one node at a time.
	sweeper := a.blobSweeper(log)
	blobSweeper := &lease.Runner{DB: a.db, Observer: mx, Name: "blob-sweeper", TTL: time.Minute, Every: sweepEvery, Log: log,
		Job: func(ctx context.Context) error { return sweepBlobs(ctx, sweeper, log) }}
	background.Go(func() { blobSweeper.Run(bg) })
	// Each new checkpoint goes to the configured witnesses, by one node at
	// a time; a slow witness does not hold up the sequencer.
	witnesses, err := witnessClients(cfg)
	if err != nil {
		return err
	}
	// The whole store is checked against the ledger every
	// -ledger-verify-every, by one node at a time; the outcome is on the
	// supervisors' dashboard.
	if cfg.LedgerVerifyEvery > 0 {
		verifier := &lease.Runner{DB: a.db, Observer: mx, Name: "ledger-verify", TTL: time.Minute, Every: cfg.LedgerVerifyEvery, Log: log,
			Job: func(ctx context.Context) error { return verifyPeriodically(ctx, cfg, a, keys, log) }}
		background.Go(func() { verifier.Run(bg) })
	}
	if len(witnesses) > 0 {
		submitter := &lease.Runner{DB: a.db, Observer: mx, Name: "ledger-witnesses", TTL: 30 * time.Second, Every: cfg.LedgerEvery, Log: log,
			Job: func(ctx context.Context) error { return cosign(ctx, ledgerLog, witnesses, log) }}
		background.Go(func() { submitter.Run(bg) })
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	// Metrics on an address of their own, for the monitoring network.
	var ms *http.Server
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", mx.Handler())
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		go func() { errc <- ms.Serve(mln) }()
		fmt.Fprintf(stdout, "Metrics at http://%s/metrics\n", mln.Addr())
	}
	fmt.Fprintf(stdout, "Tongban is serving at %s (database: %s, ready in %s)\n", cfg.BaseURL, a.db, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Notices: in-app; email %s; SMS %s\n", onOff(deliverer.Email != nil), onOff(deliverer.SMS != nil))
	if len(logins) > 0 {
		fmt.Fprintf(stdout, "Demo logins (password %q for all):\n", demo.Password)
		for _, l := range logins {
			fmt.Fprintf(stdout, "  %-16s %s\n", l.Username, l.Role)
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	fmt.Fprintln(stdout, "Shutting down")
	if ms != nil {
		ms.Shutdown(shutdown)
	}
	return hs.Shutdown(shutdown)
}

// newDeliverer wires the notice channels the configuration turns on.
func newDeliverer(cfg *config.Config, d *db.DB, log *slog.Logger) *notify.Deliverer {
	dl := &notify.Deliverer{DB: d, BaseURL: cfg.BaseURL, Lang: i18n.Lang(cfg.Lang), Log: log}
	if cfg.SMTPHost != "" {
		dl.Email = &notify.SMTP{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.SMTPFrom}
	}
	if cfg.SMSURL != "" {
		dl.SMS = &notify.SMSGateway{URL: cfg.SMSURL, Token: cfg.SMSToken}
	}
	return dl
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// purgeSessions deletes expired sessions every ten minutes. Several nodes
// may run it at once: the DELETE is idempotent.
func purgeSessions(ctx context.Context, s *identity.Store, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
				log.Warn("purge sessions", "err", err)
			}
		}
	}
}

func migrate(ctx context.Context, cfg *config.Config, to int64, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer d.Close()
	var applied []int64
	if to > 0 {
		applied, err = d.MigrateTo(ctx, to)
	} else {
		applied, err = d.Migrate(ctx)
	}
	if err != nil {
		return err
	}
	cur, _, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema at version %d\n", len(applied), cur)
	if slices.Contains(applied, reindexMigration) {
		seg, err := segment.New()
		if err != nil {
			return err
		}
		n, err := reindexAfter(ctx, applied, catalog.NewStore(d, seg, time.Now))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "search index rebuilt for %d published service(s)\n", n)
	}
	return nil
}

// reindexMigration is the migration after which the search index is
// rebuilt: from it on, services' English names are indexed too.
const reindexMigration = 26

// reindexAfter rebuilds the search index when the migrations just applied
// include reindexMigration, so that services published before are found
// by their English names; the node that applied it does it, once.
func reindexAfter(ctx context.Context, applied []int64, cat *catalog.Store) (int, error) {
	if !slices.Contains(applied, reindexMigration) {
		return 0, nil
	}
	n, err := cat.Reindex(ctx)
	if err != nil {
		return 0, fmt.Errorf("rebuild the search index: %w", err)
	}
	return n, nil
}

// systemAdmin is the actor of command-line catalog tools: the operator who
// runs them holds the database credentials already.
func systemAdmin(ctx context.Context, a *app) (*identity.Principal, error) {
	acct, err := a.identity.Seed(ctx, identity.Account{Kind: identity.KindStaff, Username: "system", Name: "系统"}, randomPassword(), []identity.RoleGrant{{Role: identity.PlatformAdmin}})
	if err != nil {
		return nil, err
	}
	return a.identity.Principal(ctx, acct.ID)
}

func exportCatalog(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	a, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer a.db.Close()
	p, err := systemAdmin(ctx, a)
	if err != nil {
		return err
	}
	w := stdout
	if len(args) > 0 {
		f, err := os.Create(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return a.catalog.Export(ctx, p, a.org, w)
}

func importCatalog(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("import-catalog needs one FILE")
	}
	a, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer a.db.Close()
	p, err := systemAdmin(ctx, a)
	if err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := a.catalog.Import(ctx, p, a.org, f)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "imported %d departments, %d services (%d versions published), %d themes, %d synonyms\n", res.Departments, res.Services, res.Published, res.Themes, res.Synonyms)
	return nil
}

func createAdmin(ctx context.Context, cfg *config.Config, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("create-admin needs one USERNAME")
	}
	pw := getenv("TONGBAN_ADMIN_PASSWORD")
	if p := getenv("TONGBAN_ADMIN_PASSWORD_FILE"); pw == "" && p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pw = strings.TrimSpace(string(b))
	}
	if pw == "" {
		return errors.New("set TONGBAN_ADMIN_PASSWORD or TONGBAN_ADMIN_PASSWORD_FILE")
	}
	a, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer a.db.Close()
	acct, err := a.identity.Seed(ctx, identity.Account{Kind: identity.KindStaff, Username: args[0], Name: args[0]}, pw, []identity.RoleGrant{{Role: identity.PlatformAdmin}})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "platform admin %s ready\n", acct.Username)
	return nil
}

// describe spells out validation failures for a terminal.
func describe(err error) error {
	return err
}
