package alert

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/keywarden/keywarden/checks"
)

// Metrics is what `watch --metrics-addr` serves: the spec's check metrics
// (the same names `check --prometheus` prints) from the latest run, the
// alert counters, and the Go process metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	reg *prometheus.Registry

	mu      sync.Mutex
	results []checks.Result // latest of each check, in first-seen order
	index   map[string]int  // result key → position in results

	alertsSent     *prometheus.CounterVec
	notifierErrors *prometheus.CounterVec
	alertsDropped  *prometheus.CounterVec
	alertsReplaced *prometheus.CounterVec
	alertsFallback *prometheus.CounterVec
	queueLen       *prometheus.GaugeVec
	runs           prometheus.Counter
	lastRun        prometheus.Gauge
}

// NewMetrics builds an empty registry with every metric described.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		alertsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keywarden_alerts_sent_total",
			Help: "Alerts delivered, by notifier and kind (firing, changed, resolved, reminder, suppressed).",
		}, []string{"notifier", "kind"}),
		notifierErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keywarden_notifier_errors_total",
			Help: "Failed delivery attempts (each retry counts), by notifier.",
		}, []string{"notifier"}),
		alertsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keywarden_alerts_dropped_total",
			Help: "Alerts never delivered, by notifier and reason (queue_full, burst_limit, rejected, shutdown).",
		}, []string{"notifier", "reason"}),
		alertsReplaced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keywarden_alerts_superseded_total",
			Help: "Undelivered alerts replaced by a newer alert about the same check, or withdrawn because the check recovered first.",
		}, []string{"notifier"}),
		alertsFallback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keywarden_alerts_fallback_total",
			Help: "Alerts handed to the fallback notifier because this one could not deliver them in time.",
		}, []string{"notifier"}),
		queueLen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "keywarden_alert_queue_length",
			Help: "Alerts waiting for delivery, by notifier.",
		}, []string{"notifier"}),
		runs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keywarden_watch_runs_total",
			Help: "Check runs completed by watch.",
		}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "keywarden_watch_last_run_timestamp_seconds",
			Help: "Unix time of the end of the latest check run.",
		}),
	}
	m.reg.MustRegister(m.alertsSent, m.notifierErrors, m.alertsDropped, m.alertsReplaced, m.alertsFallback, m.queueLen, m.runs, m.lastRun,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry holds the counters and process metrics (not the check gauges).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Gatherer gathers everything /metrics serves: the check gauges, rendered by
// checks.WritePrometheus exactly as `check --prometheus` prints them, and
// the registry.
func (m *Metrics) Gatherer() prometheus.Gatherer {
	return prometheus.Gatherers{prometheus.GathererFunc(m.gatherResults), m.reg}
}

// Handler serves Gatherer in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Gatherer(), promhttp.HandlerOpts{Registry: m.reg})
}

// gatherResults renders the latest results with the `check --prometheus`
// printer and parses them back, so the two can never disagree on a name, a
// label or a value.
func (m *Metrics) gatherResults() ([]*dto.MetricFamily, error) {
	m.mu.Lock()
	rs := append([]checks.Result(nil), m.results...)
	m.mu.Unlock()
	var buf bytes.Buffer
	if err := checks.WritePrometheus(&buf, checks.Report{Checks: rs}); err != nil {
		return nil, err
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		return nil, fmt.Errorf("check metrics: %w", err)
	}
	out := make([]*dto.MetricFamily, 0, len(fams))
	for _, f := range fams {
		if len(f.GetMetric()) > 0 {
			out = append(out, f)
		}
	}
	return out, nil
}

// SetResults records one run's results. A run may hold only the checks
// that were due: each result replaces the previous one of the same check,
// and the others keep their last value.
func (m *Metrics) SetResults(rs []checks.Result, at time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	if m.index == nil {
		m.index = map[string]int{}
	}
	for _, r := range rs {
		if i, ok := m.index[r.Key()]; ok {
			m.results[i] = r
			continue
		}
		m.index[r.Key()] = len(m.results)
		m.results = append(m.results, r)
	}
	m.mu.Unlock()
	m.runs.Inc()
	m.lastRun.Set(float64(at.UnixNano()) / 1e9)
}

// registerNotifier makes a notifier's counters appear at 0 before its first
// alert, so rate() and increase() work from the start.
func (m *Metrics) registerNotifier(name string) {
	if m == nil {
		return
	}
	m.notifierErrors.WithLabelValues(name)
	m.alertsReplaced.WithLabelValues(name)
	m.alertsFallback.WithLabelValues(name)
	m.queueLen.WithLabelValues(name)
	for _, k := range []Kind{Firing, Resolved} {
		m.alertsSent.WithLabelValues(name, string(k))
	}
}

func (m *Metrics) sent(notifier string, k Kind) {
	if m != nil {
		m.alertsSent.WithLabelValues(notifier, string(k)).Inc()
	}
}

func (m *Metrics) notifierError(notifier string) {
	if m != nil {
		m.notifierErrors.WithLabelValues(notifier).Inc()
	}
}

func (m *Metrics) dropped(notifier, reason string) { m.droppedN(notifier, reason, 1) }

func (m *Metrics) droppedN(notifier, reason string, n int) {
	if m != nil {
		m.alertsDropped.WithLabelValues(notifier, reason).Add(float64(n))
	}
}

func (m *Metrics) superseded(notifier string) {
	if m != nil {
		m.alertsReplaced.WithLabelValues(notifier).Inc()
	}
}

func (m *Metrics) handedOff(notifier string) {
	if m != nil {
		m.alertsFallback.WithLabelValues(notifier).Inc()
	}
}

func (m *Metrics) queueLength(notifier string, n int) {
	if m != nil {
		m.queueLen.WithLabelValues(notifier).Set(float64(n))
	}
}
