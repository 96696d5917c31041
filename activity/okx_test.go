package activity

import (
	"slices"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

func TestOKXSystemOrdersAndTransfersToAUID(t *testing.T) {
	w, acc := accounts["okx"](t)
	f := acc.(okxAccount).f
	w.logOrder("BTC-USDT", "", "")
	w.want(OrdersID, checks.OK)
	w.want(FundsID, checks.OK)
	f.AddOrder(exchangetest.OKXOrder{InstType: "SWAP", InstID: "BTC-USDT-SWAP", Side: "sell", Sz: "3", Category: "full_liquidation", Time: ago()})
	twap := f.AddOrder(exchangetest.OKXOrder{InstType: "SPOT", InstID: "ETH-USDT", Side: "buy", Sz: "2", Category: "twap", Time: ago()})
	if r := w.want(OrdersID, checks.Crit); !slices.Equal(foreignIDs(r), []string{twap}) {
		t.Fatalf("foreign %v, want only the TWAP order", foreignIDs(r))
	}
	f.AddWithdrawal(exchangetest.OKXWithdrawal{WdID: "15447421", Ccy: "USDT", Amt: "50", To: "44705892343619585", ToUID: true, Time: ago()})
	r := w.want(FundsID, checks.Crit)
	if ms, _ := r.Details["movements"].([]MovementView); len(ms) != 1 || ms[0].Kind != "transfer" {
		t.Fatalf("movements %+v", ms)
	}
}
