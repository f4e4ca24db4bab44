package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
)

// TestReportAvoidedUploads runs `tongban report-avoided-uploads` over the
// demo catalog, as text and as JSON.
func TestReportAvoidedUploads(t *testing.T) {
	dir, dsn, run := sqliteCLI(t)
	env := func(string) string { return "" }
	if code, out := run("migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, out)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"import-catalog", "-data", dir, "-db", dsn, filepath.Join("..", "demo", "catalog.json")}, env, &out, &errb); code != 0 {
		t.Fatalf("import the demo catalog: %d %s%s", code, out.String(), errb.String())
	}
	code, text := run("report-avoided-uploads")
	if code != 0 || !strings.Contains(text, "SCJG-001") || !strings.Contains(text, "51 replaced by a license") || !strings.Contains(text, "0 applications filed") {
		t.Fatalf("report: exit %d\n%s", code, text)
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"report-avoided-uploads", "-json", "-data", dir, "-db", dsn}, env, &out, &errb); code != 0 {
		t.Fatalf("report -json: exit %d\n%s", code, errb.String())
	}
	var r application.AvoidedReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report -json is not the report: %v\n%s", err, out.String())
	}
	// No grants without the demo's departments' requests: only licenses
	// and online forms count.
	if r.Totals.Services != 40 || r.Totals.Required != 114 || r.Totals.ByLicense != 51 || r.Totals.ByData != 0 || r.Totals.ByForm != 5 {
		t.Errorf("totals = %+v", r.Totals)
	}
}
