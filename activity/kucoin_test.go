package activity

import (
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

func TestKuCoinNamesTheOrderSourceAndInnerTransfers(t *testing.T) {
	w, acc := accounts["kucoin"](t)
	f := acc.(kucoinAccount).f
	w.logOrder("BTC-USDT", "", "")
	w.want(OrdersID, checks.OK)
	w.want(FundsID, checks.OK)
	f.AddOrder(exchangetest.KuCoinOrder{Symbol: "ETH-USDT", Side: "sell", Size: "4", Channel: "WEB", Time: ago()})
	r := w.want(OrdersID, checks.Crit)
	if fs, _ := r.Details["foreign"].([]Foreign); len(fs) != 1 || fs[0].Origin != "WEB" {
		t.Fatalf("foreign %+v, want one with origin WEB", fs)
	}
	// The trader's own web orders, allowed by origin: that one and the next.
	w.profile.Activity.AllowManual = []string{"WEB"}
	f.AddOrder(exchangetest.KuCoinOrder{Symbol: "ETH-USDT", Side: "buy", Size: "1", Channel: "WEB", Time: ago()})
	w.want(OrdersID, checks.OK)
	f.AddMovement(exchangetest.KuCoinMovement{ID: "inner-1", Currency: "USDT", Amount: "10", Address: "friend@example.com", IsInner: true, Time: ago()})
	r = w.want(FundsID, checks.Crit)
	if ms, _ := r.Details["movements"].([]MovementView); len(ms) != 1 || ms[0].Kind != "transfer" {
		t.Fatalf("movements %+v", ms)
	}
}
