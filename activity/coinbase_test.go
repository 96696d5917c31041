package activity

import (
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

func TestCoinbaseFillsAreNoMovements(t *testing.T) {
	w, acc := accounts["coinbase"](t)
	f := acc.(coinbaseAccount).f
	w.want(FundsID, checks.OK)
	f.AddTransaction(exchangetest.CoinbaseTransaction{ID: "fill-1", Type: "advanced_trade_fill", Amount: "-50.00", Currency: "USDC", Time: ago()})
	f.AddTransaction(exchangetest.CoinbaseTransaction{ID: "send-1", Type: "send", Amount: "-50.00", Currency: "USDC", To: "0xEVIL", Time: ago()})
	r := w.want(FundsID, checks.Crit)
	if got := alarmIDs(r); len(got) != 1 || got[0] != "send-1" {
		t.Fatalf("alarms %v, want only the send", got)
	}
}
