package exchange_test

import (
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

func TestOKXAgainstFake(t *testing.T) {
	defer adapterLeakCheck(t)()
	f := exchangetest.NewOKX(exchangetest.OKXKey{
		APIKey: okxGood.APIKey.Reveal(), Secret: okxGood.APISecret.Reveal(), Passphrase: okxGood.Passphrase.Reveal(),
		Perm: []string{"read_only", "trade"}, IPs: []string{"203.0.113.7", "2001:db8::1"},
	})
	defer f.Close()
	runAdapterSuite(t, adapterCase{
		exchange: "okx", base: &f.Base, good: okxGood,
		want: exchange.KeyInfo{
			// trade includes funding transfer and every instrument type.
			Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.Yes,
				Futures: exchange.Yes, Options: exchange.Yes, Transfer: exchange.Yes, Withdraw: exchange.No,
				Convert: exchange.Yes, BlockTrade: exchange.Yes, CopyTrading: exchange.Yes,
				P2P: exchange.No, Pay: exchange.No, Earn: exchange.Yes},
			IPRestricted: exchange.Yes, Whitelist: []string{"203.0.113.7", "2001:db8::1"},
			Raw: []string{"read_only", "trade"},
		},
		unknownCause: exchange.CauseKey, ipCause: exchange.CauseIP, ipCode: "50110",
		rateCode: "50011", skew: 45 * time.Second,
	}, f.URL())
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
	e := adapterCause(t, adapterCase{exchange: "okx"}, err, exchange.CauseKey)
	if e.Code != "50105" {
		t.Errorf("code = %q, want 50105", e.Code)
	}
	adapterNoCreds(t, err, okxGood, bad)

	ki, err := client.KeyInfo(t.Context(), okxGood, 0)
	if err != nil {
		t.Fatal(err)
	}
	// ip "" means not bound: any caller gets in, and it reads as unrestricted.
	if ki.IPRestricted != exchange.No || ki.Whitelist == nil || len(ki.Whitelist) != 0 || ki.Permissions.Withdraw != exchange.Yes {
		t.Errorf("KeyInfo = %+v", ki)
	}
}
