package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWatchRestartNeitherLosesNorRepeats runs the real binary twice over
// one state file. The first watch delivers every alert but the auditlog
// crit (its receiver answers 503 to that one) and is stopped while still
// retrying it; the second, started with the receiver healthy and the same
// problems still there, delivers that alert once, with its id, and sends
// nothing the first one had delivered.
func TestWatchRestartNeitherLosesNorRepeats(t *testing.T) {
	type delivery struct {
		phase                              int
		id, kind, check, profile, old, new string
	}
	var mu sync.Mutex
	phase := 1
	var accepted []delivery
	var refused []string // ids of refused auditlog attempts
	got := make(chan delivery, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p struct {
			ID, Kind, Check, Profile string
			OldStatus                string `json:"old_status"`
			NewStatus                string `json:"new_status"`
		}
		_ = json.Unmarshal(b, &p)
		d := delivery{0, p.ID, p.Kind, p.Check, p.Profile, p.OldStatus, p.NewStatus}
		mu.Lock()
		d.phase = phase
		if phase == 1 && p.Check == "auditlog" {
			refused = append(refused, p.ID)
			mu.Unlock()
			http.Error(w, "receiver overloaded", http.StatusServiceUnavailable)
			got <- d
			return
		}
		accepted = append(accepted, d)
		mu.Unlock()
		got <- d
	}))
	defer hook.Close()
	w := newWatchWorld(t, fmt.Sprintf("\n[[alert]]\ntype = \"webhook\"\nurl = \"%s/kw\"\ntoken = \"alert-hook\"\n", hook.URL))
	await := func(what string, ok func(delivery) bool) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case d := <-got:
				if ok(d) {
					return
				}
			case <-deadline:
				t.Fatalf("the receiver never got %s", what)
			}
		}
	}
	drained := func(p *watchProc) {
		t.Helper()
		waitUntil(t, 60*time.Second, "second run and an empty queue", func() bool {
			runs, _ := scrapeGauge(t, p.metrics, "keywarden_watch_runs_total", nil)
			q, ok := scrapeGauge(t, p.metrics, "keywarden_alert_queue_length", nil)
			return runs >= 2 && ok && q == 0
		})
	}

	first := w.start(t, "--offline", "--interval", "1s", "--shutdown-timeout", "1s")
	waitUntil(t, 60*time.Second, "a first run", func() bool {
		v, ok := scrapeGauge(t, first.metrics, "keywarden_watch_runs_total", nil)
		return ok && v > 0
	})
	f, err := os.OpenFile(w.auditLog, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, "2026-11-25 16:04:12,001 | INFO | API CALL: get_account | kwargs={'secret': '%s'}\n", watchSecret)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	await("a refused auditlog attempt", func(d delivery) bool { return d.phase == 1 && d.check == "auditlog" })
	waitUntil(t, 60*time.Second, "the auditlog alert waiting in the queue", func() bool {
		q, _ := scrapeGauge(t, first.metrics, "keywarden_alert_queue_length", nil)
		return q == 1
	})
	if code := first.stop(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, first.stderr.String())
	}
	if !strings.Contains(first.stderr.String(), `"msg":"alerts not delivered yet: kept for the next start"`) {
		t.Fatalf("the first watch did not keep its undelivered alert:\n%s", first.stderr.String())
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".local", "state", "keywarden", "alerts.json")); err != nil {
		t.Fatalf("no state file under $XDG_STATE_HOME: %v", err)
	}

	mu.Lock()
	phase = 2
	mu.Unlock()
	second := w.start(t, "--offline", "--interval", "1s")
	await("the auditlog alert after the restart", func(d delivery) bool { return d.phase == 2 && d.check == "auditlog" })
	drained(second)
	if code := second.stop(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, second.stderr.String())
	}

	mu.Lock()
	defer mu.Unlock()
	ids := map[string]bool{}
	firstSaw := map[string]bool{}
	var audit []delivery
	for _, d := range accepted {
		if ids[d.id] {
			t.Errorf("alert %s (%s %s) delivered twice", d.id, d.kind, d.check)
		}
		ids[d.id] = true
		key := fmt.Sprintf("%s %s/%s %s→%s", d.kind, d.check, d.profile, d.old, d.new)
		if d.phase == 1 {
			firstSaw[key] = true
		} else if firstSaw[key] {
			t.Errorf("the restart re-sent %s", key)
		}
		if d.check == "auditlog" {
			audit = append(audit, d)
		}
	}
	if len(audit) != 1 || audit[0].phase != 2 || audit[0].kind != "firing" || audit[0].new != "crit" || audit[0].id != refused[0] {
		t.Fatalf("auditlog deliveries %+v (refused ids %v): want the refused crit alert once, after the restart", audit, refused)
	}
	after := 0
	for _, d := range accepted {
		if d.phase == 2 {
			after++
		}
	}
	t.Logf("%d alerts delivered before the restart, %d after, %d attempts refused before it", len(accepted)-after, after, len(refused))
}
