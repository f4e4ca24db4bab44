package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"regexp"
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

// TestGaugeFunc: a gauge read at scrape time shows what its reader
// returns; one whose reader fails is left out and the failure counted.
func TestGaugeFunc(t *testing.T) {
	m := New()
	m.GaugeFunc("tongban_test_queue", "test", []string{"status"}, func(context.Context) ([]Sample, error) {
		return []Sample{{Labels: []string{"pending"}, Value: 3}, {Labels: []string{"failed"}, Value: 1}}, nil
	})
	m.GaugeFunc("tongban_test_broken", "test", nil, func(context.Context) ([]Sample, error) {
		return nil, errors.New("database down")
	})
	scrape(t, m) // the error counter may be gathered before the failed read
	out := scrape(t, m)
	for _, want := range []string{`tongban_test_queue{status="pending"} 3`, `tongban_test_queue{status="failed"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if !regexp.MustCompile(`tongban_metrics_read_errors_total\{gauge="tongban_test_broken"\} [12]\n`).MatchString(out) {
		t.Errorf("the failed reads are not counted:\n%s", out)
	}
	if strings.Contains(out, "tongban_test_broken ") {
		t.Error("a gauge whose read failed is shown")
	}
}
