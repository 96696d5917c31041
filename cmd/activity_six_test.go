package cmd

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/internal/testutil/sixworld"
)

// activityIDs are the three activity checks every profile of the six-
// exchange world has.
var activityIDs = []string{"activity.orders", "activity.funds", "activity.key"}

// sixReport is the part of `check --json` the activity tests read.
type sixReport struct {
	Status string     `json:"status"`
	Checks []sixCheck `json:"checks"`
}

type sixCheck struct {
	ID      string `json:"id"`
	Profile string `json:"profile"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	Details struct {
		Foreign []struct {
			OrderID string `json:"order_id"`
		} `json:"foreign"`
		Movements []struct {
			ID      string `json:"id"`
			Allowed bool   `json:"allowed"`
		} `json:"movements"`
		Changes []sixChange `json:"changes"`
	} `json:"details"`
}

type sixChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

func parseSixReport(t *testing.T, out string) sixReport {
	t.Helper()
	var rep sixReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("check --json is not JSON: %v\n%s", err, out)
	}
	return rep
}

// TestCheckActivityOnSixExchanges runs the real command against a world of
// six profiles, one per exchange, each on its own fake: the first
// `check --json` sets the activity baselines; after a foreign order, a
// withdrawal to an unlisted address and a key change on every fake, the
// next exits 2 and names, per profile, the order id (activity.orders), the
// withdrawal id (activity.funds) and the changed field (activity.key).
func TestCheckActivityOnSixExchanges(t *testing.T) {
	w := sixworld.New(t, testutil.LookPath(t, "keywarden"), "")

	out, errs, code := w.RunSplit(t, "check", "--json")
	rep := parseSixReport(t, out)
	t.Logf("baseline run: exit %d, status %s", code, rep.Status)
	for _, p := range w.Profiles {
		for _, id := range activityIDs {
			c, ok := findCheck(rep, id, p.Name)
			if !ok {
				t.Fatalf("no %s for %s in the baseline report\n%s", id, p.Name, errs)
			}
			if c.Status != "ok" || !strings.Contains(c.Summary, "baseline set") {
				t.Errorf("%s %s first run: %s %q, want ok, baseline set", id, p.Name, c.Status, c.Summary)
			}
		}
	}

	evidence := w.Inject(t)
	// A later poll, as watch's would come: Binance's funds history is read
	// at most every 90 s, Kraken's orders and funds every 150 s and its
	// key every 210 s (activity/budget.go).
	w.Age(t, 4*time.Minute)
	out, errs, code = w.RunSplit(t, "check", "--json")
	rep = parseSixReport(t, out)
	if code != 2 || rep.Status != "crit" {
		t.Errorf("after the intrusion: exit %d, status %s; want 2, crit\n%s", code, rep.Status, errs)
	}
	for _, p := range w.Profiles {
		ev := evidence[p.Name]
		for _, id := range activityIDs {
			c, ok := findCheck(rep, id, p.Name)
			if !ok {
				t.Errorf("no %s for %s after the intrusion", id, p.Name)
				continue
			}
			if c.Status != "crit" {
				t.Errorf("%s %s: %s %q, want crit", id, p.Name, c.Status, c.Summary)
				continue
			}
			d := c.Details
			switch id {
			case "activity.orders":
				var ids []string
				for _, f := range d.Foreign {
					ids = append(ids, f.OrderID)
				}
				if !slices.Equal(ids, []string{ev.OrderID}) || !strings.Contains(c.Summary, "order "+ev.OrderID) {
					t.Errorf("%s %s: foreign %v, summary %q; want only order %s (the bot's own order is matched)", id, p.Name, ids, c.Summary, ev.OrderID)
				}
			case "activity.funds":
				var alarms []string
				for _, m := range d.Movements {
					if !m.Allowed {
						alarms = append(alarms, m.ID)
					}
				}
				if !slices.Equal(alarms, []string{ev.WithdrawalID}) || !strings.Contains(c.Summary, "(id "+ev.WithdrawalID+")") {
					t.Errorf("%s %s: alarms %v, summary %q; want withdrawal %s", id, p.Name, alarms, c.Summary, ev.WithdrawalID)
				}
			case "activity.key":
				changed := slices.ContainsFunc(d.Changes, func(ch sixChange) bool {
					return ch.Field == ev.KeyField && ch.Before == "no" && ch.After == "yes"
				})
				if !changed || !strings.Contains(c.Summary, ev.KeyField) {
					t.Errorf("%s %s: changes %+v, summary %q; want %s no → yes", id, p.Name, d.Changes, c.Summary, ev.KeyField)
				}
			}
		}
	}
	testutil.NoSecret(t, w.Secrets(), []string{out, errs})
}

func findCheck(rep sixReport, id, profile string) (sixCheck, bool) {
	for _, c := range rep.Checks {
		if c.ID == id && c.Profile == profile {
			return c, true
		}
	}
	return sixCheck{}, false
}

// TestWatchActivityOnSixExchanges runs `keywarden watch` (activity at its
// default cadence, a minute, and the default burst limit) on the
// six-exchange world with a webhook: once every profile's three activity
// checks have set their baselines, the intrusion on all six fakes at once
// reaches the webhook as 18 crit alerts, each naming its evidence, those
// past the burst limit inside its fold (held_alerts). Each alert's latency
// from the injection is logged, not asserted; the deadline only stops a
// hang (and leaves room for the histories read at most every 90 s on
// Binance and every 150-210 s on Kraken: their rate limits).
func TestWatchActivityOnSixExchanges(t *testing.T) {
	if testing.Short() {
		t.Skip("waits one to two activity polls (a minute each)")
	}
	// hook hears crit, diag everything (to tell why a check was not crit).
	hook, diag := newRecorder(t), newRecorder(t)
	alerts := ""
	for _, r := range []struct{ url, min string }{{hook.URL, "crit"}, {diag.URL, "warn"}} {
		alerts += fmt.Sprintf("\n[[alert]]\ntype = \"webhook\"\nurl = \"%s/kw\"\ntoken = \"alert-hook\"\nmin_status = %q\n", r.url, r.min)
	}
	w := sixworld.New(t, testutil.LookPath(t, "keywarden"), alerts)
	w.ImportToken(t, "alert-hook", watchHookKey)
	p := (&watchWorld{dir: w.Dir, config: w.Config, env: w.Environ()}).start(t, "--interval", "1s")

	// The baseline: every activity check of every profile ok once.
	pending := map[string]bool{}
	for _, pr := range w.Profiles {
		for _, id := range activityIDs {
			pending[id+"/"+pr.Name] = true
		}
	}
	for end := time.Now().Add(3 * time.Minute); len(pending) > 0 && time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		st := scrapeStatuses(t, p.metrics)
		for k := range pending {
			if v, ok := st[k]; ok && v == 0 {
				delete(pending, k)
			}
		}
	}
	if len(pending) > 0 {
		st := scrapeStatuses(t, p.metrics)
		for _, k := range slices.Sorted(maps.Keys(pending)) {
			t.Errorf("%s never ok after 3 min (status %v); its baseline is not set, so no alert can follow", k, st[k])
		}
	}

	evidence := w.Inject(t)
	injected := time.Now()
	want := map[string]string{} // check/profile → the evidence its alert names
	for _, pr := range w.Profiles {
		ev := evidence[pr.Name]
		want["activity.orders/"+pr.Name] = "order " + ev.OrderID
		want["activity.funds/"+pr.Name] = "(id " + ev.WithdrawalID + ")"
		want["activity.key/"+pr.Name] = ev.KeyField + " no → yes"
	}
	type alertBody struct {
		Kind       string      `json:"kind"`
		Check      string      `json:"check"`
		Profile    string      `json:"profile"`
		NewStatus  string      `json:"new_status"`
		Summary    string      `json:"summary"`
		Hint       string      `json:"hint"`
		HeldAlerts []alertBody `json:"held_alerts"`
		folded     bool
	}
	// parse is the alerts a delivery carries: itself, or for the burst
	// limit's fold each alert it holds.
	parse := func(r recorded) []alertBody {
		var a alertBody
		if err := json.Unmarshal(r.body, &a); err != nil {
			t.Fatalf("webhook body is not JSON: %v\n%s", err, r.body)
		}
		if a.Kind != "suppressed" {
			return []alertBody{a}
		}
		if len(a.HeldAlerts) == 0 {
			t.Errorf("a fold without held_alerts: %s", r.body)
		}
		for i := range a.HeldAlerts {
			a.HeldAlerts[i].folded = true
		}
		return a.HeldAlerts
	}
	folded := 0
	latency := map[string]time.Duration{}
	// late: checks whose first poll after the intrusion was not crit.
	late := map[string]alertBody{}
	var bodies []string
	deadline := time.After(6 * time.Minute)
wait:
	for len(latency) < len(want) {
		select {
		case r := <-hook.got:
			bodies = append(bodies, string(r.body))
			for _, a := range parse(r) {
				k := a.Check + "/" + a.Profile
				ev, ok := want[k]
				if _, seen := latency[k]; !ok || seen || a.Kind != "firing" || a.NewStatus != "crit" {
					continue
				}
				latency[k] = time.Since(injected)
				if a.folded {
					folded++
				}
				if !strings.Contains(a.Summary, ev) {
					t.Errorf("%s alert does not name %q: %s", k, ev, a.Summary)
				}
			}
		case r := <-diag.got:
			bodies = append(bodies, string(r.body))
			for _, a := range parse(r) {
				k := a.Check + "/" + a.Profile
				if _, ok := want[k]; ok && a.NewStatus != "crit" && latency[k] == 0 {
					if _, seen := late[k]; !seen {
						late[k] = a
					}
				}
			}
		case <-deadline:
			break wait
		}
	}
	t.Logf("%d of %d crit alerts came inside the burst limit's fold", folded, len(want))
	for _, pr := range w.Profiles {
		for _, id := range activityIDs {
			k := id + "/" + pr.Name
			d, ok := latency[k]
			if ok {
				t.Logf("%-16s %-14s injection to webhook alert: %s", id, pr.Name, d.Round(100*time.Millisecond))
			} else {
				t.Errorf("%s: no crit alert within 6 min of the intrusion", k)
			}
			if a, bad := late[k]; bad {
				t.Errorf("%s: a poll after the intrusion was %s, not crit (%s; %s): the alert missed that poll", k, a.NewStatus, a.Summary, a.Hint)
			}
		}
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	testutil.NoSecret(t, w.Secrets(), append(bodies, p.stderr.String()))
}

// scrapeStatuses is every keywarden_check_status series by "check/profile".
func scrapeStatuses(t *testing.T, url string) map[string]float64 {
	t.Helper()
	fams := scrapeMetrics(t, url)
	out := map[string]float64{}
	for _, m := range fams["keywarden_check_status"].GetMetric() {
		var check, profile string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "check":
				check = l.GetValue()
			case "profile":
				profile = l.GetValue()
			}
		}
		out[check+"/"+profile] = value(m)
	}
	return out
}
