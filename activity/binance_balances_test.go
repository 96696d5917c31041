package activity

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// tradingAccount is a bot that trades BTCUSDT on an account holding
// USDT, BTC, ETH and BNB, with the baseline of every orders and funds
// check set.
func tradingAccount(t *testing.T) (*world, *exchangetest.Binance) {
	t.Helper()
	w, f := binanceWorld(t, true)
	f.SetBalance("USDT", "10000", "0")
	f.SetBalance("BTC", "1", "0")
	f.SetBalance("ETH", "5", "0")
	f.SetBalance("BNB", "2", "0")
	w.logOrder("BTCUSDT", "", "")
	r := w.want(OrdersID, checks.OK)
	if !strings.Contains(r.Summary, "balance baseline set") {
		t.Fatalf("first run does not say it set the balance baseline: %q", r.Summary)
	}
	w.want(FundsID, checks.OK)
	return w, f
}

func moveIDs(r checks.Result) []string {
	ms, _ := r.Details["balance_moves"].([]MoveView)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

func moveAssets(r checks.Result) []string {
	ms, _ := r.Details["balance_moves"].([]MoveView)
	var as []string
	for _, m := range ms {
		as = append(as, m.Asset)
	}
	return as
}

// The bot never logged ETHUSDT, but the account holds ETH: ETHUSDT is
// read, and an intruder's fill there is a foreign order with its id. The
// balance moves it made are explained by that fill, not alarmed twice.
func TestBinanceForeignFillOnAHeldSymbol(t *testing.T) {
	w, f := tradingAccount(t)
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "ETHUSDT", ClientOrderID: "web_x1", Side: "SELL", Qty: "2",
		Price: "3000", Status: "FILLED", Time: ago()})
	fid := strconv.FormatInt(id, 10)
	r := w.want(OrdersID, checks.Crit)
	if got := foreignIDs(r); !slices.Equal(got, []string{fid}) || !strings.Contains(r.Summary, fid) {
		t.Fatalf("foreign %v, summary %q, want order %s", got, r.Summary, fid)
	}
	if extra, _ := r.Details["extra_symbols"].([]string); !slices.Contains(extra, "ETHUSDT") || slices.Contains(extra, "ETHBTC") {
		t.Errorf("extra symbols %v: want ETHUSDT (ETH held, USDT the bot's quote), not ETHBTC", extra)
	}
	// The next poll judges the moves of the poll before: the fill explains them.
	r = w.want(OrdersID, checks.Crit)
	if got := foreignIDs(r); len(got) != 1 {
		t.Fatalf("second poll: foreign %v", got)
	}
	if ids := moveIDs(r); len(ids) != 0 {
		t.Fatalf("the fill's own balance moves are alarmed: %v", ids)
	}
	w.ack(fid)
	w.want(OrdersID, checks.OK)
}

// An intruder sells ETH for BTC on ETHBTC: the bot's quote is USDT, so
// ETHBTC is not read, but ETH and BTC moved with no fill, deposit or
// withdrawal: crit naming the asset, once, until acknowledged.
func TestBinanceReconciliationCatchesAnUnreadPair(t *testing.T) {
	w, f := tradingAccount(t)
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "ETHBTC", Side: "SELL", Qty: "1", Price: "0.05", Status: "FILLED", Time: ago()})
	if f.Balance("ETH") != "4.00000000" || f.Balance("BTC") != "1.05000000" {
		t.Fatalf("the fake did not move the balances: ETH %s BTC %s", f.Balance("ETH"), f.Balance("BTC"))
	}
	// Seen, judged on the next poll (after the funds check has read the interval).
	r := w.want(OrdersID, checks.OK)
	if extra, _ := r.Details["extra_symbols"].([]string); slices.Contains(extra, "ETHBTC") {
		t.Fatalf("ETHBTC was read (%v): the test needs a pair the derivation does not pick", extra)
	}
	w.want(FundsID, checks.OK)
	r = w.want(OrdersID, checks.Crit)
	if got := moveAssets(r); !slices.Equal(got, []string{"BTC", "ETH"}) {
		t.Fatalf("moves of %v, want BTC and ETH: %q", got, r.Summary)
	}
	for _, s := range []string{"ETH 5 → 4", "BTC 1 → 1.05", "balance:ETH:"} {
		if !strings.Contains(r.Summary+r.Hint, s) {
			t.Errorf("summary and hint lack %q: %s / %s", s, r.Summary, r.Hint)
		}
	}
	if strings.Contains(r.Summary, "ETHBTC") || strings.Contains(r.Summary, "order "+strconv.FormatInt(id, 10)) {
		t.Errorf("the order was never read, yet the summary names it: %s", r.Summary)
	}
	ids := moveIDs(r)
	// Restarted: the same two, once each.
	if got := moveIDs(w.want(OrdersID, checks.Crit)); !slices.Equal(got, ids) {
		t.Fatalf("after a restart: %v, want %v", got, ids)
	}
	w.ack(ids[1])
	if got := moveAssets(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{"BTC"}) {
		t.Fatalf("after acknowledging ETH: %v", got)
	}
	w.ack(ids[0])
	if r := w.want(OrdersID, checks.OK); len(moveIDs(r)) != 0 {
		t.Fatalf("after both acks: %v", moveIDs(r))
	}
}

// An intruder's resting order on a symbol nothing reads (no balance, not
// logged) is listed by openOrders: foreign once past the grace period.
func TestBinanceOpenOrderOnAnUnreadSymbol(t *testing.T) {
	w, f := tradingAccount(t)
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "DOGEUSDT", Side: "BUY", Qty: "50000", Price: "0.1", Time: time.Now()})
	r := w.want(OrdersID, checks.OK) // within the grace period
	if extra, _ := r.Details["extra_symbols"].([]string); slices.Contains(extra, "DOGEUSDT") {
		t.Fatalf("DOGEUSDT was read (%v): the test needs a symbol nothing reads", extra)
	}
	w.now = func() time.Time { return time.Now().Add(Grace + time.Minute) }
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{strconv.FormatInt(id, 10)}) {
		t.Fatalf("foreign %v", got)
	}
}

// The bot's own fills (one at once, one a resting order placed before the
// last poll), their BNB fees and a deposit move balances: all explained.
func TestBinanceOwnFillsFeesAndDepositsReconcile(t *testing.T) {
	w, f := tradingAccount(t)
	// Placed two hours ago: allOrders' window (creation time) no longer
	// reaches it; only openOrders follows it.
	resting := f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "bot-rest", Side: "BUY", Qty: "0.1",
		Price: "60000", Time: time.Now().Add(-2 * time.Hour)})
	w.logOrder("BTCUSDT", strconv.FormatInt(resting, 10), "bot-rest")
	w.want(OrdersID, checks.OK)
	if !f.FillOrder("BTCUSDT", resting, time.Now()) {
		t.Fatal("the resting order was not open")
	}
	for i := range 2 {
		if r := w.want(OrdersID, checks.OK); len(moveIDs(r)) != 0 {
			t.Fatalf("resting fill, poll %d: moves %v: %s", i, moveIDs(r), r.Summary)
		}
	}

	now := f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "bot-now", Side: "SELL", Qty: "0.05",
		Price: "61000", Status: "FILLED", FeeBNB: "0.002", Time: time.Now()})
	w.logOrder("BTCUSDT", strconv.FormatInt(now, 10), "bot-now")
	f.AddDeposit(exchangetest.BinanceDeposit{ID: "dep-9", Coin: "ETH", Amount: "3", Address: "0xDEP", Time: time.Now()})
	f.SetBalance("ETH", "8", "0")
	for i := range 3 {
		w.want(FundsID, checks.OK)
		if r := w.want(OrdersID, checks.OK); len(moveIDs(r)) != 0 {
			t.Fatalf("poll %d: moves %v: %s", i, moveIDs(r), r.Summary)
		}
	}
	if f.Balance("BNB") != "1.99800000" || f.Balance("USDT") != "7050.00000000" {
		t.Fatalf("the fake's books: BNB %s USDT %s", f.Balance("BNB"), f.Balance("USDT"))
	}

	// A BNB change with nothing filled is not a fee.
	f.SetBalance("BNB", "1", "0")
	w.want(OrdersID, checks.OK)
	// Not judged until the funds history has been read after it.
	w.want(OrdersID, checks.OK)
	w.want(FundsID, checks.OK)
	if got := moveAssets(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{"BNB"}) {
		t.Fatalf("moves %v, want BNB", got)
	}
}

// A pairing Binance does not list answers -1121: skipped for a day, named
// in the result, and the check stays ok.
func TestBinanceUnlistedSymbolIsSkipped(t *testing.T) {
	w, f := binanceWorld(t, true)
	f.SetBalance("USDT", "10000", "0")
	f.SetBalance("ETH", "5", "0")
	f.SetBalance("KWD", "10", "0") // no KWDUSDT on the fake
	w.logOrder("BTCUSDT", "", "")
	r := w.want(OrdersID, checks.OK)
	if u, _ := r.Details["unlisted_symbols"].([]string); !slices.Equal(u, []string{"KWDUSDT"}) {
		t.Fatalf("unlisted %v, want KWDUSDT", u)
	}
	before := f.Weight("/api/v3/allOrders")
	r = w.run(OrdersID)
	if u, _ := r.Details["unlisted_symbols"].([]string); !slices.Equal(u, []string{"KWDUSDT"}) {
		t.Fatalf("unlisted %v after a poll", u)
	}
	if extra, _ := r.Details["extra_symbols"].([]string); slices.Contains(extra, "KWDUSDT") {
		t.Errorf("KWDUSDT asked about again: %v", extra)
	}
	// BTCUSDT and ETHUSDT: 20 each, KWDUSDT not again.
	if n := f.Weight("/api/v3/allOrders") - before; n != 40 {
		t.Errorf("allOrders cost %d weight, want 40", n)
	}
}

// The log names no symbol: the balances give the symbols (paired with the
// usual quotes), so the check runs; with no balance either it is unknown.
func TestBinanceSymbolsFromBalancesAlone(t *testing.T) {
	w, f := binanceWorld(t, true)
	if r := w.want(OrdersID, checks.Unknown); !strings.Contains(r.Summary, "no market") {
		t.Fatalf("summary %q", r.Summary)
	}
	f.SetBalance("SOL", "30", "0")
	w.want(OrdersID, checks.OK)
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "SOLUSDT", Side: "SELL", Qty: "30", Price: "150", Status: "FILLED", Time: ago()})
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{strconv.FormatInt(id, 10)}) {
		t.Fatalf("foreign %v", got)
	}
}

// An account answer keywarden cannot read is unknown with the reason.
func TestBinanceUnreadableAccountIsUnknown(t *testing.T) {
	w, f := tradingAccount(t)
	f.SetAccountAnswer(`{"accountType":"SPOT","balances":[{"asset":"BTC","free":"lots","locked":"0"}]}`)
	if r := w.want(OrdersID, checks.Unknown); !strings.Contains(r.Hint, "account balances") || !strings.Contains(r.Hint, "decimal") {
		t.Fatalf("summary %q hint %q", r.Summary, r.Hint)
	}
	f.SetAccountAnswer(`{"accountType":"SPOT"}`)
	if r := w.want(OrdersID, checks.Unknown); !strings.Contains(r.Hint, "no balances") {
		t.Fatalf("summary %q hint %q", r.Summary, r.Hint)
	}
}

// The weight of one poll, from the fake's own counter: a bot trading two
// symbols on an account holding five assets, and an account holding 40,
// where the rotation keeps each poll under 600 and reaches every symbol.
func TestBinancePollWeight(t *testing.T) {
	w, f := binanceWorld(t, true)
	for _, a := range []string{"USDT", "BTC", "ETH", "BNB", "SOL"} {
		f.SetBalance(a, "10", "0")
	}
	w.logOrder("BTCUSDT", "", "")
	w.logOrder("ETHUSDT", "", "")
	w.want(OrdersID, checks.OK)
	before := f.Weight("")
	r := w.want(OrdersID, checks.OK)
	used := f.Weight("") - before
	t.Logf("one poll, 2 logged symbols, 5 assets: %d weight (%v extra)", used, r.Details["extra_symbols"])
	// account 20 + openOrders 80 + allOrders 20 × (BTCUSDT, ETHUSDT, BNBUSDT, SOLUSDT) + server time.
	if used < 180 || used >= pollWeight {
		t.Fatalf("one poll cost %d weight, want 180 and a server time sample or two, under %d", used, pollWeight)
	}

	seen := map[string]bool{}
	holdAssets(f, 40, "1")
	for poll := range 3 {
		before := f.Weight("")
		r := w.run(OrdersID)
		used := f.Weight("") - before
		t.Logf("poll %d, 45 assets: %d weight, %d extra read, %d waiting", poll, used,
			len(r.Details["extra_symbols"].([]string)), len(r.Details["extra_symbols_waiting"].([]string)))
		if used >= pollWeight {
			t.Fatalf("poll %d cost %d weight", poll, used)
		}
		if _, ok := r.Details["rotation"].(string); !ok {
			t.Fatalf("poll %d does not say it rotates: %v", poll, r.Details)
		}
		for _, s := range r.Details["extra_symbols"].([]string) {
			seen[s] = true
		}
	}
	for i := range 40 {
		if s := fmt.Sprintf("A%02dXUSDT", i); !seen[s] {
			t.Errorf("%s never read in 3 polls", s)
		}
	}
}

// timeline is `keywarden activity` for the world's profile since since.
func (w *world) timeline(since time.Time) Timeline {
	w.t.Helper()
	cfg := &config.Config{Profiles: []config.Profile{w.profile}}
	env := checks.NewEnv(checks.Deps{Config: cfg, Store: w.store, Timeout: 5 * time.Second, Now: w.now})
	tl := Read(context.Background(), env, w.profile, w.state, since)
	if tl.Err != "" {
		w.t.Fatalf("timeline: %s", tl.Err)
	}
	return tl
}

func event(tl Timeline, kind, id string) (Event, bool) {
	for _, e := range tl.Events {
		if e.Kind == kind && e.ID == id {
			return e, true
		}
	}
	return Event{}, false
}

// The timeline reads what activity.orders reads: a foreign fill on a
// symbol only the balances suggest (ETHUSDT) and a resting order on a
// symbol nothing reads (openOrders) are both listed, not ours.
func TestBinanceTimelineReadsTheOrdersChecksSymbols(t *testing.T) {
	w, f := tradingAccount(t)
	eth := strconv.FormatInt(f.AddOrder(exchangetest.BinanceOrder{Symbol: "ETHUSDT", ClientOrderID: "web_x1", Side: "SELL", Qty: "2",
		Price: "3000", Status: "FILLED", Time: ago()}), 10)
	doge := strconv.FormatInt(f.AddOrder(exchangetest.BinanceOrder{Symbol: "DOGEUSDT", Side: "BUY", Qty: "50000", Price: "0.1", Time: ago()}), 10)
	tl := w.timeline(time.Now().Add(-time.Hour))
	for _, id := range []string{eth, doge} {
		e, ok := event(tl, "order", id)
		if !ok || e.Ours || e.Verdict != string(Unlogged) {
			t.Errorf("order %s: %+v (listed %v), want foreign", id, e, ok)
		}
	}
	if e, _ := event(tl, "order", eth); e.Symbol != "ETHUSDT" {
		t.Errorf("order %s symbol %q", eth, e.Symbol)
	}
}

// A balance move the reconciliation could not explain is in the timeline
// as a balance event, not ours, with asset, before, after and window;
// acknowledged, it is listed as such, also once the check has moved it
// out of its findings.
func TestBinanceTimelineListsUnexplainedBalanceMoves(t *testing.T) {
	w, f := tradingAccount(t)
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "ETHBTC", Side: "SELL", Qty: "1", Price: "0.05", Status: "FILLED", Time: ago()})
	w.want(OrdersID, checks.OK)
	tl := w.timeline(time.Now().Add(-time.Hour))
	if !strings.Contains(strings.Join(tl.BlindSpots, "\n"), "balance moves not judged yet") {
		t.Errorf("the pending moves are not mentioned: %v", tl.BlindSpots)
	}
	for _, e := range tl.Events {
		if e.Kind == "balance" {
			t.Errorf("a move not judged yet is listed: %+v", e)
		}
	}
	w.want(FundsID, checks.OK)
	r := w.want(OrdersID, checks.Crit)
	ids := moveIDs(r) // BTC, ETH
	tl = w.timeline(time.Now().Add(-time.Hour))
	for i, want := range []struct{ asset, before, after string }{{"BTC", "1", "1.05"}, {"ETH", "5", "4"}} {
		e, ok := event(tl, "balance", ids[i])
		if !ok || e.Ours || e.Verdict != string(Unexplained) || e.Asset != want.asset || e.Before != want.before || e.After != want.after ||
			e.Window == nil || !e.Window.From.Before(e.Window.To) || !e.Time.Equal(e.Window.To) || e.Evidence == "" {
			t.Fatalf("balance %s: %+v (listed %v), want %s %s → %s unexplained with its window", ids[i], e, ok, want.asset, want.before, want.after)
		}
	}
	w.ack(ids[1])
	for _, poll := range []bool{false, true} {
		if poll {
			w.want(OrdersID, checks.Crit) // moves ETH to the acknowledged ones
		}
		tl = w.timeline(time.Now().Add(-time.Hour))
		if e, ok := event(tl, "balance", ids[1]); !ok || !e.Ours || e.Verdict != string(Acked) {
			t.Errorf("after the ack (polled %v): %+v (listed %v), want acknowledged", poll, e, ok)
		}
		if e, ok := event(tl, "balance", ids[0]); !ok || e.Ours {
			t.Errorf("BTC after ETH's ack (polled %v): %+v (listed %v)", poll, e, ok)
		}
	}
	// Older than --since: not listed.
	if e, ok := event(w.timeline(time.Now().Add(time.Minute)), "balance", ids[0]); ok {
		t.Errorf("a move before --since is listed: %+v", e)
	}
}

// On an account holding more than one read's budget allows, the timeline
// reads what fits and names the symbols it left out.
func TestBinanceTimelineNamesTheSymbolsTheBudgetCut(t *testing.T) {
	w, f := binanceWorld(t, true)
	f.SetBalance("USDT", "10", "0")
	holdAssets(f, 40, "1")
	w.logOrder("BTCUSDT", "", "")
	before := f.Weight("")
	tl := w.timeline(time.Now().Add(-time.Hour))
	if used := f.Weight("") - before; used >= pollWeight {
		t.Errorf("the timeline's read cost %d weight, over %d", used, pollWeight)
	}
	var cut string
	for _, b := range tl.BlindSpots {
		if strings.Contains(b, "not read, to keep this read within") {
			cut = b
		}
	}
	if !strings.Contains(cut, "A39XUSDT") || strings.Contains(cut, "A00XUSDT") {
		t.Errorf("blind spot %q: want the symbols past the budget named (A39XUSDT), not the ones read (A00XUSDT)", cut)
	}
}

// On an account holding more than twice what one poll reads, an
// intruder's fill on a held symbol the rotation reaches only some polls
// on (one just read, selling the asset to nothing) is found as the
// foreign order, and its balance moves wait for that read: never alarmed
// as unexplained beside it.
func TestBinanceRotationExplainsBeforeJudging(t *testing.T) {
	w, f := binanceWorld(t, true)
	f.SetBalance("USDT", "10000", "0")
	holdAssets(f, 70, "100")
	w.logOrder("BTCUSDT", "", "")
	w.want(OrdersID, checks.OK)
	w.want(FundsID, checks.OK)
	r := w.want(OrdersID, checks.OK)
	if waiting, _ := r.Details["extra_symbols_waiting"].([]string); len(waiting) < 30 {
		t.Fatalf("waiting %v: the test needs a symbol left for two polls", waiting)
	}
	// A symbol just read is read again last, polls on; sold to nothing,
	// its asset is in no snapshot after the next.
	read, _ := r.Details["extra_symbols"].([]string)
	read = slices.DeleteFunc(read, func(s string) bool { return !strings.HasPrefix(s, "A") })
	sym := read[len(read)-1]
	id := strconv.FormatInt(f.AddOrder(exchangetest.BinanceOrder{Symbol: sym, Side: "SELL", Qty: "100", Price: "2",
		Status: "FILLED", Time: ago()}), 10)
	found := false
	for poll := range 6 {
		w.want(FundsID, checks.OK)
		r := w.run(OrdersID)
		if ids := moveIDs(r); len(ids) != 0 {
			t.Fatalf("poll %d: moves %v alarmed (%s read: %v): %s", poll, ids, sym, slices.Contains(r.Details["extra_symbols"].([]string), sym), r.Summary)
		}
		if slices.Contains(foreignIDs(r), id) {
			found = true
		}
	}
	if !found {
		t.Fatalf("the intruder's order %s on %s was never found", id, sym)
	}
}

// A deposit Binance saw on the network 20 minutes before it credited the
// balance (its confirmations) explains the rise; a fall of the same
// asset after it is no deposit: crit.
func TestBinanceDepositCreditedAfterItsConfirmations(t *testing.T) {
	w, f := tradingAccount(t)
	f.AddDeposit(exchangetest.BinanceDeposit{ID: "dep-late", Coin: "ETH", Amount: "3", Address: "0xDEP", Time: time.Now().Add(-20 * time.Minute)})
	w.age(FundsID, 30*time.Minute) // the funds check's next read reaches back to it
	if r := w.want(FundsID, checks.OK); !strings.Contains(fmt.Sprint(r.Details["movements"]), "dep-late") {
		t.Fatalf("the funds check did not read the deposit: %v", r.Details["movements"])
	}
	f.SetBalance("ETH", "8", "0")
	for i := range 3 {
		w.want(FundsID, checks.OK)
		if r := w.want(OrdersID, checks.OK); len(moveIDs(r)) != 0 {
			t.Fatalf("poll %d: the credited deposit is alarmed: %v: %s", i, moveIDs(r), r.Summary)
		}
	}
	f.SetBalance("ETH", "6", "0")
	w.want(OrdersID, checks.OK)
	w.want(FundsID, checks.OK)
	if got := moveAssets(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{"ETH"}) {
		t.Fatalf("moves %v, want the fall of ETH", got)
	}
}

// A poll that read no balances (its reads spaced) leaves the last
// snapshot standing: nothing moved to zero.
func TestReconcilerWithoutReadKeepsTheSnapshot(t *testing.T) {
	st := &balanceState{Totals: map[string]string{"BTC": "1", "USDT": "500"}, At: time.Now().Add(-time.Minute),
		Unexplained: []Move{{Asset: "ETH", Before: "5", After: "4", To: time.Now().Add(-time.Minute).Truncate(time.Second)}}}
	acked := st.Unexplained[0].ID()
	rc := &reconciler{st: st, s: store{dir: t.TempDir()}, a: Acks{IDs: map[string]time.Time{acked: time.Now()}}, now: time.Now()}
	if err := rc.settle(); err != nil {
		t.Fatal(err)
	}
	if st.Totals["BTC"] != "1" || st.Totals["USDT"] != "500" || len(st.Pending) != 0 {
		t.Errorf("totals %v, pending %v: a poll that read nothing changed the snapshot", st.Totals, st.Pending)
	}
	if len(st.Unexplained) != 0 || len(st.Acknowledged) != 1 {
		t.Errorf("unexplained %v, acknowledged %v: the ack did not apply", st.Unexplained, st.Acknowledged)
	}
}

// holdAssets lists n assets A00X, A01X… against USDT on f and gives the
// account amount of each.
func holdAssets(f *exchangetest.Binance, n int, amount string) {
	for i := range n {
		a := fmt.Sprintf("A%02dX", i)
		f.ListSymbol(a, "USDT")
		f.SetBalance(a, amount, "0")
	}
}
