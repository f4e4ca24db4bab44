package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/hotline"
)

// blobSweeper deletes uploads no record refers to any more: a discarded
// draft's, a removed material's, a failed upload's.
func (a *app) blobSweeper(log *slog.Logger) *blob.Sweeper {
	return &blob.Sweeper{DB: a.db, Store: a.blobs, Refs: slices.Concat(application.BlobRefs, hotline.BlobRefs), Log: log}
}

// sweepBlobs is the server's periodic sweep.
func sweepBlobs(ctx context.Context, s *blob.Sweeper, log *slog.Logger) error {
	st, err := s.Sweep(ctx)
	if st.Deleted+st.Kept+st.Failed > 0 {
		log.Info("blob sweep", "deleted", st.Deleted, "kept", st.Kept, "failed", st.Failed)
	}
	return err
}

// sweepBlobsNow is `tongban sweep-blobs`: with scan, it first lists every
// stored file and releases those no record refers to (files left before
// the platform deleted them, or by a crash); then it deletes what has
// waited out the grace period.
func sweepBlobsNow(ctx context.Context, cfg *config.Config, scan bool, stdout io.Writer) error {
	a, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer a.db.Close()
	s := a.blobSweeper(nil)
	if scan {
		files, released, err := s.Scan(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d stored files, %d of them referred to by no record: deleted from %s on (by a running server within %s of that, or by running this command again)\n",
			files, released, time.Now().Add(blob.DefaultGrace).Format("2006-01-02 15:04"), sweepEvery)
	}
	st, err := s.Sweep(ctx)
	if _, perr := fmt.Fprintf(stdout, "%d files deleted, %d kept because a record refers to them again\n", st.Deleted, st.Kept); perr != nil {
		return perr
	}
	if st.Failed > 0 {
		fmt.Fprintf(stdout, "%d files could not be deleted and wait %s for the next try\n", st.Failed, blob.DefaultGrace)
	}
	return err
}

// sweepEvery is how often a server sweeps.
const sweepEvery = 10 * time.Minute
