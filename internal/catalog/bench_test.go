package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

var benchQueries = []string{"开饭店", "生孩子", "社保卡丢了", "结婚登记", "公积金提取", "施工许可", "居住证", "退休"}

// benchSearch runs the bench queries in turn and reports, besides the mean,
// the median and 95th percentile of the single searches (p50-ms, p95-ms).
func benchSearch(b *testing.B, f *fixture) {
	ctx := context.Background()
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := f.cat.Search(ctx, benchQueries[i%len(benchQueries)], 10); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

// BenchmarkSearchDemo searches the demo catalog (40 services).
func BenchmarkSearchDemo(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchSearch(b, newFixture(b, dbtest.SQLite(b))) })
	b.Run("postgres", func(b *testing.B) { benchSearch(b, newFixture(b, dbtest.Postgres(b))) })
}

// BenchmarkSearch10k searches a catalog of 10,000 services made from the
// demo's, renumbered (TONGBAN_BENCH_SERVICES overrides the count).
func BenchmarkSearch10k(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("TONGBAN_BENCH_SERVICES")); err == nil {
		n = v
	}
	b.Run("sqlite", func(b *testing.B) { benchSearch(b, bigFixture(b, n, false)) })
	b.Run("postgres", func(b *testing.B) { benchSearch(b, bigFixture(b, n, true)) })
}

func bigFixture(b *testing.B, n int, pg bool) *fixture {
	d := dbtest.SQLite(b)
	if pg {
		d = dbtest.Postgres(b)
	}
	f := newFixture(b, d)
	if _, err := f.cat.Import(context.Background(), f.admin, f.orgs, bytes.NewReader(generatedCatalog(b, n))); err != nil {
		b.Fatal(err)
	}
	return f
}

// generatedCatalog returns an import document of n services made from the
// demo catalog's published ones, renumbered GEN-00000, GEN-00001, ...
func generatedCatalog(t testing.TB, n int) []byte {
	var doc catalog.Document
	if err := json.Unmarshal(demo.CatalogJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	base := doc.Services
	doc.Services = nil
	doc.Themes, doc.Synonyms = nil, nil
	for i := 0; i < n; i++ {
		src := base[i%len(base)]
		if src.Published == nil {
			continue
		}
		svc := *src.Published
		svc.Code = fmt.Sprintf("GEN-%05d", i)
		svc.Name = fmt.Sprintf("%s（第%d号）", svc.Name, i)
		doc.Services = append(doc.Services, catalog.ServiceRecord{Code: svc.Code, Status: catalog.Published, Published: &svc})
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// generatedSources maps the codes of generatedCatalog's services to the
// codes of the demo services they copy.
func generatedSources(t testing.TB) map[string]string {
	var doc catalog.Document
	if err := json.Unmarshal(demo.CatalogJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for i := 0; i < 100000; i++ {
		m[fmt.Sprintf("GEN-%05d", i)] = doc.Services[i%len(doc.Services)].Code
	}
	return m
}

// TestWriteGeneratedCatalog writes the benchmark's 10,000-service catalog
// to the file named by TONGBAN_BENCH_CATALOG, for loading a server with
// `tongban import-catalog` and measuring search over HTTP
// (docs/benchmarks.md). It skips when the variable is unset.
func TestWriteGeneratedCatalog(t *testing.T) {
	out := os.Getenv("TONGBAN_BENCH_CATALOG")
	if out == "" {
		t.Skip("set TONGBAN_BENCH_CATALOG=FILE to write the generated catalog")
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("TONGBAN_BENCH_SERVICES")); err == nil {
		n = v
	}
	if err := os.WriteFile(out, generatedCatalog(t, n), 0o644); err != nil {
		t.Fatal(err)
	}
}
