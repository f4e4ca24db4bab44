package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/fielderr"
)

// FuzzImport feeds arbitrary documents to Import: it must never panic, and
// must either succeed or answer with a validation error (never an internal
// one, which would be a 500).
func FuzzImport(f *testing.F) {
	f.Add(demo.CatalogJSON())
	f.Add([]byte(`{"format":"tongban-catalog/v1","divisions":[],"departments":[],"services":[],"themes":[],"synonyms":[]}`))
	f.Add([]byte(`{"format":"tongban-catalog/v1","services":[{"code":"X-0001","status":"draft","draft":{"code":"X-0001"}}]}`))
	f.Add([]byte(`{"format":"tongban-catalog/v1","themes":[{"code":"a","kind":"life_event","name":"ab","audience":"person","steps":[{"service_code":"none"}]}]}`))
	f.Add([]byte(`{"format":"tongban-catalog/v1","synonyms":[{"term":"","expansions":[]}]}`))
	d := dbtest.SQLite(f)
	fx := newFixture(f, d)
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, err := fx.cat.Import(context.Background(), fx.admin, fx.orgs, bytes.NewReader(doc))
		var inv *fielderr.Invalid
		if err != nil && !errors.As(err, &inv) {
			t.Fatalf("Import(%q) = %v: not a validation error", doc, err)
		}
	})
}
