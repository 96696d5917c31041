package exchange_test

import (
	"net/http"
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

func bybitConformance() conformance {
	created := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	trade := map[string][]string{"Spot": {"SpotTrade"}, "ContractTrade": {"Order", "Position"}}
	withdraw := map[string][]string{"Spot": {"SpotTrade"}, "ContractTrade": {"Order", "Position"}, "Wallet": {"Withdraw"}}
	info := func(p exchange.Permissions, raw ...string) exchange.KeyInfo {
		// expiredAt 1970 (IP-bound key): no expiry.
		return exchange.KeyInfo{Permissions: p, IPRestricted: exchange.Yes, Whitelist: []string{adapterAllowedIP.String()}, CreatedAt: created, Raw: raw}
	}
	tradePerms := exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.Yes,
		Futures: exchange.Yes, Options: exchange.No, Transfer: exchange.No, Withdraw: exchange.No,
		// The fake's answer has no Exchange, FiatP2P, FiatBitPay or
		// FiatConvertBroker group; ContractTrade.Order may be a master
		// trader's copy-trading orders.
		Convert: exchange.Unknown, BlockTrade: exchange.No, CopyTrading: exchange.Unknown,
		P2P: exchange.Unknown, Pay: exchange.Unknown, Earn: exchange.No}
	withdrawPerms := tradePerms
	withdrawPerms.Withdraw = exchange.Yes
	return conformance{
		start: func(t testing.TB, kind keyKind) (*exchangetest.Base, keystore.Item) {
			k := exchangetest.BybitKey{APIKey: bybitGood.APIKey.Reveal(), Secret: bybitGood.APISecret.Reveal(),
				IPs: []string{adapterAllowedIP.String()}, CreatedAt: created}
			switch kind {
			case readOnlyKey:
				k.ReadOnly = true
			case tradingKey:
				k.Permissions = trade
			case withdrawalKey:
				k.Permissions = withdraw
			}
			f := exchangetest.NewBybit(k)
			t.Cleanup(f.Close)
			return &f.Base, bybitGood
		},
		keys: map[keyKind]exchange.KeyInfo{
			readOnlyKey:   info(readOnly, "readOnly"),
			tradingKey:    info(tradePerms, "ContractTrade.Order", "ContractTrade.Position", "Spot.SpotTrade"),
			withdrawalKey: info(withdrawPerms, "ContractTrade.Order", "ContractTrade.Position", "Spot.SpotTrade", "Wallet.Withdraw"),
		},
		caller: adapterAllowedIP, outsider: adapterOtherIP,
		timeSkew: 1500 * time.Millisecond, resolution: time.Millisecond,
		wrongSecrets: []string{bybitGood.APISecret.Reveal() + "x"},
		signature:    refusal{exchange.CauseSignature, "10004", http.StatusOK},
		unknownKey:   "unknownKey0123456789abcdef", unknown: refusal{exchange.CauseKey, "10003", http.StatusUnauthorized},
		stale: []time.Duration{10 * time.Second}, clock: refusal{exchange.CauseClock, "10002", http.StatusOK},
		ip:       refusal{exchange.CauseIP, "10010", http.StatusOK},
		rateCode: "10006", banCode: "10006",
	}
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
