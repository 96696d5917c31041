package exchange_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// oddCreds are credentials every adapter accepts for signing.
func oddCreds(t *testing.T, name string) keystore.Item {
	t.Helper()
	c := keystore.Item{
		APIKey:     keystore.NewSecret("oddKey0123456789abcdef"),
		APISecret:  keystore.NewSecret("b2RkU2VjcmV0MDEyMzQ1Njc4OWFiY2RlZg=="),
		Passphrase: keystore.NewSecret("oddPassphrase!"),
	}
	if name == "coinbase" {
		c.APISecret = keystore.NewSecret(coinbaseMustKey(t))
	}
	return c
}

// TestKeyInfoOddAnswers: an answer that does not carry the key's
// permissions (a success envelope around nothing, an error code inside a
// 200, an empty object or array) is an error, never a KeyInfo that could
// read as "withdrawals off".
func TestKeyInfoOddAnswers(t *testing.T) {
	const malformed = exchange.CauseMalformed
	cases := map[string][]struct {
		body string
		want exchange.Cause
	}{
		"binance": {
			{`{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}`, exchange.CauseAmbiguousAuth},
			{`{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}`, exchange.CauseClock},
			{`{}`, malformed}, {`{"ipRestrict":false,"createTime":1700000000000}`, malformed},
			{`null`, malformed}, {`[]`, malformed}, {`{"enableWithdrawals":"false"}`, malformed},
		},
		"bybit": {
			{`{"retCode":10010,"retMsg":"Unmatched IP, please check your API key's bound IP addresses.","result":{}}`, exchange.CauseIP},
			{`{"retCode":0,"retMsg":"OK","result":{}}`, malformed},
			{`{"retCode":0,"retMsg":"OK","result":null}`, malformed},
			{`{"retCode":0,"retMsg":"OK","result":{"apiKey":"x","note":"bot"}}`, malformed},
			{`{"result":{"readOnly":0,"permissions":{}}}`, malformed}, // no retCode
			{`{"retCode":0,"result":{"readOnly":0,"permissions":{"Wallet":[]},"expiredAt":"soon"}}`, malformed},
		},
		"okx": {
			{`{"code":"0","msg":"","data":[]}`, malformed},
			{`{"code":"0","msg":"","data":[{}]}`, malformed},
			{`{"code":"0","msg":"","data":[{"perm":"","ip":""}]}`, malformed},
			{`{"code":"0","msg":"","data":{"perm":"read_only","ip":""}}`, malformed},
			{`{"msg":"","data":[{"perm":"read_only","ip":""}]}`, malformed}, // no code
			{`{"code":"50110","msg":"Your IP 203.0.113.9 is not included in your API key's IP whitelist.","data":[]}`, exchange.CauseIP},
		},
		"kucoin": {
			{`{"code":"200000","data":null}`, malformed},
			{`{"code":"200000","data":{}}`, malformed},
			{`{"code":"200000"}`, malformed},
			{`{"code":"200000","data":{"permission":" , "}}`, malformed},
			{`{"data":{"permission":"General"}}`, malformed}, // no code
			{`{"code":"400006","msg":"Invalid request ip"}`, exchange.CauseIP},
		},
		"coinbase": {
			{`{}`, malformed}, {`null`, malformed}, {`[]`, malformed},
			{`{"error":"PERMISSION_DENIED","message":"no"}`, exchange.CausePermission},
			{`{"can_view":"true","can_trade":false,"can_transfer":false}`, malformed},
			// An error name inside a 200 is an error, whatever else the body says.
			{`{"error":"PERMISSION_DENIED","message":"no","can_view":true,"can_trade":false,"can_transfer":false}`, exchange.CausePermission},
		},
		"kraken": {
			{`{"error":[],"result":{}}`, malformed},
			{`{"error":[]}`, malformed},
			{`{"error":[],"result":{"apiKeyName":"bot","ipAllowlist":[]}}`, malformed},
			{`{"error":["EAPI:Invalid key"],"result":{"permissions":[]}}`, exchange.CauseKey},
			{`{"error":["WGeneral:Deprecated","EAPI:Invalid nonce"],"result":{"permissions":[]}}`, exchange.CauseClock},
		},
	}
	for name, bodies := range cases {
		for _, b := range bodies {
			t.Run(name+"/"+b.body, func(t *testing.T) {
				hc := testHTTP(t)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(b.body))
				}))
				t.Cleanup(srv.Close)
				c, err := exchange.New(name, srv.URL, hc)
				if err != nil {
					t.Fatal(err)
				}
				ki, err := c.KeyInfo(context.Background(), oddCreds(t, name), 0)
				if err == nil || !reflect.DeepEqual(ki, exchange.KeyInfo{}) {
					t.Fatalf("KeyInfo = %+v, %v; want an error", ki, err)
				}
				if got := exchange.CauseOf(err); got != b.want {
					t.Errorf("cause %q, want %q (%v)", got, b.want, err)
				}
			})
		}
	}
}

// A Kraken warning ("W…") comes with a valid result: it is not an error.
func TestKrakenWarningIsNotAnError(t *testing.T) {
	hc := testHTTP(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"error":["WGeneral:Deprecated endpoint"],"result":{"permissions":["query-funds","withdraw-funds"],"ipAllowlist":[]}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := exchange.New("kraken", srv.URL, hc)
	if err != nil {
		t.Fatal(err)
	}
	ki, err := c.KeyInfo(context.Background(), oddCreds(t, "kraken"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if ki.Permissions.Withdraw != exchange.Yes || ki.Permissions.Read != exchange.Yes {
		t.Errorf("permissions %+v, want read and withdraw", ki.Permissions)
	}
}

// Exchanges that put the caller's key into an error code field (not only
// the message) must not get it into the error either.
func TestKeyInfoEchoedKeyInCode(t *testing.T) {
	for name, body := range map[string]struct {
		status int
		body   string
	}{
		"okx":      {401, `{"code":"KEY-oddKey0123456789abcdef","msg":"","data":[]}`},
		"kucoin":   {401, `{"code":"oddKey0123456789abcdef","msg":"bad"}`},
		"coinbase": {403, `{"error":"oddKey0123456789abcdef","message":"bad"}`},
		"binance":  {400, `{"code":-1022,"msg":"signature for oddKey0123456789abcdef with b2RkU2VjcmV0MDEyMzQ1Njc4OWFiY2RlZg== is not valid"}`},
	} {
		t.Run(name, func(t *testing.T) {
			hc := testHTTP(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(body.status)
				_, _ = w.Write([]byte(body.body))
			}))
			t.Cleanup(srv.Close)
			c, err := exchange.New(name, srv.URL, hc)
			if err != nil {
				t.Fatal(err)
			}
			creds := oddCreds(t, name)
			_, err = c.KeyInfo(context.Background(), creds, 0)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, s := range []string{creds.APIKey.Reveal(), creds.APISecret.Reveal(), creds.Passphrase.Reveal()} {
				if strings.Contains(err.Error(), s) || strings.Contains(err.(*exchange.Error).Code, s) {
					t.Errorf("error carries a credential: %v", err)
				}
			}
		})
	}
}

// An exchange that echoes the request's credentials in its error message
// must not get them into the error text.
func TestRedactEchoedCredentials(t *testing.T) {
	const key, secret, pass = "echoKey0123456789abcdef", "ZWNob1NlY3JldDAxMjM0NTY3ODlhYmNkZWY=", "echoPassphrase!"
	cbSecret := coinbaseMustKey(t)
	bodies := map[string]struct {
		status int
		body   string
	}{
		"kucoin":   {401, `{"code":"400005","msg":"Invalid KC-API-SIGN for ` + key + ` / ` + secret + ` / ` + pass + `"}`},
		"coinbase": {403, `{"error":"PERMISSION_DENIED","code":7,"message":"key ` + key + ` secret ` + cbSecret + `"}`},
		"kraken":   {200, `{"error":["EGeneral:Invalid arguments:` + key + ` ` + secret + `"]}`},
	}
	for name, b := range bodies {
		t.Run(name, func(t *testing.T) {
			hc := testHTTP(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(b.status)
				_, _ = w.Write([]byte(b.body))
			}))
			t.Cleanup(srv.Close)
			c, err := exchange.New(name, srv.URL, hc)
			if err != nil {
				t.Fatal(err)
			}
			creds := keystore.Item{APIKey: keystore.NewSecret(key), APISecret: keystore.NewSecret(secret), Passphrase: keystore.NewSecret(pass)}
			if name == "coinbase" {
				creds.APISecret = keystore.NewSecret(cbSecret)
			}
			_, err = c.KeyInfo(context.Background(), creds, 0)
			if err == nil {
				t.Fatal("want an error")
			}
			noSecretText(t, err, key, secret, pass, creds.APISecret.Reveal())
		})
	}
}

func coinbaseMustKey(t *testing.T) string {
	t.Helper()
	s, err := exchangetest.GenerateCoinbaseKey("EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
