package exchange_test

// Shared harness of the KuCoin, Coinbase and Kraken client-against-fake
// tests: a private HTTP client per test, a goroutine-leak check that runs
// after every other cleanup, and the fault-injection suite.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// trioHTTP returns an HTTP client with its own transport and registers,
// first, a goroutine-leak check: cleanups run last-registered first, so the
// check runs after the fake (registered later by the caller) is closed.
func trioHTTP(t *testing.T) *http.Client {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	tr := &http.Transport{MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// trioError asserts err is an *exchange.Error with the wanted cause and
// that no secret appears in any rendering of it.
func trioError(t *testing.T, err error, want exchange.Cause, secrets ...string) *exchange.Error {
	t.Helper()
	var e *exchange.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not *exchange.Error", err, err)
	}
	if e.Cause != want {
		t.Errorf("cause = %q, want %q (%v)", e.Cause, want, e)
	}
	trioNoSecret(t, err, secrets...)
	return e
}

// trioNoSecret fails if any secret (or a long-enough piece of one) shows
// up in the error's text.
func trioNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)} {
		for _, s := range secrets {
			for _, line := range strings.Split(s, "\n") {
				if len(line) >= 8 && !strings.HasPrefix(line, "-----") && strings.Contains(text, line) {
					t.Errorf("error text holds a secret: %s", text)
				}
			}
		}
	}
}

// trioOffsetOK checks a server-time sample against the fake's skew: the
// fake read its clock between Sent and Received, so the estimate is within
// RTT/2 of the truth, plus the exchange's reporting resolution.
func trioOffsetOK(t *testing.T, s exchange.TimeSample, skew, resolution time.Duration) {
	t.Helper()
	if s.Received.Before(s.Sent) {
		t.Fatalf("received %v before sent %v", s.Received, s.Sent)
	}
	d := s.Offset() - skew
	if d < 0 {
		d = -d
	}
	if d > s.RTT()/2+resolution {
		t.Errorf("offset %v, fake skew %v, rtt %v: off by more than rtt/2 + %v", s.Offset(), skew, s.RTT(), resolution)
	}
}

// trioFake is what the fault suite needs from a started fake.
type trioFake struct {
	faults   *exchangetest.Faults
	attempts func() int64 // requests that reached the fake, faulted ones included
	client   exchange.Client
	keyInfo  func(ctx context.Context) error // a KeyInfo call with a good key
	secrets  []string
}

// trioFaultSuite runs every fault kind against both calls. Each case gets
// a fresh fake and connection (so the transport cannot retry a reset on a
// reused connection) and a deadline; every failure must come back as a
// classified *exchange.Error before it.
func trioFaultSuite(t *testing.T, start func(t *testing.T) trioFake) {
	cases := []struct {
		name     string
		fault    exchangetest.Fault
		deadline time.Duration
		want     exchange.Cause // CauseNone: the call succeeds
		retry    time.Duration
	}{
		{"short delay", exchangetest.Fault{Kind: exchangetest.Delay, Delay: 50 * time.Millisecond}, 10 * time.Second, exchange.CauseNone, 0},
		{"delay past deadline", exchangetest.Fault{Kind: exchangetest.Delay, Delay: 5 * time.Second}, 300 * time.Millisecond, exchange.CauseTimeout, 0},
		{"503", exchangetest.Fault{Kind: exchangetest.ServerError}, 10 * time.Second, exchange.CauseServer, 0},
		{"429 with Retry-After", exchangetest.Fault{Kind: exchangetest.RateLimited, RetryAfter: 7 * time.Second}, 10 * time.Second, exchange.CauseRateLimit, 7 * time.Second},
		{"418 with Retry-After", exchangetest.Fault{Kind: exchangetest.Banned, RetryAfter: 120 * time.Second}, 10 * time.Second, exchange.CauseRateLimit, 120 * time.Second},
		{"malformed JSON", exchangetest.Fault{Kind: exchangetest.MalformedJSON}, 10 * time.Second, exchange.CauseMalformed, 0},
		{"truncated body", exchangetest.Fault{Kind: exchangetest.TruncatedBody}, 10 * time.Second, exchange.CauseMalformed, 0},
		{"100 MiB body", exchangetest.Fault{Kind: exchangetest.OversizedBody}, 20 * time.Second, exchange.CauseMalformed, 0},
		{"connection reset", exchangetest.Fault{Kind: exchangetest.ConnectionReset}, 10 * time.Second, exchange.CauseNetwork, 0},
		{"hang", exchangetest.Fault{Kind: exchangetest.Hang}, 300 * time.Millisecond, exchange.CauseTimeout, 0},
	}
	for _, c := range cases {
		for _, call := range []string{"server time", "key info"} {
			t.Run(c.name+"/"+call, func(t *testing.T) {
				f := start(t)
				f.faults.Next(c.fault)
				ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
				defer cancel()
				var err error
				if call == "server time" {
					_, err = f.client.ServerTime(ctx)
				} else {
					err = f.keyInfo(ctx)
				}
				if c.want == exchange.CauseNone {
					if err != nil {
						t.Fatalf("want success, got %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("want an error, got success")
				}
				e := trioError(t, err, c.want, f.secrets...)
				if e.RetryAfter != c.retry {
					t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, c.retry)
				}
				if c.retry > 0 && f.attempts() != 1 {
					t.Errorf("%d requests for one call: the client retried a %d", f.attempts(), e.HTTPStatus)
				}
				if e.Op != call {
					t.Errorf("Op = %q, want %q", e.Op, call)
				}
			})
		}
	}
}

// BenchmarkKeyInfoAgainstFakes is one signed key-info round trip on loopback
// per exchange: signing, HTTP, the fake's verification and decoding.
func BenchmarkKeyInfoAgainstFakes(b *testing.B) {
	cbSecret, err := exchangetest.GenerateCoinbaseKey("ES256")
	if err != nil {
		b.Fatal(err)
	}
	kc := exchangetest.NewKuCoin(kucoinTestKeyDef())
	defer kc.Close()
	kc.SetCallerIP(netip.MustParseAddr("203.0.113.154"))
	cb := exchangetest.NewCoinbase(exchangetest.CoinbaseKey{Name: coinbaseTestName, Secret: cbSecret, Permissions: coinbaseViewTrade})
	defer cb.Close()
	kr := exchangetest.NewKraken(krakenTestKeyDef())
	defer kr.Close()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	runs := []struct {
		name  string
		url   string
		creds keystore.Item
	}{
		{"kucoin", kc.URL(), kucoinTestCreds(kucoinTestSecret, kucoinTestPass)},
		{"coinbase", cb.URL(), coinbaseTestCreds(coinbaseTestName, cbSecret)},
		{"kraken", kr.URL(), krakenTestCreds(krakenTestKey, krakenTestSecret)},
	}
	for _, r := range runs {
		c, err := exchange.New(r.name, r.url, hc)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.KeyInfo(context.Background(), r.creds, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// An exchange that echoes the request's credentials in its error message
// must not get them into the error text.
func TestTrioRedactEchoedCredentials(t *testing.T) {
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
			hc := trioHTTP(t)
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
			trioNoSecret(t, err, key, secret, pass, creds.APISecret.Reveal())
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

func TestTrioRegistered(t *testing.T) {
	for name, def := range map[string]string{
		"kucoin": "https://api.kucoin.com", "coinbase": "https://api.coinbase.com", "kraken": "https://api.kraken.com",
	} {
		c, err := exchange.New(name, "", nil)
		if err != nil || c.Exchange() != name || c.BaseURL() != def {
			t.Errorf("New(%q, \"\") = %v, %v; want %s at %s", name, c, err, name, def)
		}
		c, err = exchange.New(name, "https://testnet.example.org/prefix/", nil)
		if err != nil || c.BaseURL() != "https://testnet.example.org/prefix" {
			t.Errorf("New(%q, override) = %v, %v", name, c, err)
		}
	}
}
