package activity

import (
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

func TestBybitSystemOrdersAndInternalTransfers(t *testing.T) {
	w, acc := accounts["bybit"](t)
	f := acc.(bybitAccount).f
	w.logOrder("BTCUSDT", "", "")
	w.want(OrdersID, checks.OK)
	w.want(FundsID, checks.OK)
	// A liquidation is the exchange's; a grid-bot order is someone's choice.
	f.AddOrder(exchangetest.BybitOrder{Category: "linear", Symbol: "BTCUSDT", Side: "Sell", Qty: "1", CreateType: "CreateByLiq", Time: ago()})
	grid := f.AddOrder(exchangetest.BybitOrder{Category: "linear", Symbol: "ETHUSDT", Side: "Buy", Qty: "3", CreateType: "CreateByFGridBot", Time: ago()})
	r := w.want(OrdersID, checks.Crit)
	if !slices.Equal(foreignIDs(r), []string{grid}) || !strings.Contains(r.Summary, "origin CreateByFGridBot") {
		t.Fatalf("foreign %v: %s", foreignIDs(r), r.Summary)
	}
	// An off-chain withdrawal to another Bybit user is seen (withdrawType=2) as a transfer.
	f.AddWithdrawal(exchangetest.BybitWithdrawal{ID: "uid-1", Coin: "USDT", Amount: "50", ToAddress: "592324", Internal: true, Time: ago()})
	r = w.want(FundsID, checks.Crit)
	if ms, _ := r.Details["movements"].([]MovementView); len(ms) != 1 || ms[0].Kind != "transfer" || ms[0].To != "592324" {
		t.Fatalf("movements %+v", ms)
	}
}
