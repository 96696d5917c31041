package activity

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

const (
	binanceKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	binanceSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
)

var binanceTradingKey = exchangetest.BinanceKey{APIKey: binanceKey, Secret: binanceSecret,
	Reading: true, SpotAndMarginTrading: true, Whitelist: []string{"127.0.0.1/32"}}

func binanceWorld(t *testing.T, withLog bool) (*world, *exchangetest.Binance) {
	t.Helper()
	f := exchangetest.NewBinance(binanceTradingKey)
	t.Cleanup(f.Close)
	w := newWorld(t, "binance", f.URL(),
		keystore.Item{APIKey: keystore.NewSecret(binanceKey), APISecret: keystore.NewSecret(binanceSecret)}, withLog)
	return w, f
}

// ago is an order time past the grace period.
func ago() time.Time { return time.Now().Add(-Grace - time.Minute) }

func TestBinanceOrders(t *testing.T) {
	w, f := binanceWorld(t, true)
	w.logOrder("BTC/USDT", "", "") // the bot trades BTCUSDT: a symbol to poll
	if r := w.want(OrdersID, checks.OK); !strings.Contains(r.Summary, "baseline") {
		t.Fatalf("first run does not say it set a baseline: %q", r.Summary)
	}

	// The bot's own orders, by order id and by client id behind ccxt's broker tag.
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "bot-1", Side: "BUY", Qty: "0.01", Time: ago()})
	w.logOrder("BTCUSDT", strconv.FormatInt(id, 10), "bot-1")
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "x-R4BD3S82a1b2c3d4e5f6", Side: "SELL", Qty: "0.01", Time: ago()})
	w.logOrder("BTCUSDT", "", "a1b2c3d4e5f6")
	if r := w.want(OrdersID, checks.OK); r.Details["matched"] != 2 {
		t.Fatalf("matched %v, want 2: %q", r.Details["matched"], r.Summary)
	}

	// A foreign order: crit with its id, client id, symbol, side, size.
	fid := strconv.FormatInt(f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "web_9f8e7d", Side: "SELL", Qty: "1.5", Time: ago()}), 10)
	r := w.want(OrdersID, checks.Crit)
	for _, s := range []string{fid, "web_9f8e7d", "BTCUSDT", "SELL", "1.5"} {
		if !strings.Contains(r.Summary, s) {
			t.Errorf("summary lacks %q: %s", s, r.Summary)
		}
	}
	if got := foreignIDs(r); !slices.Equal(got, []string{fid}) {
		t.Fatalf("foreign %v, want [%s]", got, fid)
	}

	// Polled again (every run builds new checks over the same state, as a
	// restarted keywarden does): one finding, not two.
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); len(got) != 1 {
		t.Fatalf("after a restart: foreign %v, want one", got)
	}

	// Acknowledged: ok, and it stays acknowledged.
	w.ack(fid)
	w.want(OrdersID, checks.OK)
	w.want(OrdersID, checks.OK)
}

func TestBinanceOrderInGraceIsNotForeignYet(t *testing.T) {
	w, f := binanceWorld(t, true)
	w.logOrder("ETHUSDT", "", "")
	w.want(OrdersID, checks.OK)
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "ETHUSDT", Side: "BUY", Qty: "2", Time: time.Now()})
	w.want(OrdersID, checks.OK)
	// The bot logs it late, within the grace period: it is the bot's.
	w.logOrder("ETHUSDT", strconv.FormatInt(id, 10), "")
	if r := w.want(OrdersID, checks.OK); r.Details["matched"] != 1 {
		t.Fatalf("matched %v, want 1", r.Details["matched"])
	}
}

func TestBinanceOrdersWithoutAuditLogAreUnknown(t *testing.T) {
	w, _ := binanceWorld(t, false)
	if r := w.want(OrdersID, checks.Unknown); !strings.Contains(r.Summary, "no audit log") {
		t.Fatalf("summary %q", r.Summary)
	}
}

func TestBinanceOrdersOnAnUnloggedSymbolAreABlindSpot(t *testing.T) {
	w, f := binanceWorld(t, true)
	w.logOrder("BTCUSDT", "", "")
	w.want(OrdersID, checks.OK)
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "PEPEUSDT", Side: "BUY", Qty: "1000000", Time: ago()})
	r := w.want(OrdersID, checks.OK)
	blind, _ := r.Details["blind_spots"].([]string)
	if !slices.ContainsFunc(blind, func(s string) bool { return strings.Contains(s, "symbols the audit log never names") }) {
		t.Fatalf("blind spots do not name the symbol limit: %v", blind)
	}
}

func TestBinanceFunds(t *testing.T) {
	w, f := binanceWorld(t, false)
	w.profile.Activity.Addresses = []string{"0xCOLD"}
	if r := w.want(FundsID, checks.OK); !strings.Contains(r.Summary, "baseline") {
		t.Fatalf("first run: %q", r.Summary)
	}
	// A deposit is shown, not alarmed; a withdrawal to the allowed address is ok.
	f.AddDeposit(exchangetest.BinanceDeposit{ID: "d1", Coin: "USDT", Amount: "500", Address: "0xDEP", Time: ago()})
	f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: "w-cold", Coin: "USDT", Amount: "100", Address: "0xCOLD", Time: ago()})
	r := w.want(FundsID, checks.OK)
	if ms, _ := r.Details["movements"].([]MovementView); len(ms) != 2 {
		t.Fatalf("movements %+v, want the deposit and the allowed withdrawal", ms)
	}

	// A withdrawal elsewhere and a transfer to another Binance user: crit.
	f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: "w-evil", Coin: "USDT", Amount: "9000", Address: "0xEVIL", Time: ago()})
	f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: "t-evil", Coin: "BTC", Amount: "1", Address: "attacker@example.com", Internal: true, Time: ago()})
	r = w.want(FundsID, checks.Crit)
	if got := alarmIDs(r); !slices.Equal(got, []string{"w-evil", "t-evil"}) {
		t.Fatalf("alarms %v", got)
	}
	if !strings.Contains(r.Summary, "0xEVIL") || !strings.Contains(r.Summary, "transfer") {
		t.Errorf("summary %q", r.Summary)
	}
	// Restart: the same two, once each.
	if got := alarmIDs(w.want(FundsID, checks.Crit)); len(got) != 2 {
		t.Fatalf("after a restart: %v", got)
	}
	w.ack("w-evil")
	if got := alarmIDs(w.want(FundsID, checks.Crit)); !slices.Equal(got, []string{"t-evil"}) {
		t.Fatalf("after one ack: %v", got)
	}
	w.ack("t-evil")
	w.want(FundsID, checks.OK)
}

func TestBinanceFundsAllowWithdrawals(t *testing.T) {
	w, f := binanceWorld(t, false)
	w.profile.Activity.AllowWithdrawals = true
	w.want(FundsID, checks.OK)
	f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: "w1", Coin: "USDT", Amount: "1", Address: "0xANY", Time: ago()})
	w.want(FundsID, checks.OK)
}

func TestBinanceKeyChange(t *testing.T) {
	w, f := binanceWorld(t, false)
	if r := w.want(KeyID, checks.OK); !strings.Contains(r.Summary, "baseline") {
		t.Fatalf("first run: %q", r.Summary)
	}
	w.want(KeyID, checks.OK)
	k := binanceTradingKey
	k.Withdrawals = true
	f.SetKey(k)
	r := w.want(KeyID, checks.Crit)
	if c := changes(r); !strings.Contains(c, "permission withdraw no→yes") || !strings.Contains(c, "enableWithdrawals") {
		t.Fatalf("changes %q", c)
	}
	// Still crit on the next poll and after a restart, until acknowledged.
	w.want(KeyID, checks.Crit)
	w.ack(KeyAck)
	w.want(KeyID, checks.OK)
	// A later change needs a new ack.
	k.Whitelist = nil
	f.SetKey(k)
	if c := changes(w.want(KeyID, checks.Crit)); !strings.Contains(c, "ip restricted yes→no") {
		t.Fatalf("changes %q", c)
	}
}

func TestBinanceBanPausesPolling(t *testing.T) {
	w, f := binanceWorld(t, true)
	w.logOrder("BTCUSDT", "", "")
	w.want(OrdersID, checks.OK)
	f.Faults.Set(exchangetest.Fault{Kind: exchangetest.Banned, RetryAfter: 10 * time.Minute})
	if r := w.want(OrdersID, checks.Unknown); !strings.Contains(r.Summary, "rate-limited") {
		t.Fatalf("summary %q", r.Summary)
	}
	// The ban is over on the fake, but the exchange asked for 10 minutes:
	// no request is sent until then, and the result says until when.
	f.Faults.Set(exchangetest.Fault{})
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", Side: "SELL", Qty: "1", Time: ago()})
	before := f.Requests()
	r := w.want(OrdersID, checks.Unknown)
	if !strings.Contains(r.Summary, "polling paused until") {
		t.Fatalf("summary %q", r.Summary)
	}
	if n := f.Requests() - before; n > 3 { // server-time samples only
		t.Errorf("%d requests while paused", n)
	}
}

// TestBinanceFundsReadEveryOtherMinute: the withdraw history is read at
// most every readGap("binance", FundsID); between reads the result is the last
// read's, crit stays crit, and it says when the next read is due.
func TestBinanceFundsReadEveryOtherMinute(t *testing.T) {
	w, f := binanceWorld(t, false)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	at := t0
	w.now = func() time.Time { return at }
	poll := func(d time.Duration, st checks.Status) checks.Result {
		t.Helper()
		at = t0.Add(d)
		return w.want(FundsID, st)
	}
	due := func(r checks.Result, read, next time.Duration) {
		t.Helper()
		readAt, nextAt := t0.Add(read).UTC().Format(time.RFC3339), t0.Add(next).UTC().Format(time.RFC3339)
		if r.Details["read_at"] != readAt || r.Details["next_read_at"] != nextAt {
			t.Errorf("read_at %v next_read_at %v, want %s and %s", r.Details["read_at"], r.Details["next_read_at"], readAt, nextAt)
		}
		if !strings.Contains(r.Summary, "history last read "+readAt+", next read due "+nextAt) {
			t.Errorf("summary %q does not say when the next read is due (%s)", r.Summary, nextAt)
		}
	}

	poll(0, checks.OK) // the baseline reads
	f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: "w-evil", Coin: "USDT", Amount: "9000", Address: "0xEVIL", Time: ago()})
	before := f.Requests()
	r := poll(time.Minute, checks.OK)
	due(r, 0, readGap("binance", FundsID))
	if n := f.Requests() - before; n > 3 { // server-time samples only
		t.Errorf("%d requests between reads", n)
	}
	// A tick a little early still reads on the second minute.
	r = poll(2*time.Minute-time.Second, checks.Crit)
	if got := alarmIDs(r); !slices.Equal(got, []string{"w-evil"}) {
		t.Fatalf("alarms %v", got)
	}
	if strings.Contains(r.Summary, "next read due") || r.Details["next_read_at"] != t0.Add(2*time.Minute-time.Second+readGap("binance", FundsID)).UTC().Format(time.RFC3339) {
		t.Errorf("a read: summary %q, next_read_at %v", r.Summary, r.Details["next_read_at"])
	}

	// Between reads the last read's crit stays, without the new withdrawal.
	f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: "w-evil2", Coin: "BTC", Amount: "1", Address: "0xEVIL", Time: ago()})
	r = poll(3*time.Minute, checks.Crit)
	if got := alarmIDs(r); !slices.Equal(got, []string{"w-evil"}) {
		t.Fatalf("between reads: alarms %v", got)
	}
	due(r, 2*time.Minute-time.Second, 2*time.Minute-time.Second+readGap("binance", FundsID))
	if got := alarmIDs(poll(4*time.Minute, checks.Crit)); !slices.Equal(got, []string{"w-evil", "w-evil2"}) {
		t.Fatalf("next read: alarms %v", got)
	}

	// An ack needs no read: it clears at once.
	w.ack("w-evil", "w-evil2")
	poll(5*time.Minute, checks.OK)
}

// The timeline says what its order read left out, as the orders check does:
// a logged symbol Binance does not list and the futures of a key that
// cannot trade them.
func TestBinanceTimelineNamesWhatItDidNotRead(t *testing.T) {
	w, _ := binanceWorld(t, true)
	w.logOrder("BTCUSDT", "", "")
	w.logOrder("NOPEUSDT", "", "")
	cfg := &config.Config{Profiles: []config.Profile{w.profile}}
	env := checks.NewEnv(checks.Deps{Config: cfg, Store: w.store, Timeout: 5 * time.Second})
	tl := Read(context.Background(), env, w.profile, w.state, time.Now().Add(-time.Hour))
	if tl.Err != "" {
		t.Fatalf("timeline: %s", tl.Err)
	}
	blind := strings.Join(tl.BlindSpots, "\n")
	for _, want := range []string{"NOPEUSDT", "the key cannot trade futures"} {
		if !strings.Contains(blind, want) {
			t.Errorf("blind spots do not name %q:\n%s", want, blind)
		}
	}
}

// A foreign order younger than the grace period is crit on the first poll
// once the bot's log has moved on past it, not two minutes later.
func TestBinanceForeignOrderJudgedOnceTheLogMovedOn(t *testing.T) {
	w, f := binanceWorld(t, true)
	w.logOrder("BTCUSDT", "", "")
	w.want(OrdersID, checks.OK)
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", Side: "SELL", Qty: "3", Time: time.Now().Add(-Settle - 5*time.Second)})
	// The bot logs on (a balance fetch, stamped now) without naming it.
	w.logOrder("BTCUSDT", "", "")
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{strconv.FormatInt(id, 10)}) {
		t.Fatalf("foreign %v, want %d", got, id)
	}
}
