package alert

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
)

// fakeClock is a clock whose waits pass at once: After moves the time on by
// the wait, so a worker lives through a ten-minute outage in milliseconds
// with the production backoff.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	// stopAt, when set, is where time stops: a wait past it never ends
	// (the process is about to be stopped), and parked is closed.
	stopAt time.Time
	parked chan struct{}
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopAt.IsZero() && c.now.Add(d).After(c.stopAt) {
		select {
		case <-c.parked:
		default:
			close(c.parked)
		}
		return nil
	}
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// waitIdle waits until no notifier of a has anything queued or in flight.
func waitIdle(t *testing.T, a *Alerter) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a.mu.Lock()
		n := 0
		for _, w := range a.workers {
			n += len(w.queue)
		}
		a.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d alerts still queued", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// outage is a webhook receiver that answers 503 until the clock reaches
// back, then 200, and records what it accepted.
type outage struct {
	*receiver
	mu       sync.Mutex
	accepted []WebhookPayload
	at       []time.Time
	got      chan WebhookPayload
}

func newOutage(t *testing.T, clk *fakeClock, back time.Time) *outage {
	o := &outage{got: make(chan WebhookPayload, 100)}
	o.receiver = newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		now := clk.Now()
		if now.Before(back) {
			http.Error(w, "receiver down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var p WebhookPayload
		_ = json.Unmarshal(o.receiver.requests()[n-1].Body, &p)
		o.mu.Lock()
		o.accepted = append(o.accepted, p)
		o.at = append(o.at, now)
		o.mu.Unlock()
		o.got <- p
	})
	return o
}

func (o *outage) next(t *testing.T) WebhookPayload {
	t.Helper()
	select {
	case p := <-o.got:
		return p
	case <-time.After(20 * time.Second):
		t.Fatal("nothing was delivered")
	}
	return WebhookPayload{}
}

func (o *outage) delivered() []WebhookPayload {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]WebhookPayload(nil), o.accepted...)
}

// TestCritSurvivesATenMinuteOutage: with the production backoff (1 s
// doubling to 60 s, no attempt limit), a crit alert raised while the
// receiver answers 503 arrives exactly once after a 10-minute outage, at
// most one backoff cap after the receiver is back; nothing is dropped; and
// the recovery is then sent as a resolve.
func TestCritSurvivesATenMinuteOutage(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clk := newFakeClock(start)
	back := start.Add(10 * time.Minute)
	rc := newOutage(t, clk, back)
	m := NewMetrics()
	a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}},
		Options{Host: "vps-1", Metrics: m, Now: clk.Now, After: clk.After})
	a.Observe(crit("binance-main"))
	p := rc.next(t)
	waitIdle(t, a)
	attempts := len(rc.requests())
	rc.mu.Lock()
	late := rc.at[0].Sub(back)
	rc.mu.Unlock()
	t.Logf("delivered after a %s outage: %d attempts, %s after the receiver was back", back.Sub(start), attempts, late)
	if p.Kind != Firing || p.NewStatus != "crit" || late > time.Minute {
		t.Fatalf("delivered %s %s, %s after the outage", p.Kind, p.NewStatus, late)
	}
	if v := counter(t, m, "keywarden_alerts_dropped_total"); v != 0 {
		t.Fatalf("%v alerts dropped", v)
	}
	if v := counter(t, m, "keywarden_alert_queue_length"); v != 0 {
		t.Fatalf("queue length %v after delivery", v)
	}
	for _, r := range rc.requests() {
		if r.Header.Get(DeliveryHeader) != p.ID {
			t.Fatal("a retry is not the same delivery")
		}
	}

	a.Observe([]checks.Result{{ID: "key.permissions", Profile: "binance-main", Status: checks.OK}})
	if r := rc.next(t); r.Kind != Resolved {
		t.Fatalf("then %s, want resolved", r.Kind)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.delivered(); len(got) != 2 || got[0].ID != p.ID {
		t.Fatalf("delivered %+v, want the crit once and its resolve", got)
	}
}

// TestResolveOnlyForADeliveredAlert: a check that recovers while its alert
// is still undelivered withdraws the alert, and the receiver, once back,
// gets neither it nor a resolve for it.
func TestResolveOnlyForADeliveredAlert(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clk := newFakeClock(start)
	rc := newOutage(t, clk, start.Add(24*time.Hour))
	m := NewMetrics()
	a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}},
		Options{Host: "vps-1", Metrics: m, Now: clk.Now})
	a.Observe(crit("binance-main"))
	rc.receiver.next(t) // the first attempt failed, or is failing
	a.Observe([]checks.Result{{ID: "key.permissions", Profile: "binance-main", Status: checks.OK}})
	waitIdle(t, a)
	clk.Advance(48 * time.Hour)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rc.delivered(); len(got) != 0 {
		t.Fatalf("delivered %+v", got)
	}
	for _, r := range rc.requests() {
		var p WebhookPayload
		_ = json.Unmarshal(r.Body, &p)
		if p.Kind != Firing {
			t.Fatalf("sent a %s for an alert the receiver never got", p.Kind)
		}
	}
	if v := counter(t, m, "keywarden_alerts_superseded_total"); v != 1 {
		t.Fatalf("superseded %v, want 1", v)
	}
	if v := counter(t, m, "keywarden_alerts_dropped_total"); v != 0 {
		t.Fatalf("dropped %v: a withdrawn alert is not a lost one", v)
	}
}

// TestRestartFromStateResendsNothingDeliveredLosesNothingUndelivered: watch
// is stopped with one alert delivered and one not (its receiver refuses
// that check's alerts with 503); a new dispatcher started from the state
// file with the same check results sends the undelivered one, once, and
// nothing else; a later recovery of the delivered check is resolved.
func TestRestartFromStateResendsNothingDeliveredLosesNothingUndelivered(t *testing.T) {
	state := filepath.Join(t.TempDir(), "keywarden", "alerts.json")
	var mu sync.Mutex
	down := true
	accepted := map[string][]string{} // profile → kinds accepted
	ids := map[string]map[string]bool{}
	got := make(chan string, 100)
	var rc *receiver
	rc = newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		reqs := rc.requests()
		var p WebhookPayload
		_ = json.Unmarshal(reqs[n-1].Body, &p)
		mu.Lock()
		defer mu.Unlock()
		if ids[p.Profile] == nil {
			ids[p.Profile] = map[string]bool{}
		}
		ids[p.Profile][p.ID] = true
		if p.Profile == "b" && down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		accepted[p.Profile] = append(accepted[p.Profile], string(p.Kind))
		got <- p.Profile + " " + string(p.Kind)
	})
	await := func(want string) {
		t.Helper()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("delivered %q, want %q", g, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%q never delivered", want)
		}
	}
	results := []checks.Result{
		{ID: "key.permissions", Profile: "a", Status: checks.Crit},
		{ID: "key.permissions", Profile: "b", Status: checks.Crit},
	}
	targets := func() []Target {
		return []Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}}
	}

	m1 := NewMetrics()
	first := NewAlerter(targets(), Options{Host: "vps-1", Retry: fastRetry, Metrics: m1, StatePath: state})
	first.Observe(results)
	await("a firing")
	rc.next(t) // drain a's request
	rc.next(t) // at least one attempt at b
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = first.Close(ctx) // b cannot be delivered: kept in the state
	if v := counter(t, m1, "keywarden_alert_queue_length"); v != 1 {
		t.Fatalf("queue length at stop %v, want 1", v)
	}
	if v := counter(t, m1, "keywarden_alerts_dropped_total"); v != 0 {
		t.Fatalf("dropped %v at a stop with a state file", v)
	}

	mu.Lock()
	down = false
	mu.Unlock()
	second := NewAlerter(targets(), Options{Host: "vps-1", Retry: fastRetry, StatePath: state})
	second.Observe(results) // still both crit: no new alert
	await("b firing")
	waitIdle(t, second)
	second.Observe([]checks.Result{{ID: "key.permissions", Profile: "a", Status: checks.OK}, results[1]})
	await("a resolved")
	if err := second.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(accepted["a"]) != 2 || len(accepted["b"]) != 1 {
		t.Fatalf("accepted %v: want a firing+resolved, b firing once", accepted)
	}
	if len(ids["b"]) != 1 {
		t.Fatalf("b was sent as %d different alerts: the restart made a new one", len(ids["b"]))
	}
}

// TestFallbackGetsWhatThePrimaryCannotDeliver: the primary is down; after
// fallback_after the fallback gets the alert, and the recovery goes to the
// fallback too (it has the alert), not to the primary (it never had it).
func TestFallbackGetsWhatThePrimaryCannotDeliver(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clk := newFakeClock(start)
	primary := newOutage(t, clk, start.Add(24*time.Hour))
	fb := newOutage(t, clk, start)
	m := NewMetrics()
	a := NewAlerter([]Target{
		{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: primary.URL}, Name: "slack"}), MinStatus: checks.Warn, Fallback: "pager", FallbackAfter: 5 * time.Minute},
		{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: fb.URL}, Name: "pager"}), MinStatus: checks.Warn, FallbackOnly: true},
	}, Options{Host: "vps-1", Metrics: m, Now: clk.Now, After: clk.After})
	a.Observe(crit("binance-main"))
	p := fb.next(t)
	if p.Kind != Firing {
		t.Fatalf("fallback got %s", p.Kind)
	}
	fb.mu.Lock()
	handed := fb.at[0].Sub(start)
	fb.mu.Unlock()
	// Only a lower bound: the primary's retries move the shared fake
	// clock on while the fallback's request is under way.
	if handed < 5*time.Minute {
		t.Fatalf("handed to the fallback after %s, before fallback_after (5m)", handed)
	}
	a.Observe([]checks.Result{{ID: "key.permissions", Profile: "binance-main", Status: checks.OK}})
	if r := fb.next(t); r.Kind != Resolved {
		t.Fatalf("fallback then got %s", r.Kind)
	}
	waitIdle(t, a)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(primary.delivered()) != 0 || len(fb.delivered()) != 2 {
		t.Fatalf("primary %v, fallback %v", primary.delivered(), fb.delivered())
	}
	if v := counter(t, m, "keywarden_alerts_fallback_total", "notifier", "slack"); v != 1 {
		t.Fatalf("fallback_total %v", v)
	}
	if v := counter(t, m, "keywarden_alerts_dropped_total"); v != 0 {
		t.Fatalf("dropped %v", v)
	}
}

// TestFallbackGetsARejectedAlertAtOnce: a primary that refuses the alert
// (404) hands it to the fallback without waiting, and does not count it
// as dropped.
func TestFallbackGetsARejectedAlertAtOnce(t *testing.T) {
	primary := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	fb := newReceiver(t, nil)
	m := NewMetrics()
	a := NewAlerter([]Target{
		{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: primary.URL}, Name: "slack"}), MinStatus: checks.Warn, Fallback: "pager", FallbackAfter: time.Hour},
		{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: fb.URL}, Name: "pager"}), MinStatus: checks.Warn, FallbackOnly: true},
	}, Options{Host: "vps-1", Metrics: m, Retry: fastRetry})
	a.Observe(crit("binance-main"))
	fb.next(t)
	waitIdle(t, a)
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(primary.requests()) != 1 || len(fb.requests()) != 1 || counter(t, m, "keywarden_alerts_dropped_total") != 0 {
		t.Fatalf("primary %d, fallback %d requests, dropped %v", len(primary.requests()), len(fb.requests()), counter(t, m, "keywarden_alerts_dropped_total"))
	}
}

// TestAlertSurvivesAnOutageAcrossARestart: the receiver is down for 10
// minutes and watch is restarted 4 minutes in; the crit alert raised
// before the restart arrives once, after the outage, with the id it had.
func TestAlertSurvivesAnOutageAcrossARestart(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	back := start.Add(10 * time.Minute)
	clk := newFakeClock(start)
	clk.stopAt, clk.parked = start.Add(4*time.Minute), make(chan struct{})
	rc := newOutage(t, clk, back)
	state := filepath.Join(t.TempDir(), "alerts.json")
	target := func() []Target {
		return []Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}}
	}
	first := NewAlerter(target(), Options{Host: "vps-1", StatePath: state, Now: clk.Now, After: clk.After})
	first.Observe(crit("binance-main"))
	select {
	case <-clk.parked:
	case <-time.After(20 * time.Second):
		t.Fatal("the first dispatcher never reached the stop")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = first.Close(ctx) // SIGTERM with the receiver still down
	before := len(rc.requests())

	clk.mu.Lock()
	clk.stopAt = time.Time{}
	clk.now = clk.now.Add(30 * time.Second) // the restart takes a while
	clk.mu.Unlock()
	m := NewMetrics()
	second := NewAlerter(target(), Options{Host: "vps-1", StatePath: state, Metrics: m, Now: clk.Now, After: clk.After})
	second.Observe(crit("binance-main")) // still crit: nothing new
	p := rc.next(t)
	waitIdle(t, second)
	if err := second.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	t.Logf("%d attempts before the restart, %d after; delivered %s after the receiver was back", before, len(reqs)-before, rc.at[0].Sub(back))
	if got := rc.delivered(); len(got) != 1 || got[0].Kind != Firing || got[0].NewStatus != "crit" {
		t.Fatalf("delivered %+v, want the crit once", got)
	}
	for _, r := range reqs {
		if r.Header.Get(DeliveryHeader) != p.ID {
			t.Fatal("the restart made a new alert instead of retrying the old one")
		}
	}
	if before == 0 || len(reqs) == before || counter(t, m, "keywarden_alerts_dropped_total") != 0 {
		t.Fatalf("attempts %d before, %d in all; dropped %v", before, len(reqs), counter(t, m, "keywarden_alerts_dropped_total"))
	}
}
