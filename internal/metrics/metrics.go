// Package metrics exposes the server's own measurements for Prometheus
// (or any scraper of its text format): requests by route and status and
// how long they took, every background job's runs, failures, duration
// and last success, which node holds each job's lease, and the Go
// runtime's and process's figures.
//
// The numbers describe one node; scrape every node. They carry no
// personal data: routes are the registered patterns
// ("GET /applications/{id}"), never the path with its IDs.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds one node's metrics. A nil *Metrics measures nothing, so
// code that records needs no check.
type Metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	jobRuns     *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec
	jobSuccess  *prometheus.GaugeVec
	leaseHeld   *prometheus.GaugeVec
	readErrors  *prometheus.CounterVec
}

// New returns the metrics of a node, registered with their own registry
// together with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongban_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tongban_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongban_job_runs_total",
			Help: "Runs of a background job on this node, by job and outcome (ok or error).",
		}, []string{"job", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tongban_job_duration_seconds",
			Help:    "Time a run of a background job took on this node.",
			Buckets: []float64{.001, .01, .1, .5, 1, 5, 10, 30, 60, 300},
		}, []string{"job"}),
		jobSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tongban_job_last_success_timestamp_seconds",
			Help: "When a run of the job last succeeded on this node (Unix time).",
		}, []string{"job"}),
		leaseHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tongban_lease_held",
			Help: "1 while this node holds the job's lease (runs the job), else 0.",
		}, []string{"job"}),
		readErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tongban_metrics_read_errors_total",
			Help: "Scrapes that could not read a gauge from the database, by gauge.",
		}, []string{"gauge"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.jobRuns, m.jobDuration, m.jobSuccess, m.leaseHeld, m.readErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Request records one answered request. route is the matched pattern,
// "" when none matched.
func (m *Metrics) Request(route string, code int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// JobRun records one run of a background job that ended at end.
func (m *Metrics) JobRun(job string, err error, took time.Duration, end time.Time) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	} else {
		m.jobSuccess.WithLabelValues(job).Set(float64(end.UnixNano()) / 1e9)
	}
	m.jobRuns.WithLabelValues(job, outcome).Inc()
	m.jobDuration.WithLabelValues(job).Observe(took.Seconds())
}

// LeaseHeld records whether this node holds the lease of job.
func (m *Metrics) LeaseHeld(job string, held bool) {
	if m == nil {
		return
	}
	v := 0.0
	if held {
		v = 1
	}
	m.leaseHeld.WithLabelValues(job).Set(v)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Sample is one value of a gauge read at scrape time, with its label
// values in the order the gauge declared its labels.
type Sample struct {
	Labels []string
	Value  float64
}

// GaugeFunc adds a gauge whose values read returns at each scrape, given
// at most readTimeout; when read fails the gauge is left out of that
// scrape (and tongban_metrics_read_errors_total counts it), so a slow or
// down database never stalls the scrape.
func (m *Metrics) GaugeFunc(name, help string, labels []string, read func(context.Context) ([]Sample, error)) {
	if m == nil {
		return
	}
	m.registry.MustRegister(&gaugeFunc{desc: prometheus.NewDesc(name, help, labels, nil), name: name, read: read, errors: m.readErrors})
}

// readTimeout bounds each GaugeFunc's read.
const readTimeout = 5 * time.Second

type gaugeFunc struct {
	desc   *prometheus.Desc
	name   string
	read   func(context.Context) ([]Sample, error)
	errors *prometheus.CounterVec
}

func (g *gaugeFunc) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *gaugeFunc) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	samples, err := g.read(ctx)
	if err != nil {
		g.errors.WithLabelValues(g.name).Inc()
		return
	}
	for _, s := range samples {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, s.Value, s.Labels...)
	}
}
