package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

// TestMetricsExposed: what is recorded comes out in the text format a
// Prometheus server scrapes, with the labels an operator filters by.
func TestMetricsExposed(t *testing.T) {
	m := New()
	m.Request("GET /applications/{id}", 200, 30*time.Millisecond)
	m.Request("GET /applications/{id}", 200, 10*time.Millisecond)
	m.Request("", 404, time.Millisecond)
	end := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	m.JobRun("application-warnings", nil, 2*time.Second, end)
	m.JobRun("application-warnings", errors.New("db down"), time.Second, end.Add(time.Minute))
	m.LeaseHeld("application-warnings", true)
	m.LeaseHeld("blob-sweeper", false)
	out := scrape(t, m)
	for _, want := range []string{
		`tongban_http_requests_total{code="200",route="GET /applications/{id}"} 2`,
		`tongban_http_requests_total{code="404",route="unmatched"} 1`,
		`tongban_http_request_duration_seconds_count{route="GET /applications/{id}"} 2`,
		`tongban_job_runs_total{job="application-warnings",outcome="ok"} 1`,
		`tongban_job_runs_total{job="application-warnings",outcome="error"} 1`,
		`tongban_job_last_success_timestamp_seconds{job="application-warnings"} 1.7960292e+09`,
		`tongban_lease_held{job="application-warnings"} 1`,
		`tongban_lease_held{job="blob-sweeper"} 0`,
		"go_goroutines ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// TestNilMetricsMeasureNothing: code records without checking whether
// metrics are on.
func TestNilMetricsMeasureNothing(t *testing.T) {
	var m *Metrics
	m.Request("GET /", 200, time.Millisecond)
	m.JobRun("x", nil, time.Second, time.Now())
	m.LeaseHeld("x", true)
}
