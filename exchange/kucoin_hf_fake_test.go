package exchange_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// HF orders: done ones read across lastId pages back to q.Since but no
// further than KuCoin's 3 days, open ones of the symbols that have them,
// the classic account's beside them, each once, oldest first.
func TestKuCoinHFOrdersAgainstFake(t *testing.T) {
	f, c := startKuCoin(t, kucoinTestKeyDef())
	now := time.Now()
	for i := range 250 { // three pages of 100, 62 hours
		f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "0.01", ClientOid: fmt.Sprintf("bot-%d", i),
			Time: now.Add(-time.Hour - time.Duration(i)*15*time.Minute)})
	}
	f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "1", Time: now.Add(-80 * time.Hour)})
	open := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "PEPE-USDT", Side: "buy", Size: "1000000", Channel: "IOS", Active: true, Time: now.Add(-time.Hour)})
	held := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "SOL-USDT", Side: "buy", Size: "4", Time: now.Add(-2 * time.Hour)})
	f.SetHFBalance("SOL", "4")
	f.SetHFBalance("USDT", "0")
	classic := f.AddOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "sell", Size: "1", Time: now.Add(-3 * time.Hour)})

	ac := c.(exchange.ActivityClient)
	creds := kucoinTestCreds(kucoinTestSecret, kucoinTestPass)
	before := f.Requests()
	var unread []string
	got, err := ac.Orders(context.Background(), creds, 0, exchange.OrderQuery{Since: now.Add(-5 * 24 * time.Hour), Symbols: []string{"BTC-USDT"},
		Unread: func(why string) { unread = append(unread, why) }})
	if err != nil {
		t.Fatal(err)
	}
	// classic active + done, HF symbols + balances, the HF ledger's 502
	// trade entries in 3 pages, BTC-USDT done ×3 pages, PEPE-USDT and
	// SOL-USDT done ×1, PEPE-USDT active.
	if n := f.Requests() - before; n != 13 {
		t.Errorf("%d requests, want 13", n)
	}
	if len(unread) != 1 || !strings.Contains(unread[0], "3 days back") {
		t.Errorf("unread %q, want the 3-day limit", unread)
	}
	ids := map[string]exchange.Order{}
	for _, o := range got {
		if _, dup := ids[o.ID]; dup {
			t.Errorf("order %s twice", o.ID)
		}
		ids[o.ID] = o
	}
	if len(got) != 253 {
		t.Errorf("%d orders, want 250 HF BTC-USDT + PEPE + SOL + 1 classic", len(got))
	}
	if o := ids[open]; o.Origin != "IOS" || o.Symbol != "PEPE-USDT" || o.Size != "1000000" {
		t.Errorf("open HF order %+v", o)
	}
	if _, ok := ids[held]; !ok {
		t.Error("the done order of a held currency's symbol is missing")
	}
	if _, ok := ids[classic]; !ok {
		t.Error("the classic order is missing")
	}
	if o := got[0]; o.ClientID != "bot-249" {
		t.Errorf("oldest first: got %+v first", o)
	}
	if !slices.IsSortedFunc(got, func(a, b exchange.Order) int { return a.Time.Compare(b.Time) }) {
		t.Error("not oldest first")
	}
}

// A refused HF call fails the whole read: the orders are not known.
func TestKuCoinHFRefusedAgainstFake(t *testing.T) {
	k := kucoinTestKeyDef()
	k.Info.Permission = "General" // GET /api/v1/hf/orders/active/symbols needs Spot
	_, c := startKuCoin(t, k)
	_, err := c.(exchange.ActivityClient).Orders(context.Background(), kucoinTestCreds(kucoinTestSecret, kucoinTestPass), 0,
		exchange.OrderQuery{Since: time.Now().Add(-time.Hour), Symbols: []string{"BTC-USDT"}})
	if e := adapterCause(t, "kucoin", err, exchange.CausePermission); e.Code != "400007" {
		t.Errorf("code %q, want 400007", e.Code)
	}
}

// A poll reads at most ten HF ledger pages for traded symbols and says
// what it left unread.
func TestKuCoinHFLedgerBoundAgainstFake(t *testing.T) {
	f, c := startKuCoin(t, kucoinTestKeyDef())
	now := time.Now()
	doge := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "DOGE-USDT", Side: "buy", Size: "100", Time: now.Add(-50 * time.Minute)})
	for i := range 1001 { // 2002 ledger entries, all newer than DOGE's
		f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "0.01", Time: now.Add(-40*time.Minute + time.Duration(i)*time.Second)})
	}
	var unread []string
	got, err := c.(exchange.ActivityClient).Orders(context.Background(), kucoinTestCreds(kucoinTestSecret, kucoinTestPass), 0,
		exchange.OrderQuery{Since: now.Add(-time.Hour), Symbols: []string{"BTC-USDT"}, Unread: func(why string) { unread = append(unread, why) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1001 || slices.ContainsFunc(got, func(o exchange.Order) bool { return o.ID == doge }) {
		t.Errorf("%d orders (DOGE's among them: it should be past the ledger pages read)", len(got))
	}
	if len(unread) != 1 || !strings.Contains(unread[0], "older than its newest 2000") {
		t.Errorf("unread %q", unread)
	}
}
