package alert

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keywarden/keywarden/checks"
)

// Metrics is what `watch --metrics-addr` serves: the spec's check metrics
// (the same names `check --prometheus` prints) from the latest run, the
// alert counters, and the Go process metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	reg *prometheus.Registry

	mu      sync.Mutex
	results []checks.Result

	alertsSent     *prometheus.CounterVec
	notifierErrors *prometheus.CounterVec
	alertsDropped  *prometheus.CounterVec
	runs           prometheus.Counter
	lastRun        prometheus.Gauge
}

// Descriptions of the metrics derived from check results.
var (
	descStatus = prometheus.NewDesc("keywarden_check_status",
		"Status of a check: 0 ok, 1 warn, 2 crit, 3 unknown.", []string{"check", "profile"}, nil)
	descDuration = prometheus.NewDesc("keywarden_check_duration_seconds",
		"How long the check took in the latest run.", []string{"check", "profile"}, nil)
	descOffset = prometheus.NewDesc("keywarden_clock_offset_seconds",
		"Clock offset of this host against a time source (positive: this host is behind).", []string{"source"}, nil)
	descKeyAge = prometheus.NewDesc("keywarden_key_age_days",
		"Age of the profile's API key in days.", []string{"profile"}, nil)
	descDaysLeft = prometheus.NewDesc("keywarden_key_rotation_days_left",
		"Days until the profile's API key must be rotated (negative: overdue).", []string{"profile"}, nil)
)

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
			Help: "Alerts never delivered, by notifier and reason (queue_full, burst_limit, rejected, retries_exhausted, shutdown).",
		}, []string{"notifier", "reason"}),
		runs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keywarden_watch_runs_total",
			Help: "Check runs completed by watch.",
		}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "keywarden_watch_last_run_timestamp_seconds",
			Help: "Unix time of the end of the latest check run.",
		}),
	}
	m.reg.MustRegister(resultCollector{m}, m.alertsSent, m.notifierErrors, m.alertsDropped, m.runs, m.lastRun,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry behind Handler, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// SetResults replaces the check metrics with one run's results.
func (m *Metrics) SetResults(rs []checks.Result, at time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.results = append([]checks.Result(nil), rs...)
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

// resultCollector derives the spec's metrics from the latest results at
// scrape time, so a check that disappears takes its series with it.
type resultCollector struct{ m *Metrics }

func (c resultCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStatus, descDuration, descOffset, descKeyAge, descDaysLeft} {
		ch <- d
	}
}

func (c resultCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	rs := c.m.results
	c.m.mu.Unlock()
	for _, s := range Samples(rs) {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, s.Value, s.Labels...)
	}
}

// Sample is one derived gauge value.
type Sample struct {
	Name   string
	Labels []string // label values, in the order of the metric's label names
	Value  float64
	desc   *prometheus.Desc
}

// Samples derives the spec's gauges from results. Each series appears at
// most once (the first result wins), and a value a check could not measure
// (null in its details) is left out rather than reported as 0.
func Samples(rs []checks.Result) []Sample {
	var out []Sample
	seen := map[string]bool{}
	add := func(d *prometheus.Desc, name string, v float64, labels ...string) {
		k := name + "\x00" + joinNUL(labels)
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, Sample{Name: name, Labels: labels, Value: v, desc: d})
	}
	for _, r := range rs {
		add(descStatus, "keywarden_check_status", float64(r.Status), r.ID, r.Profile)
		add(descDuration, "keywarden_check_duration_seconds", r.Duration.Seconds(), r.ID, r.Profile)
		switch r.ID {
		case "clock.ntp":
			if v, ok := number(r.Details["offset_ms"]); ok {
				add(descOffset, "keywarden_clock_offset_seconds", v/1000, "ntp")
			}
		case "clock.exchange":
			if v, ok := number(r.Details["offset_ms"]); ok {
				add(descOffset, "keywarden_clock_offset_seconds", v/1000, "exchange:"+r.Profile)
			}
		case "key.age":
			if v, ok := number(r.Details["age_days"]); ok {
				add(descKeyAge, "keywarden_key_age_days", v, r.Profile)
			}
			if v, ok := number(r.Details["days_left"]); ok {
				add(descDaysLeft, "keywarden_key_rotation_days_left", v, r.Profile)
			}
		}
	}
	return out
}

func joinNUL(ss []string) string {
	n := ""
	for _, s := range ss {
		n += s + "\x00"
	}
	return n
}

// number reads a numeric detail of any Go numeric type (or a pointer to
// one, or a json.Number); nil and non-numbers are not numbers.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return 0, false
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}
