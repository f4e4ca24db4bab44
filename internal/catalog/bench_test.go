package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
)

var benchQueries = []string{"开饭店", "生孩子", "社保卡丢了", "结婚登记", "公积金提取", "施工许可", "居住证", "退休"}

func benchSearch(b *testing.B, f *fixture) {
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := f.cat.Search(ctx, benchQueries[i%len(benchQueries)], 10); err != nil {
			b.Fatal(err)
		}
	}
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
	var doc catalog.Document
	if err := json.Unmarshal(demo.CatalogJSON(), &doc); err != nil {
		b.Fatal(err)
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
	raw, _ := json.Marshal(doc)
	if _, err := f.cat.Import(context.Background(), f.admin, f.orgs, bytes.NewReader(raw)); err != nil {
		b.Fatal(err)
	}
	return f
}
