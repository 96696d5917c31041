package exchange_test

import (
	"context"
	"net/http"
	"net/netip"
	"reflect"
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
	hc := trioHTTP(t)
	f := exchangetest.NewKuCoin(keys...)
	t.Cleanup(f.Close)
	f.SetCallerIP(netip.MustParseAddr("203.0.113.154"))
	c, err := exchange.New("kucoin", f.URL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestKuCoinAgainstFakeGoodKey(t *testing.T) {
	f, c := startKuCoin(t, kucoinTestKeyDef())
	f.SetSkew(1500 * time.Millisecond) // inside the 5 s window: no correction needed
	ctx := context.Background()
	s, err := c.ServerTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trioOffsetOK(t, s, 1500*time.Millisecond, time.Millisecond)
	ki, err := c.KeyInfo(ctx, kucoinTestCreds(kucoinTestSecret, kucoinTestPass), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := exchange.KeyInfo{
		Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.Yes, Futures: exchange.Yes,
			Options: exchange.No, Transfer: exchange.Yes, Withdraw: exchange.Yes,
			Convert: exchange.Yes, BlockTrade: exchange.No, CopyTrading: exchange.No, P2P: exchange.No, Pay: exchange.No, Earn: exchange.Yes},
		IPRestricted: exchange.Yes, Whitelist: []string{"203.**.154", "103.**.34"},
		CreatedAt: time.UnixMilli(1728443843000).UTC(),
		Raw:       []string{"General", "Futures", "Spot", "Earn", "InnerTransfer", "Transfer", "Margin"},
	}
	if !reflect.DeepEqual(ki, want) {
		t.Errorf("got  %+v\nwant %+v", ki, want)
	}
	// Signing with a sampled offset the window would have absorbed anyway
	// is not a correction worth reporting.
	if ki, err := c.KeyInfo(ctx, kucoinTestCreds(kucoinTestSecret, kucoinTestPass), s.Offset()); err != nil || ki.TimeCorrected {
		t.Errorf("offset %v inside the window: TimeCorrected %v, err %v", s.Offset(), ki.TimeCorrected, err)
	}
	if w := c.Window(); w.Behind != 5*time.Second || w.Ahead != 5*time.Second || c.Exchange() != "kucoin" || c.BaseURL() != f.URL() {
		t.Errorf("window %+v, exchange %q, base %q", w, c.Exchange(), c.BaseURL())
	}
}

func TestKuCoinAgainstFakeRejections(t *testing.T) {
	secrets := []string{kucoinTestSecret, kucoinTestPass, "wrong-secret-0000-1111", "wrong passphrase!"}
	cases := []struct {
		name   string
		creds  keystore.Item
		caller string
		code   string
		status int
		cause  exchange.Cause
	}{
		{"wrong secret", kucoinTestCreds("wrong-secret-0000-1111", kucoinTestPass), "203.0.113.154", "400005", http.StatusUnauthorized, exchange.CauseSignature},
		{"wrong passphrase", kucoinTestCreds(kucoinTestSecret, "wrong passphrase!"), "203.0.113.154", "400004", http.StatusUnauthorized, exchange.CauseKey},
		{"unknown key", keystore.Item{APIKey: keystore.NewSecret("ffffffffffffffffffffffff"), APISecret: keystore.NewSecret(kucoinTestSecret),
			Passphrase: keystore.NewSecret(kucoinTestPass)}, "203.0.113.154", "400003", http.StatusUnauthorized, exchange.CauseKey},
		{"ip not on the masked whitelist", kucoinTestCreds(kucoinTestSecret, kucoinTestPass), "203.0.113.155", "400006", http.StatusForbidden, exchange.CauseIP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := startKuCoin(t, kucoinTestKeyDef())
			f.SetCallerIP(netip.MustParseAddr(tc.caller))
			_, err := c.KeyInfo(context.Background(), tc.creds, 0)
			e := trioError(t, err, tc.cause, secrets...)
			if e.Code != tc.code || e.HTTPStatus != tc.status {
				t.Errorf("code %q HTTP %d, want %q HTTP %d", e.Code, e.HTTPStatus, tc.code, tc.status)
			}
		})
	}
}

// A host clock off by more than 5 s fails with 400002; signing with the
// offset from a server-time sample then succeeds and says so.
func TestKuCoinAgainstFakeSkewedClock(t *testing.T) {
	for _, skew := range []time.Duration{30 * time.Second, -45 * time.Second} {
		t.Run(skew.String(), func(t *testing.T) {
			f, c := startKuCoin(t, kucoinTestKeyDef())
			f.SetSkew(skew)
			ctx := context.Background()
			creds := kucoinTestCreds(kucoinTestSecret, kucoinTestPass)
			_, err := c.KeyInfo(ctx, creds, 0)
			e := trioError(t, err, exchange.CauseClock, kucoinTestSecret, kucoinTestPass)
			if e.Code != "400002" || e.HTTPStatus != http.StatusBadRequest {
				t.Errorf("code %q HTTP %d, want 400002 HTTP 400", e.Code, e.HTTPStatus)
			}
			s, err := c.ServerTime(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ki, err := c.KeyInfo(ctx, creds, s.Offset())
			if err != nil {
				t.Fatalf("corrected: %v", err)
			}
			if !ki.TimeCorrected || ki.Permissions.Withdraw != exchange.Yes {
				t.Errorf("TimeCorrected %v, withdraw %v", ki.TimeCorrected, ki.Permissions.Withdraw)
			}
		})
	}
}

func TestKuCoinAgainstFakeNoPassphrase(t *testing.T) {
	f, c := startKuCoin(t, kucoinTestKeyDef())
	_, err := c.KeyInfo(context.Background(), kucoinTestCreds(kucoinTestSecret, ""), 0)
	trioError(t, err, exchange.CauseKey, kucoinTestSecret)
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests sent without a passphrase", n)
	}
}

func TestKuCoinAgainstFakeFaults(t *testing.T) {
	trioFaultSuite(t, func(t *testing.T) trioFake {
		f, c := startKuCoin(t, kucoinTestKeyDef())
		return trioFake{faults: &f.Faults, attempts: f.Attempts, client: c, secrets: []string{kucoinTestSecret, kucoinTestPass},
			keyInfo: func(ctx context.Context) error {
				_, err := c.KeyInfo(ctx, kucoinTestCreds(kucoinTestSecret, kucoinTestPass), 0)
				return err
			}}
	})
}
