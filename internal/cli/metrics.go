package cli

import (
	"context"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/metrics"
	"github.com/tongban/tongban/internal/notify"
)

// backlogGauges adds to mx what waits in the shared queues, read from the
// database at each scrape: every node reports the same figures.
func backlogGauges(mx *metrics.Metrics, d *db.DB, l *ledger.Log, apps *application.Store) {
	mx.GaugeFunc("tongban_notice_deliveries", "Email and SMS deliveries waiting to be sent (pending) or given up on (failed).", []string{"status"},
		func(ctx context.Context) ([]metrics.Sample, error) {
			pending, failed, err := notify.Backlog(ctx, d.Read())
			return []metrics.Sample{{Labels: []string{"pending"}, Value: float64(pending)}, {Labels: []string{"failed"}, Value: float64(failed)}}, err
		})
	mx.GaugeFunc("tongban_ledger_entries", "Ledger entries waiting to be integrated (pending) and integrated (the tree's size).", []string{"state"},
		func(ctx context.Context) ([]metrics.Sample, error) {
			pending, size, err := l.Backlog(ctx)
			return []metrics.Sample{{Labels: []string{"pending"}, Value: float64(pending)}, {Labels: []string{"integrated"}, Value: float64(size)}}, err
		})
	mx.GaugeFunc("tongban_tasks_warned", "Open tasks marked yellow (deadline near) or red (overdue) whose clock runs, by department.", []string{"department", "warning"},
		func(ctx context.Context) ([]metrics.Sample, error) {
			ws, err := apps.Warned(ctx)
			var out []metrics.Sample
			for _, w := range ws {
				out = append(out, metrics.Sample{Labels: []string{w.Department, "yellow"}, Value: float64(w.Yellow)},
					metrics.Sample{Labels: []string{w.Department, "red"}, Value: float64(w.Red)})
			}
			return out, err
		})
	mx.GaugeFunc("tongban_applications_in_process", "Applications in process (在办) by department and state: submitted (waiting for intake), accepted, supplement (waiting for the applicant).", []string{"department", "state"},
		func(ctx context.Context) ([]metrics.Sample, error) {
			ls, err := apps.InProcess(ctx)
			var out []metrics.Sample
			for _, l := range ls {
				out = append(out, metrics.Sample{Labels: []string{l.Department, "submitted"}, Value: float64(l.Submitted)},
					metrics.Sample{Labels: []string{l.Department, "accepted"}, Value: float64(l.Accepted)},
					metrics.Sample{Labels: []string{l.Department, "supplement"}, Value: float64(l.Supplement)})
			}
			return out, err
		})
	mx.GaugeFunc("tongban_blob_orphans", "Uploaded files noted for deletion because no record refers to them any more.", nil,
		func(ctx context.Context) ([]metrics.Sample, error) {
			n, err := blob.Candidates(ctx, d.Read())
			return []metrics.Sample{{Value: float64(n)}}, err
		})
}
