package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/consultation"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/exchange"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/lease"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/license"
	"github.com/tongban/tongban/internal/rating"
)

// ledgerKeys reads the ledger's signing keys from the configuration, or
// from the key file in the data directory, creating it at first start.
func ledgerKeys(cfg *config.Config, log *slog.Logger) (*ledger.Keys, error) {
	if cfg.LedgerKey != "" {
		return ledger.ParseKeys([]byte(cfg.LedgerKey))
	}
	k, created, err := ledger.LoadOrCreateKeys(cfg.LedgerKeyFile(), cfg.LedgerOrigin)
	if err != nil {
		return nil, err
	}
	if created && log != nil {
		log.Info("ledger: created signing keys; back the file up, and give every node the same keys", "file", cfg.LedgerKeyFile(), "origin", k.Origin())
	}
	return k, nil
}

// heldBackRetries and heldBackWait bound how often one run of the
// sequencer comes back for entries held back behind an older transaction
// that was still running (PostgreSQL; see docs/ledger.md#storage): each
// retry that finds them signs one more checkpoint.
const (
	heldBackRetries = 2
	heldBackWait    = 200 * time.Millisecond
)

// integrate runs the sequencer until no entry is pending. Losing a race
// to another node is not an error: its checkpoint covers the entries.
func integrate(ctx context.Context, l *ledger.Log, log *slog.Logger) error {
	retries := 0
	for ctx.Err() == nil {
		n, err := l.Integrate(ctx)
		if errors.Is(err, ledger.ErrRaced) {
			log.Info("ledger: another node integrated first")
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if retries == heldBackRetries {
			return nil
		}
		waiting, err := l.Waiting(ctx)
		if err != nil || !waiting {
			return err
		}
		retries++
		select {
		case <-ctx.Done():
		case <-time.After(heldBackWait):
		}
	}
	return nil
}

// lastVerifiedFile keeps the checkpoint the last clean verification saw,
// so the next one checks the log only grew.
func lastVerifiedFile(cfg *config.Config) string {
	return filepath.Join(cfg.DataDir, "ledger-verified.checkpoint")
}

// verify checks the store against the ledger and exits non-zero on any
// break.
func verify(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	a, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer a.db.Close()
	keys, err := ledgerKeys(cfg, nil)
	if err != nil {
		return err
	}
	rep, hadLast, err := runVerification(ctx, cfg, a, keys, "command")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ledger %s: tree size %d, %d entries rehashed, %d pending, %d records checked\n",
		keys.Origin(), rep.Tree.N, rep.Entries, rep.Pending, rep.Objects)
	if hadLast {
		fmt.Fprintln(stdout, "consistent with the checkpoint last verified")
	}
	if len(rep.Breaks) > 0 {
		for _, b := range rep.Breaks {
			fmt.Fprintln(stdout, "BREAK:", b)
		}
		return fmt.Errorf("%w: %d breaks", ledger.ErrBroken, len(rep.Breaks))
	}
	fmt.Fprintln(stdout, "OK")
	return nil
}

// runVerification checks the store against the ledger, keeps the
// checkpoint of a clean run for the next one's consistency check, and
// records the outcome for the supervisors' dashboard (source "command" or
// "serve"). hadLast tells whether an earlier clean run's checkpoint was
// checked against.
func runVerification(ctx context.Context, cfg *config.Config, a *app, keys *ledger.Keys, source string) (rep *ledger.Report, hadLast bool, err error) {
	started := time.Now()
	defer func() {
		v := ledger.NewVerification(source, lease.NewOwner(), started, time.Now(), rep, err)
		if rerr := ledger.RecordVerification(context.WithoutCancel(ctx), a.db, v); rerr != nil && err == nil {
			err = rerr
		}
	}()
	known, err := keys.Verifiers()
	if err != nil {
		return nil, false, err
	}
	last, err := os.ReadFile(lastVerifiedFile(cfg))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	l := &ledger.Log{DB: a.db}
	accesses := exchange.NewStore(exchange.Deps{DB: a.db, Identity: a.identity})
	states := map[string]ledger.StateFunc{application.LedgerObject: a.applications.LedgerState, catalog.LedgerObject: a.catalog.LedgerState,
		exchange.LedgerObject: accesses.LedgerState, consultation.LedgerObject: consultation.NewStore(a.db, cfg.Location, nil).LedgerState,
		license.LedgerObject: a.licenses.LedgerState, rating.LedgerRating: a.ratings.LedgerRatingState,
		rating.LedgerRectification: a.ratings.LedgerRectificationState, hotline.LedgerObject: a.hotline.LedgerState, hotline.RevealObject: a.hotline.RevealState}
	rep, err = l.Verify(ctx, known, last, states)
	if err != nil {
		return nil, false, err
	}
	if len(rep.Breaks) == 0 {
		if err := os.WriteFile(lastVerifiedFile(cfg), rep.Checkpoint, 0o600); err != nil {
			return rep, last != nil, err
		}
	}
	return rep, last != nil, nil
}

// verifyPeriodically is serve's verification job: a break is logged at
// ERROR and recorded for the dashboard; it does not stop the server.
func verifyPeriodically(ctx context.Context, cfg *config.Config, a *app, keys *ledger.Keys, log *slog.Logger) error {
	// Right after the first start the sequencer may not have signed the
	// first checkpoint yet: nothing to verify against, and no failure.
	if _, err := (&ledger.Log{DB: a.db}).Checkpoint(ctx); errors.Is(err, db.ErrNotFound) {
		log.Info("ledger: no checkpoint signed yet; verification waits for the first")
		return nil
	}
	rep, _, err := runVerification(ctx, cfg, a, keys, "serve")
	if err != nil {
		return err
	}
	if len(rep.Breaks) > 0 {
		log.Error("ledger: verification found breaks: the store and the log disagree", "breaks", len(rep.Breaks), "first", rep.Breaks[0].String())
	} else {
		log.Info("ledger: verified", "tree_size", rep.Tree.N, "records", rep.Objects)
	}
	return nil
}

// verifyProof checks a .tlog-proof receipt offline against the log's
// verifier keys, as /ledger/key serves them.
func verifyProof(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tongban verify-proof", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "file with the log's verifier keys, one a line (as served at /ledger/key)")
	var keys []string
	fs.Func("key", "a verifier key (name+hash+base64); may be repeated", func(s string) error {
		keys = append(keys, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: tongban verify-proof (-key KEY | -key-file FILE) FILE.tlog-proof")
	}
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return err
		}
		keys = append(keys, strings.Fields(string(b))...)
	}
	if len(keys) == 0 {
		return errors.New("verify-proof: give the log's key with -key or -key-file")
	}
	var vs []note.Verifier
	for _, k := range keys {
		v, err := note.NewVerifier(k)
		if err != nil {
			if v, err = ledger.NewSM2Verifier(k); err != nil {
				return fmt.Errorf("verify-proof: key %q is neither an Ed25519 nor an SM2 verifier key", k)
			}
		}
		vs = append(vs, v)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	v, err := ledger.VerifyReceipt(data, note.VerifierList(vs...))
	if err != nil {
		return err
	}
	e := v.Entry
	fmt.Fprintf(stdout, "OK: entry %d of %s (tree size %d)\n", v.Index, v.Origin, v.Tree.N)
	fmt.Fprintf(stdout, "  %s %s %s at %s by %s %s\n  sha256 %s\n  sm3    %s\n", e.Event, e.ObjectType, e.ObjectID, e.At, e.Department, e.Role, e.SHA256, e.SM3)
	return nil
}
