package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// intrusion is what six profiles report after a foreign order, a
// withdrawal and a key change on each: 18 crits, each naming its evidence.
func intrusion() []checks.Result {
	var rs []checks.Result
	for i := range 6 {
		p := fmt.Sprintf("ex%d-bot", i)
		rs = append(rs,
			checks.Result{ID: "activity.orders", Profile: p, Status: checks.Crit,
				Summary: fmt.Sprintf("1 order the bot did not place: order 77%02d (BTCUSDT sell 0.5)", i), Hint: "revoke the key now"},
			checks.Result{ID: "activity.funds", Profile: p, Status: checks.Crit,
				Summary: fmt.Sprintf("1 move out of the account not allowed by the profile: withdrawal 0.3 BTC to bc1qattacker%d (id W%02d)", i, i), Hint: "freeze the account"},
			checks.Result{ID: "activity.key", Profile: p, Status: checks.Crit,
				Summary: "the key changed since the last poll: withdrawals no → yes", Hint: "check who edited the key"},
		)
	}
	return rs
}

// TestBurstFoldCarriesEveryAlert sends 18 crits at once through watch's
// default burst limit (10 per 10 min) to a webhook: 9 go out on their
// own, and the tenth delivery, queued in the same Observe, is the fold
// holding the other 9 with their check, profile, status, summary and hint,
// so every summary reaches the receiver, scrubbed like any alert's.
func TestBurstFoldCarriesEveryAlert(t *testing.T) {
	const canary = "CANARY-sk-live-4f9a7c1e2b3d5a6f"
	rc := newReceiver(t, nil)
	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}})
	a := NewAlerter([]Target{{Notifier: n, MinStatus: checks.Crit}}, Options{
		Host: "vps-1", Burst: 10, Scrub: NewScrubber(keystore.NewSecret(canary)),
	})
	rs := intrusion()
	// The last result is folded (worst first keeps check order among
	// equals); it wrongly quotes a secret.
	rs[17].Summary += " signed with " + canary
	rs[17].Hint += " (" + canary + ")"
	a.Observe(rs)
	// Close delivers what is queued; an alert left in the limiter would be
	// missing below.
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 10 {
		t.Fatalf("%d deliveries, want 9 alerts and 1 fold", len(reqs))
	}
	got := map[string]string{} // check/profile → summary, however it came
	for i, r := range reqs {
		if strings.Contains(string(r.Body), canary) {
			t.Errorf("delivery %d holds the canary secret: %s", i, r.Body)
		}
		var p WebhookPayload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		if i < 9 {
			if p.Kind != Firing || len(p.HeldAlerts) != 0 {
				t.Errorf("delivery %d: %s with %d held, want a firing alert", i, p.Kind, len(p.HeldAlerts))
			}
			got[p.Check+"/"+p.Profile] = p.Summary
			continue
		}
		if p.Kind != Suppressed || p.NewStatus != "crit" || len(p.Held) != 9 || len(p.HeldAlerts) != 9 {
			t.Fatalf("the fold: %s %s, held %d, held_alerts %d", p.Kind, p.NewStatus, len(p.Held), len(p.HeldAlerts))
		}
		for j, h := range p.HeldAlerts {
			key := h.Check + "/" + h.Profile
			if p.Held[j] != key {
				t.Errorf("held[%d] %q, held_alerts[%d] is %q: the two lists disagree", j, p.Held[j], j, key)
			}
			if h.Kind != Firing || h.Old != checks.OK || h.New != checks.Crit || h.Hint == "" {
				t.Errorf("held alert %s: %+v", key, h)
			}
			got[key] = h.Summary
		}
		last := p.HeldAlerts[8]
		if !strings.HasSuffix(last.Summary, "signed with [REDACTED]") || !strings.HasSuffix(last.Hint, "([REDACTED])") {
			t.Errorf("held summary or hint not scrubbed: %+v", last)
		}
	}
	if len(got) != 18 {
		t.Errorf("%d of 18 alerts reached the receiver", len(got))
	}
	for _, r := range rs {
		want := strings.ReplaceAll(r.Summary, canary, "[REDACTED]")
		if s, ok := got[r.Key()]; !ok || s != want {
			t.Errorf("%s: the receiver got %q, want %q", r.Key(), s, want)
		}
	}
}

// TestFoldOfASecondBurstGoesOutAtOnce: when the first burst used every
// token, the next batch's crits are not left waiting for a refill; their
// fold is sent in the same Observe. A third batch, while that borrowed
// token is unpaid, is held, and Close sends it, folded.
func TestFoldOfASecondBurstGoesOutAtOnce(t *testing.T) {
	rc := newReceiver(t, nil)
	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}})
	clk := newFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	a := NewAlerter([]Target{{Notifier: n, MinStatus: checks.Crit}}, Options{Host: "vps-1", Burst: 10, Now: clk.Now, After: clk.After})
	rs := intrusion()
	a.Observe(rs[:10]) // exactly the burst: every token spent
	clk.Advance(time.Second)
	a.Observe(rs[10:17])
	waitIdle(t, a)
	if got := len(rc.requests()); got != 11 {
		t.Fatalf("%d deliveries, want 10 alerts and 1 fold", got)
	}
	clk.Advance(time.Second)
	a.Observe(rs[17:])
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 12 {
		t.Fatalf("%d deliveries, want 10 alerts and 2 folds", len(reqs))
	}
	for i, want := range [][]checks.Result{rs[10:17], rs[17:]} {
		var p WebhookPayload
		if err := json.Unmarshal(reqs[10+i].Body, &p); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range want {
			keys = append(keys, r.Key())
		}
		if p.Kind != Suppressed || !slices.Equal(p.Held, keys) {
			t.Errorf("delivery %d: %s holding %v, want the fold of %v", 10+i, p.Kind, p.Held, keys)
		}
	}
}

// TestHeldAlertsSurviveARestart: what the burst limit holds is in the
// state file (scrubbed), and the next start sends it, folded, at its
// first run.
func TestHeldAlertsSurviveARestart(t *testing.T) {
	const canary = "CANARY-sk-live-4f9a7c1e2b3d5a6f"
	dir := t.TempDir()
	state := filepath.Join(dir, "alerts.json")
	clk := newFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	opts := Options{Host: "vps-1", Burst: 10, StatePath: state, Now: clk.Now, After: clk.After, Scrub: NewScrubber(keystore.NewSecret(canary))}
	first := newReceiver(t, nil)
	// The notifier keeps its name across the restart; only the URL moves,
	// to tell the two runs' deliveries apart.
	a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: first.URL}}), MinStatus: checks.Crit}}, opts)
	rs := intrusion()
	rs[17].Summary += " " + canary
	a.Observe(rs[:10])
	clk.Advance(time.Second)
	a.Observe(rs[10:17])
	clk.Advance(time.Second)
	a.Observe(rs[17:]) // held: the borrowed token is unpaid
	waitIdle(t, a)
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), canary) || !strings.Contains(string(b), "[REDACTED]") {
		t.Fatalf("the state file holds the held alert unscrubbed, or not at all:\n%s", b)
	}
	// A crash: the state file is copied as it is, and a's Close never runs.
	crashed := filepath.Join(dir, "crashed.json")
	if err := os.WriteFile(crashed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := len(first.requests()); got != 11 {
		t.Fatalf("%d deliveries before the crash, want 11", got)
	}
	second := newReceiver(t, nil)
	opts.StatePath = crashed
	a2 := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: second.URL}}), MinStatus: checks.Crit}}, opts)
	a2.Observe(rs) // the same results: no transition, only the held fold
	if err := a2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = a.Close(context.Background())
	reqs := second.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d deliveries after the restart, want the one fold", len(reqs))
	}
	var p WebhookPayload
	if err := json.Unmarshal(reqs[0].Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != Suppressed || len(p.HeldAlerts) != 1 || p.HeldAlerts[0].Check != rs[17].ID || !strings.HasSuffix(p.HeldAlerts[0].Summary, " [REDACTED]") {
		t.Fatalf("after the restart: %s", reqs[0].Body)
	}
}

// bigFold is a Suppressed alert of n held alerts whose summaries are long
// enough (and not ASCII) that no chat message holds them all.
func bigFold(n int) Alert {
	var held []Alert
	for i := range n {
		st := checks.Crit
		if i%4 == 3 {
			st = checks.Warn
		}
		held = append(held, Alert{
			Kind: Firing, Check: "activity.funds", Profile: fmt.Sprintf("p%02d", i), Old: checks.OK, New: st,
			Summary: fmt.Sprintf("withdrawal %02d → bc1q€ <%s>", i, strings.Repeat("x", 250)), Hint: "freeze the account 🧊",
		})
	}
	return fold(held, "vps-1", time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
}

func TestSuppressedLinesListEveryHeldAlertWorstFirst(t *testing.T) {
	held := []Alert{
		{Kind: Firing, Check: "key.age", Profile: "a", New: checks.Warn, Summary: "rotate within 2 days", Hint: "rotate it"},
		{Kind: Resolved, Check: "clock.ntp", Old: checks.Crit, New: checks.OK, Summary: "in sync"},
		{Kind: Firing, Check: "activity.orders", Profile: "b", New: checks.Crit, Summary: "order 42", Hint: "revoke the key"},
	}
	a := fold(held, "vps-1", time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	want := []string{
		"worst: crit",
		"CRIT activity.orders/b: order 42 (hint: revoke the key)",
		"WARN key.age/a: rotate within 2 days",
		"RESOLVED clock.ntp: in sync",
		"run `keywarden check` on vps-1 for the full picture",
	}
	if got := a.Lines(); !slices.Equal(got, want) {
		t.Fatalf("lines\n%q\nwant\n%q", got, want)
	}
	if got := a.Subject(); got != "CRIT 3 more alerts on vps-1 held back (burst limit)" {
		t.Fatal(got)
	}
	if got := fold(held[:1], "vps-1", time.Now()).Subject(); got != "CRIT 1 more alert on vps-1 held back (burst limit)" {
		t.Errorf("one held alert: %q", got)
	}
	// An older state file's fold has only the keys.
	old := Alert{Kind: Suppressed, Host: "vps-1", New: checks.Crit, Held: []string{"x/a", "y"}}
	if got := old.Lines(); got[1] != "held back: x/a, y" {
		t.Fatalf("%q", got)
	}
}

// TestSuppressedFitsEachChatLimit sends a fold of 18 long held alerts to
// each chat notifier: the message stays within that API's limit, shows
// held alerts in order, each whole on its own line, and says how many
// more there are.
func TestSuppressedFitsEachChatLimit(t *testing.T) {
	const total = 18
	a := bigFold(total)
	for _, tc := range []struct {
		typ   string
		max   int
		size  func(string) int
		reply string
		text  func(m map[string]any) string
	}{
		{"telegram", 4096, utf16Len, `{"ok":true,"result":{}}`, func(m map[string]any) string { return m["text"].(string) }},
		{"slack", 3000, utf8.RuneCountInString, "ok", func(m map[string]any) string {
			return m["attachments"].([]any)[0].(map[string]any)["blocks"].([]any)[0].(map[string]any)["text"].(map[string]any)["text"].(string)
		}},
		{"discord", 4096, utf8.RuneCountInString, "", func(m map[string]any) string {
			return m["embeds"].([]any)[0].(map[string]any)["description"].(string)
		}},
		{"ntfy", 4096, func(s string) int { return len(s) }, `{"id":"x"}`, func(m map[string]any) string { return m["message"].(string) }},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(tc.reply)) })
			spec := Spec{Alert: config.Alert{Type: tc.typ, URL: rc.URL + "/topic", ChatID: "42"}, Token: keystore.NewSecret("7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")}
			if tc.typ == "slack" || tc.typ == "discord" {
				spec.Token = keystore.NewSecret(rc.URL + "/hook")
			}
			if err := mustNew(t, spec).Send(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			text := tc.text(decode(t, rc.next(t).Body))
			if n := tc.size(text); n > tc.max {
				t.Fatalf("%d units, over the limit %d", n, tc.max)
			}
			if strings.Contains(text, "…") {
				t.Errorf("a line was clipped instead of left out:\n%s", text)
			}
			if tc.typ == "slack" {
				text = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(text)
			}
			lines := strings.Split(text, "\n")
			shown := 0
			for _, l := range lines {
				if strings.Contains(l, "activity.funds/") {
					if h := a.HeldAlerts[shown]; !strings.Contains(l, h.line(false)) {
						t.Errorf("held line %d is %q, want %q", shown, l, h.line(false))
					}
					shown++
				}
			}
			more := fmt.Sprintf("and %d more: run `keywarden check` on vps-1 to see them", total-shown)
			if shown == 0 || shown == total || lines[len(lines)-1] != more {
				t.Fatalf("%d of %d shown, last line %q, want %q", shown, total, lines[len(lines)-1], more)
			}
			// Hints are the first thing to go: with every alert not
			// shown, none is.
			if strings.Contains(text, "hint:") {
				t.Errorf("hints shown though alerts were left out")
			}
			t.Logf("%s: %d of %d held alerts shown in %d units", tc.typ, shown, total, tc.size(text))
		})
	}
	// Unbounded (the webhook's JSON, a terminal): all of them.
	if got := len(a.Lines()); got != total+2 {
		t.Fatalf("%d lines, want %d held and two more", got, total)
	}
}

// TestDocsWebhookExamplesMatchThePayload: the JSON bodies docs/watch.md
// shows for the webhook (an alert and a fold) have exactly the fields the
// notifier sends, down to those of a held alert.
func TestDocsWebhookExamplesMatchThePayload(t *testing.T) {
	docs, err := os.ReadFile("../docs/watch.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(docs), "### The generic webhook")
	section, _, _ = strings.Cut(section, "A complete receiver in Python")
	keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	encode := func(a Alert) map[string]any {
		b, err := json.Marshal(Payload(a))
		if err != nil {
			t.Fatal(err)
		}
		return decode(t, b)
	}
	want := map[string]map[string]any{"firing": encode(sample()), "suppressed": encode(bigFold(2))}
	seen := 0
	for _, block := range strings.Split(section, "```json\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		doc := decode(t, []byte(block))
		w, ok := want[fmt.Sprint(doc["kind"])]
		if !ok {
			t.Fatalf("docs example of kind %v", doc["kind"])
		}
		seen++
		if !slices.Equal(keys(doc), keys(w)) {
			t.Errorf("%s example has fields %v, the notifier sends %v", doc["kind"], keys(doc), keys(w))
		}
		if held, ok := doc["held_alerts"].([]any); ok {
			sent := w["held_alerts"].([]any)[0].(map[string]any)
			for _, h := range held {
				if got := keys(h.(map[string]any)); !slices.Equal(got, keys(sent)) {
					t.Errorf("held_alerts example has fields %v, the notifier sends %v", got, keys(sent))
				}
			}
		}
	}
	if seen != 2 {
		t.Fatalf("%d JSON examples in the webhook section, want an alert and a fold", seen)
	}
}
