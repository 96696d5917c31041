package exchange_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// startBinance serves a fake for the trading key, as edit changes it,
// called from the adapter's allowed IP, and returns it with an adapter on
// it.
func startBinance(t *testing.T, edit func(*exchangetest.BinanceKey)) (*exchangetest.Binance, exchange.Client) {
	t.Helper()
	k := binanceKey(tradingKey)
	edit(&k)
	f := exchangetest.NewBinance(k)
	t.Cleanup(f.Close)
	f.SetCallerIP(adapterAllowedIP)
	c, err := exchange.New("binance", f.URL(), testHTTP(t))
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

// startBinanceSpot is startBinance for a key without an IP whitelist.
func startBinanceSpot(t *testing.T) (*exchangetest.Binance, exchange.Client) {
	t.Helper()
	return startBinance(t, func(k *exchangetest.BinanceKey) { k.Whitelist = nil })
}

// wantWeight fails t unless the requests to path cost want weight.
func wantWeight(t *testing.T, f *exchangetest.Binance, path string, want int64) {
	t.Helper()
	if w := f.Weight(path); w != want {
		t.Errorf("%s cost %d weight, want %d", path, w, want)
	}
}

// A filled order moves the fake's balances as the matching engine would,
// and the adapter reads them back from /api/v3/account, zeros left out.
func TestBinanceBalancesFollowFills(t *testing.T) {
	f, c := startBinanceSpot(t)
	bc := c.(exchange.BalanceClient)
	ctx := context.Background()
	f.SetBalance("USDT", "1000", "0")
	f.SetBalance("BTC", "0.5", "0.1")
	f.SetBalance("BNB", "1", "0")
	f.SetBalance("XRP", "0", "0")
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "0.01", Price: "50000",
		Status: "FILLED", FeeBNB: "0.001", Time: time.Now()})
	got, err := bc.Balances(ctx, binanceGood, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []exchange.Balance{
		{Asset: "BNB", Free: "0.99900000", Locked: "0.00000000"},
		{Asset: "BTC", Free: "0.51000000", Locked: "0.10000000"},
		{Asset: "USDT", Free: "500.00000000", Locked: "0.00000000"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("balances %+v,\nwant %+v", got, want)
	}
	wantWeight(t, f, "/api/v3/account", 20)
}

// A resting order is listed by openOrders (weight 80 for every symbol)
// until it fills; its fill time and executed quantity come back.
func TestBinanceOpenOrdersAndFill(t *testing.T) {
	f, c := startBinanceSpot(t)
	bc := c.(exchange.BalanceClient)
	ctx := context.Background()
	f.SetBalance("ETH", "2", "0")
	created := time.Now().Add(-3 * time.Hour)
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "ETHBTC", Side: "SELL", Qty: "1", Price: "0.05", Time: created})
	f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "1", Status: "CANCELED", Time: created})
	open, err := bc.OpenOrders(ctx, binanceGood, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].ID != strconv.FormatInt(id, 10) || open[0].Symbol != "ETHBTC" || open[0].Status != "NEW" {
		t.Fatalf("open orders %+v", open)
	}
	filled := time.Now().Truncate(time.Millisecond)
	if !f.FillOrder("ETHBTC", id, filled) {
		t.Fatal("the order was not open")
	}
	if open, err = bc.OpenOrders(ctx, binanceGood, 0); err != nil || len(open) != 0 {
		t.Fatalf("open orders after the fill: %+v, %v", open, err)
	}
	if f.Balance("ETH") != "1.00000000" || f.Balance("BTC") != "0.05000000" {
		t.Errorf("balances after the fill: ETH %s BTC %s", f.Balance("ETH"), f.Balance("BTC"))
	}
	orders, err := c.(exchange.ActivityClient).Orders(ctx, binanceGood, 0, exchange.OrderQuery{
		Since: created.Add(-time.Minute), Symbols: []string{"ETHBTC"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].Status != "FILLED" || orders[0].Filled != "1.00000000" || !orders[0].Updated.Equal(filled) {
		t.Fatalf("orders %+v", orders)
	}
	wantWeight(t, f, "/api/v3/openOrders", 160)
}

// A symbol Binance does not list answers -1121: the adapter skips it and
// says so, and the other symbols are still read.
func TestBinanceOrdersSkipUnlistedSymbol(t *testing.T) {
	f, c := startBinanceSpot(t)
	ac := c.(exchange.ActivityClient)
	ctx := context.Background()
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "1", Time: time.Now().Add(-time.Minute)})
	var unlisted []string
	orders, err := ac.Orders(ctx, binanceGood, 0, exchange.OrderQuery{Since: time.Now().Add(-time.Hour),
		Symbols: []string{"USDTBTC", "BTCUSDT"}, Unlisted: &unlisted})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(unlisted, []string{"USDTBTC"}) || len(orders) != 1 || orders[0].ID != strconv.FormatInt(id, 10) {
		t.Fatalf("unlisted %v, orders %+v", unlisted, orders)
	}
	// Without Unlisted the answer is the exchange's error, code and all.
	_, err = ac.Orders(ctx, binanceGood, 0, exchange.OrderQuery{Since: time.Now().Add(-time.Hour), Symbols: []string{"USDTBTC"}})
	if err == nil || !strings.Contains(err.Error(), "-1121") {
		t.Fatalf("err %v, want -1121", err)
	}
	wantWeight(t, f, "/api/v3/allOrders", 60)
}
