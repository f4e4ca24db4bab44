package license_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/license"
)

// BenchmarkVerify measures public verifications of a license from its QR
// code (Store.Check: the register read, both signatures checked with the
// department's keys, the state), on each database, one at a time and from
// parallel callers; and, apart, the signature checks alone
// (VerifySigned on the signed file, as a third party does offline).
// docs/benchmarks.md records the numbers.
func BenchmarkVerify(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", func(tb testing.TB) *db.DB { return dbtest.SQLite(tb) }}, {"postgres", func(tb testing.TB) *db.DB { return dbtest.Postgres(tb) }}} {
		b.Run(engine.name, func(b *testing.B) {
			f := setup(b, engine.open(b))
			ctx := context.Background()
			l, err := f.ls.Held(ctx, businessCode(), "business_license")
			if err != nil || l == nil {
				b.Fatal(l, err)
			}
			code := l.Code()
			b.Run("check", func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					start := time.Now()
					v, err := f.ls.Check(ctx, l.ID, code)
					if err != nil || v.Outcome != license.OutcomeValid {
						b.Fatal(v, err)
					}
					lat = append(lat, time.Since(start))
				}
				report(b, lat)
			})
			b.Run("check-parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if v, err := f.ls.Check(ctx, l.ID, code); err != nil || v.Outcome != license.OutcomeValid {
							b.Error(v, err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
			})
		})
	}
	b.Run("offline", func(b *testing.B) {
		f := setup(b, dbtest.SQLite(b))
		ctx := context.Background()
		l, _ := f.ls.Held(ctx, businessCode(), "business_license")
		raw, err := l.Signed()
		if err != nil {
			b.Fatal(err)
		}
		keys, _ := f.ls.PublicKeys(ctx)
		known, err := license.Verifiers(keys)
		if err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			if _, _, err := license.VerifySigned(raw, known); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		report(b, lat)
	})
}

func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "verifications/s")
}
