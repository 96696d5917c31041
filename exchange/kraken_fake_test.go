package exchange_test

import (
	"context"
	"net/http"
	"net/netip"
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
	hc := testHTTP(t)
	f := exchangetest.NewKraken(keys...)
	t.Cleanup(f.Close)
	c, err := exchange.New("kraken", f.URL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func krakenConformance() conformance {
	permissions := map[keyKind][]string{
		readOnlyKey:   {"query-funds", "query-open-trades"},
		tradingKey:    {"query-funds", "query-open-trades", "modify-trades"},
		withdrawalKey: krakenTestKeyDef().Info.Permissions,
	}
	info := func(p exchange.Permissions, raw []string) exchange.KeyInfo {
		return exchange.KeyInfo{Permissions: p, IPRestricted: exchange.Yes, Whitelist: []string{"127.0.0.1", "198.51.100.0/24"},
			CreatedAt: time.Unix(1772542900, 0).UTC(), ExpiresAt: time.Unix(1780000000, 0).UTC(), Raw: raw}
	}
	trade := readOnly
	trade.Trade, trade.Margin = exchange.Yes, exchange.Unknown
	withdraw := trade
	// withdraw-funds also counts as transfer between one's own wallets.
	withdraw.Transfer, withdraw.Withdraw = exchange.Yes, exchange.Yes
	return conformance{
		start: func(t testing.TB, kind keyKind) (*exchangetest.Base, keystore.Item) {
			k := krakenTestKeyDef()
			k.Info.Permissions = permissions[kind]
			f := exchangetest.NewKraken(k)
			t.Cleanup(f.Close)
			return &f.Base, krakenTestCreds(krakenTestKey, krakenTestSecret)
		},
		keys: map[keyKind]exchange.KeyInfo{
			readOnlyKey:   info(readOnly, permissions[readOnlyKey]),
			tradingKey:    info(trade, permissions[tradingKey]),
			withdrawalKey: info(withdraw, permissions[withdrawalKey]),
		},
		outsider: netip.MustParseAddr("203.0.113.9"),
		timeSkew: 3 * time.Second, resolution: 500 * time.Millisecond, // unixtime is whole seconds
		// Kraken errors arrive with HTTP 200 in the error array.
		wrongSecrets: []string{krakenOtherSecret},
		signature:    refusal{exchange.CauseSignature, "EAPI:Invalid signature", http.StatusOK},
		unknownKey:   "AAAAunknownKeyAAAA", unknown: refusal{exchange.CauseKey, "EAPI:Invalid key", http.StatusOK},
		// Kraken judges a nonce, not a timestamp: a skewed host clock changes
		// nothing, and an offset is ignored (TimeCorrected stays false).
		stale: []time.Duration{time.Hour, -time.Hour}, clock: refusal{cause: exchange.CauseNone},
		// GetApiKeyInfo needs no permission: a denial is the IP allowlist.
		ip:       refusal{exchange.CauseIP, "EGeneral:Permission denied", http.StatusOK},
		rateCode: "EAPI:Rate limit exceeded", banCode: "EGeneral:Too many requests",
	}
}

// Calls in a row never reuse a nonce, or the fake would refuse them; a
// nonce is no timestamp, so there is no window.
func TestKrakenAgainstFakeNonces(t *testing.T) {
	_, c := startKraken(t, krakenTestKeyDef())
	for range 20 {
		if _, err := c.KeyInfo(context.Background(), krakenTestCreds(krakenTestKey, krakenTestSecret), 0); err != nil {
			t.Fatal(err)
		}
	}
	if !c.Window().None() {
		t.Errorf("kraken window = %+v, want none", c.Window())
	}
}

// A previous run with a clock an hour ahead used higher nonces.
func TestKrakenAgainstFakeNonceNotAboveLast(t *testing.T) {
	def := krakenTestKeyDef()
	def.Info.Nonce = strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	_, c := startKraken(t, def)
	creds := krakenTestCreds(krakenTestKey, krakenTestSecret)
	_, err := c.KeyInfo(context.Background(), creds, 0)
	e := adapterCause(t, "kraken", err, exchange.CauseClock)
	if e.Code != "EAPI:Invalid nonce" || e.HTTPStatus != http.StatusOK {
		t.Errorf("code %q HTTP %d, want EAPI:Invalid nonce HTTP 200", e.Code, e.HTTPStatus)
	}
	noSecret(t, err, creds)
}

func TestKrakenAgainstFakeBadSecret(t *testing.T) {
	f, c := startKraken(t, krakenTestKeyDef())
	const secret = "not base64 at all, a pasted password?"
	_, err := c.KeyInfo(context.Background(), krakenTestCreds(krakenTestKey, secret), 0)
	adapterCause(t, "kraken", err, exchange.CauseKey)
	noSecretText(t, err, secret)
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests sent with an unusable secret", n)
	}
}
