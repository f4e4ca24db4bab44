package catalog_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tongban/tongban/internal/demo"
)

const formatSchemaURL = "https://tongban.example/catalog-format.schema.json"

func compileFormatSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../docs/catalog-format.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(formatSchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(formatSchemaURL)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

func instance(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mutated returns the demo catalog with edit applied to its first service's
// live version.
func mutated(t *testing.T, edit func(svc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(demo.CatalogJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	rec := doc["services"].([]any)[0].(map[string]any)
	svc, ok := rec["published"].(map[string]any)
	if !ok {
		svc = rec["draft"].(map[string]any)
	}
	edit(svc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDemoCatalogMatchesSchema(t *testing.T) {
	sch := compileFormatSchema(t)
	if err := sch.Validate(instance(t, demo.CatalogJSON())); err != nil {
		t.Fatalf("demo catalog does not match the schema: %v", err)
	}

	bad := map[string]func(map[string]any){
		"kind nonsense": func(svc map[string]any) { svc["kind"] = "nonsense" },
		"unknown field": func(svc map[string]any) { svc["colour"] = "red" },
		"bad material code": func(svc map[string]any) {
			m := svc["guide"].(map[string]any)["materials"].([]any)[0].(map[string]any)
			m["code"] = "Not A Code"
		},
	}
	for name, edit := range bad {
		if err := sch.Validate(instance(t, mutated(t, edit))); err == nil {
			t.Errorf("%s: schema accepted an invalid document", name)
		}
	}
}
