package alert

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
)

// counter sums the series of a metric whose labels match the given
// name/value pairs, read straight from the registry.
func counter(t *testing.T, m *Metrics, name string, labels ...string) float64 {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	return sum(fams, name, labels...)
}

func sum(fams []*dto.MetricFamily, name string, labels ...string) float64 {
	var total float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if label(s, labels[i]) != labels[i+1] {
					continue series
				}
			}
			total += s.GetCounter().GetValue() + s.GetGauge().GetValue() + s.GetUntyped().GetValue()
		}
	}
	return total
}

func label(s *dto.Metric, name string) string {
	for _, l := range s.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// scrape GETs /metrics like Prometheus does and parses it with the
// Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape: %s\n%s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	return fams
}

// gauge is the value of the one series of name with exactly these labels.
func gauge(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	f := fams[name]
	if f == nil {
		return 0, false
	}
	if f.GetType() != dto.MetricType_GAUGE {
		t.Fatalf("%s is %v, want gauge", name, f.GetType())
	}
	for _, s := range f.GetMetric() {
		match := len(s.GetLabel()) == len(labels)
		for k, v := range labels {
			if label(s, k) != v {
				match = false
			}
		}
		if match {
			return s.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func TestMetricsScrapedAndParsed(t *testing.T) {
	m := NewMetrics()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	rs := []checks.Result{
		{ID: "clock.ntp", Status: checks.OK, Duration: 40 * time.Millisecond, Details: map[string]any{"offset_ms": 12.5,
			"servers": []map[string]any{{"server": "127.0.0.1:11123", "offset_ms": 11.0}}}},
		{ID: "clock.exchange", Profile: "bybit-grid", Status: checks.Warn, Duration: 250 * time.Millisecond, Details: map[string]any{"offset_ms": -1900.0}},
		{ID: "key.age", Profile: "bybit-grid", Status: checks.Warn, Details: map[string]any{"age_days": 88, "days_left": 2}},
		{ID: "key.age", Profile: "okx-arb", Status: checks.Unknown, Details: map[string]any{"age_days": nil, "days_left": nil}},
		{ID: "key.permissions", Profile: "binance-main", Status: checks.Crit, Duration: 1500 * time.Millisecond},
	}
	m.SetResults(rs, time.Unix(1795000000, 0))
	rc := newReceiver(t, nil)
	a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}},
		Options{Metrics: m, Retry: fastRetry})
	a.Observe(rs)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	fams := scrape(t, srv.URL+"/metrics")
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"keywarden_check_status", map[string]string{"check": "clock.ntp", "profile": ""}, 0},
		{"keywarden_check_status", map[string]string{"check": "clock.exchange", "profile": "bybit-grid"}, 1},
		{"keywarden_check_status", map[string]string{"check": "key.permissions", "profile": "binance-main"}, 2},
		{"keywarden_check_status", map[string]string{"check": "key.age", "profile": "okx-arb"}, 3},
		{"keywarden_check_duration_seconds", map[string]string{"check": "key.permissions", "profile": "binance-main"}, 1.5},
		{"keywarden_clock_offset_seconds", map[string]string{"source": "ntp"}, 0.0125},
		{"keywarden_clock_offset_seconds", map[string]string{"source": "ntp:127.0.0.1:11123"}, 0.011},
		{"keywarden_clock_offset_seconds", map[string]string{"source": "exchange:bybit-grid"}, -1.9},
		{"keywarden_key_age_days", map[string]string{"profile": "bybit-grid"}, 88},
		{"keywarden_key_rotation_days_left", map[string]string{"profile": "bybit-grid"}, 2},
		{"keywarden_watch_last_run_timestamp_seconds", map[string]string{}, 1795000000},
	} {
		got, ok := gauge(t, fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if _, ok := gauge(t, fams, "keywarden_key_age_days", map[string]string{"profile": "okx-arb"}); ok {
		t.Error("an unmeasured key age is exported (as 0)")
	}
	list := func(name string) []*dto.MetricFamily { return []*dto.MetricFamily{fams[name]} }
	// Four checks are at or above warn: four alerts delivered.
	if v := sum(list("keywarden_alerts_sent_total"), "keywarden_alerts_sent_total", "notifier", "webhook", "kind", "firing"); v != 4 {
		t.Errorf("alerts sent %v, want 4", v)
	}
	if f := fams["keywarden_notifier_errors_total"]; f == nil || f.GetType() != dto.MetricType_COUNTER || sum(list(f.GetName()), f.GetName()) != 0 {
		t.Errorf("notifier errors: %v", f)
	}
	if fams["process_resident_memory_bytes"] == nil || fams["go_goroutines"] == nil {
		t.Error("process and Go metrics missing")
	}

	// A run with only some checks due updates those and keeps the rest.
	upd := rs[4]
	upd.Status = checks.OK
	m.SetResults([]checks.Result{upd}, time.Now())
	fams = scrape(t, srv.URL+"/metrics")
	if v, ok := gauge(t, fams, "keywarden_check_status", map[string]string{"check": "key.permissions", "profile": "binance-main"}); !ok || v != 0 {
		t.Errorf("updated status %v %v", v, ok)
	}
	if v, ok := gauge(t, fams, "keywarden_key_age_days", map[string]string{"profile": "bybit-grid"}); !ok || v != 88 {
		t.Errorf("kept key age %v %v", v, ok)
	}
	if fams["keywarden_watch_runs_total"].GetMetric()[0].GetCounter().GetValue() != 2 {
		t.Error("runs counter")
	}
}
