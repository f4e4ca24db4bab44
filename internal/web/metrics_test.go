package web

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/metrics"
)

// TestRequestMetricsByRoute: requests are counted under the route pattern
// they matched, never under their path (which holds IDs), with their
// status.
func TestRequestMetricsByRoute(t *testing.T) {
	e := newEnvWith(t, dbtest.SQLite(t), true)
	e.srv.Metrics = metrics.New()
	id := demoAppID(t, e.db, "sole-trader-approved")
	zhang := e.session("zhangsan")
	wantStatus(t, "application page", e.get("/applications/"+id, zhang), 200)
	wantStatus(t, "another's application", e.get("/applications/"+id, e.session("lisi")), 404)
	wantStatus(t, "no such page", e.get("/no/such/page", ""), 404)
	rec := httptest.NewRecorder()
	e.srv.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	out := string(b)
	for _, want := range []string{
		`tongban_http_requests_total{code="200",route="GET /applications/{id}"} 1`,
		`tongban_http_requests_total{code="404",route="GET /applications/{id}"} 1`,
		`tongban_http_requests_total{code="404",route="/"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(out, id) {
		t.Error("the metrics carry an application's ID")
	}
}
