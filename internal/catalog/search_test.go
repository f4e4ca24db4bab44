package catalog_test

import (
	"context"
	"encoding/json"
	"os"
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
