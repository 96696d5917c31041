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

func coinbaseTestSecret(t testing.TB, alg string) string {
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
	hc := testHTTP(t)
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
				offsetOK(t, s, -700*time.Millisecond, time.Millisecond)
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

func coinbaseConformance(t testing.TB) conformance {
	secret := coinbaseTestSecret(t, "ES256")
	view, transfer := coinbaseViewTrade, coinbaseViewTrade
	view.CanTrade = false
	transfer.CanTransfer = true
	perms := map[keyKind]exchangetest.CoinbaseKeyPermissions{readOnlyKey: view, tradingKey: coinbaseViewTrade, withdrawalKey: transfer}
	// The API reports no IP allowlist: restriction is unknown.
	return conformance{
		start: func(t testing.TB, kind keyKind) (*exchangetest.Base, keystore.Item) {
			f := exchangetest.NewCoinbase(exchangetest.CoinbaseKey{Name: coinbaseTestName, Secret: secret,
				AllowedIPs: []string{"127.0.0.1", "198.51.100.0/24"}, Permissions: perms[kind]})
			t.Cleanup(f.Close)
			return &f.Base, coinbaseTestCreds(coinbaseTestName, secret)
		},
		keys: map[keyKind]exchange.KeyInfo{
			// Without trading there is no margin, futures or options trading either.
			readOnlyKey: {Permissions: readOnly,
				Raw: []string{"can_view"}},
			tradingKey: {Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Transfer: exchange.No, Withdraw: exchange.No,
				Pay: exchange.No},
				Raw: []string{"can_view", "can_trade"}},
			// Transfer is a withdrawal; pay follows it.
			withdrawalKey: {Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Transfer: exchange.Yes, Withdraw: exchange.Yes,
				Pay: exchange.Yes},
				Raw: []string{"can_view", "can_trade", "can_transfer"}},
		},
		outsider: netip.MustParseAddr("203.0.113.9"),
		timeSkew: -700 * time.Millisecond, resolution: time.Millisecond,
		// Every rejection is 401 "Unauthorized": ambiguous-auth, whatever
		// the reason. A wrong private key of either type:
		wrongSecrets: []string{coinbaseTestSecret(t, "ES256"), coinbaseTestSecret(t, "EdDSA")},
		signature:    refusal{exchange.CauseAmbiguousAuth, "", http.StatusUnauthorized},
		unknownKey:   "organizations/x/apiKeys/y", unknown: refusal{exchange.CauseAmbiguousAuth, "", http.StatusUnauthorized},
		// The JWT is valid from nbf to nbf+120 s on the exchange's clock.
		stale: []time.Duration{10 * time.Minute, -10 * time.Minute}, clock: refusal{exchange.CauseAmbiguousAuth, "", http.StatusUnauthorized},
		ip:       refusal{exchange.CauseAmbiguousAuth, "", http.StatusUnauthorized},
		rateCode: "RATE_LIMIT_EXCEEDED", banCode: "RATE_LIMIT_EXCEEDED",
	}
}

func TestCoinbaseAgainstFakeBadSecret(t *testing.T) {
	f, c := startCoinbase(t)
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	_, err := c.KeyInfo(context.Background(), coinbaseTestCreds(coinbaseTestName, secret), 0)
	adapterCause(t, "coinbase", err, exchange.CauseKey)
	noSecretText(t, err, secret)
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests sent with an unusable key", n)
	}
}
