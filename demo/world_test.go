package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/activity"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/checks/all"
)

// kucoinShaped is KuCoin's order and withdrawal id: 24 hex digits.
var kucoinShaped = regexp.MustCompile(`^[0-9a-f]{24}$`)

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
	// kucoin-spot is the healthy profile: every result of its own is ok
	// but the intruder's withdrawal (below).
	n := 0
	for _, r := range rep.Checks {
		if r.Profile == "kucoin-spot" && r.ID != activity.FundsID {
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
	orders := result(t, rep, activity.OrdersID, IntruderOrderProfile)
	if fs, _ := orders.Details["foreign"].([]activity.Foreign); orders.Status != checks.Crit || len(fs) != 1 ||
		fs[0].OrderID != in.OrderID || fs[0].ClientOrderID != in.ClientID || !strings.Contains(orders.Summary, "order "+in.OrderID) {
		t.Errorf("activity.orders: %s %q %+v, want crit with only the intruder's order %s", orders.Status, orders.Summary, fs, in.OrderID)
	}
	if n, _ := orders.Details["matched"].(int); n == 0 {
		t.Error("activity.orders matched none of the bot's own orders")
	}
	// The balances are reconciled: ETH, held, suggests ETHUSDT; nothing
	// is alarmed (the intruder's sell and the bot's fills are orders read).
	if extra, _ := orders.Details["extra_symbols"].([]string); !slices.Contains(extra, "ETHUSDT") {
		t.Errorf("activity.orders read %v beside BTCUSDT, want ETHUSDT (ETH is held)", extra)
	}
	if ms, _ := orders.Details["balance_moves"].([]activity.MoveView); len(ms) != 0 {
		t.Errorf("activity.orders alarms balance moves: %+v", ms)
	}
	if spot := result(t, rep, activity.OrdersID, IntruderWithdrawalProfile); spot.Status != checks.OK || spot.Details["matched"] == 0 {
		t.Errorf("activity.orders %s: %s %q, matched %v, want ok with the bot's orders matched", IntruderWithdrawalProfile,
			spot.Status, spot.Summary, spot.Details["matched"])
	}
	// The KuCoin bot's order ids are shaped like KuCoin's.
	spotLog, _ := w.Config.Profile(IntruderWithdrawalProfile)
	b, err := os.ReadFile(spotLog.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`"order_id":"([^"]*)"`).FindAllStringSubmatch(string(b), -1)
	if len(ids) == 0 {
		t.Error("the KuCoin bot logged no order id")
	}
	for _, m := range ids {
		if !kucoinShaped.MatchString(m[1]) {
			t.Errorf("the KuCoin bot's order id %q is not KuCoin's shape", m[1])
		}
	}
	funds := result(t, rep, activity.FundsID, IntruderWithdrawalProfile)
	if ms, _ := funds.Details["movements"].([]activity.MovementView); funds.Status != checks.Crit || len(ms) != 1 ||
		ms[0].ID != in.WithdrawalID || ms[0].To != IntruderAddress || ms[0].Allowed || !kucoinShaped.MatchString(in.WithdrawalID) {
		t.Errorf("activity.funds: %s %q %+v, want crit with the withdrawal %s", funds.Status, funds.Summary, ms, in.WithdrawalID)
	}
	// Nothing left Binance's account.
	if r := result(t, rep, activity.FundsID, IntruderOrderProfile); r.Status != checks.OK {
		t.Errorf("activity.funds %s: %s %q, want ok", IntruderOrderProfile, r.Status, r.Summary)
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
	w, in := startIntruded(t)
	poll := func(id, profile string, now time.Time) checks.Result { return runActivity(t, w, id, profile, now) }
	if r := poll(activity.FundsID, IntruderWithdrawalProfile, time.Now()); r.Status != checks.Crit || !strings.Contains(r.Summary, in.WithdrawalID) {
		t.Errorf("activity.funds: %s %q, want crit naming %s", r.Status, r.Summary, in.WithdrawalID)
	}
	if r := poll(activity.OrdersID, IntruderOrderProfile, time.Now()); r.Status != checks.OK {
		t.Errorf("activity.orders within the grace: %s %q, want ok (pending)", r.Status, r.Summary)
	}
	r := poll(activity.OrdersID, IntruderOrderProfile, in.At.Add(activity.Grace+time.Second))
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

// TestWorldBinanceBalancesReconcile: binance-main's bot trades live (its
// market orders fill and move BTC, USDT and BNB through the fake's own
// books) and the intruder's sell moves BTC and USDT: poll after poll, the
// balance reconciliation judges every move and finds none unexplained,
// and the intruder's order is the one finding. The clock of each poll is
// 100 s after the last (the funds history is read each time, past the
// moves), each taken once the bot has filled another order.
func TestWorldBinanceBalancesReconcile(t *testing.T) {
	w, in := startIntruded(t)
	fb := w.intruder.fb
	if btc, _ := strconv.ParseFloat(fb.Balance("BTC"), 64); btc > 1.1 {
		t.Fatalf("the intruder's sell of 0.75 BTC did not move the balance: BTC %v (started at %s)", btc, DemoBalances[0].Free)
	}
	run := func(id string, now time.Time) checks.Result { return runActivity(t, w, id, IntruderOrderProfile, now) }
	bnb := fb.Balance("BNB")
	for k := 1; k <= 3; k++ {
		// The bot's next fill pays its fee in BNB.
		deadline := time.Now().Add(90 * time.Second)
		for fb.Balance("BNB") == bnb {
			if time.Now().After(deadline) {
				t.Fatalf("poll %d: the bot filled no order in 90 s", k)
			}
			time.Sleep(100 * time.Millisecond)
		}
		bnb = fb.Balance("BNB")
		now := time.Now().Add(time.Duration(k) * 100 * time.Second)
		if r := run(activity.FundsID, now); r.Status != checks.OK {
			t.Fatalf("poll %d: activity.funds %s %q", k, r.Status, r.Summary)
		}
		r := run(activity.OrdersID, now)
		if ms, _ := r.Details["balance_moves"].([]activity.MoveView); len(ms) != 0 {
			t.Fatalf("poll %d: balance moves the bot's fills or the intruder's order explain are alarmed: %+v\n%s", k, ms, r.Summary)
		}
		fs, _ := r.Details["foreign"].([]activity.Foreign)
		if k > 1 && (r.Status != checks.Crit || len(fs) != 1 || fs[0].OrderID != in.OrderID) {
			t.Fatalf("poll %d: %s %q, want crit with the intruder's order %s alone", k, r.Status, r.Summary, in.OrderID)
		}
	}
	// Every move but the last poll's was judged: the reconciliation ran.
	var st struct {
		Balance struct {
			At          time.Time `json:"at"`
			Totals      map[string]string
			Pending     []struct{ To time.Time }
			Unexplained []json.RawMessage
		} `json:"balance"`
	}
	b, err := os.ReadFile(filepath.Join(w.ActivityDir(), IntruderOrderProfile, "orders.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Balance.Totals) < len(DemoBalances) || len(st.Balance.Pending) == 0 || len(st.Balance.Unexplained) != 0 {
		t.Fatalf("reconciliation state %s", b)
	}
	for _, m := range st.Balance.Pending {
		if !m.To.Equal(st.Balance.At) {
			t.Errorf("a move of an earlier poll was never judged: %s", b)
		}
	}
}

// startIntruded starts a live world whose intruder strikes at once and
// waits for it.
func startIntruded(t *testing.T) (*World, Intrusion) {
	t.Helper()
	w, err := Start(context.Background(), Options{Live: true, IntruderAfter: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	select {
	case <-w.Intruded():
	case <-time.After(30 * time.Second):
		t.Fatal("the intruder never struck")
	}
	return w, w.Intrusion()
}

// runActivity runs activity check id of profile in w with the clock at now.
func runActivity(t *testing.T, w *World, id, profile string, now time.Time) checks.Result {
	t.Helper()
	deps := checks.Deps{Config: w.Config, Store: w.Store, Timeout: 5 * time.Second, Now: func() time.Time { return now }}
	p, _ := w.Config.Profile(profile)
	for _, mk := range activity.Checks(w.ActivityDir()) {
		if c := mk(p); c != nil && c.ID() == id {
			return c.Run(context.Background(), checks.NewEnv(deps))
		}
	}
	t.Fatalf("no %s check of %s", id, profile)
	return checks.Result{}
}
