package exchange_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

var okxGood = keystore.Item{
	APIKey:     keystore.NewSecret("d0a1b2c3-4e5f-6789-abcd-ef0123456789"),
	APISecret:  keystore.NewSecret("22582BD0CFF14C41EDBF1AB98506286D"),
	Passphrase: keystore.NewSecret("Corr3ct-Horse-Battery"),
}

func okxConformance() conformance {
	ips := []string{adapterAllowedIP.String(), "2001:db8::1"}
	perm := map[keyKind][]string{readOnlyKey: {"read_only"}, tradingKey: {"read_only", "trade"}, withdrawalKey: {"read_only", "withdraw"}}
	info := func(p exchange.Permissions) exchange.KeyInfo {
		return exchange.KeyInfo{Permissions: p, IPRestricted: exchange.Yes, Whitelist: ips}
	}
	// trade includes funding transfer and every instrument type.
	trade := exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.Yes,
		Futures: exchange.Yes, Options: exchange.Yes, Transfer: exchange.Yes, Withdraw: exchange.No,
		Convert: exchange.Yes, BlockTrade: exchange.Yes, CopyTrading: exchange.Yes,
		P2P: exchange.No, Pay: exchange.No, Earn: exchange.Yes}
	withdraw := readOnly
	withdraw.Withdraw = exchange.Yes
	keys := map[keyKind]exchange.KeyInfo{readOnlyKey: info(readOnly), tradingKey: info(trade), withdrawalKey: info(withdraw)}
	for k, p := range perm {
		ki := keys[k]
		ki.Raw = p
		keys[k] = ki
	}
	return conformance{
		start: func(t testing.TB, kind keyKind) (*exchangetest.Base, keystore.Item) {
			f := exchangetest.NewOKX(exchangetest.OKXKey{
				APIKey: okxGood.APIKey.Reveal(), Secret: okxGood.APISecret.Reveal(), Passphrase: okxGood.Passphrase.Reveal(),
				Perm: perm[kind], IPs: ips,
			})
			t.Cleanup(f.Close)
			return &f.Base, okxGood
		},
		keys:   keys,
		caller: adapterAllowedIP, outsider: adapterOtherIP,
		timeSkew: 1500 * time.Millisecond, resolution: time.Millisecond,
		wrongSecrets: []string{okxGood.APISecret.Reveal() + "x"},
		signature:    refusal{exchange.CauseSignature, "50113", http.StatusUnauthorized},
		unknownKey:   "unknownKey0123456789abcdef", unknown: refusal{exchange.CauseKey, "50111", http.StatusUnauthorized},
		stale: []time.Duration{45 * time.Second}, clock: refusal{exchange.CauseClock, "50102", http.StatusUnauthorized},
		ip:       refusal{exchange.CauseIP, "50110", http.StatusUnauthorized},
		rateCode: "50011", banCode: "50011",
	}
}

func TestOKXWrongPassphraseAndUnboundKey(t *testing.T) {
	defer adapterLeakCheck(t)()
	f := exchangetest.NewOKX(exchangetest.OKXKey{
		APIKey: okxGood.APIKey.Reveal(), Secret: okxGood.APISecret.Reveal(), Passphrase: okxGood.Passphrase.Reveal(),
		Perm: []string{"read_only", "withdraw"},
	})
	defer f.Close()
	f.SetCallerIP(adapterOtherIP)
	client, tr := adapterClient(t, "okx", f.URL())
	defer tr.CloseIdleConnections()

	bad := okxGood
	bad.Passphrase = keystore.NewSecret("wrong-passphrase-value")
	_, err := client.KeyInfo(t.Context(), bad, 0)
	e := adapterCause(t, "okx", err, exchange.CauseKey)
	if e.Code != "50105" {
		t.Errorf("code = %q, want 50105", e.Code)
	}
	noSecret(t, err, okxGood, bad)

	ki, err := client.KeyInfo(t.Context(), okxGood, 0)
	if err != nil {
		t.Fatal(err)
	}
	// ip "" means not bound: any caller gets in, and it reads as unrestricted.
	if ki.IPRestricted != exchange.No || ki.Whitelist == nil || len(ki.Whitelist) != 0 || ki.Permissions.Withdraw != exchange.Yes {
		t.Errorf("KeyInfo = %+v", ki)
	}
}
