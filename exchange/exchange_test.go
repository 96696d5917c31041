package exchange_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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

func TestNewDefaultsAndOverrides(t *testing.T) {
	for name, def := range map[string]string{
		"binance": "https://api.binance.com", "bybit": "https://api.bybit.com", "okx": "https://www.okx.com",
	} {
		c, err := exchange.New(name, "", nil)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		if c.Exchange() != name || c.BaseURL() != def {
			t.Errorf("New(%q) = %s at %s, want %s", name, c.Exchange(), c.BaseURL(), def)
		}
		c, err = exchange.New(name, "http://127.0.0.1:8080/prefix/", nil)
		if err != nil || c.BaseURL() != "http://127.0.0.1:8080/prefix" {
			t.Errorf("New(%q, override) = %v, %v", name, c, err)
		}
		if !slices.Contains(exchange.Names(), name) {
			t.Errorf("Names() = %v lacks %s", exchange.Names(), name)
		}
	}
	if !slices.IsSorted(exchange.Names()) {
		t.Errorf("Names() not sorted: %v", exchange.Names())
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct{ name, url, wantInErr string }{
		{"mtgox", "", "unknown exchange"},
		{"binance", "api.binance.com", "not an absolute http(s) URL"},
		{"binance", "ftp://api.binance.com", "not an absolute http(s) URL"},
		{"bybit", "https://user:pw@api.bybit.com", "must not carry credentials"},
		{"okx", "https://www.okx.com/?x=1", "must not carry credentials"},
	}
	for _, tt := range tests {
		_, err := exchange.New(tt.name, tt.url, nil)
		if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
			t.Errorf("New(%q, %q) error = %v, want it to say %q", tt.name, tt.url, err, tt.wantInErr)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("error repeats the URL's password: %v", err)
		}
	}
}

func TestWindowAccepts(t *testing.T) {
	binance := exchange.Window{Behind: 5 * time.Second, Ahead: time.Second}
	tests := []struct {
		w      exchange.Window
		offset time.Duration // server minus local
		want   bool
	}{
		{binance, 0, true},
		{binance, 4 * time.Second, true},                   // local 4 s behind: within recvWindow
		{binance, 5*time.Second + time.Millisecond, false}, // behind beyond recvWindow
		{binance, -999 * time.Millisecond, true},
		{binance, -time.Second, false}, // 1000 ms ahead is rejected
		{exchange.Window{}, time.Hour, true},
	}
	for _, tt := range tests {
		if got := tt.w.Accepts(tt.offset); got != tt.want {
			t.Errorf("%+v.Accepts(%v) = %v, want %v", tt.w, tt.offset, got, tt.want)
		}
	}
}

// adapterCase describes one exchange for the shared client-against-fake
// suite. The fake must know good, with a whitelist holding adapterAllowedIP.
type adapterCase struct {
	exchange     string
	base         *exchangetest.Base
	good         keystore.Item
	want         exchange.KeyInfo // what good's key info reads as, TimeCorrected false
	unknownCause exchange.Cause   // for a key the exchange does not know
	ipCause      exchange.Cause
	ipCode       string
	rateCode     string        // the exchange's own rate-limit code
	skew         time.Duration // a clock skew outside the exchange's window
}

var (
	adapterAllowedIP = netip.MustParseAddr("203.0.113.7")
	adapterOtherIP   = netip.MustParseAddr("198.51.100.9")
)

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

// adapterNoCreds fails when err's text, in any format, holds a credential.
func adapterNoCreds(t *testing.T, err error, items ...keystore.Item) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err)}
	var e *exchange.Error
	if errors.As(err, &e) {
		texts = append(texts, fmt.Sprintf("%+v", *e), e.Message)
	}
	for _, it := range items {
		for _, s := range []keystore.Secret{it.APIKey, it.APISecret, it.Passphrase} {
			if s.Empty() {
				continue
			}
			for _, text := range texts {
				if strings.Contains(text, s.Reveal()) {
					t.Errorf("error text holds a credential: %s", text)
				}
			}
		}
	}
}

// adapterCause checks that err is an *exchange.Error of the exchange with
// the wanted cause, and returns it.
func adapterCause(t *testing.T, c adapterCase, err error, want exchange.Cause) *exchange.Error {
	t.Helper()
	var e *exchange.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *exchange.Error", err, err)
	}
	if e.Exchange != c.exchange || e.Cause != want {
		t.Fatalf("error = %v, want exchange %s cause %q", err, c.exchange, want)
	}
	return e
}

// runAdapterSuite runs the client against the fake: good key, wrong secret,
// unknown key, skewed clock and the corrected retry, IP not whitelisted, and
// every fault kind, with no goroutine left behind.
func runAdapterSuite(t *testing.T, c adapterCase, url string) {
	client, tr := adapterClient(t, c.exchange, url)
	defer tr.CloseIdleConnections()
	ctx := context.Background()
	c.base.SetCallerIP(adapterAllowedIP)

	t.Run("good key", func(t *testing.T) {
		got, err := client.KeyInfo(ctx, c.good, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("KeyInfo:\n got  %+v\n want %+v", got, c.want)
		}
		s, err := client.ServerTime(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if off := s.Offset(); off > time.Second || off < -time.Second {
			t.Errorf("offset against an unskewed fake = %v", off)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		bad := c.good
		bad.APISecret = keystore.NewSecret(c.good.APISecret.Reveal() + "x")
		_, err := client.KeyInfo(ctx, bad, 0)
		adapterCause(t, c, err, exchange.CauseSignature)
		adapterNoCreds(t, err, c.good, bad)
	})

	t.Run("unknown key", func(t *testing.T) {
		bad := c.good
		bad.APIKey = keystore.NewSecret("unknownKey0123456789abcdef")
		_, err := client.KeyInfo(ctx, bad, 0)
		adapterCause(t, c, err, c.unknownCause)
		adapterNoCreds(t, err, c.good, bad)
	})

	t.Run("empty credentials", func(t *testing.T) {
		before := c.base.Attempts()
		_, err := client.KeyInfo(ctx, keystore.Item{}, 0)
		adapterCause(t, c, err, exchange.CauseKey)
		if c.base.Attempts() != before {
			t.Error("a request was sent without credentials")
		}
	})

	t.Run("skewed clock and corrected retry", func(t *testing.T) {
		c.base.SetSkew(c.skew)
		defer c.base.SetSkew(0)
		_, err := client.KeyInfo(ctx, c.good, 0)
		adapterCause(t, c, err, exchange.CauseClock)
		adapterNoCreds(t, err, c.good)
		s, err := client.ServerTime(ctx)
		if err != nil {
			t.Fatal(err)
		}
		off := s.Offset()
		if d := off - c.skew; d > time.Second || d < -time.Second {
			t.Fatalf("measured offset %v, fake skew %v", off, c.skew)
		}
		got, err := client.KeyInfo(ctx, c.good, off)
		if err != nil {
			t.Fatalf("corrected retry: %v", err)
		}
		want := c.want
		want.TimeCorrected = true
		if !reflect.DeepEqual(got, want) {
			t.Errorf("KeyInfo:\n got  %+v\n want %+v", got, want)
		}
	})

	t.Run("ip not whitelisted", func(t *testing.T) {
		c.base.SetCallerIP(adapterOtherIP)
		defer c.base.SetCallerIP(adapterAllowedIP)
		_, err := client.KeyInfo(ctx, c.good, 0)
		e := adapterCause(t, c, err, c.ipCause)
		if e.Code != c.ipCode {
			t.Errorf("code = %q, want %q", e.Code, c.ipCode)
		}
	})

	t.Run("faults", func(t *testing.T) { runAdapterFaults(t, c, client) })
}

func runAdapterFaults(t *testing.T, c adapterCase, client exchange.Client) {
	const short = 300 * time.Millisecond
	tests := []struct {
		name     string
		fault    exchangetest.Fault
		deadline time.Duration
		cause    exchange.Cause // CauseNone: success
		status   int
	}{
		{"delay within deadline", exchangetest.Fault{Kind: exchangetest.Delay, Delay: 20 * time.Millisecond}, 10 * time.Second, exchange.CauseNone, 0},
		{"delay past deadline", exchangetest.Fault{Kind: exchangetest.Delay, Delay: time.Minute}, short, exchange.CauseTimeout, 0},
		{"server error", exchangetest.Fault{Kind: exchangetest.ServerError}, 10 * time.Second, exchange.CauseServer, 503},
		{"rate limited", exchangetest.Fault{Kind: exchangetest.RateLimited, RetryAfter: 7 * time.Second}, 10 * time.Second, exchange.CauseRateLimit, 429},
		{"banned", exchangetest.Fault{Kind: exchangetest.Banned, RetryAfter: 120 * time.Second}, 10 * time.Second, exchange.CauseRateLimit, 418},
		{"malformed json", exchangetest.Fault{Kind: exchangetest.MalformedJSON}, 10 * time.Second, exchange.CauseMalformed, 200},
		{"truncated body", exchangetest.Fault{Kind: exchangetest.TruncatedBody}, 10 * time.Second, exchange.CauseMalformed, 200},
		{"oversized body", exchangetest.Fault{Kind: exchangetest.OversizedBody}, 10 * time.Second, exchange.CauseMalformed, 200},
		{"connection reset", exchangetest.Fault{Kind: exchangetest.ConnectionReset}, 10 * time.Second, exchange.CauseNetwork, 0},
		{"hang", exchangetest.Fault{Kind: exchangetest.Hang}, short, exchange.CauseTimeout, 0},
	}
	calls := map[string]func(ctx context.Context) error{
		"server time": func(ctx context.Context) error { _, err := client.ServerTime(ctx); return err },
		"key info":    func(ctx context.Context) error { _, err := client.KeyInfo(ctx, c.good, 0); return err },
	}
	for _, tt := range tests {
		for op, call := range calls {
			t.Run(tt.name+"/"+op, func(t *testing.T) {
				c.base.Faults.Set(tt.fault)
				defer c.base.Faults.Set(exchangetest.Fault{})
				ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
				defer cancel()
				before := c.base.Attempts()
				err := call(ctx)
				if tt.cause == exchange.CauseNone {
					if err != nil {
						t.Fatalf("want success, got %v", err)
					}
					return
				}
				e := adapterCause(t, c, err, tt.cause)
				adapterNoCreds(t, err, c.good)
				if e.Op != op {
					t.Errorf("Op = %q, want %q", e.Op, op)
				}
				if e.HTTPStatus != tt.status {
					t.Errorf("HTTP status = %d, want %d", e.HTTPStatus, tt.status)
				}
				if tt.cause == exchange.CauseRateLimit {
					if e.RetryAfter != tt.fault.RetryAfter {
						t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.fault.RetryAfter)
					}
					if e.Code != c.rateCode {
						t.Errorf("code = %q, want the exchange's %q", e.Code, c.rateCode)
					}
					if n := c.base.Attempts() - before; n != 1 {
						t.Errorf("%d requests sent, want 1: a 418/429 is never retried", n)
					}
				}
			})
		}
	}
}

// adapterLeakCheck is deferred first in each suite: it runs after the fake
// and the transport are closed.
func adapterLeakCheck(t *testing.T) func() {
	opt := goleak.IgnoreCurrent()
	return func() { goleak.VerifyNone(t, opt) }
}

// Classification from HTTP status and body code, as each exchange sends
// them: Binance with 4xx, Bybit mostly with 200, OKX with 200 or 401.
func TestClassification(t *testing.T) {
	defer adapterLeakCheck(t)()
	tests := []struct {
		exchange string
		status   int
		body     string
		cause    exchange.Cause
		code     string
	}{
		{"binance", 400, `{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}`, exchange.CauseClock, "-1021"},
		{"binance", 400, `{"code":-1022,"msg":"Signature for this request is not valid."}`, exchange.CauseSignature, "-1022"},
		{"binance", 401, `{"code":-2014,"msg":"API-key format invalid."}`, exchange.CauseKey, "-2014"},
		{"binance", 401, `{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}`, exchange.CauseAmbiguousAuth, "-2015"},
		{"binance", 429, `{"code":-1003,"msg":"Too much request weight used"}`, exchange.CauseRateLimit, "-1003"},
		{"binance", 400, `{"code":-1102,"msg":"Mandatory parameter"}`, exchange.CauseOther, "-1102"},
		{"binance", 403, `<html>403 Forbidden</html>`, exchange.CauseOther, ""},
		{"binance", 502, `<html>bad gateway</html>`, exchange.CauseServer, ""},
		{"bybit", 200, `{"retCode":10002,"retMsg":"invalid request, please check your server timestamp or recv_window param.","result":{}}`, exchange.CauseClock, "10002"},
		{"bybit", 200, `{"retCode":10005,"retMsg":"Permission denied, please check your API key permissions.","result":{}}`, exchange.CausePermission, "10005"},
		{"bybit", 200, `{"retCode":10010,"retMsg":"Unmatched IP","result":{}}`, exchange.CauseIP, "10010"},
		{"bybit", 200, `{"retCode":33004,"retMsg":"Your api key has expired","result":{}}`, exchange.CauseKey, "33004"},
		{"bybit", 403, `access too frequent`, exchange.CauseRateLimit, ""},
		{"bybit", 401, ``, exchange.CauseKey, ""},
		{"bybit", 200, `{"retCode":0,"retMsg":"OK"}`, exchange.CauseMalformed, ""},
		{"okx", 401, `{"msg":"Timestamp request expired.","code":"50102"}`, exchange.CauseClock, "50102"},
		{"okx", 200, `{"msg":"This API key doesn't have permission to use this function","code":"50120","data":[]}`, exchange.CausePermission, "50120"},
		{"okx", 200, `{"msg":"API key doesn't exist","code":"50119","data":[]}`, exchange.CauseKey, "50119"},
		{"okx", 401, `{"msg":"APIKey does not match current environment.","code":"50101"}`, exchange.CauseKey, "50101"},
		{"okx", 429, `{"msg":"Too Many Requests","code":"50011"}`, exchange.CauseRateLimit, "50011"},
		{"okx", 503, `<html>maintenance</html>`, exchange.CauseServer, ""},
		{"okx", 200, `{"code":"0","msg":"","data":[]}`, exchange.CauseMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%s", tt.exchange, tt.status, tt.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			client, tr := adapterClient(t, tt.exchange, srv.URL)
			defer tr.CloseIdleConnections()
			_, err := client.ServerTime(t.Context())
			e := adapterCause(t, adapterCase{exchange: tt.exchange}, err, tt.cause)
			if e.Code != tt.code || e.HTTPStatus != tt.status {
				t.Errorf("error = %v, want code %q HTTP %d", e, tt.code, tt.status)
			}
		})
	}
}

// BenchmarkKeyInfoAgainstFake measures one signed key-info round trip on
// loopback (sign, send, verify in the fake, decode) per exchange.
func BenchmarkKeyInfoAgainstFake(b *testing.B) {
	bf := exchangetest.NewBinance(exchangetest.BinanceKey{APIKey: binanceGood.APIKey.Reveal(), Secret: binanceGood.APISecret.Reveal(), Reading: true})
	defer bf.Close()
	yf := exchangetest.NewBybit(exchangetest.BybitKey{APIKey: bybitGood.APIKey.Reveal(), Secret: bybitGood.APISecret.Reveal()})
	defer yf.Close()
	of := exchangetest.NewOKX(exchangetest.OKXKey{APIKey: okxGood.APIKey.Reveal(), Secret: okxGood.APISecret.Reveal(), Passphrase: okxGood.Passphrase.Reveal()})
	defer of.Close()
	for _, c := range []struct {
		name, url string
		item      keystore.Item
	}{{"binance", bf.URL(), binanceGood}, {"bybit", yf.URL(), bybitGood}, {"okx", of.URL(), okxGood}} {
		b.Run(c.name, func(b *testing.B) {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client, err := exchange.New(c.name, c.url, &http.Client{Transport: tr})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := client.KeyInfo(context.Background(), c.item, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
