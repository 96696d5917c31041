package exchange_test

import (
	"context"
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

func newBinanceFake() (*exchangetest.Binance, time.Time) {
	created := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	f := exchangetest.NewBinance(exchangetest.BinanceKey{
		APIKey: binanceGood.APIKey.Reveal(), Secret: binanceGood.APISecret.Reveal(),
		Reading: true, SpotAndMarginTrading: true, Withdrawals: true,
		Whitelist: []string{"203.0.113.7"}, CreatedAt: created,
	})
	return f, created
}

func TestBinanceAgainstFake(t *testing.T) {
	defer adapterLeakCheck(t)()
	f, created := newBinanceFake()
	defer f.Close()
	runAdapterSuite(t, adapterCase{
		exchange: "binance", base: &f.Base, good: binanceGood,
		want: exchange.KeyInfo{
			// Margin follows enableMargin, not the spot-and-margin trading checkbox.
			Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.No,
				Futures: exchange.No, Options: exchange.No, Transfer: exchange.No, Withdraw: exchange.Yes},
			IPRestricted: exchange.Yes, Whitelist: nil, CreatedAt: created,
			Raw: []string{"enableReading", "enableSpotAndMarginTrading", "enableWithdrawals"},
		},
		// -2015 covers wrong key, IP and permission alike.
		unknownCause: exchange.CauseAmbiguousAuth, ipCause: exchange.CauseAmbiguousAuth, ipCode: "-2015",
		rateCode: "-1003", skew: 10 * time.Second,
	}, f.URL())
}

// Binance's window is asymmetric: a timestamp 1000 ms or more ahead of the
// server is rejected although it is well inside recvWindow.
func TestBinanceAheadRule(t *testing.T) {
	defer adapterLeakCheck(t)()
	f, _ := newBinanceFake()
	defer f.Close()
	f.SetCallerIP(adapterAllowedIP)
	client, tr := adapterClient(t, "binance", f.URL())
	defer tr.CloseIdleConnections()
	ctx := context.Background()

	f.SetSkew(-2 * time.Second) // the local clock runs 2 s ahead of Binance
	_, err := client.KeyInfo(ctx, binanceGood, 0)
	e := adapterCause(t, adapterCase{exchange: "binance"}, err, exchange.CauseClock)
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
