package exchange_test

// The adapter conformance harness: every registered exchange's client runs
// the same cases against its exchangetest fake (server time, key info of a
// read-only, a trading and a withdrawal key, wrong secret, unknown key, empty
// credentials, stale timestamp, IP not allowed, and every transport fault).
// Each exchange's entry (what its fake knows, what it answers) lives in its
// own test file; conformances lists them, and a test fails when an exchange
// in the registry has none.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// keyKind is what a test key may do.
type keyKind string

const (
	readOnlyKey   keyKind = "read-only"
	tradingKey    keyKind = "trading"
	withdrawalKey keyKind = "withdrawal"
)

var keyKinds = []keyKind{readOnlyKey, tradingKey, withdrawalKey}

// readOnly is what a key that may only read reads as on an exchange that
// answers for every capability.
var readOnly = exchange.Permissions{Read: exchange.Yes, Trade: exchange.No, Margin: exchange.No, Futures: exchange.No,
	Options: exchange.No, Transfer: exchange.No, Withdraw: exchange.No, Convert: exchange.No, BlockTrade: exchange.No,
	CopyTrading: exchange.No, P2P: exchange.No, Pay: exchange.No, Earn: exchange.No}

// refusal is how an exchange refuses a request: the cause keywarden gives
// it, and the exchange's own code and HTTP status.
type refusal struct {
	cause  exchange.Cause
	code   string
	status int
}

// conformance is one exchange's entry in the harness.
type conformance struct {
	// start serves the exchange's fake, closed at cleanup, knowing one key
	// of kind whose IP whitelist admits caller, and returns the fake and the
	// key's credentials.
	start func(t testing.TB, kind keyKind) (*exchangetest.Base, keystore.Item)
	// keys is what each kind's key info reads as (TimeCorrected false).
	keys map[keyKind]exchange.KeyInfo
	// caller is an address the keys' whitelists admit (zero: the real
	// loopback address), outsider one they do not.
	caller, outsider netip.Addr
	// timeSkew is a fake clock skew inside the exchange's window: key info
	// is read without correction, and ServerTime measures it to within half
	// the round trip plus resolution (the server time's granularity).
	timeSkew, resolution time.Duration
	// wrongSecrets are secrets usable for signing that are not the key's.
	wrongSecrets []string
	signature    refusal // a wrong secret
	unknownKey   string  // an API key the fake does not know
	unknown      refusal
	// stale are clock skews outside the exchange's window, refused with
	// clock and accepted once signed with the offset ServerTime measured.
	// clock.cause CauseNone: the exchange judges no timestamp, a skewed
	// clock changes nothing and nothing is corrected.
	stale []time.Duration
	clock refusal
	ip    refusal // a caller outside the whitelist
	// rateCode and banCode are the exchange's own codes in a 429 and a 418.
	rateCode, banCode string
	// lastUsed is set when key info says when the key was last used: the
	// fake's clock at the request, which keys cannot hold, so it is only
	// required to be there.
	lastUsed bool
}

// lastUse checks that ki reports a last use exactly when e says it does,
// and clears it for the comparison with e.keys.
func (e conformance) lastUse(t *testing.T, ki *exchange.KeyInfo) {
	t.Helper()
	if ki.LastUsedAt.IsZero() == e.lastUsed {
		t.Errorf("LastUsedAt %v, want it reported: %v", ki.LastUsedAt, e.lastUsed)
	}
	ki.LastUsedAt = time.Time{}
}

// conformances is the harness entry of every exchange, by name.
func conformances(t testing.TB) map[string]conformance {
	return map[string]conformance{
		"binance":  binanceConformance(),
		"bybit":    bybitConformance(),
		"okx":      okxConformance(),
		"kucoin":   kucoinConformance(),
		"coinbase": coinbaseConformance(t),
		"kraken":   krakenConformance(),
	}
}

var (
	adapterAllowedIP = netip.MustParseAddr("203.0.113.7")
	adapterOtherIP   = netip.MustParseAddr("198.51.100.9")
)

func TestConformanceCoversRegistry(t *testing.T) {
	entries := conformances(t)
	for _, in := range exchange.All() {
		e, ok := entries[in.Name]
		if !ok {
			t.Errorf("exchange %s has no entry in the conformance harness (conformances in conformance_test.go)", in.Name)
			continue
		}
		for _, k := range keyKinds {
			if _, ok := e.keys[k]; !ok {
				t.Errorf("%s: no %s key in its conformance entry", in.Name, k)
			}
		}
	}
	for name := range entries {
		if _, ok := exchange.Lookup(name); !ok {
			t.Errorf("conformance entry %s names no registered exchange", name)
		}
	}
}

// TestConformance runs every case against every registered exchange. Each
// case gets a fresh fake and connection (so a transport cannot retry a reset
// on a reused one) and checks that no goroutine outlives it.
func TestConformance(t *testing.T) {
	entries := conformances(t)
	for _, in := range exchange.All() {
		e, ok := entries[in.Name]
		if !ok {
			continue // TestConformanceCoversRegistry fails
		}
		t.Run(in.Name, func(t *testing.T) { runConformance(t, in.Name, e) })
	}
}

// conformanceRun is one case's fake, its key and a client for it.
type conformanceRun struct {
	name   string
	fake   *exchangetest.Base
	key    keystore.Item
	client exchange.Client
}

func (e conformance) run(t *testing.T, name string, kind keyKind) conformanceRun {
	t.Helper()
	hc := testHTTP(t)
	fake, key := e.start(t, kind)
	if e.caller.IsValid() {
		fake.SetCallerIP(e.caller)
	}
	c, err := exchange.New(name, fake.URL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	if c.Exchange() != name || c.BaseURL() != fake.URL() {
		t.Fatalf("client for %s at %s, want %s at %s", c.Exchange(), c.BaseURL(), name, fake.URL())
	}
	return conformanceRun{name: name, fake: fake, key: key, client: c}
}

// refused checks err against want: an *exchange.Error of the exchange with
// want's cause, code and status, holding none of the credentials.
func (r conformanceRun) refused(t *testing.T, err error, want refusal, sent ...keystore.Item) *exchange.Error {
	t.Helper()
	e := adapterCause(t, r.name, err, want.cause)
	if e.Code != want.code || e.HTTPStatus != want.status {
		t.Errorf("code %q HTTP %d, want %q HTTP %d (%v)", e.Code, e.HTTPStatus, want.code, want.status, e)
	}
	noSecret(t, err, append(sent, r.key)...)
	return e
}

func runConformance(t *testing.T, name string, e conformance) {
	ctx := context.Background()

	t.Run("server time", func(t *testing.T) {
		r := e.run(t, name, tradingKey)
		r.fake.SetSkew(e.timeSkew)
		s, err := r.client.ServerTime(ctx)
		if err != nil {
			t.Fatal(err)
		}
		offsetOK(t, s, e.timeSkew, e.resolution)
	})

	for _, kind := range keyKinds {
		t.Run("key info/"+string(kind), func(t *testing.T) {
			r := e.run(t, name, kind)
			r.fake.SetSkew(e.timeSkew)
			got, err := r.client.KeyInfo(ctx, r.key, 0)
			if err != nil {
				t.Fatal(err)
			}
			e.lastUse(t, &got)
			if want := e.keys[kind]; !reflect.DeepEqual(got, want) {
				t.Errorf("KeyInfo:\n got  %+v\n want %+v", got, want)
			}
		})
	}

	for i, secret := range e.wrongSecrets {
		t.Run(fmt.Sprintf("wrong secret/%d", i), func(t *testing.T) {
			r := e.run(t, name, withdrawalKey)
			bad := r.key
			bad.APISecret = keystore.NewSecret(secret)
			_, err := r.client.KeyInfo(ctx, bad, 0)
			r.refused(t, err, e.signature, bad)
		})
	}

	t.Run("unknown key", func(t *testing.T) {
		r := e.run(t, name, withdrawalKey)
		bad := r.key
		bad.APIKey = keystore.NewSecret(e.unknownKey)
		_, err := r.client.KeyInfo(ctx, bad, 0)
		r.refused(t, err, e.unknown, bad)
	})

	t.Run("empty credentials", func(t *testing.T) {
		r := e.run(t, name, withdrawalKey)
		_, err := r.client.KeyInfo(ctx, keystore.Item{}, 0)
		adapterCause(t, name, err, exchange.CauseKey)
		if n := r.fake.Attempts(); n != 0 {
			t.Errorf("%d requests sent without credentials", n)
		}
	})

	for _, skew := range e.stale {
		t.Run("stale timestamp/"+skew.String(), func(t *testing.T) {
			r := e.run(t, name, withdrawalKey)
			r.fake.SetSkew(skew)
			ki, err := r.client.KeyInfo(ctx, r.key, 0)
			if e.clock.cause == exchange.CauseNone {
				if err != nil || ki.TimeCorrected {
					t.Fatalf("uncorrected: %+v, %v", ki, err)
				}
			} else {
				r.refused(t, err, e.clock)
			}
			s, err := r.client.ServerTime(ctx)
			if err != nil {
				t.Fatal(err)
			}
			offsetOK(t, s, skew, e.resolution)
			got, err := r.client.KeyInfo(ctx, r.key, s.Offset())
			if err != nil {
				t.Fatalf("corrected retry: %v", err)
			}
			want := e.keys[withdrawalKey]
			want.TimeCorrected = e.clock.cause != exchange.CauseNone
			e.lastUse(t, &got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("KeyInfo with the measured offset:\n got  %+v\n want %+v", got, want)
			}
		})
	}

	t.Run("ip not allowed", func(t *testing.T) {
		r := e.run(t, name, withdrawalKey)
		r.fake.SetCallerIP(e.outsider)
		_, err := r.client.KeyInfo(ctx, r.key, 0)
		r.refused(t, err, e.ip)
	})

	t.Run("faults", func(t *testing.T) { runFaults(t, name, e) })
}

// runFaults runs every fault kind against both calls; every failure must
// come back as a classified *exchange.Error before the deadline.
func runFaults(t *testing.T, name string, e conformance) {
	const short = 300 * time.Millisecond
	cases := []struct {
		name     string
		fault    exchangetest.Fault
		deadline time.Duration
		cause    exchange.Cause // CauseNone: the call succeeds
		status   int
	}{
		{"delay within deadline", exchangetest.Fault{Kind: exchangetest.Delay, Delay: 50 * time.Millisecond}, 10 * time.Second, exchange.CauseNone, 0},
		{"delay past deadline", exchangetest.Fault{Kind: exchangetest.Delay, Delay: 5 * time.Second}, short, exchange.CauseTimeout, 0},
		{"503", exchangetest.Fault{Kind: exchangetest.ServerError}, 10 * time.Second, exchange.CauseServer, http.StatusServiceUnavailable},
		{"429 with Retry-After", exchangetest.Fault{Kind: exchangetest.RateLimited, RetryAfter: 7 * time.Second}, 10 * time.Second, exchange.CauseRateLimit, http.StatusTooManyRequests},
		{"418 with Retry-After", exchangetest.Fault{Kind: exchangetest.Banned, RetryAfter: 120 * time.Second}, 10 * time.Second, exchange.CauseRateLimit, http.StatusTeapot},
		{"malformed JSON", exchangetest.Fault{Kind: exchangetest.MalformedJSON}, 10 * time.Second, exchange.CauseMalformed, http.StatusOK},
		{"truncated body", exchangetest.Fault{Kind: exchangetest.TruncatedBody}, 10 * time.Second, exchange.CauseMalformed, http.StatusOK},
		{"100 MiB body", exchangetest.Fault{Kind: exchangetest.OversizedBody}, 20 * time.Second, exchange.CauseMalformed, http.StatusOK},
		{"connection reset", exchangetest.Fault{Kind: exchangetest.ConnectionReset}, 10 * time.Second, exchange.CauseNetwork, 0},
		{"hang", exchangetest.Fault{Kind: exchangetest.Hang}, short, exchange.CauseTimeout, 0},
	}
	for _, c := range cases {
		for _, op := range []string{"server time", "key info"} {
			t.Run(c.name+"/"+op, func(t *testing.T) {
				r := e.run(t, name, withdrawalKey)
				r.fake.Faults.Next(c.fault)
				ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
				defer cancel()
				var err error
				if op == "server time" {
					_, err = r.client.ServerTime(ctx)
				} else {
					_, err = r.client.KeyInfo(ctx, r.key, 0)
				}
				if c.cause == exchange.CauseNone {
					if err != nil {
						t.Fatalf("want success, got %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("want an error, got success")
				}
				want := refusal{cause: c.cause, status: c.status}
				switch c.fault.Kind {
				case exchangetest.RateLimited:
					want.code = e.rateCode
				case exchangetest.Banned:
					want.code = e.banCode
				}
				ee := r.refused(t, err, want)
				if ee.Op != op {
					t.Errorf("Op = %q, want %q", ee.Op, op)
				}
				var retry time.Duration
				if c.cause == exchange.CauseRateLimit {
					retry = c.fault.RetryAfter
					if n := r.fake.Attempts(); n != 1 {
						t.Errorf("%d requests sent, want 1: a %d is never retried", n, ee.HTTPStatus)
					}
				}
				if ee.RetryAfter != retry {
					t.Errorf("RetryAfter = %v, want %v", ee.RetryAfter, retry)
				}
			})
		}
	}
}

// testHTTP returns an HTTP client with its own transport and registers,
// first, a goroutine-leak check: cleanups run last-registered first, so the
// check runs after the fake (registered later by the caller) is closed.
func testHTTP(t *testing.T) *http.Client {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	tr := &http.Transport{MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// adapterClient is a client on its own transport, so the test can close its
// connections before looking for leaked goroutines.
func adapterClient(t *testing.T, name, url string) (exchange.Client, *http.Transport) {
	t.Helper()
	tr := &http.Transport{}
	c, err := exchange.New(name, url, &http.Client{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	return c, tr
}

// adapterLeakCheck is deferred first in a test: it runs after the fake and
// the transport are closed.
func adapterLeakCheck(t *testing.T) func() {
	opt := goleak.IgnoreCurrent()
	return func() { goleak.VerifyNone(t, opt) }
}

// adapterCause checks that err is an *exchange.Error of the named exchange
// with the wanted cause, and returns it.
func adapterCause(t *testing.T, name string, err error, want exchange.Cause) *exchange.Error {
	t.Helper()
	var e *exchange.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *exchange.Error", err, err)
	}
	if e.Exchange != name || e.Cause != want {
		t.Fatalf("error = %v, want exchange %s cause %q", err, name, want)
	}
	return e
}

// noSecret fails when err's text, in any format, holds a credential of
// items, whole or a line of it long enough to identify it (a PEM key's
// body lines).
func noSecret(t *testing.T, err error, items ...keystore.Item) {
	t.Helper()
	var secrets []string
	for _, it := range items {
		for _, s := range []keystore.Secret{it.APIKey, it.APISecret, it.Passphrase} {
			if !s.Empty() {
				secrets = append(secrets, s.Reveal())
			}
		}
	}
	noSecretText(t, err, secrets...)
}

// noSecretText is noSecret for secrets given as strings.
func noSecretText(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)}
	var e *exchange.Error
	if errors.As(err, &e) {
		texts = append(texts, fmt.Sprintf("%+v", *e), e.Message)
	}
	for _, s := range secrets {
		pieces := []string{s}
		for _, line := range strings.Split(s, "\n") {
			if len(line) >= 8 && !strings.HasPrefix(line, "-----") && !slices.Contains(pieces, line) {
				pieces = append(pieces, line)
			}
		}
		for _, text := range texts {
			for _, p := range pieces {
				if strings.Contains(text, p) {
					t.Errorf("error text holds a credential: %s", text)
				}
			}
		}
	}
}

// offsetOK checks a server-time sample against the fake's skew: the fake
// read its clock between Sent and Received, so the estimate is within RTT/2
// of the truth plus the exchange's reporting resolution, and within a second.
func offsetOK(t *testing.T, s exchange.TimeSample, skew, resolution time.Duration) {
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
	if d > time.Second {
		t.Errorf("offset %v, fake skew %v: off by more than a second", s.Offset(), skew)
	}
}

// BenchmarkKeyInfoAgainstFakes is one signed key-info round trip on loopback
// per exchange: signing, HTTP, the fake's verification and decoding.
func BenchmarkKeyInfoAgainstFakes(b *testing.B) {
	entries := conformances(b)
	for _, in := range exchange.All() {
		e := entries[in.Name]
		b.Run(in.Name, func(b *testing.B) {
			fake, key := e.start(b, withdrawalKey)
			if e.caller.IsValid() {
				fake.SetCallerIP(e.caller)
			}
			hc := &http.Client{Transport: &http.Transport{}}
			defer hc.CloseIdleConnections()
			c, err := exchange.New(in.Name, fake.URL(), hc)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := c.KeyInfo(context.Background(), key, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
