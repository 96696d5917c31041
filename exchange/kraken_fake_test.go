package exchange_test

import (
	"context"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

const (
	krakenTestKey    = "K4WzA0/2ZwNMnBcCTestKeyForKeywardenFakeOnlyAAAAAAAAAAAAAA"
	krakenTestSecret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
	// krakenOtherSecret is a valid base64 64-byte secret that is not the key's.
	krakenOtherSecret = "c2Vjb25kLXNlY3JldC1mb3Ita2V5d2FyZGVuLWtyYWtlbi10ZXN0cy0wMTIzNDU2Nzg5YWJjZGVmZ2hpag=="
)

func krakenTestCreds(key, secret string) keystore.Item {
	return keystore.Item{APIKey: keystore.NewSecret(key), APISecret: keystore.NewSecret(secret)}
}

func krakenTestKeyDef() exchangetest.KrakenKey {
	return exchangetest.KrakenKey{Key: krakenTestKey, Secret: krakenTestSecret, Info: exchangetest.KrakenKeyInfo{
		APIKeyName:  "grid-bot",
		Permissions: []string{"query-funds", "query-open-trades", "modify-trades", "withdraw-funds"},
		ValidUntil:  "1780000000", CreatedTime: "1772542900", ModifiedTime: "1772543095",
		IPAllowlist: []string{"127.0.0.1", "198.51.100.0/24"},
	}}
}

func startKraken(t *testing.T, keys ...exchangetest.KrakenKey) (*exchangetest.Kraken, exchange.Client) {
	t.Helper()
	hc := trioHTTP(t)
	f := exchangetest.NewKraken(keys...)
	t.Cleanup(f.Close)
	c, err := exchange.New("kraken", f.URL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestKrakenAgainstFakeGoodKey(t *testing.T) {
	f, c := startKraken(t, krakenTestKeyDef())
	f.SetSkew(3 * time.Second)
	ctx := context.Background()
	s, err := c.ServerTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trioOffsetOK(t, s, 3*time.Second, 500*time.Millisecond) // unixtime is whole seconds
	ki, err := c.KeyInfo(ctx, krakenTestCreds(krakenTestKey, krakenTestSecret), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := exchange.KeyInfo{
		Permissions: exchange.Permissions{Read: exchange.Yes, Trade: exchange.Yes, Margin: exchange.Unknown, Futures: exchange.No,
			// withdraw-funds also counts as transfer between one's own wallets.
			Options: exchange.No, Transfer: exchange.Yes, Withdraw: exchange.Yes,
			Convert: exchange.No, BlockTrade: exchange.No, CopyTrading: exchange.No, P2P: exchange.No, Pay: exchange.No, Earn: exchange.No},
		IPRestricted: exchange.Yes, Whitelist: []string{"127.0.0.1", "198.51.100.0/24"},
		CreatedAt: time.Unix(1772542900, 0).UTC(), ExpiresAt: time.Unix(1780000000, 0).UTC(),
		Raw: []string{"query-funds", "query-open-trades", "modify-trades", "withdraw-funds"},
	}
	if !reflect.DeepEqual(ki, want) {
		t.Errorf("got  %+v\nwant %+v", ki, want)
	}
	// Calls in a row never reuse a nonce, or the fake would refuse them.
	for range 20 {
		if _, err := c.KeyInfo(ctx, krakenTestCreds(krakenTestKey, krakenTestSecret), 0); err != nil {
			t.Fatal(err)
		}
	}
	if !c.Window().None() {
		t.Errorf("kraken window = %+v, want none", c.Window())
	}
}

// Kraken errors arrive with HTTP 200 in the error array.
func TestKrakenAgainstFakeRejections(t *testing.T) {
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	cases := []struct {
		name   string
		creds  keystore.Item
		caller string
		nonce  string // last nonce already used with the key
		code   string
		cause  exchange.Cause
	}{
		{"wrong secret", krakenTestCreds(krakenTestKey, krakenOtherSecret), "", "", "EAPI:Invalid signature", exchange.CauseSignature},
		{"unknown key", krakenTestCreds("AAAAunknownKeyAAAA", krakenTestSecret), "", "", "EAPI:Invalid key", exchange.CauseKey},
		// GetApiKeyInfo needs no permission: a denial is the IP allowlist.
		{"ip not on the allowlist", krakenTestCreds(krakenTestKey, krakenTestSecret), "203.0.113.9", "", "EGeneral:Permission denied", exchange.CauseIP},
		// A previous run with a clock an hour ahead used higher nonces.
		{"nonce not above the last used", krakenTestCreds(krakenTestKey, krakenTestSecret), "", future, "EAPI:Invalid nonce", exchange.CauseClock},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			def := krakenTestKeyDef()
			def.Info.Nonce = tc.nonce
			f, c := startKraken(t, def)
			if tc.caller != "" {
				f.SetCallerIP(netip.MustParseAddr(tc.caller))
			}
			_, err := c.KeyInfo(context.Background(), tc.creds, 0)
			e := trioError(t, err, tc.cause, krakenTestSecret, krakenOtherSecret)
			if e.Code != tc.code || e.HTTPStatus != http.StatusOK {
				t.Errorf("code %q HTTP %d, want %q HTTP 200", e.Code, e.HTTPStatus, tc.code)
			}
		})
	}
}

// Kraken judges a nonce, not a timestamp: a skewed host clock changes
// nothing, and an offset is ignored (TimeCorrected stays false).
func TestKrakenAgainstFakeSkewedClock(t *testing.T) {
	for _, skew := range []time.Duration{time.Hour, -time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			f, c := startKraken(t, krakenTestKeyDef())
			f.SetSkew(skew)
			ctx := context.Background()
			creds := krakenTestCreds(krakenTestKey, krakenTestSecret)
			ki, err := c.KeyInfo(ctx, creds, 0)
			if err != nil || ki.TimeCorrected {
				t.Fatalf("uncorrected: %+v, %v", ki, err)
			}
			s, err := c.ServerTime(ctx)
			if err != nil {
				t.Fatal(err)
			}
			trioOffsetOK(t, s, skew, 500*time.Millisecond)
			ki, err = c.KeyInfo(ctx, creds, s.Offset())
			if err != nil || ki.TimeCorrected {
				t.Fatalf("with offset: %+v, %v", ki, err)
			}
		})
	}
}

func TestKrakenAgainstFakeBadSecret(t *testing.T) {
	f, c := startKraken(t, krakenTestKeyDef())
	const secret = "not base64 at all, a pasted password?"
	_, err := c.KeyInfo(context.Background(), krakenTestCreds(krakenTestKey, secret), 0)
	trioError(t, err, exchange.CauseKey, secret)
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests sent with an unusable secret", n)
	}
}

func TestKrakenAgainstFakeFaults(t *testing.T) {
	trioFaultSuite(t, func(t *testing.T) trioFake {
		f, c := startKraken(t, krakenTestKeyDef())
		return trioFake{faults: &f.Faults, attempts: f.Attempts, client: c, secrets: []string{krakenTestSecret},
			keyInfo: func(ctx context.Context) error {
				_, err := c.KeyInfo(ctx, krakenTestCreds(krakenTestKey, krakenTestSecret), 0)
				return err
			}}
	})
}
