package exchange_test

import (
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

var bybitGood = keystore.Item{
	APIKey:    keystore.NewSecret("opjSlSOzqIeXROT5rq"),
	APISecret: keystore.NewSecret("Hx9uQ3yWzVbN7kLmPq2RsT4vXy6Z8aBcDeFg"),
}

func TestBybitAgainstFake(t *testing.T) {
	defer adapterLeakCheck(t)()
	created := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	f := exchangetest.NewBybit(exchangetest.BybitKey{
		APIKey: bybitGood.APIKey.Reveal(), Secret: bybitGood.APISecret.Reveal(),
		Permissions: map[string][]string{"Spot": {"SpotTrade"}, "ContractTrade": {"Order", "Position"}, "Wallet": {"Withdraw"}},
		IPs:         []string{"203.0.113.7"}, CreatedAt: created,
	})
	defer f.Close()
	runAdapterSuite(t, adapterCase{
		exchange: "bybit", base: &f.Base, good: bybitGood,
		want: exchange.KeyInfo{
			Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.Yes,
				Futures: exchange.Yes, Options: exchange.No, Transfer: exchange.No, Withdraw: exchange.Yes,
				// The fake's answer has no Exchange, FiatP2P, FiatBitPay or
				// FiatConvertBroker group; ContractTrade.Order may be a master
				// trader's copy-trading orders.
				Convert: exchange.Unknown, BlockTrade: exchange.No, CopyTrading: exchange.Unknown,
				P2P: exchange.Unknown, Pay: exchange.Unknown, Earn: exchange.No},
			IPRestricted: exchange.Yes, Whitelist: []string{"203.0.113.7"}, CreatedAt: created,
			// expiredAt 1970 (IP-bound key): no expiry.
			Raw: []string{"ContractTrade.Order", "ContractTrade.Position", "Spot.SpotTrade", "Wallet.Withdraw"},
		},
		unknownCause: exchange.CauseKey, ipCause: exchange.CauseIP, ipCode: "10010",
		rateCode: "10006", skew: 10 * time.Second,
	}, f.URL())
}

// ips ["*"] lets every caller in and reads as not restricted; an expiry the
// exchange reports comes through.
func TestBybitUnboundKeyAgainstFake(t *testing.T) {
	defer adapterLeakCheck(t)()
	expires := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	f := exchangetest.NewBybit(exchangetest.BybitKey{
		APIKey: bybitGood.APIKey.Reveal(), Secret: bybitGood.APISecret.Reveal(),
		ReadOnly: true, Permissions: map[string][]string{"Spot": {"SpotTrade"}},
		IPs: []string{"*"}, ExpiredAt: expires,
	})
	defer f.Close()
	f.SetCallerIP(adapterOtherIP)
	client, tr := adapterClient(t, "bybit", f.URL())
	defer tr.CloseIdleConnections()
	ki, err := client.KeyInfo(t.Context(), bybitGood, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ki.IPRestricted != exchange.No || ki.Whitelist == nil || len(ki.Whitelist) != 0 {
		t.Errorf("IPRestricted %v, Whitelist %#v; want no, empty", ki.IPRestricted, ki.Whitelist)
	}
	if ki.Permissions.Trade != exchange.No || !ki.ExpiresAt.Equal(expires) {
		t.Errorf("read-only key: trade %v, expires %v", ki.Permissions.Trade, ki.ExpiresAt)
	}
}
