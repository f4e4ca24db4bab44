package application_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

// The hot paths of applying and processing, in the store without HTTP:
// submitting a prepared draft, and accepting a filed application's intake
// task, by 16 concurrent callers on each database (so that submissions
// and decisions share commits as they do under load). Each op is one
// submission or one decision; ops/s is what the store sustains. The
// drafts and filed applications are prepared before the timer starts.
//
//	go test -run XXX -bench 'Submit|Decide' -benchtime 2000x ./internal/application/
//
// The load command over HTTP is `tongban workbench` (docs/benchmarks.md).
func BenchmarkSubmit(b *testing.B) {
	eachDB(b, func(b *testing.B, d *db.DB) {
		f := setup(b, d)
		ids := drafts(b, f, b.N)
		form, _ := json.Marshal(map[string]any{"name": "临江味道餐饮", "area": 80})
		next := make(chan string, len(ids))
		for _, id := range ids {
			next <- id
		}
		close(next)
		zhang := f.p["zhang"]
		b.SetParallelism(8) // 16 callers on two cores
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.store.Submit(context.Background(), zhang, <-next, form); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
	})
}

func BenchmarkDecide(b *testing.B) {
	eachDB(b, func(b *testing.B, d *db.DB) {
		f := setup(b, d)
		ctx := context.Background()
		form, _ := json.Marshal(map[string]any{"name": "临江味道餐饮", "area": 80})
		next := make(chan string, b.N)
		for _, id := range drafts(b, f, b.N) {
			a, err := f.store.Submit(ctx, f.p["zhang"], id, form)
			if err != nil {
				b.Fatal(err)
			}
			next <- a.Tasks[0].ID
		}
		close(next)
		clerk := f.p["clerk"]
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.store.Decide(ctx, clerk, <-next, application.Decision{Action: application.ActAccept}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	})
}

func eachDB(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

// BenchmarkRecount: counting again the deadlines of applications in
// process after a calendar edit that moves them all; each op is one
// application read, recounted, logged and stamped. BenchmarkRecountUnmoved:
// after an edit that moves none (a holiday past every deadline); each op
// is one application read and left alone.
//
//	go test -run XXX -bench Recount -benchtime 2000x ./internal/application/
func BenchmarkRecount(b *testing.B) { benchRecount(b, "2026-09-29", true) }

func BenchmarkRecountUnmoved(b *testing.B) { benchRecount(b, "2027-09-29", false) }

// benchRecount files and accepts b.N applications on Monday 28 September
// 2026, makes day a holiday and times the recount.
func benchRecount(b *testing.B, day string, moves bool) {
	eachDB(b, func(b *testing.B, d *db.DB) {
		f := setup(b, d)
		ctx := context.Background()
		form, _ := json.Marshal(map[string]any{"name": "临江味道餐饮", "area": 80})
		for _, id := range drafts(b, f, b.N) {
			a, err := f.store.Submit(ctx, f.p["zhang"], id, form)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.store.Decide(ctx, f.p["clerk"], a.Tasks[0].ID, application.Decision{Action: application.ActAccept}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := f.store.RecomputeDeadlines(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := f.cal.SetDay(ctx, f.p["admin"], day, calendar.Holiday, "测试"); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		n, err := f.store.RecomputeDeadlines(ctx)
		b.StopTimer()
		want := 0
		if moves {
			want = b.N
		}
		if err != nil || n != want {
			b.Fatalf("recounted %d of %d, want %d: %v", n, b.N, want, err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "applications/s")
	})
}
