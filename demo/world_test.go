package demo

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/activity"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/checks/all"
)

func TestWorldReport(t *testing.T) {
	ctx := context.Background()
	w, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := w.Dir
	// As `keywarden demo` does: the activity baseline Start took is there.
	t.Setenv("XDG_STATE_HOME", w.StateHome())
	if d, err := activity.DefaultStateDir(); err != nil || d != w.ActivityDir() {
		t.Fatalf("activity state %q (%v), the world's is %q", d, err, w.ActivityDir())
	}
	deps := checks.Deps{Config: w.Config, Store: w.Store, Timeout: 5 * time.Second,
		Extra: all.Extra(w.scanCache())}
	env := checks.NewEnv(deps)
	rep := checks.Run(ctx, env, checks.Build(deps, checks.Options{}))
	var buf bytes.Buffer
	if err := checks.WriteText(&buf, rep, false); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	// kucoin-spot is the healthy profile: every result of its own is ok.
	n := 0
	for _, r := range rep.Checks {
		if r.Profile == "kucoin-spot" {
			n++
			if r.Status != checks.OK {
				t.Errorf("%s kucoin-spot: %s %q, want ok", r.ID, r.Status, r.Summary)
			}
		}
	}
	if n == 0 {
		t.Error("no result for kucoin-spot")
	}
	// The history scan Start began is joined, not lost: the key is found.
	found := false
	for _, r := range rep.Checks {
		if r.ID == "hygiene.history" && r.Profile == "binance-main" {
			found = r.Status == checks.Crit
			t.Logf("hygiene.history: %s %s", r.Status, r.Summary)
		}
	}
	if !found {
		t.Error("hygiene.history binance-main is not crit: the secret in the project's history was missed")
	}
	// The intruder has struck already: its order and withdrawal are crit,
	// named by id; the bot's own orders since the baseline are matched.
	in := w.Intrusion()
	if in.OrderID == "" || in.WithdrawalID == "" {
		t.Fatalf("no intrusion without Live: %+v", in)
	}
	orders := result(t, rep, activity.OrdersID, "binance-main")
	if fs, _ := orders.Details["foreign"].([]activity.Foreign); orders.Status != checks.Crit || len(fs) != 1 ||
		fs[0].OrderID != in.OrderID || fs[0].ClientOrderID != in.ClientID || !strings.Contains(orders.Summary, "order "+in.OrderID) {
		t.Errorf("activity.orders: %s %q %+v, want crit with only the intruder's order %s", orders.Status, orders.Summary, fs, in.OrderID)
	}
	if n, _ := orders.Details["matched"].(int); n == 0 {
		t.Error("activity.orders matched none of the bot's own orders")
	}
	funds := result(t, rep, activity.FundsID, "binance-main")
	if ms, _ := funds.Details["movements"].([]activity.MovementView); funds.Status != checks.Crit || len(ms) != 1 ||
		ms[0].ID != in.WithdrawalID || ms[0].To != IntruderAddress || ms[0].Allowed {
		t.Errorf("activity.funds: %s %q %+v, want crit with the withdrawal %s", funds.Status, funds.Summary, ms, in.WithdrawalID)
	}
	w.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("world dir %s left behind", dir)
	}
	for _, s := range w.Secrets {
		if strings.Contains(buf.String(), s.Reveal()) {
			t.Fatal("a demo secret appears in the report")
		}
	}
}

// TestWorldIntruderLive: with Live, the intruder strikes IntruderAfter
// after the baseline; the next poll sees the withdrawal at once and the
// order once activity.Grace has passed (a clock moved past it here).
func TestWorldIntruderLive(t *testing.T) {
	ctx := context.Background()
	w, err := Start(ctx, Options{Live: true, IntruderAfter: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	select {
	case <-w.Intruded():
	case <-time.After(30 * time.Second):
		t.Fatal("the intruder never struck")
	}
	in := w.Intrusion()
	poll := func(id string, now time.Time) checks.Result {
		deps := checks.Deps{Config: w.Config, Store: w.Store, Timeout: 5 * time.Second, Now: func() time.Time { return now }}
		for _, mk := range activity.Checks(w.ActivityDir()) {
			if c := mk(w.Config.Profiles[0]); c != nil && c.ID() == id {
				return c.Run(ctx, checks.NewEnv(deps))
			}
		}
		t.Fatalf("no %s check", id)
		return checks.Result{}
	}
	if r := poll(activity.FundsID, time.Now()); r.Status != checks.Crit || !strings.Contains(r.Summary, in.WithdrawalID) {
		t.Errorf("activity.funds: %s %q, want crit naming %s", r.Status, r.Summary, in.WithdrawalID)
	}
	if r := poll(activity.OrdersID, time.Now()); r.Status != checks.OK {
		t.Errorf("activity.orders within the grace: %s %q, want ok (pending)", r.Status, r.Summary)
	}
	r := poll(activity.OrdersID, in.At.Add(activity.Grace+time.Second))
	if r.Status != checks.Crit || !strings.Contains(r.Summary, "order "+in.OrderID+", client id "+in.ClientID) {
		t.Errorf("activity.orders after the grace: %s %q, want crit naming %s", r.Status, r.Summary, in.OrderID)
	}
}

func result(t *testing.T, rep checks.Report, id, profile string) checks.Result {
	t.Helper()
	for _, r := range rep.Checks {
		if r.ID == id && r.Profile == profile {
			return r
		}
	}
	t.Fatalf("no %s %s in the report", id, profile)
	return checks.Result{}
}
