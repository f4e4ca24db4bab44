package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
)

// BenchmarkIntegrate appends 10,000 entries of about 400 bytes, one
// transaction each, then times integrating them (batches of 4096) and
// generating receipts. Run with -benchtime=1x; the rates are reported as
// metrics.
func BenchmarkIntegrate(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) {
			for range b.N {
				const n = 10000
				d := engine.open(b)
				ctx := context.Background()
				keys, _, err := ledger.GenerateKeys("bench.example/ledger")
				if err != nil {
					b.Fatal(err)
				}
				var ids []string
				for i := range n {
					err := d.Tx(ctx, func(tx *db.Tx) error {
						e, err := ledger.Append(ctx, tx, ledger.Entry{Event: "approve", ObjectType: "application", ObjectID: fmt.Sprintf("obj-%d", i%500),
							Department: "SCJG", Role: "approver", State: fmt.Appendf(nil, "state %d", i)})
						if err == nil && i%100 == 0 {
							ids = append(ids, e.ID)
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				l := &ledger.Log{DB: d, Keys: keys}
				start := time.Now()
				total := 0
				for {
					k, err := l.Integrate(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if k == 0 {
						break
					}
					total += k
				}
				el := time.Since(start)
				if total != n {
					b.Fatalf("integrated %d", total)
				}
				b.ReportMetric(float64(n)/el.Seconds(), "entries/s")
				start = time.Now()
				for _, id := range ids {
					if _, err := l.Receipt(ctx, id); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/float64(len(ids)), "µs/receipt")
				known, _ := keys.Verifiers()
				start = time.Now()
				rep, err := l.Verify(ctx, known, nil, nil)
				if err != nil || len(rep.Breaks) > 0 {
					b.Fatal(err, rep.Breaks)
				}
				b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/verify-10k")
			}
		})
	}
}

// BenchmarkVerifyMillion builds a log of 1,000,000 entries of about 400
// bytes (appended 10,000 to a transaction, integrated in batches of 4096)
// and times one full verification: every entry rehashed, the tree rebuilt
// and checked against the signed root, and each object's chain followed.
// It takes minutes to build on each database. Run with -benchtime=1x.
func BenchmarkVerifyMillion(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(engine.name, func(b *testing.B) { verifyMillion(b, engine.open) })
	}
}

func verifyMillion(b *testing.B, open func(testing.TB) *db.DB) {
	const n, perTx = 1_000_000, 10_000
	for range b.N {
		d := open(b)
		ctx := context.Background()
		keys, _, err := ledger.GenerateKeys("bench.example/ledger")
		if err != nil {
			b.Fatal(err)
		}
		l := &ledger.Log{DB: d, Keys: keys}
		start := time.Now()
		for i := 0; i < n; i += perTx {
			err := d.Tx(ctx, func(tx *db.Tx) error {
				for j := i; j < i+perTx; j++ {
					if _, err := ledger.Append(ctx, tx, ledger.Entry{Event: "approve", ObjectType: "application", ObjectID: fmt.Sprintf("obj-%d", j%50000),
						Department: "SCJG", Role: "approver", State: fmt.Appendf(nil, "state %d", j)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			for {
				k, err := l.Integrate(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if k == 0 {
					break
				}
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/build")
		known, _ := keys.Verifiers()
		start = time.Now()
		rep, err := l.Verify(ctx, known, nil, nil)
		if err != nil || len(rep.Breaks) > 0 || rep.Tree.N != n {
			b.Fatal(err, rep.Breaks)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/verify-1M")
	}
}
