package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
)

// fastRetry keeps the tests short; the policy is the same as in production.
var fastRetry = Retry{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond, Timeout: 5 * time.Second}

func crit(profile string) []checks.Result {
	return []checks.Result{{ID: "key.permissions", Profile: profile, Status: checks.Crit, Summary: "withdrawals enabled"}}
}

func TestRetriesOn500ThenDelivers(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 2 {
			http.Error(w, "upstream broke", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	m := NewMetrics()
	var logs bytes.Buffer
	a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}},
		Options{Host: "h", Retry: fastRetry, Metrics: m, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	a.Observe(crit("binance-main"))
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	id := reqs[0].Header.Get(DeliveryHeader)
	for _, r := range reqs {
		if r.Header.Get(DeliveryHeader) != id || !bytes.Equal(r.Body, reqs[0].Body) {
			t.Fatal("a retry is not the same delivery")
		}
	}
	if v := counter(t, m, "keywarden_notifier_errors_total", "notifier", "webhook"); v != 2 {
		t.Fatalf("notifier errors %v", v)
	}
	if v := counter(t, m, "keywarden_alerts_sent_total", "kind", "firing"); v != 1 {
		t.Fatalf("alerts sent %v", v)
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"msg":"alert delivery failed, retrying"`)) ||
		!bytes.Contains(logs.Bytes(), []byte(`HTTP 500: upstream broke`)) {
		t.Fatalf("retries not logged:\n%s", logs.String())
	}
}

func TestRetriesAfterATimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 { // never answers: the client must give up on its own
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	m := NewMetrics()
	retry := fastRetry
	retry.Timeout = 200 * time.Millisecond
	a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}},
		Options{Retry: retry, Metrics: m})
	a.Observe(crit("okx-arb"))
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
	if v := counter(t, m, "keywarden_alerts_sent_total", "kind", "firing"); v != 1 {
		t.Fatalf("sent %v", v)
	}
}

// TestRetriesUntilDeliveredAndRejectsPermanentErrors: a receiver that is
// down (5xx, 429) gets the alert once it is back, however many attempts
// that takes, and nothing is dropped; a receiver that refuses it (4xx) is
// not retried.
func TestRetriesUntilDeliveredAndRejectsPermanentErrors(t *testing.T) {
	for _, tc := range []struct {
		code, requests int
		reason         string
	}{
		{http.StatusServiceUnavailable, 13, ""},
		{http.StatusTooManyRequests, 13, ""},
		{http.StatusNotFound, 1, "rejected"},
		{http.StatusForbidden, 1, "rejected"},
	} {
		rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n <= 12 || tc.reason != "" {
				w.WriteHeader(tc.code)
			}
		})
		m := NewMetrics()
		a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}},
			Options{Retry: fastRetry, Metrics: m})
		a.Observe(crit("p"))
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(rc.requests()); n != tc.requests {
			t.Errorf("HTTP %d: %d requests, want %d", tc.code, n, tc.requests)
		}
		dropped := counter(t, m, "keywarden_alerts_dropped_total")
		if tc.reason == "" {
			if sent := counter(t, m, "keywarden_alerts_sent_total", "kind", "firing"); sent != 1 || dropped != 0 {
				t.Errorf("HTTP %d then 200: sent %v, dropped %v", tc.code, sent, dropped)
			}
			continue
		}
		if v := counter(t, m, "keywarden_alerts_dropped_total", "reason", tc.reason); v != 1 || dropped != 1 {
			t.Errorf("HTTP %d: dropped{%s} = %v (all reasons %v)", tc.code, tc.reason, v, dropped)
		}
	}
}

func TestBackoffGrowsAndHonoursRetryAfter(t *testing.T) {
	r := Retry{Base: time.Second, Max: time.Minute}.withDefaults()
	for n, hi := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 7: time.Minute, 70: time.Minute} {
		for range 50 {
			if d := r.wait(n, 0); d < hi/2 || d > hi {
				t.Fatalf("wait(%d) = %v, want in [%v, %v]", n, d, hi/2, hi)
			}
		}
	}
	if d := r.wait(1, 20*time.Second); d != 20*time.Second {
		t.Fatalf("Retry-After 20s: waited %v", d)
	}
	if d := r.wait(1, time.Hour); d != time.Minute {
		t.Fatalf("Retry-After 1h not capped: %v", d)
	}
}

// TestHangingReceiverDoesNotDelayChecks: a receiver that never answers
// holds its worker, fills its queue and gets alerts dropped, while the
// check runs carry on and a second, healthy notifier gets every alert.
// Nothing here is timed: the runs finishing at all while the receiver still
// hangs is the proof.
func TestHangingReceiverDoesNotDelayChecks(t *testing.T) {
	release := make(chan struct{})
	hung := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	healthy := newReceiver(t, nil)
	m := NewMetrics()
	retry := fastRetry
	retry.Timeout = time.Hour // the hang is only ended by shutdown
	a := NewAlerter([]Target{
		{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: hung.URL}, Name: "hung"}), MinStatus: checks.Warn},
		{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: healthy.URL}, Name: "healthy"}), MinStatus: checks.Warn},
	}, Options{Queue: 2, Retry: retry, Metrics: m})

	const runs = 8
	var count atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	mon := &Monitor{
		Interval: time.Millisecond,
		Alerter:  a,
		Metrics:  m,
		// Every run makes an alert.
		Run: func(context.Context) []checks.Result {
			if count.Load() > 0 {
				// Pace the runs by the healthy notifier, so its queue
				// never overflows on a slow machine.
				select {
				case <-healthy.arrived:
				case <-time.After(20 * time.Second):
				}
			}
			// A new check every run: alerts about the same check would
			// replace each other in the queue instead of filling it.
			return []checks.Result{{ID: fmt.Sprintf("check.%d", count.Load()), Status: checks.Crit}}
		},
		OnRun: func([]checks.Result) {
			switch count.Add(1) {
			case 1:
				// Let the hung receiver take the first alert, so the
				// queue arithmetic below is exact.
				select {
				case <-hung.arrived:
				case <-time.After(20 * time.Second):
				}
			case runs:
				cancel()
			}
		},
	}
	go func() { _ = mon.Serve(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("check runs stalled behind a hanging receiver after %d runs", count.Load())
	}
	if got := count.Load(); got != runs {
		t.Fatalf("%d runs", got)
	}
	healthy.next(t) // the last run's alert
	if n := len(healthy.requests()); n != runs {
		t.Fatalf("healthy notifier got %d alerts, want %d", n, runs)
	}
	// Shutdown is bounded even though the receiver still hangs.
	cctx, ccancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer ccancel()
	if err := a.Close(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want deadline exceeded", err)
	}
	if v := counter(t, m, "keywarden_alerts_dropped_total", "notifier", "hung", "reason", "queue_full"); v != runs-1-2 {
		t.Fatalf("queue_full drops %v, want %d (1 in flight, 2 queued)", v, runs-3)
	}
	if v := counter(t, m, "keywarden_alerts_dropped_total", "notifier", "hung", "reason", "shutdown"); v != 3 {
		t.Fatalf("shutdown drops %v, want 3", v)
	}
}

// TestCloseFinishesInFlightDeliveries: on SIGTERM watch closes the alerter
// with a deadline; a slow but working receiver still gets its alert.
func TestCloseFinishesInFlightDeliveries(t *testing.T) {
	gate := make(chan struct{})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		<-gate
		_, _ = w.Write([]byte("ok"))
	})
	m := NewMetrics()
	a := NewAlerter([]Target{{Notifier: mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: rc.URL}}), MinStatus: checks.Warn}},
		Options{Retry: fastRetry, Metrics: m})
	a.Observe(crit("a"))
	rc.next(t) // in flight
	var closeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		closeErr = a.Close(ctx)
	}()
	close(gate)
	wg.Wait()
	if closeErr != nil {
		t.Fatal(closeErr)
	}
	if v := counter(t, m, "keywarden_alerts_sent_total", "kind", "firing"); v != 1 {
		t.Fatalf("sent %v", v)
	}
	var p WebhookPayload
	_ = json.Unmarshal(rc.requests()[0].Body, &p)
	if p.Profile != "a" || len(rc.requests()) != 1 {
		t.Fatalf("requests %d, first %+v", len(rc.requests()), p)
	}
	a.Observe(crit("b")) // after Close: ignored, never blocks
	if v := counter(t, m, "keywarden_alerts_sent_total", "kind", "firing"); v != 1 || len(rc.requests()) != 1 {
		t.Fatal("an alert was accepted after Close")
	}
}
