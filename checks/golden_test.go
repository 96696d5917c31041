package checks

import (
	"bytes"
	"errors"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/internal/testutil"
)

// goldenReport is a report built by the real judging code from fixed
// inputs: a spread of statuses across every check id.
func goldenReport() Report {
	now := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	ip := netip.MustParseAddr
	Y, N := exchange.Yes, exchange.No
	binance := exchange.Window{Behind: 5 * time.Second, Ahead: time.Second}
	bybit := binance
	okx := exchange.Window{Behind: 30 * time.Second, Ahead: 30 * time.Second}
	egress := Egress{IPv4: ip("203.0.113.7"), Agree: true, Sources: []SourceAnswer{
		{Source: "https://api.ipify.org", Family: "ipv4", IP: ip("203.0.113.7")},
		{Source: "https://icanhazip.com", Family: "ipv4", IP: ip("203.0.113.7")},
		{Source: "https://api.ipify.org", Family: "ipv6", Err: errors.New("dial tcp6: connect: network is unreachable")},
		{Source: "https://icanhazip.com", Family: "ipv6", Err: errors.New("dial tcp6: connect: network is unreachable")},
	}}
	ntpAns := []NTPAnswer{
		{Server: "pool.ntp.org", Offset: -12 * time.Millisecond, RTT: 24 * time.Millisecond, Stratum: 2},
		{Server: "time.cloudflare.com", Offset: -11 * time.Millisecond, RTT: 8 * time.Millisecond, Stratum: 3},
		{Server: "time.google.com", Offset: -13 * time.Millisecond, RTT: 12 * time.Millisecond, Stratum: 1},
	}
	age := func(created time.Time, src string) Result {
		return judgeKeyAge(keyAgeInput{Created: created, Source: src, MaxAge: 90 * day, WarnBefore: 14 * day, Now: now})
	}
	set := func(r Result, id, profile string, d time.Duration) Result {
		r.ID, r.Profile, r.Duration = id, profile, d
		return r
	}
	ms := time.Millisecond
	rs := []Result{
		set(judgeKernelClock(kernelClock{Synchronized: true, EstError: 4.1, MaxError: 112.5}), "clock.sync", "", 0),
		set(judgeNTP(ntpAns, 250, 1000), "clock.ntp", "", 31*ms),
		set(judgeEgress(egress), "ip.public", "", 212*ms),
		set(Result{Status: OK, Summary: "keystore: keyring", Details: map[string]any{"backend": "keyring", "path": nil, "mode": nil}}, "keystore", "", 3*ms),
		set(judgeExchangeClock("binance", binance, sampleWithOffset(12*ms, 40*ms)), "clock.exchange", "binance-main", 160*ms),
		set(judgeWhitelist(egress.Addrs(), config.Profile{Whitelist: []string{"203.0.113.7"}}, exchange.KeyInfo{IPRestricted: Y}, nil), "ip.whitelist", "binance-main", 290*ms),
		set(age(now.Add(-41*day), "exchange"), "key.age", "binance-main", 290*ms),
		set(judgePermissions(exchange.KeyInfo{Permissions: exchange.Permissions{Read: Y, Trade: Y, Withdraw: Y, Margin: N, Futures: N, Options: N, Transfer: N},
			IPRestricted: Y, Raw: []string{"enableReading", "enableSpotAndMarginTrading", "enableWithdrawals"}}, []string{"read", "trade"}, "binance"), "key.permissions", "binance-main", 290*ms),
		set(judgeFiles("/home/bot/mybot", []FileFinding{{Path: ".env", Problem: "world-readable (0644)"}}, nil), "hygiene.files", "binance-main", 9*ms),
		set(judgeExchangeClock("bybit", bybit, sampleWithOffset(-1900*ms, 60*ms)), "clock.exchange", "bybit-grid", 180*ms),
		set(judgeWhitelist(egress.Addrs(), config.Profile{}, exchange.KeyInfo{IPRestricted: Y, Whitelist: []string{"198.51.100.0/24"}}, nil), "ip.whitelist", "bybit-grid", 330*ms),
		set(age(now.Add(-88*day), "keystore"), "key.age", "bybit-grid", 330*ms),
		set(judgePermissions(exchange.KeyInfo{Permissions: exchange.Permissions{Read: Y, Trade: Y, Withdraw: N, Transfer: N},
			IPRestricted: Y, Raw: []string{"Spot:SpotTrade"}}, []string{"read", "trade"}, "bybit"), "key.permissions", "bybit-grid", 330*ms),
		set(judgeExchangeClock("okx", okx, sampleWithOffset(-15*ms, 90*ms)), "clock.exchange", "okx-arb", 200*ms),
		set(permissionsUnknown(&exchange.Error{Exchange: "okx", Op: "key info", HTTPStatus: 503, Message: "Service Unavailable", Cause: exchange.CauseServer}, nil), "key.permissions", "okx-arb", 410*ms),
	}
	rep := Report{Version: 1, Host: "vps-fra-1", StartedAt: now, Duration: 412 * ms, Checks: rs}
	rep.Status = rep.Overall(false)
	return rep
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestGoldenText(t *testing.T) {
	rep := goldenReport()
	var colored, plain bytes.Buffer
	if err := WriteText(&colored, rep, true); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&plain, rep, false); err != nil {
		t.Fatal(err)
	}
	stripped := ansi.ReplaceAll(colored.Bytes(), nil)
	if !bytes.Equal(stripped, plain.Bytes()) {
		t.Errorf("colour changes the layout:\n%s\nvs\n%s", stripped, plain.Bytes())
	}
	if !bytes.Contains(colored.Bytes(), []byte("\x1b[1;31m✗")) || bytes.Contains(plain.Bytes(), []byte("\x1b")) {
		t.Error("colour on/off not honoured")
	}
	for i, line := range strings.Split(plain.String(), "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
	testutil.Golden(t, "report.txt", stripped)
}

func TestGoldenJSON(t *testing.T) {
	rep := goldenReport()
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "report.json", b.Bytes())
	var back Report
	if err := back.UnmarshalJSON(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if back.Status != Crit || len(back.Checks) != len(rep.Checks) || back.Duration != rep.Duration || !back.StartedAt.Equal(rep.StartedAt) {
		t.Errorf("round trip: %+v", back)
	}
}

func TestPrometheusParses(t *testing.T) {
	var b bytes.Buffer
	if err := WritePrometheus(&b, goldenReport()); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(&b)
	if err != nil {
		t.Fatalf("not valid exposition format: %v", err)
	}
	val := func(name string, labels map[string]string) (float64, bool) {
		f, ok := fams[name]
		if !ok {
			return 0, false
		}
	metrics:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			return m.GetGauge().GetValue(), true
		}
		return 0, false
	}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"keywarden_check_status", map[string]string{"check": "key.permissions", "profile": "binance-main"}, 2},
		{"keywarden_check_status", map[string]string{"check": "key.permissions", "profile": "okx-arb"}, 3},
		{"keywarden_check_status", map[string]string{"check": "clock.sync"}, 0},
		{"keywarden_key_age_days", map[string]string{"profile": "bybit-grid"}, 88},
		{"keywarden_key_rotation_days_left", map[string]string{"profile": "bybit-grid"}, 2},
		{"keywarden_clock_offset_seconds", map[string]string{"source": "ntp"}, -0.012},
		{"keywarden_clock_offset_seconds", map[string]string{"source": "ntp:time.google.com"}, -0.013},
		{"keywarden_clock_offset_seconds", map[string]string{"source": "exchange:bybit-grid"}, -1.9},
		{"keywarden_check_duration_seconds", map[string]string{"check": "ip.public"}, 0.212},
	} {
		got, ok := val(tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
}
