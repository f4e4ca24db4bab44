package exchange_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/exchange"
)

// BenchmarkQuery measures an audited lookup (grant and case checks, the
// registry read, the access-log row and its ledger entry, committed)
// against reading the same record directly, on each database, in the same
// run. It reports p50 and p99 latencies. docs/benchmarks.md records the
// numbers.
func BenchmarkQuery(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", func(tb testing.TB) *db.DB { return dbtest.SQLite(tb) }}, {"postgres", func(tb testing.TB) *db.DB { return dbtest.Postgres(tb) }}} {
		b.Run(engine.name, func(b *testing.B) {
			f := setup(b, engine.open(b))
			f.grantHousehold(b, []string{"name", "address"}, exchange.MaxRatePerHour)
			ctx := context.Background()
			in := exchange.QueryInput{Resource: "GA-HOUSEHOLD", Subject: citizenID, Application: f.app}
			res, err := f.s.Resource(ctx, "GA-HOUSEHOLD")
			if err != nil {
				b.Fatal(err)
			}
			direct := exchange.Registry{DB: f.db}
			b.Run("audited", func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					// One lookup a second of test time keeps the
					// hourly rate below the grant's limit.
					f.clock.add(time.Second)
					start := time.Now()
					if _, err := f.s.Query(ctx, f.p["scjg-clerk"], in); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				report(b, lat)
			})
			// Clerks look up at the same time: 8 callers per CPU under
			// the same grant and case (the grant's row serializes their
			// audit writes, the rest overlaps).
			b.Run("audited-parallel", func(b *testing.B) {
				var mu sync.Mutex
				lat := make([]time.Duration, 0, b.N)
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						f.clock.add(time.Second)
						start := time.Now()
						if _, err := f.s.Query(ctx, f.p["scjg-clerk"], in); err != nil {
							b.Error(err)
							return
						}
						d := time.Since(start)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				})
				report(b, lat)
			})
			b.Run("direct", func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					start := time.Now()
					if _, err := direct.Fetch(ctx, res, citizenID, []string{"name", "address"}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				report(b, lat)
			})
		})
	}
}

func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "queries/s")
}
