package cli

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/metrics"
	"github.com/tongban/tongban/internal/org"
)

// TestBacklogGauges reads the queues' figures from both databases at
// scrape time.
func TestBacklogGauges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		mx := metrics.New()
		if _, err := d.Write().ExecContext(t.Context(), `INSERT INTO divisions (code, name, level) VALUES ('339900', '临江市', 'city')`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Write().ExecContext(t.Context(), `INSERT INTO departments (code, name, division_code) VALUES ('SCJG', '市场监督管理局', '339900')`); err != nil {
			t.Fatal(err)
		}
		backlogGauges(mx, d, &ledger.Log{DB: d}, application.NewStore(application.Deps{DB: d, Org: org.NewStore(d)}))
		scrape := func() string {
			rec := httptest.NewRecorder()
			mx.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			b, _ := io.ReadAll(rec.Body)
			return string(b)
		}
		out := scrape()
		for _, want := range []string{`tongban_notice_deliveries{status="pending"} 0`, `tongban_notice_deliveries{status="failed"} 0`,
			`tongban_ledger_entries{state="pending"} 0`, `tongban_ledger_entries{state="integrated"} 0`, "tongban_blob_orphans 0",
			`tongban_tasks_warned{department="SCJG",warning="yellow"} 0`, `tongban_tasks_warned{department="SCJG",warning="red"} 0`,
			`tongban_applications_in_process{department="SCJG",state="submitted"} 0`, `tongban_applications_in_process{department="SCJG",state="supplement"} 0`} {
			if !strings.Contains(out, want) {
				t.Errorf("scrape lacks %q:\n%s", want, out)
			}
		}
		key := "sha256/ab/" + strings.Repeat("c", 62)
		if err := d.Tx(t.Context(), func(tx *db.Tx) error { return blob.Release(t.Context(), tx, time.Now(), key) }); err != nil {
			t.Fatal(err)
		}
		if out := scrape(); !strings.Contains(out, "tongban_blob_orphans 1") {
			t.Error("a noted file is not counted")
		}
	})
}
