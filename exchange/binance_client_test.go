package exchange_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// Real-looking credentials (the docs' test key pair): the leak checks look
// for these exact strings in every error.
var binanceGood = keystore.Item{
	APIKey:    keystore.NewSecret("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"),
	APISecret: keystore.NewSecret("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
}

var binanceCreated = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)

// binanceKey is the fake's key of kind, whitelisted to adapterAllowedIP.
func binanceKey(kind keyKind) exchangetest.BinanceKey {
	k := exchangetest.BinanceKey{APIKey: binanceGood.APIKey.Reveal(), Secret: binanceGood.APISecret.Reveal(),
		Reading: true, Whitelist: []string{adapterAllowedIP.String()}, CreatedAt: binanceCreated}
	k.SpotAndMarginTrading = kind != readOnlyKey
	k.Withdrawals = kind == withdrawalKey
	return k
}

func binanceConformance() conformance {
	perms := func(trade, withdraw exchange.Tri) exchange.Permissions {
		// Margin follows enableMargin, not the spot-and-margin trading checkbox.
		return exchange.Permissions{Read: exchange.Yes, Trade: trade, Margin: exchange.No,
			Futures: exchange.No, Options: exchange.No, Transfer: exchange.No, Withdraw: withdraw}
	}
	info := func(p exchange.Permissions, raw ...string) exchange.KeyInfo {
		return exchange.KeyInfo{Permissions: p, IPRestricted: exchange.Yes, Whitelist: nil, CreatedAt: binanceCreated, Raw: raw}
	}
	// -2015 covers wrong key, IP and permission alike.
	ambiguous := refusal{exchange.CauseAmbiguousAuth, "-2015", http.StatusUnauthorized}
	return conformance{
		start: func(t testing.TB, kind keyKind) (*exchangetest.Base, keystore.Item) {
			f := exchangetest.NewBinance(binanceKey(kind))
			t.Cleanup(f.Close)
			return &f.Base, binanceGood
		},
		keys: map[keyKind]exchange.KeyInfo{
			readOnlyKey:   info(perms(exchange.No, exchange.No), "enableReading"),
			tradingKey:    info(perms(exchange.Yes, exchange.No), "enableReading", "enableSpotAndMarginTrading"),
			withdrawalKey: info(perms(exchange.Yes, exchange.Yes), "enableReading", "enableSpotAndMarginTrading", "enableWithdrawals"),
		},
		caller: adapterAllowedIP, outsider: adapterOtherIP,
		timeSkew: 1500 * time.Millisecond, resolution: time.Millisecond,
		wrongSecrets: []string{binanceGood.APISecret.Reveal() + "x"},
		signature:    refusal{exchange.CauseSignature, "-1022", http.StatusBadRequest},
		unknownKey:   "unknownKey0123456789abcdef", unknown: ambiguous,
		stale: []time.Duration{10 * time.Second}, clock: refusal{exchange.CauseClock, "-1021", http.StatusBadRequest},
		ip:       ambiguous,
		rateCode: "-1003", banCode: "-1003",
	}
}

// Binance's window is asymmetric: a timestamp 1000 ms or more ahead of the
// server is rejected although it is well inside recvWindow.
func TestBinanceAheadRule(t *testing.T) {
	defer adapterLeakCheck(t)()
	f := exchangetest.NewBinance(binanceKey(withdrawalKey))
	defer f.Close()
	f.SetCallerIP(adapterAllowedIP)
	client, tr := adapterClient(t, "binance", f.URL())
	defer tr.CloseIdleConnections()
	ctx := context.Background()

	f.SetSkew(-2 * time.Second) // the local clock runs 2 s ahead of Binance
	_, err := client.KeyInfo(ctx, binanceGood, 0)
	e := adapterCause(t, "binance", err, exchange.CauseClock)
	if e.Code != "-1021" || e.Message != "Timestamp for this request was 1000ms ahead of the server's time." {
		t.Errorf("error = %v, want -1021 ahead of the server's time", e)
	}
	s, err := client.ServerTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ki, err := client.KeyInfo(ctx, binanceGood, s.Offset())
	if err != nil || !ki.TimeCorrected {
		t.Errorf("corrected retry = %+v, %v; want success with TimeCorrected", ki, err)
	}

	f.SetSkew(3 * time.Second) // 3 s behind: inside recvWindow, accepted as is
	ki, err = client.KeyInfo(ctx, binanceGood, 0)
	if err != nil || ki.TimeCorrected {
		t.Errorf("3 s behind = %+v, %v; want success without correction", ki, err)
	}
}

// A field the API does not send reads as Unknown through the whole path.
func TestBinanceMissingFieldsUnknownAgainstFake(t *testing.T) {
	defer adapterLeakCheck(t)()
	expires := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	f := exchangetest.NewBinance(exchangetest.BinanceKey{
		APIKey: binanceGood.APIKey.Reveal(), Secret: binanceGood.APISecret.Reveal(), Reading: true,
		TradingExpiresAt: expires, Omit: []string{"enableWithdrawals", "ipRestrict"},
	})
	defer f.Close()
	client, tr := adapterClient(t, "binance", f.URL())
	defer tr.CloseIdleConnections()
	ki, err := client.KeyInfo(context.Background(), binanceGood, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ki.Permissions.Withdraw != exchange.Unknown || ki.IPRestricted != exchange.Unknown {
		t.Errorf("withdraw %v, ip restricted %v; want unknown, unknown", ki.Permissions.Withdraw, ki.IPRestricted)
	}
	if !ki.ExpiresAt.Equal(expires) {
		t.Errorf("ExpiresAt = %v, want %v", ki.ExpiresAt, expires)
	}
}
