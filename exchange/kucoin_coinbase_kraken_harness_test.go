package exchange_test

// Shared harness of the KuCoin, Coinbase and Kraken client-against-fake
// tests: a private HTTP client per test, a goroutine-leak check that runs
// after every other cleanup, and the fault-injection suite.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// adapterHTTP returns an HTTP client with its own transport and registers,
// first, a goroutine-leak check: cleanups run last-registered first, so the
// check runs after the fake (registered later by the caller) is closed.
func adapterHTTP(t *testing.T) *http.Client {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	tr := &http.Transport{MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// adapterError asserts err is an *exchange.Error with the wanted cause and
// that no secret appears in any rendering of it.
func adapterError(t *testing.T, err error, want exchange.Cause, secrets ...string) *exchange.Error {
	t.Helper()
	var e *exchange.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not *exchange.Error", err, err)
	}
	if e.Cause != want {
		t.Errorf("cause = %q, want %q (%v)", e.Cause, want, e)
	}
	adapterNoSecret(t, err, secrets...)
	return e
}

// adapterNoSecret fails if any secret (or a long-enough piece of one) shows
// up in the error's text.
func adapterNoSecret(t *testing.T, err error, secrets ...string) {
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

// adapterOffsetOK checks a server-time sample against the fake's skew: the
// fake read its clock between Sent and Received, so the estimate is within
// RTT/2 of the truth, plus the exchange's reporting resolution.
func adapterOffsetOK(t *testing.T, s exchange.TimeSample, skew, resolution time.Duration) {
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

// adapterFake is what the fault suite needs from a started fake.
type adapterFake struct {
	faults   *exchangetest.Faults
	requests func() int64
	client   exchange.Client
	keyInfo  func(ctx context.Context) error // a KeyInfo call with a good key
	secrets  []string
}

// adapterFaultSuite runs every fault kind against both calls. Each case gets
// a fresh fake and connection (so the transport cannot retry a reset on a
// reused connection) and a deadline; every failure must come back as a
// classified *exchange.Error before it.
func adapterFaultSuite(t *testing.T, start func(t *testing.T) adapterFake) {
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
				e := adapterError(t, err, c.want, f.secrets...)
				if e.RetryAfter != c.retry {
					t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, c.retry)
				}
				if c.retry > 0 && f.requests() != 0 {
					t.Errorf("the client retried after %d: %d requests reached the fake", e.HTTPStatus, f.requests())
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
