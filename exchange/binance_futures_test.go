package exchange_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

func binanceFuturesClient(t *testing.T) (exchange.ActivityClient, *exchangetest.Binance) {
	t.Helper()
	f, c := startBinance(t, func(k *exchangetest.BinanceKey) { k.Futures = true })
	return c.(exchange.ActivityClient), f
}

// A week back is two allOrders windows (each under 7 days); 2600 orders in
// the last hour are more than two full pages of the most recent rows, so
// the window is split until every part fits one page.
func TestBinanceFuturesOrdersPagingAndWindows(t *testing.T) {
	c, f := binanceFuturesClient(t)
	now := time.Now()
	const busy = 2600
	for i := range busy {
		f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "0.001",
			Time: now.Add(-time.Hour).Add(time.Duration(i) * time.Second)})
	}
	old := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", Side: "SELL", Qty: "2", Time: now.Add(-167 * time.Hour)})
	f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", Side: "SELL", Qty: "9", Time: now.Add(-8 * 24 * time.Hour)})

	orders, err := c.Orders(context.Background(), binanceGood, 0, exchange.OrderQuery{Since: now.Add(-7 * 24 * time.Hour), Symbols: []string{"BTCUSDT"}})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, o := range orders {
		if o.Symbol != "futures BTCUSDT" || o.System {
			t.Fatalf("order %+v", o)
		}
		ids[o.ID] = true
	}
	if len(orders) != busy+1 || len(ids) != busy+1 {
		t.Fatalf("%d orders (%d distinct), want %d: the week's, once each", len(orders), len(ids), busy+1)
	}
	if !ids[strconv.FormatInt(old, 10)] {
		t.Fatal("the order of the older window is missing")
	}
}

// A symbol fapi does not list is skipped; the spot testnet has no futures
// and says so instead of asking.
func TestBinanceFuturesUnlistedSymbolAndSpotTestnet(t *testing.T) {
	c, f := binanceFuturesClient(t)
	id := f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "ETHUSDT", Side: "BUY", Qty: "1", Time: time.Now().Add(-time.Minute)})
	var unread []string
	orders, err := c.Orders(context.Background(), binanceGood, 0, exchange.OrderQuery{Since: time.Now().Add(-time.Hour),
		Symbols: []string{"ETHUSDT", "PEPEUSDT"}, Unread: func(s string) { unread = append(unread, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].ID != strconv.FormatInt(id, 10) || len(unread) != 0 {
		t.Fatalf("orders %+v, unread %q", orders, unread)
	}

	tn, err := exchange.New("binance", "https://testnet.binance.vision", nil)
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	// The spot part of the poll has no symbol to ask about, so nothing is sent.
	if _, err := tn.(exchange.ActivityClient).Orders(context.Background(), binanceGood, 0, exchange.OrderQuery{Since: time.Now(),
		Unread: func(s string) { said = append(said, s) }}); err != nil {
		t.Fatal(err)
	}
	if len(said) != 1 || !strings.Contains(said[0], "spot testnet has no futures") {
		t.Fatalf("unread %q", said)
	}
}

// The key's answer the caller already read decides whether futures are
// read: Orders does not ask apiRestrictions again.
func TestBinanceFuturesUsesTheCallersKeyInfo(t *testing.T) {
	c, f := binanceFuturesClient(t)
	f.AddFuturesOrder(exchangetest.BinanceFuturesOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "1", Time: time.Now().Add(-time.Minute)})
	asked := 0
	var unread []string
	q := exchange.OrderQuery{Since: time.Now().Add(-time.Hour), Symbols: []string{"BTCUSDT"},
		Unread: func(s string) { unread = append(unread, s) },
		KeyInfo: func(context.Context) (exchange.KeyInfo, error) {
			asked++
			return exchange.KeyInfo{Permissions: exchange.Permissions{Futures: exchange.No}}, nil
		}}
	orders, err := c.Orders(context.Background(), binanceGood, 0, q)
	if err != nil {
		t.Fatal(err)
	}
	if asked != 1 || len(orders) != 0 || len(unread) != 1 || !strings.Contains(unread[0], "cannot trade futures") {
		t.Errorf("asked %d times, %d orders, unread %q: want the caller's answer (no futures) used", asked, len(orders), unread)
	}
}
