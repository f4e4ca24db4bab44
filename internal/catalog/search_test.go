package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"testing"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
)

type labelledQuery struct {
	Q      string   `json:"q"`
	Expect []string `json:"expect"`
}

// TestSearchQuality runs the labelled queries in testdata against the demo
// catalog on both databases and fails when fewer than 90% find an expected
// service in the top three (hit@3).
func TestSearchQuality(t *testing.T) {
	b, err := os.ReadFile("testdata/search_queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var queries []labelledQuery
	if err := json.Unmarshal(b, &queries); err != nil {
		t.Fatal(err)
	}
	if len(queries) < 30 {
		t.Fatalf("only %d labelled queries; keep at least 30", len(queries))
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		hits := 0
		for _, q := range queries {
			res, err := f.cat.Search(context.Background(), q.Q, 3)
			if err != nil {
				t.Fatalf("Search(%q): %v", q.Q, err)
			}
			ok := false
			var got []string
			for _, h := range res {
				got = append(got, h.Code+" "+h.Name)
				for _, e := range q.Expect {
					if h.Code == e {
						ok = true
					}
				}
			}
			if ok {
				hits++
			} else {
				t.Logf("miss: %q → %v, want one of %v", q.Q, got, q.Expect)
			}
		}
		rate := float64(hits) / float64(len(queries))
		t.Logf("hit@3 = %d/%d = %.1f%%", hits, len(queries), 100*rate)
		if rate < 0.9 {
			t.Fatalf("hit@3 = %.1f%%, want at least 90%%", 100*rate)
		}
	})
}

func TestSearchSynonymEditTakesEffect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		all, _ := f.cat.List(ctx, catalog.Filter{Department: "MZ"})
		if len(all) == 0 {
			t.Fatal("no MZ services")
		}
		target := all[0]
		term := "喜结良缘测"
		before, _ := f.cat.Search(ctx, term, 3)
		for _, h := range before {
			if h.Code == target.Code {
				t.Fatalf("precondition: %q already finds %s", term, target.Code)
			}
		}
		if _, err := f.cat.PutSynonym(ctx, f.admin, catalog.Synonym{Term: term, Expansions: []string{target.Name}}); err != nil {
			t.Fatal(err)
		}
		after, _ := f.cat.Search(ctx, term, 3)
		found := false
		for _, h := range after {
			found = found || h.Code == target.Code
		}
		if !found {
			t.Fatalf("after adding synonym %s → %s, Search(%q) = %v", term, target.Name, term, after)
		}
		if _, err := f.cat.PutSynonym(ctx, f.principal(t, "scjg-admin"), catalog.Synonym{Term: "x", Expansions: []string{"y"}}); err == nil {
			t.Fatal("a department admin edited the synonym table")
		}
	})
}

func TestSearchRejectsLongQuery(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	long := make([]rune, 101)
	for i := range long {
		long[i] = '办'
	}
	if _, err := f.cat.Search(context.Background(), string(long), 3); fieldKey(err, "q") != "query_too_long" {
		t.Fatalf("Search(101 runes) = %v, want query_too_long", err)
	}
}

// exhaustiveSearch ranks services the plain way, from every posting of the
// query's terms: Σ query weight × field weight × log(1 + (N+1)/df), best
// first, ties to the smaller code. Search must give the same answers while
// reading far fewer postings.
func exhaustiveSearch(t testing.TB, f *fixture, query string, limit int) []string {
	t.Helper()
	ctx := context.Background()
	plan, err := f.cat.Plan(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.db.Read().QueryRow(`SELECT COUNT(*) FROM services WHERE status = 'published'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	terms := make([]string, 0, len(plan))
	for term := range plan {
		terms = append(terms, term)
	}
	sort.Strings(terms)
	weights := map[string]map[string]float64{} // service → term → weight
	df := map[string]int{}
	for _, term := range terms {
		rows, err := f.db.Read().Query(`SELECT service_code, weight FROM search_terms WHERE term = $1`, term)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var code string
			var w float64
			if err := rows.Scan(&code, &w); err != nil {
				t.Fatal(err)
			}
			if weights[code] == nil {
				weights[code] = map[string]float64{}
			}
			weights[code][term] = w
			df[term]++
		}
		rows.Close()
	}
	type scored struct {
		code  string
		score float64
	}
	var all []scored
	for code, ws := range weights {
		s := 0.0
		for _, term := range terms {
			if w, ok := ws[term]; ok {
				s += plan[term] * w * math.Log(1+float64(n+1)/float64(df[term]))
			}
		}
		all = append(all, scored{code, s})
	}
	sort.Slice(all, func(i, j int) bool {
		if math.Abs(all[i].score-all[j].score) > 1e-9 {
			return all[i].score > all[j].score
		}
		return all[i].code < all[j].code
	})
	var out []string
	for i := 0; i < len(all) && i < limit; i++ {
		out = append(out, fmt.Sprintf("%s %.2f", all[i].code, all[i].score))
	}
	return out
}

// TestSearchKeepsTermStatistics checks that the document frequencies
// Search weighs terms by follow publications and withdrawals: on the demo
// catalog, small enough to be scored outright, Search ranks exactly as
// scoring every posting with frequencies counted afresh.
func TestSearchKeepsTermStatistics(t *testing.T) {
	queries := append([]string{"登记", "申请 证明", "营业执照", "xyz不存在的词"}, benchQueries...)
	for _, q := range loadLabelled(t) {
		queries = append(queries, q.Q)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		compare := func(stage string) {
			t.Helper()
			for _, q := range queries {
				res, err := f.cat.Search(ctx, q, 10)
				if err != nil {
					t.Fatalf("Search(%q): %v", q, err)
				}
				var got []string
				for _, h := range res {
					got = append(got, fmt.Sprintf("%s %.2f", h.Code, h.Score))
				}
				if want := exhaustiveSearch(t, f, q, 10); !slices.Equal(got, want) {
					t.Errorf("%s: Search(%q) = %v, want %v", stage, q, got, want)
				}
			}
		}
		compare("demo catalog")
		for _, code := range []string{"MZ-001", "GA-002", "RS-001"} {
			if err := f.cat.Withdraw(ctx, f.admin, code); err != nil {
				t.Fatal(err)
			}
		}
		e, err := f.cat.Entry(ctx, f.admin, "SCJG-001")
		if err != nil {
			t.Fatal(err)
		}
		e.Service.Name = "结婚登记补办"
		e.Service.Keywords = append(e.Service.Keywords, "生孩子")
		if _, err := f.cat.UpdateDraft(ctx, f.admin, e.Service.Code, e.Service); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Publish(ctx, f.admin, e.Service.Code); err != nil {
			t.Fatal(err)
		}
		compare("after withdrawals and a republication")
	})
}

// TestSearchQualityAtScale runs the labelled queries against the demo
// catalog grown tenfold with renumbered copies of its services, with Search
// pruning common terms as it does on large catalogs: hit@3, counting a copy
// as the service it copies, must stay at 90% or more.
func TestSearchQualityAtScale(t *testing.T) {
	defer catalog.PruneAlways()()
	queries := loadLabelled(t)
	source := generatedSources(t)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		if _, err := f.cat.Import(ctx, f.admin, f.orgs, bytes.NewReader(generatedCatalog(t, 400))); err != nil {
			t.Fatal(err)
		}
		hits, same := 0, 0
		for _, q := range queries {
			res, err := f.cat.Search(ctx, q.Q, 3)
			if err != nil {
				t.Fatalf("Search(%q): %v", q.Q, err)
			}
			var got []string
			ok := false
			for _, h := range res {
				c := h.Code
				if src, gen := source[c]; gen {
					c = src
				}
				got = append(got, fmt.Sprintf("%s %.2f", h.Code, h.Score))
				ok = ok || slices.Contains(q.Expect, c)
			}
			if ok {
				hits++
			} else {
				t.Logf("miss: %q → %v, want one of %v", q.Q, got, q.Expect)
			}
			if want := exhaustiveSearch(t, f, q.Q, 3); slices.Equal(got, want) {
				same++
			} else {
				t.Logf("pruned: %q → %v, every posting → %v", q.Q, got, want)
			}
		}
		t.Logf("hit@3 = %d/%d; same top 3 as scoring every posting: %d/%d", hits, len(queries), same, len(queries))
		if rate := float64(hits) / float64(len(queries)); rate < 0.9 {
			t.Fatalf("hit@3 = %.1f%%, want at least 90%%", 100*rate)
		}
	})
}

func loadLabelled(t testing.TB) []labelledQuery {
	t.Helper()
	b, err := os.ReadFile("testdata/search_queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var queries []labelledQuery
	if err := json.Unmarshal(b, &queries); err != nil {
		t.Fatal(err)
	}
	return queries
}

// TestSearchByEnglishName: a service is found by its English name, as the
// English home page invites; English searches found nothing.
func TestSearchByEnglishName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for _, q := range []labelledQuery{
			{Q: "social security card", Expect: []string{"RS-001", "RS-002"}},
			{Q: "Food Business License", Expect: []string{"SCJG-001"}},
			{Q: "housing provident fund withdrawal", Expect: []string{"GJJ-001"}},
		} {
			res, err := f.cat.Search(context.Background(), q.Q, 3)
			if err != nil {
				t.Fatal(err)
			}
			found := slices.ContainsFunc(res, func(h catalog.Hit) bool { return slices.Contains(q.Expect, h.Code) })
			if !found {
				t.Errorf("Search(%q) = %v, want one of %v in the first three", q.Q, res, q.Expect)
			}
		}
	})
}
