package web

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

// TestOneConnectionEach runs the demo city with one connection for
// transactions and one for queries (SQLite has one writer anyway): the demo loaded (its
// applications filed and decided through every kind of step, licenses
// issued), then an application whose materials the license library may
// fulfil filed and accepted, and the background jobs' scans and the
// ledger's integration run. A transaction that took
// a second connection from its own pool (reading a license through the
// pool while it holds one, say) would wait for ever here, as the
// transactions of a busy node did once they had filled the one pool the
// node had.
func TestOneConnectionEach(t *testing.T) {
	dbtest.Each(t, oneConnectionEach)
}

func oneConnectionEach(t *testing.T, d *db.DB) {
	d.SetPoolSizes(1, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx := context.Background()
		e := newEnvOpts(t, d, envOptions{apps: true, fulfil: true, libraryLicenses: true})
		zhang := e.srvPrincipal(t, "zhangsan")
		a, err := e.srv.Applications.CreateDraft(ctx, zhang, "SCJG-004", application.Applicant{}, "")
		if err != nil {
			t.Error(err)
			return
		}
		for i, m := range []string{"m1", "m3"} {
			if _, err := e.srv.Applications.AddMaterial(ctx, zhang, a.ID, m, "scan.png", bytes.NewReader(append(demo.TinyPNG(), byte(i)))); err != nil {
				t.Error(err)
				return
			}
		}
		if a, err = e.srv.Applications.Submit(ctx, zhang, a.ID, nil); err != nil {
			t.Error(err)
			return
		}
		var task string
		for _, tk := range a.Tasks {
			if tk.State == application.TaskOpen {
				task = tk.ID
			}
		}
		if _, err := e.srv.Applications.Decide(ctx, e.srvPrincipal(t, "scjg-clerk"), task, application.Decision{Action: application.ActAccept}); err != nil {
			t.Error(err)
		}
		// The background jobs' transactions too.
		if _, err := e.srv.Applications.ScanWarnings(ctx); err != nil {
			t.Error(err)
		}
		if _, err := e.srv.Hotline.ScanWarnings(ctx); err != nil {
			t.Error(err)
		}
		if _, err := e.srv.Ratings.ScanWarnings(ctx); err != nil {
			t.Error(err)
		}
		if _, err := e.srv.Ledger.Integrate(ctx); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("a transaction waited for a second connection from its own pool")
	}
}
