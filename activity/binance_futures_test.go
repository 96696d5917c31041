package activity

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// binanceFuturesKey may trade USDⓈ-M futures.
var binanceFuturesKey = exchangetest.BinanceKey{APIKey: binanceKey, Secret: binanceSecret,
	Reading: true, SpotAndMarginTrading: true, Futures: true, Whitelist: []string{"127.0.0.1/32"}}

func binanceFuturesWorld(t *testing.T, k exchangetest.BinanceKey) (*world, *exchangetest.Binance) {
	t.Helper()
	f := exchangetest.NewBinance(k)
	t.Cleanup(f.Close)
	w := newWorld(t, "binance", f.URL(),
		keystore.Item{APIKey: keystore.NewSecret(binanceKey), APISecret: keystore.NewSecret(binanceSecret)}, true)
	return w, f
}

func blindSpots(r checks.Result) string {
	b, _ := r.Details["blind_spots"].([]string)
	return strings.Join(b, "; ")
}

func TestBinanceFuturesOrders(t *testing.T) {
	w, f := binanceFuturesWorld(t, binanceFuturesKey)
	w.logOrder("BTC/USDT:USDT", "", "") // ccxt's linear perpetual: BTCUSDT on fapi
	w.want(OrdersID, checks.OK)

	// The bot's own futures orders, by order id and by client id.
	id := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", ClientOrderID: "bot-f1", Side: "BUY", Qty: "0.010", Time: ago()})
	w.logOrder("BTCUSDT", strconv.FormatInt(id, 10), "")
	f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", ClientOrderID: "x-xcKtGhcu9f8e7d6c5b4a", Side: "SELL", Qty: "0.010", Time: ago()})
	w.logOrder("BTCUSDT", "", "9f8e7d6c5b4a")
	if r := w.want(OrdersID, checks.OK); r.Details["matched"] != 2 {
		t.Fatalf("matched %v, want 2: %q", r.Details["matched"], r.Summary)
	}

	// A foreign futures order, and a foreign spot order that happens to
	// have the same id on the same symbol: two findings, not one.
	fid := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", ClientOrderID: "web_ab12", Side: "SELL", Qty: "3.000", Time: ago()})
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", OrderID: fid, Side: "BUY", Qty: "0.5", Time: ago()})
	r := w.want(OrdersID, checks.Crit)
	fids := strconv.FormatInt(fid, 10)
	for _, s := range []string{fids, "web_ab12", "futures BTCUSDT", "SELL", "3.000"} {
		if !strings.Contains(r.Summary, s) {
			t.Errorf("summary lacks %q: %s", s, r.Summary)
		}
	}
	if got := foreignIDs(r); !slices.Equal(got, []string{fids, fids}) {
		t.Fatalf("foreign %v, want the spot and the futures order %s", got, fids)
	}
	// Restart: once.
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); len(got) != 2 {
		t.Fatalf("after a restart: foreign %v", got)
	}
	w.ack(fids)
	w.want(OrdersID, checks.OK)
}

// An intruder's futures order on a symbol the bot never logged is seen
// through the symbol's position, its open order, or its fills' income.
func TestBinanceFuturesForeignOrderOnUnloggedSymbol(t *testing.T) {
	w, f := binanceFuturesWorld(t, binanceFuturesKey)
	w.logOrder("BTCUSDT", "", "")
	w.want(OrdersID, checks.OK)

	// An order cancelled unfilled (no fill, no income) on a symbol that
	// holds a position: found through the position.
	pos := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "SOLUSDT", Side: "BUY", Qty: "800", Status: "CANCELED", Time: ago()})
	f.SetFuturesPosition("SOLUSDT", "800")
	r := w.want(OrdersID, checks.Crit)
	if got := foreignIDs(r); !slices.Equal(got, []string{strconv.FormatInt(pos, 10)}) {
		t.Fatalf("foreign %v, want the SOLUSDT order", got)
	}
	if !strings.Contains(r.Summary, "futures SOLUSDT") {
		t.Errorf("summary %q", r.Summary)
	}

	// Opened and closed between two polls: no position, no open order; the
	// fills' commissions name the symbol.
	in := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "XRPUSDT", Side: "BUY", Qty: "50000", Time: ago()})
	out := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "XRPUSDT", Side: "SELL", Qty: "50000", Time: ago()})
	r = w.want(OrdersID, checks.Crit)
	if got := foreignIDs(r); !slices.Contains(got, strconv.FormatInt(in, 10)) || !slices.Contains(got, strconv.FormatInt(out, 10)) {
		t.Fatalf("foreign %v, want the XRPUSDT round trip too", got)
	}

	// Resting unfilled: found through openOrders.
	open := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "DOGEUSDT", Side: "SELL", Qty: "90000", Status: "NEW", Time: ago()})
	r = w.want(OrdersID, checks.Crit)
	if got := foreignIDs(r); !slices.Contains(got, strconv.FormatInt(open, 10)) {
		t.Fatalf("foreign %v, want the open DOGEUSDT order too", got)
	}
}

// Liquidations and ADL are the exchange's; a client id that only looks
// like theirs is not.
func TestBinanceFuturesLiquidationIsNotAlarmed(t *testing.T) {
	w, f := binanceFuturesWorld(t, binanceFuturesKey)
	w.logOrder("ETHUSDT", "", "")
	w.want(OrdersID, checks.OK)
	f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "ETHUSDT", Side: "SELL", Qty: "4", Force: "LIQUIDATION", Time: ago()})
	f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "ETHUSDT", Side: "BUY", Qty: "1", Force: "ADL", Time: ago()})
	if r := w.want(OrdersID, checks.OK); len(foreignIDs(r)) != 0 {
		t.Fatalf("foreign %v", foreignIDs(r))
	}

	fake := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "ETHUSDT", ClientOrderID: "autoclose-1764086400000000020", Side: "SELL", Qty: "40", Time: ago()})
	r := w.want(OrdersID, checks.Crit)
	if got := foreignIDs(r); !slices.Equal(got, []string{strconv.FormatInt(fake, 10)}) {
		t.Fatalf("foreign %v, want the order dressed as a liquidation", got)
	}
}

// A key that cannot trade futures cannot be used to place futures orders:
// they are not read, and the result says so.
func TestBinanceFuturesKeyWithoutFuturesIsNotRead(t *testing.T) {
	w, f := binanceFuturesWorld(t, binanceTradingKey)
	w.logOrder("BTCUSDT", "", "")
	w.want(OrdersID, checks.OK)
	f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "1", Time: ago()})
	r := w.want(OrdersID, checks.OK)
	if b := blindSpots(r); !strings.Contains(b, "futures orders are not read: the key cannot trade futures") {
		t.Fatalf("blind spots do not say why futures were not read: %s", b)
	}
	if n := f.FuturesWeight(); n != 0 {
		t.Fatalf("%d fapi weight spent for a key without futures", n)
	}
}

// When apiRestrictions does not say whether the key may trade futures,
// futures are read; fapi's refusal is unknown, never ok.
func TestBinanceFuturesRefusalIsUnknown(t *testing.T) {
	k := binanceTradingKey
	k.Omit = []string{"enableFutures", "enablePortfolioMarginTrading"}
	w, f := binanceFuturesWorld(t, k)
	w.logOrder("BTCUSDT", "", "")
	r := w.want(OrdersID, checks.Unknown)
	if !strings.Contains(r.Hint, "-2015") || !strings.Contains(r.Summary, "unavailable") {
		t.Fatalf("summary %q hint %q", r.Summary, r.Hint)
	}
	if f.FuturesWeight() == 0 {
		t.Fatal("futures were not asked although the permission is unknown")
	}
}

// One poll's fapi weight: positionRisk 5, openOrders without symbol 40,
// income 30, allOrders 5 a symbol; a symbol fapi does not list (a spot-only market
// the bot logs) is asked once and skipped.
func TestBinanceFuturesWeightPerPoll(t *testing.T) {
	w, f := binanceFuturesWorld(t, binanceFuturesKey)
	syms := []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "1000PEPEUSDT", "PEPEUSDT", "ADAUSDT", "LINKUSDT"}
	for _, s := range syms {
		f.ListSymbol(strings.TrimSuffix(s, "USDT"), "USDT") // on spot: its poll asks about each
		w.logOrder(s, "", "")
	}
	w.want(OrdersID, checks.OK)
	before := f.FuturesWeight()
	w.want(OrdersID, checks.OK)
	// Ten symbols, three of them unknown to the fake's futures (-1121), each asked once.
	const want = 5 + 40 + 30 + 5*10
	if got := f.FuturesWeight() - before; got != want {
		t.Fatalf("one poll cost %d fapi weight, want %d", got, want)
	}
	if want*10 > 2400 {
		t.Fatalf("%d weight a minute is over 10%% of fapi's 2400", want)
	}
}
