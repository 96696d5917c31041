package exchange_test

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

const (
	kucoinTestKey    = "6705f5c311545b000157d3eb"
	kucoinTestSecret = "f03a5284-5c39-4aaa-9b20-dea10bdcf8e3"
	kucoinTestPass   = "Ab12345678)(*&^%$#@"
)

// kucoinCaller is on the test keys' masked whitelist, kucoinOutsider not.
var (
	kucoinCaller   = netip.MustParseAddr("203.0.113.154")
	kucoinOutsider = netip.MustParseAddr("203.0.113.155")
)

func kucoinTestCreds(secret, pass string) keystore.Item {
	return keystore.Item{APIKey: keystore.NewSecret(kucoinTestKey), APISecret: keystore.NewSecret(secret), Passphrase: keystore.NewSecret(pass)}
}

// kucoinTestKeyDef is the official example key: every permission, a masked
// whitelist.
func kucoinTestKeyDef() exchangetest.KuCoinKey {
	return exchangetest.KuCoinKey{Key: kucoinTestKey, Secret: kucoinTestSecret, Passphrase: kucoinTestPass,
		Info: exchangetest.KuCoinKeyInfo{Remark: "account1", APIVersion: 3, UID: 165111215, IsMaster: true,
			Permission:  "General,Futures,Spot,Earn,InnerTransfer,Transfer,Margin",
			IPWhitelist: "203.**.154,103.**.34", CreatedAt: 1728443843000}}
}

func startKuCoin(t *testing.T, keys ...exchangetest.KuCoinKey) (*exchangetest.KuCoin, exchange.Client) {
	t.Helper()
	hc := testHTTP(t)
	f := exchangetest.NewKuCoin(keys...)
	t.Cleanup(f.Close)
	f.SetCallerIP(kucoinCaller)
	c, err := exchange.New("kucoin", f.URL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func kucoinConformance() conformance {
	permission := map[keyKind]string{readOnlyKey: "General", tradingKey: "General,Spot",
		withdrawalKey: kucoinTestKeyDef().Info.Permission}
	info := func(p exchange.Permissions, raw ...string) exchange.KeyInfo {
		return exchange.KeyInfo{Permissions: p, IPRestricted: exchange.Yes, Whitelist: []string{"203.**.154", "103.**.34"},
			CreatedAt: time.UnixMilli(1728443843000).UTC(), Raw: raw}
	}
	// Spot trading comes with transfers and convert.
	trade := readOnly
	trade.Trade, trade.Transfer, trade.Convert = exchange.Yes, exchange.Yes, exchange.Yes
	return conformance{
		start: func(t testing.TB, kind keyKind) (*exchangetest.Base, keystore.Item) {
			k := kucoinTestKeyDef()
			k.Info.Permission = permission[kind]
			f := exchangetest.NewKuCoin(k)
			t.Cleanup(f.Close)
			return &f.Base, kucoinTestCreds(kucoinTestSecret, kucoinTestPass)
		},
		keys: map[keyKind]exchange.KeyInfo{
			readOnlyKey: info(readOnly, "General"),
			tradingKey:  info(trade, "General", "Spot"),
			withdrawalKey: info(exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.Yes, Futures: exchange.Yes,
				Options: exchange.No, Transfer: exchange.Yes, Withdraw: exchange.Yes,
				Convert: exchange.Yes, BlockTrade: exchange.No, CopyTrading: exchange.No, P2P: exchange.No, Pay: exchange.No, Earn: exchange.Yes},
				"General", "Futures", "Spot", "Earn", "InnerTransfer", "Transfer", "Margin"),
		},
		caller: kucoinCaller, outsider: kucoinOutsider,
		timeSkew: 1500 * time.Millisecond, resolution: time.Millisecond,
		wrongSecrets: []string{"wrong-secret-0000-1111"},
		signature:    refusal{exchange.CauseSignature, "400005", http.StatusUnauthorized},
		unknownKey:   "ffffffffffffffffffffffff", unknown: refusal{exchange.CauseKey, "400003", http.StatusUnauthorized},
		// A host clock off by more than 5 s either way.
		stale: []time.Duration{30 * time.Second, -45 * time.Second}, clock: refusal{exchange.CauseClock, "400002", http.StatusBadRequest},
		ip:       refusal{exchange.CauseIP, "400006", http.StatusForbidden},
		rateCode: "429000", banCode: "429000",
	}
}

// A clock inside the 5 s window needs no correction: signing with a sampled
// offset the window would have absorbed anyway is not a correction worth
// reporting.
func TestKuCoinAgainstFakeWindow(t *testing.T) {
	f, c := startKuCoin(t, kucoinTestKeyDef())
	f.SetSkew(1500 * time.Millisecond)
	ctx := context.Background()
	s, err := c.ServerTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ki, err := c.KeyInfo(ctx, kucoinTestCreds(kucoinTestSecret, kucoinTestPass), s.Offset()); err != nil || ki.TimeCorrected {
		t.Errorf("offset %v inside the window: TimeCorrected %v, err %v", s.Offset(), ki.TimeCorrected, err)
	}
	if w := c.Window(); w.Behind != 5*time.Second || w.Ahead != 5*time.Second {
		t.Errorf("window %+v", w)
	}
}

func TestKuCoinAgainstFakeWrongPassphrase(t *testing.T) {
	_, c := startKuCoin(t, kucoinTestKeyDef())
	creds := kucoinTestCreds(kucoinTestSecret, "wrong passphrase!")
	_, err := c.KeyInfo(context.Background(), creds, 0)
	e := adapterCause(t, "kucoin", err, exchange.CauseKey)
	if e.Code != "400004" || e.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("code %q HTTP %d, want 400004 HTTP 401", e.Code, e.HTTPStatus)
	}
	noSecret(t, err, creds, kucoinTestCreds(kucoinTestSecret, kucoinTestPass))
}

func TestKuCoinAgainstFakeNoPassphrase(t *testing.T) {
	f, c := startKuCoin(t, kucoinTestKeyDef())
	_, err := c.KeyInfo(context.Background(), kucoinTestCreds(kucoinTestSecret, ""), 0)
	adapterCause(t, "kucoin", err, exchange.CauseKey)
	noSecretText(t, err, kucoinTestSecret)
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests sent without a passphrase", n)
	}
}
