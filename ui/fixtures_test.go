package ui

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange"
)

// testNow is the fixed clock of every test.
var testNow = time.Date(2026, 11, 25, 16, 4, 30, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// world is a spread of results like the demo's: one key with withdrawals
// on, one whose whitelist misses the egress IP, one healthy.
func world() []checks.Result {
	return []checks.Result{
		{ID: "clock.sync", Status: checks.OK, Summary: "kernel synchronized, ±4 ms",
			Details: map[string]any{"synchronized": true, "est_error_ms": 4, "max_error_ms": 12}},
		{ID: "clock.ntp", Status: checks.Warn, Summary: "NTP offset +1204 ms (3/3 agree)",
			Hint:    "the host clock is ahead; check chrony or systemd-timesyncd",
			Details: map[string]any{"offset_ms": 1204, "servers": []any{map[string]any{"server": "127.0.0.1:4123", "offset_ms": 1204, "rtt_ms": 1, "stratum": 2, "error": nil}}}},
		{ID: "clock.exchange", Profile: "binance-main", Status: checks.OK, Summary: "+12 ms of 1000 ms window",
			Details: map[string]any{"offset_ms": 12, "rtt_ms": 3, "window_ms": 1000, "margin_ms": 988}},
		{ID: "clock.exchange", Profile: "bybit-grid", Status: checks.Warn, Summary: "+1.9 s of 5 s window",
			Details: map[string]any{"offset_ms": 1900, "rtt_ms": 4, "window_ms": 5000, "margin_ms": 3100}},
		{ID: "ip.public", Status: checks.OK, Summary: "IPv4 203.0.113.7 · IPv6 none (3/3 agree)",
			Details: map[string]any{"ipv4": "203.0.113.7", "ipv6": nil, "agree": true}},
		{ID: "ip.whitelist", Profile: "binance-main", Status: checks.OK, Summary: "whitelisted (exchange: restricted)"},
		{ID: "ip.whitelist", Profile: "bybit-grid", Status: checks.Crit, Summary: "203.0.113.7 not in 198.51.100.0/24",
			Hint: "add 203.0.113.7 to the key's IP whitelist on bybit"},
		{ID: "ip.whitelist", Profile: "okx-arb", Status: checks.OK, Summary: "whitelisted"},
		{ID: "key.age", Profile: "binance-main", Status: checks.OK, Summary: "41 days old",
			Details: map[string]any{"created_at": "2026-10-15T16:00:00Z", "rotate_by": "2027-01-13T16:00:00Z", "age_days": 41}},
		{ID: "key.age", Profile: "bybit-grid", Status: checks.Warn, Summary: "88 days old, rotate within 2 days",
			Details: map[string]any{"created_at": "2026-08-29T12:00:00Z", "rotate_by": "2026-11-27T12:00:00Z", "age_days": 88}},
		{ID: "key.age", Profile: "okx-arb", Status: checks.OK, Summary: "12 days old",
			Details: map[string]any{"created_at": "2026-11-13T09:00:00Z", "rotate_by": "2027-02-11T09:00:00Z", "expires_at": "2027-01-01T00:00:00Z"}},
		{ID: "key.permissions", Profile: "binance-main", Status: checks.Crit, Summary: "withdrawals enabled",
			Hint:    "disable withdrawals for this key on the exchange",
			Details: map[string]any{"granted": map[string]any{"read": true, "trade": true, "withdraw": true}, "raw": []any{"enableReading", "enableSpotAndMarginTrading", "enableWithdrawals"}}},
		{ID: "key.permissions", Profile: "bybit-grid", Status: checks.OK, Summary: "as needed (trade)",
			Details: map[string]any{"granted": map[string]any{"read": true, "trade": true}}},
		{ID: "key.permissions", Profile: "okx-arb", Status: checks.OK, Summary: "read only",
			Details: map[string]any{"granted": map[string]any{"read": true}}},
		{ID: "auditlog", Profile: "binance-main", Status: checks.Crit, Summary: "1 secret leaked into the log; 3 auth errors in the last hour (clock)",
			Details: map[string]any{"path": "/tmp/kw/binance.log", "secret_leaks": 1, "errors_last_hour": 3}},
		{ID: "keystore", Status: checks.OK, Summary: "keyring (Secret Service)", Details: map[string]any{"backend": "keyring"}},
		{ID: "hygiene.files", Profile: "binance-main", Status: checks.Warn, Summary: "1 finding",
			Details: map[string]any{"findings": []any{map[string]any{"path": "/home/bot/mybot/.env", "problem": "world-readable (0644)"}}}},
		{ID: "hygiene.files", Profile: "bybit-grid", Status: checks.OK, Summary: "no findings"},
		{ID: "hygiene.history", Profile: "binance-main", Status: checks.Crit, Summary: "stored secret found in git history",
			Hint:    "revoke the key: it is in the repository's history",
			Details: map[string]any{"findings": []any{map[string]any{"commit": "3f2a91c0d1e2", "path": "config.py", "encoding": "raw", "field": "secret", "line": 12, "in_head": false}}}},
		{ID: "activity.orders", Profile: "binance-main", Status: checks.Crit,
			Summary: "1 order the bot did not place: 2026-11-25T16:02:11Z SELL 0.5 ETHUSDT (order 91823, client id web_a1b2c3)",
			Details: map[string]any{"matched": 14}},
		{ID: "activity.funds", Profile: "binance-main", Status: checks.OK, Summary: "no withdrawal or transfer out that the profile does not allow (1 movement in the last day)"},
		{ID: "activity.key", Profile: "binance-main", Status: checks.OK, Summary: "the key's permissions, whitelist and expiry are unchanged"},
		{ID: "activity.orders", Profile: "bybit-grid", Status: checks.Unknown, Summary: "bybit history is not yet monitored"},
	}
}

// runner answers from a fixed result set, as the checks engine would, and
// records what it was asked.
type runner struct {
	mu    sync.Mutex
	rs    []checks.Result
	calls [][]string
}

func (r *runner) Run(_ context.Context, ids []string) []checks.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, ids)
	var out []checks.Result
	for _, x := range r.rs {
		if slices.Contains(ids, x.ID) {
			out = append(out, x)
		}
	}
	return out
}

// entries is a few audit-log lines as auditlog parses them.
func entries() []auditlog.Entry {
	at := func(s int) time.Time { return testNow.Add(-time.Duration(s) * time.Second) }
	return []auditlog.Entry{
		{Time: at(200), Level: auditlog.LevelInfo, Op: "get_balance", Message: "ok 80 ms", HTTPStatus: 200},
		{Time: at(130), Level: auditlog.LevelError, Op: "place_order", Code: "-1021", Cause: exchange.CauseClock,
			Message: "Timestamp for this request was 1000ms ahead of the server's time."},
		{Time: at(70), Level: auditlog.LevelInfo, Op: "place_order", Message: "ok 120 ms", HTTPStatus: 200},
		{Time: at(40), Level: auditlog.LevelError, Op: "cancel_order", Code: "-2015", Cause: exchange.CauseAmbiguousAuth,
			Message: "Invalid API-key, IP, or permissions for action."},
		{Time: at(10), Level: auditlog.LevelWarn, Message: "config loaded api_secret=[redacted]", Redacted: true},
		{Time: at(5), Level: auditlog.LevelInfo, Op: "place_order", Message: "ok 95 ms", HTTPStatus: 200},
	}
}

func testOptions(r *runner) Options {
	return Options{
		Run:      r.Run,
		Profiles: []string{"binance-main", "bybit-grid", "okx-arb"},
		Host:     "vps-fra-1",
		Backend:  "keyring",
		Now:      fixedNow,
	}
}
