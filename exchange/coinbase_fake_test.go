package exchange_test

import (
	"context"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

const coinbaseTestName = "organizations/0b2e5a0c-1111-4444-8888-0123456789ab/apiKeys/9f0e1d2c-3333-5555-7777-ba9876543210"

func coinbaseTestSecret(t *testing.T, alg string) string {
	t.Helper()
	s, err := exchangetest.GenerateCoinbaseKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func coinbaseTestCreds(name, secret string) keystore.Item {
	return keystore.Item{APIKey: keystore.NewSecret(name), APISecret: keystore.NewSecret(secret)}
}

func startCoinbase(t *testing.T, keys ...exchangetest.CoinbaseKey) (*exchangetest.Coinbase, exchange.Client) {
	t.Helper()
	hc := trioHTTP(t)
	f := exchangetest.NewCoinbase(keys...)
	t.Cleanup(f.Close)
	c, err := exchange.New("coinbase", f.URL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

var coinbaseViewTrade = exchangetest.CoinbaseKeyPermissions{CanView: true, CanTrade: true,
	PortfolioUUID: "8bfc20d7-f7c6-4422-bf07-8243ca4169fe", PortfolioType: "DEFAULT"}

func TestCoinbaseAgainstFakeGoodKey(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			secret := coinbaseTestSecret(t, alg)
			f, c := startCoinbase(t, exchangetest.CoinbaseKey{Name: coinbaseTestName, Secret: secret, Permissions: coinbaseViewTrade})
			f.SetSkew(-700 * time.Millisecond)
			ctx := context.Background()
			for _, numeric := range []bool{false, true} {
				f.SetNumericTime(numeric)
				s, err := c.ServerTime(ctx)
				if err != nil {
					t.Fatalf("numeric %v: %v", numeric, err)
				}
				trioOffsetOK(t, s, -700*time.Millisecond, time.Millisecond)
			}
			// A PEM key pasted into a dotenv file with literal \n works too.
			for _, pasted := range []string{secret, strings.ReplaceAll(secret, "\n", `\n`)} {
				ki, err := c.KeyInfo(ctx, coinbaseTestCreds(coinbaseTestName, pasted), 0)
				if err != nil {
					t.Fatal(err)
				}
				want := exchange.KeyInfo{
					Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Transfer: exchange.No, Withdraw: exchange.No,
						Pay: exchange.No},
					Raw: []string{"can_view", "can_trade"},
				}
				if !reflect.DeepEqual(ki, want) {
					t.Errorf("got  %+v\nwant %+v", ki, want)
				}
			}
		})
	}
}

func TestCoinbaseAgainstFakeTransferIsWithdrawal(t *testing.T) {
	secret := coinbaseTestSecret(t, "ES256")
	perms := coinbaseViewTrade
	perms.CanTransfer = true
	_, c := startCoinbase(t, exchangetest.CoinbaseKey{Name: coinbaseTestName, Secret: secret, Permissions: perms})
	ki, err := c.KeyInfo(context.Background(), coinbaseTestCreds(coinbaseTestName, secret), 0)
	if err != nil {
		t.Fatal(err)
	}
	if ki.Permissions.Transfer != exchange.Yes || ki.Permissions.Withdraw != exchange.Yes || ki.Whitelist != nil || ki.IPRestricted != exchange.Unknown {
		t.Errorf("got %+v", ki)
	}
}

// Every rejection is 401 "Unauthorized": ambiguous-auth, whatever the reason.
func TestCoinbaseAgainstFakeRejections(t *testing.T) {
	good := coinbaseTestSecret(t, "ES256")
	other := coinbaseTestSecret(t, "ES256")
	otherEd := coinbaseTestSecret(t, "EdDSA")
	cases := []struct {
		name   string
		creds  keystore.Item
		caller string
	}{
		{"wrong private key", coinbaseTestCreds(coinbaseTestName, other), ""},
		{"wrong key type", coinbaseTestCreds(coinbaseTestName, otherEd), ""},
		{"unknown key name", coinbaseTestCreds("organizations/x/apiKeys/y", good), ""},
		{"ip not on the allowlist", coinbaseTestCreds(coinbaseTestName, good), "203.0.113.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := startCoinbase(t, exchangetest.CoinbaseKey{Name: coinbaseTestName, Secret: good,
				AllowedIPs: []string{"127.0.0.1", "198.51.100.0/24"}, Permissions: coinbaseViewTrade})
			if tc.caller != "" {
				f.SetCallerIP(netip.MustParseAddr(tc.caller))
			}
			_, err := c.KeyInfo(context.Background(), tc.creds, 0)
			e := trioError(t, err, exchange.CauseAmbiguousAuth, good, other, otherEd)
			if e.HTTPStatus != http.StatusUnauthorized {
				t.Errorf("HTTP %d, want 401", e.HTTPStatus)
			}
		})
	}
}

// The JWT is valid from nbf to nbf+120 s on the exchange's clock: a host
// clock 10 minutes off either way fails, and the corrected signature works.
func TestCoinbaseAgainstFakeSkewedClock(t *testing.T) {
	secret := coinbaseTestSecret(t, "EdDSA")
	for _, skew := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			f, c := startCoinbase(t, exchangetest.CoinbaseKey{Name: coinbaseTestName, Secret: secret, Permissions: coinbaseViewTrade})
			f.SetSkew(skew)
			ctx := context.Background()
			creds := coinbaseTestCreds(coinbaseTestName, secret)
			_, err := c.KeyInfo(ctx, creds, 0)
			trioError(t, err, exchange.CauseAmbiguousAuth, secret)
			s, err := c.ServerTime(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ki, err := c.KeyInfo(ctx, creds, s.Offset())
			if err != nil {
				t.Fatalf("corrected: %v", err)
			}
			if !ki.TimeCorrected {
				t.Error("TimeCorrected not set")
			}
		})
	}
}

func TestCoinbaseAgainstFakeBadSecret(t *testing.T) {
	f, c := startCoinbase(t)
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	_, err := c.KeyInfo(context.Background(), coinbaseTestCreds(coinbaseTestName, secret), 0)
	trioError(t, err, exchange.CauseKey, secret)
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests sent with an unusable key", n)
	}
}

func TestCoinbaseAgainstFakeFaults(t *testing.T) {
	secret := coinbaseTestSecret(t, "ES256")
	trioFaultSuite(t, func(t *testing.T) trioFake {
		f, c := startCoinbase(t, exchangetest.CoinbaseKey{Name: coinbaseTestName, Secret: secret, Permissions: coinbaseViewTrade})
		return trioFake{faults: &f.Faults, attempts: f.Attempts, client: c, secrets: []string{secret},
			keyInfo: func(ctx context.Context) error {
				_, err := c.KeyInfo(ctx, coinbaseTestCreds(coinbaseTestName, secret), 0)
				return err
			}}
	})
}
