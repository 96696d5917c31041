package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
)

// statuses parses "ok warn crit" into a sequence.
func statuses(t *testing.T, s string) []checks.Status {
	t.Helper()
	var out []checks.Status
	for _, w := range strings.Fields(s) {
		st, err := checks.ParseStatus(w)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	return out
}

// TestTransitionsSentToAReceiver runs status sequences of one check through
// a real Alerter and a loopback webhook, and compares what arrived.
func TestTransitionsSentToAReceiver(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seq      string // one status per run, runs 30 minutes apart
		min      string
		renotify time.Duration
		want     []string // "kind old→new"
	}{
		{"healthy start is silent", "ok ok ok", "warn", 0, nil},
		{"warn, crit, resolved", "ok warn crit ok", "warn", 0,
			[]string{"firing ok→warn", "firing warn→crit", "resolved crit→ok"}},
		{"crit at start", "crit ok", "warn", 0, []string{"firing ok→crit", "resolved crit→ok"}},
		{"steady warn alerts once", "warn warn warn warn", "warn", 0, []string{"firing ok→warn"}},
		{"improving stays above min", "crit warn ok", "warn", 0,
			[]string{"firing ok→crit", "changed crit→warn", "resolved warn→ok"}},
		{"min crit ignores warn", "ok warn ok warn", "crit", 0, nil},
		{"min crit: drop to warn resolves", "warn crit warn ok", "crit", 0,
			[]string{"firing warn→crit", "resolved crit→warn"}},
		{"unknown is between warn and crit", "ok unknown warn ok", "warn", 0,
			[]string{"firing ok→unknown", "changed unknown→warn", "resolved warn→ok"}},
		{"min crit ignores unknown", "unknown ok", "crit", 0, nil},
		{"min unknown hears unknown", "unknown crit ok", "unknown", 0,
			[]string{"firing ok→unknown", "firing unknown→crit", "resolved crit→ok"}},
		{"min ok hears recoveries as resolved", "warn ok", "ok", 0, []string{"firing ok→warn", "resolved warn→ok"}},
		{"reminders every hour while crit", "crit crit crit crit crit ok", "warn", time.Hour,
			[]string{"firing ok→crit", "reminder crit→crit", "reminder crit→crit", "resolved crit→ok"}},
		{"no reminders when disabled", "crit crit crit crit crit", "warn", 0, []string{"firing ok→crit"}},
		{"no reminders for warn", "warn warn warn warn warn", "warn", time.Hour, []string{"firing ok→warn"}},
		{"a new crit restarts the reminder clock", "crit crit crit warn crit crit crit", "crit", time.Hour,
			[]string{"firing ok→crit", "reminder crit→crit", "resolved crit→warn", "firing warn→crit", "reminder crit→crit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, nil)
			n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}})
			min, _ := checks.ParseStatus(tc.min)
			clk := newFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
			a := NewAlerter([]Target{{Notifier: n, MinStatus: min}}, Options{
				Host: "vps-1", Renotify: tc.renotify, Now: clk.Now,
			})
			for _, st := range statuses(t, tc.seq) {
				a.Observe([]checks.Result{{ID: "key.age", Profile: "bybit-grid", Status: st, Summary: "s-" + st.String()}})
				// Each run's alert is delivered before the next run: an
				// undelivered one would be superseded by the next.
				waitIdle(t, a)
				clk.Advance(30 * time.Minute)
			}
			if err := a.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rc.requests() {
				var p WebhookPayload
				if err := json.Unmarshal(r.Body, &p); err != nil {
					t.Fatal(err)
				}
				if p.Check != "key.age" || p.Profile != "bybit-grid" || p.Host != "vps-1" || p.Summary != "s-"+p.NewStatus {
					t.Fatalf("payload %+v", p)
				}
				got = append(got, fmt.Sprintf("%s %s→%s", p.Kind, p.OldStatus, p.NewStatus))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("sent %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestReminderCarriesSince(t *testing.T) {
	tr := NewTracker(time.Hour)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := []checks.Result{{ID: "clock.ntp", Status: checks.Crit}}
	tr.Observe(r, t0)
	trs := tr.Observe(r, t0.Add(90*time.Minute))
	if len(trs) != 1 || !trs[0].Reminder || !trs[0].Since.Equal(t0) {
		t.Fatalf("%+v", trs)
	}
	a := Alert{Kind: Reminder, Host: "h", Check: "clock.ntp", Old: checks.Crit, New: checks.Crit, Since: t0, At: t0.Add(90 * time.Minute)}
	if got := a.Lines()[0]; got != "status: crit since 2026-11-25T12:00:00Z (1h30m0s)" {
		t.Fatal(got)
	}
	if got := a.Subject(); got != "STILL CRIT clock.ntp on h" {
		t.Fatal(got)
	}
}

func TestBurstLimitFoldsTheRest(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	mk := func(keys ...string) []Alert {
		var out []Alert
		for _, k := range keys {
			out = append(out, Alert{Check: k, New: checks.Warn})
		}
		return out
	}
	keys := func(as []Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Key())
		}
		return out
	}
	l := newLimiter(3, 10*time.Minute)
	// 5 alerts, 3 tokens: 2 go out, 3 fold into one Suppressed.
	send, held := l.admit(mk("a", "b", "c", "d", "e"), t0)
	if len(send) != 2 || !reflect.DeepEqual(keys(held), []string{"c", "d", "e"}) {
		t.Fatalf("send %d held %v", len(send), keys(held))
	}
	// No token left a second later: the fold goes out at once all the
	// same, on a token borrowed from the next refill.
	send, held = l.admit(mk("f"), t0.Add(time.Second))
	if len(send) != 0 || !reflect.DeepEqual(keys(held), []string{"f"}) {
		t.Fatalf("send %d held %v", len(send), keys(held))
	}
	// Until that token is paid back, alerts wait, held.
	send, held = l.admit(mk("g"), t0.Add(2*time.Second))
	if len(send) != 0 || len(held) != 0 {
		t.Fatalf("send %d held %v", len(send), keys(held))
	}
	// A window later the held alert is reported, folded.
	send, held = l.admit(nil, t0.Add(10*time.Minute))
	if len(send) != 0 || !reflect.DeepEqual(keys(held), []string{"g"}) {
		t.Fatalf("send %d held %v", len(send), keys(held))
	}
	// And with tokens again, alerts flow one by one.
	send, held = l.admit(mk("h", "i"), t0.Add(30*time.Minute))
	if len(send) != 2 || len(held) != 0 {
		t.Fatalf("send %d held %v", len(send), keys(held))
	}
	// No limit.
	send, _ = newLimiter(0, 0).admit(mk("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"), t0)
	if len(send) != 11 {
		t.Fatal(len(send))
	}
}

func TestBurstLimitEndToEnd(t *testing.T) {
	rc := newReceiver(t, nil)
	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}})
	m := NewMetrics()
	a := NewAlerter([]Target{{Notifier: n, MinStatus: checks.Warn}}, Options{Host: "vps-1", Burst: 3, Metrics: m})
	var rs []checks.Result
	for i, st := range statuses(t, "warn crit warn unknown crit warn") {
		rs = append(rs, checks.Result{ID: "key.age", Profile: fmt.Sprintf("p%d", i), Status: st})
	}
	a.Observe(rs)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rc.requests() {
		var p WebhookPayload
		_ = json.Unmarshal(r.Body, &p)
		got = append(got, fmt.Sprintf("%s %s %s %v", p.Kind, p.NewStatus, p.Profile, p.Held))
	}
	// Worst first: the two crits go out, the other four fold into one.
	want := []string{"firing crit p1 []", "firing crit p4 []", "suppressed unknown  [key.age/p3 key.age/p0 key.age/p2 key.age/p5]"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if v := counter(t, m, "keywarden_alerts_dropped_total", "reason", "burst_limit"); v != 4 {
		t.Fatalf("burst_limit drops %v", v)
	}
}

func TestScheduleCadences(t *testing.T) {
	mk := func(id, profile string) checks.Check {
		return checks.Func{CheckID: id, ProfileName: profile, Fn: func(context.Context, *checks.Env) checks.Result { return checks.Result{} }}
	}
	cs := []checks.Check{mk("clock.ntp", ""), mk("ip.whitelist", "a"), mk("ip.whitelist", "b"), mk("auditlog", "a"), mk("custom", "")}
	s := NewSchedule(map[string]time.Duration{"clock.ntp": 30 * time.Second, "ip.whitelist": 5 * time.Minute, "auditlog": time.Minute}, time.Minute)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ids := func(cs []checks.Check) string {
		var out []string
		for _, c := range cs {
			out = append(out, checks.Result{ID: c.ID(), Profile: c.Profile()}.Key())
		}
		return strings.Join(out, " ")
	}
	// Runs every minute, the ticks a little late or early; one woken run.
	for _, tc := range []struct {
		at    time.Duration
		force string
		want  string
	}{
		{0, "", "clock.ntp ip.whitelist/a ip.whitelist/b auditlog/a custom"},
		{61 * time.Second, "", "clock.ntp auditlog/a custom"},
		{119 * time.Second, "", "clock.ntp auditlog/a custom"},
		{125 * time.Second, "auditlog", "auditlog/a"},
		{181 * time.Second, "", "clock.ntp auditlog/a custom"},
		{299 * time.Second, "", "clock.ntp ip.whitelist/a ip.whitelist/b auditlog/a custom"},
		{360 * time.Second, "", "clock.ntp auditlog/a custom"},
	} {
		if tc.force != "" {
			s.Force(tc.force)
		}
		if got := ids(s.Due(cs, t0.Add(tc.at))); got != tc.want {
			t.Errorf("at %v: due %q, want %q", tc.at, got, tc.want)
		}
	}
}
