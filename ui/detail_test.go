package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/keywarden/keywarden/checks"
)

func TestWrapDetail(t *testing.T) {
	hash := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name string
		in   string
		w    int
		want string
	}{
		{"fits", "  short line", 20, "  short line"},
		{"words with hanging indent", "  cannot read the key's permissions: please check your API key's bound IP addresses", 40,
			"  cannot read the key's permissions:\n  please check your API key's bound IP\n  addresses"},
		{"long token cut only when it cannot fit", "  hash: " + hash, 30,
			"  hash:\n  " + hash[:28] + "\n  " + hash[28:56] + "\n  " + hash[56:]},
		{"no indent", "16:04:20 ERROR binance-main place_order -1021 [clock] Timestamp ahead", 30,
			"16:04:20 ERROR binance-main\nplace_order -1021 [clock]\nTimestamp ahead"},
		{"indent dropped when too narrow", "          abc def ghi jkl mno pqr", 20, "          abc def\nghi jkl mno pqr"},
		{"styles kept", "  \x1b[1mbold words\x1b[m and more words here that wrap", 24, "  \x1b[1mbold words\x1b[m and more\n  words here that wrap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapDetail(tt.in, tt.w)
			if got != tt.want {
				t.Errorf("wrapDetail(%q, %d) =\n%q\nwant\n%q", tt.in, tt.w, got, tt.want)
			}
			for _, l := range strings.Split(got, "\n") {
				if ansi.StringWidth(l) > tt.w {
					t.Errorf("line %q is wider than %d", l, tt.w)
				}
			}
		})
	}
}

func TestClockLines(t *testing.T) {
	st := NewStyles(true)
	rs := []checks.Result{
		{ID: "clock.ntp", Status: checks.Crit, Summary: "local clock 1.2 s behind NTP (2/3 agree)"},
		{ID: "clock.exchange", Profile: "binance-main", Status: checks.Warn, Summary: "local clock 1.2 s behind binance (window 5.0 s, margin 3.8 s)",
			Details: map[string]any{"offset_ms": 1199.2, "margin_ms": 3800.8, "window_ms": 5000.0}},
		{ID: "clock.exchange", Profile: "kucoin-spot", Status: checks.OK, Summary: "local clock 149 ms behind kucoin",
			Details: map[string]any{"offset_ms": 149.6, "margin_ms": 4850.4, "window_ms": 5000}},
		{ID: "clock.exchange", Profile: "okx", Status: checks.OK, Summary: "local clock 20 ms ahead of okx",
			Details: map[string]any{"offset_ms": -20, "margin_ms": 980, "window_ms": 1000}},
		{ID: "clock.exchange", Profile: "bybit", Status: checks.Unknown, Summary: "cannot read bybit's server time: timeout"},
	}
	want := []string{
		"✗ NTP           1.2 s behind NTP (2/3 agree)",
		"! binance-main  1.2 s behind · margin 3.8 s of 5.0 s",
		"✓ kucoin-spot   150 ms behind · margin 4.9 s of 5.0 s",
		"✓ okx           20 ms ahead · margin 980 ms of 1.0 s",
		"? bybit         cannot read bybit's server time: timeout",
	}
	got := clockLines(st, rs, time.Time{})
	for i, l := range got {
		if s := ansi.Strip(l.text); s != want[i] {
			t.Errorf("line %d = %q, want %q", i, s, want[i])
		}
	}
}

func TestNetworkLines(t *testing.T) {
	rs := []checks.Result{
		{ID: "ip.public", Status: checks.OK, Summary: "egress IPv4 198.51.100.23, IPv6 none"},
		{ID: "ip.whitelist", Profile: "binance-main", Status: checks.OK, Summary: "198.51.100.23 whitelisted (config whitelist)"},
		{ID: "ip.whitelist", Profile: "okx", Status: checks.OK, Summary: "198.51.100.23, 2001:db8::1 whitelisted (exchange whitelist)"},
		{ID: "ip.whitelist", Profile: "bybit-grid", Status: checks.Crit, Summary: "the exchange rejects this host's IP (198.51.100.23)"},
	}
	want := []string{
		"✓ egress        egress IPv4 198.51.100.23, IPv6 none",
		"✓ binance-main  whitelisted (config whitelist)",
		"✓ okx           whitelisted (exchange whitelist)",
		"✗ bybit-grid    the exchange rejects this host's IP (198.51.100.23)",
	}
	for i, l := range networkLines(NewStyles(true), rs, time.Time{}) {
		if s := ansi.Strip(l.text); s != want[i] {
			t.Errorf("line %d = %q, want %q", i, s, want[i])
		}
	}
}
