package exchangetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

// ccxtVersion is the ccxt release the fakes are held to: the library most
// Python and JavaScript trading bots sign their requests with, written by
// nobody here.
const ccxtVersion = "4.5.84"

// ccxtStale is how far behind the exchange the host clock is for the
// stale-timestamp calls: outside every exchange's window (Coinbase's 120 s
// JWT lifetime is the widest) and far beyond any leeway.
const ccxtStale = 10 * time.Minute

// ccxtSkew puts every fake's clock ahead of the host's, so that fetchTime
// shows ccxt reads the fake's time rather than its own, while signed calls
// stay inside every window (KuCoin's ±5 s is the narrowest).
const ccxtSkew = 2 * time.Second

// ccxtExchange is one fake as the script drives it (the JSON fields) and
// what the test expects of each call.
type ccxtExchange struct {
	Name        string         `json:"name"`
	ID          string         `json:"id"`
	URL         string         `json:"url"`
	KeyInfo     string         `json:"keyInfo"` // ccxt's implicit method for the key-info endpoint
	Time        []any          `json:"time"`    // params of each fetchTime call
	Good        ccxtCreds      `json:"good"`
	WrongSecret ccxtCreds      `json:"wrongSecret"`
	StaleMs     int64          `json:"staleMs"`
	keyInfoOK   func(any) bool // judges the key-info value ccxt returned
	wrongSecret ccxtRejection
	stale       ccxtRejection
}

type ccxtCreds struct {
	APIKey   string `json:"apiKey"`
	Secret   string `json:"secret"`
	Password string `json:"password,omitempty"`
}

// ccxtRejection is a refusal as the exchange sends it (HTTP status and its
// own error code) and the ccxt error class it maps to.
type ccxtRejection struct {
	status int
	code   string
	class  string
}

type ccxtResult struct {
	OK    bool  `json:"ok"`
	Value any   `json:"value"`
	Sent  int64 `json:"sent"` // the host's clock in ms when the call started
	At    int64 `json:"at"`   // the host's clock in ms when the call returned
	Error *struct {
		Name, Message string
	} `json:"error"`
	HTTP *struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Reason string `json:"reason,omitempty"`
	} `json:"http"`
}

// ccxt, a client nobody here wrote, signs its requests to every fake in this
// package as it signs them for the live exchange: correctly signed calls are
// accepted (key info, server time), a wrong secret and a stale timestamp are
// refused with the exchange's own HTTP status and error code, which ccxt
// maps to its own error classes. Coinbase is run with both CDP key types.
//
// It needs node and npm and installs ccxt from the npm registry (cached under
// the user cache directory between runs); without them it skips, or fails
// when KEYWARDEN_REQUIRE_REAL is set.
func TestCCXTConformance(t *testing.T) {
	node := testutil.LookPath(t, "node")
	prefix := ccxtInstall(t)

	exchanges := ccxtFakes(t)
	cfg, err := json.Marshal(exchanges)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "ccxt_conformance.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, prefix, cfgPath)
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+ccxtTrust(t, dir))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", filepath.Base(script), err, stderr.String())
	}
	t.Logf("ccxt against %d fakes: %v", len(exchanges), time.Since(start).Round(time.Millisecond))
	var out struct {
		CCXTVersion string                           `json:"ccxtVersion"`
		Exchanges   map[string]map[string]ccxtResult `json:"exchanges"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("script output: %v\n%s", err, stdout.String())
	}
	if out.CCXTVersion != ccxtVersion {
		t.Fatalf("ran ccxt %s, want %s", out.CCXTVersion, ccxtVersion)
	}
	for _, x := range exchanges {
		t.Run(x.Name, func(t *testing.T) {
			got := out.Exchanges[x.Name]
			if r := got["keyInfo"]; !r.OK || !x.keyInfoOK(r.Value) {
				t.Errorf("key info with a good key: %s", r)
			}
			for i := range x.Time {
				r := got[fmt.Sprintf("time%d", i)]
				ms, isNumber := r.Value.(float64)
				// The fake stamped its clock (the host's plus ccxtSkew) while
				// the call was in flight; Kraken and Coinbase's /v2/time count
				// whole seconds. A loaded machine makes the flight long, not
				// the bounds wrong: ccxt reading its own clock would be
				// ccxtSkew early.
				lo := time.UnixMilli(r.Sent).Add(ccxtSkew - time.Second - 100*time.Millisecond)
				hi := time.UnixMilli(r.At).Add(ccxtSkew + 100*time.Millisecond)
				got := time.UnixMilli(int64(ms))
				if !r.OK || !isNumber || got.Before(lo) || got.After(hi) {
					t.Errorf("fetchTime %v: %s, want between %d and %d (the fake's clock)", x.Time[i], r, lo.UnixMilli(), hi.UnixMilli())
				}
			}
			ccxtRejected(t, "wrong secret", got["wrongSecret"], x.wrongSecret)
			ccxtRejected(t, "stale timestamp", got["staleTimestamp"], x.stale)
		})
	}
}

func ccxtRejected(t *testing.T, what string, r ccxtResult, want ccxtRejection) {
	t.Helper()
	if r.OK || r.HTTP == nil || r.Error == nil {
		t.Errorf("%s: %s, want a refusal", what, r)
		return
	}
	if r.HTTP.Status != want.status || ccxtAnswerCode(r.HTTP.Body) != want.code || r.Error.Name != want.class {
		t.Errorf("%s: HTTP %d code %q, ccxt %s; want HTTP %d code %q, ccxt %s\nbody: %s",
			what, r.HTTP.Status, ccxtAnswerCode(r.HTTP.Body), r.Error.Name, want.status, want.code, want.class, r.HTTP.Body)
	}
}

// ccxtAnswerCode is the exchange's error code in an answer body: Bybit's
// retCode, the code field of Binance, OKX and KuCoin, Kraken's first error,
// or the text of a body that is not JSON (Coinbase's "Unauthorized").
func ccxtAnswerCode(body string) string {
	var v map[string]any
	if json.Unmarshal([]byte(body), &v) != nil {
		return strings.TrimSpace(body)
	}
	for _, k := range []string{"retCode", "code"} {
		if c, ok := v[k]; ok {
			return fmt.Sprint(c)
		}
	}
	if errs, ok := v["error"].([]any); ok && len(errs) > 0 {
		return fmt.Sprint(errs[0])
	}
	return body
}

// ccxtField is the value at path in decoded JSON (an index for an array),
// nil if there is none.
func ccxtField(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (r ccxtResult) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// ccxtFakes starts every fake, each behind a TLS front (ccxt talks HTTPS to
// the real hosts, and Coinbase's JWT names the host without a scheme), with
// one good key, and returns what the script needs to drive them.
func ccxtFakes(t *testing.T) []ccxtExchange {
	t.Helper()
	stale := ccxtStale.Milliseconds()
	hexSecret := func() string { return ccxtRandom(t, hex.EncodeToString) }
	b64Secret := func() string { return ccxtRandom(t, base64.StdEncoding.EncodeToString) }
	// is judges a key-info value by one field of it, named by its path.
	is := func(want any, path ...string) func(any) bool {
		return func(v any) bool { return ccxtField(v, path...) == want }
	}
	var xs []ccxtExchange

	binanceSecret := hexSecret()
	binance := NewBinance(BinanceKey{APIKey: "ccxtBinanceKey", Secret: binanceSecret, Reading: true})
	xs = append(xs, ccxtExchange{Name: "binance", ID: "binance", URL: ccxtFront(t, &binance.Base),
		KeyInfo: "sapiGetAccountApiRestrictions", Time: []any{map[string]any{}},
		Good:        ccxtCreds{APIKey: "ccxtBinanceKey", Secret: binanceSecret},
		WrongSecret: ccxtCreds{APIKey: "ccxtBinanceKey", Secret: hexSecret()},
		keyInfoOK:   is(true, "enableReading"),
		wrongSecret: ccxtRejection{400, "-1022", "AuthenticationError"},
		stale:       ccxtRejection{400, "-1021", "InvalidNonce"},
	})

	bybitSecret := hexSecret()
	bybit := NewBybit(BybitKey{APIKey: "ccxtBybitKey", Secret: bybitSecret, ReadOnly: true})
	xs = append(xs, ccxtExchange{Name: "bybit", ID: "bybit", URL: ccxtFront(t, &bybit.Base),
		KeyInfo: "privateGetV5UserQueryApi", Time: []any{map[string]any{}},
		Good:        ccxtCreds{APIKey: "ccxtBybitKey", Secret: bybitSecret},
		WrongSecret: ccxtCreds{APIKey: "ccxtBybitKey", Secret: hexSecret()},
		keyInfoOK:   is("ccxtBybitKey", "result", "apiKey"),
		wrongSecret: ccxtRejection{200, "10004", "AuthenticationError"},
		stale:       ccxtRejection{200, "10002", "InvalidNonce"},
	})

	okxSecret := hexSecret()
	okx := NewOKX(OKXKey{APIKey: "ccxt-okx-key", Secret: okxSecret, Passphrase: "ccxt okx pass"})
	xs = append(xs, ccxtExchange{Name: "okx", ID: "okx", URL: ccxtFront(t, &okx.Base),
		KeyInfo: "privateGetAccountConfig", Time: []any{map[string]any{}},
		Good:        ccxtCreds{APIKey: "ccxt-okx-key", Secret: okxSecret, Password: "ccxt okx pass"},
		WrongSecret: ccxtCreds{APIKey: "ccxt-okx-key", Secret: hexSecret(), Password: "ccxt okx pass"},
		keyInfoOK:   is("read_only", "data", "0", "perm"),
		wrongSecret: ccxtRejection{401, "50113", "AuthenticationError"},
		stale:       ccxtRejection{401, "50102", "InvalidNonce"},
	})

	kucoinSecret := hexSecret()
	kucoin := NewKuCoin(KuCoinKey{Key: "ccxtKuCoinKey", Secret: kucoinSecret, Passphrase: "ccxt kucoin pass",
		Info: KuCoinKeyInfo{Permission: "General"}})
	xs = append(xs, ccxtExchange{Name: "kucoin", ID: "kucoin", URL: ccxtFront(t, &kucoin.Base),
		KeyInfo: "privateGetUserApiKey", Time: []any{map[string]any{}},
		Good:        ccxtCreds{APIKey: "ccxtKuCoinKey", Secret: kucoinSecret, Password: "ccxt kucoin pass"},
		WrongSecret: ccxtCreds{APIKey: "ccxtKuCoinKey", Secret: hexSecret(), Password: "ccxt kucoin pass"},
		keyInfoOK:   is("General", "data", "permission"),
		wrongSecret: ccxtRejection{401, "400005", "AuthenticationError"},
		stale:       ccxtRejection{400, "400002", "InvalidNonce"},
	})

	// Kraken has no timestamp, only a nonce that must grow: the stale call
	// runs after the good one, so its nonce (the host's milliseconds, ten
	// minutes back) is below the last one accepted.
	krakenSecret := b64Secret()
	kraken := NewKraken(KrakenKey{Key: "ccxtKrakenKey", Secret: krakenSecret, Info: KrakenKeyInfo{APIKeyName: "ccxt", Permissions: []string{"query-funds"}}})
	xs = append(xs, ccxtExchange{Name: "kraken", ID: "kraken", URL: ccxtFront(t, &kraken.Base),
		KeyInfo: "privatePostGetApiKeyInfo", Time: []any{map[string]any{}},
		Good:        ccxtCreds{APIKey: "ccxtKrakenKey", Secret: krakenSecret},
		WrongSecret: ccxtCreds{APIKey: "ccxtKrakenKey", Secret: b64Secret()},
		keyInfoOK:   is("ccxt", "result", "apiKeyName"),
		// ccxt maps only Kraken's "EAPI:Invalid key" to AuthenticationError.
		wrongSecret: ccxtRejection{200, "EAPI:Invalid signature", "ExchangeError"},
		stale:       ccxtRejection{200, "EAPI:Invalid nonce", "InvalidNonce"},
	})

	// One Coinbase fake, two CDP keys: a legacy ES256 key named by its
	// organization path, and an Ed25519 key named by its id.
	coinbase := NewCoinbase()
	coinbaseURL := ccxtFront(t, &coinbase.Base)
	for _, k := range []struct{ name, alg, keyName string }{
		{"coinbase-es256", "ES256", "organizations/2f6a5d0e/apiKeys/ccxt-es256"},
		{"coinbase-ed25519", "EdDSA", "5b0c6a1e-6d3f-4d49-9d7e-ccc3e2f1a7b0"},
	} {
		secret := coinbaseMust(GenerateCoinbaseKey(k.alg))
		if err := coinbase.SetKey(CoinbaseKey{Name: k.keyName, Secret: secret, Permissions: CoinbaseKeyPermissions{CanView: true, PortfolioType: "DEFAULT"}}); err != nil {
			t.Fatal(err)
		}
		xs = append(xs, ccxtExchange{Name: k.name, ID: "coinbase", URL: coinbaseURL,
			KeyInfo: "v3PrivateGetBrokerageKeyPermissions",
			// ccxt's default reads /v2/time; Advanced Trade's own is asked for.
			Time:        []any{map[string]any{}, map[string]any{"method": "v3PublicGetBrokerageTime"}},
			Good:        ccxtCreds{APIKey: k.keyName, Secret: secret},
			WrongSecret: ccxtCreds{APIKey: k.keyName, Secret: coinbaseMust(GenerateCoinbaseKey(k.alg))},
			keyInfoOK:   is(true, "can_view"),
			wrongSecret: ccxtRejection{401, "Unauthorized", "AuthenticationError"},
			stale:       ccxtRejection{401, "Unauthorized", "AuthenticationError"},
		})
	}
	for _, b := range []*Base{&binance.Base, &bybit.Base, &okx.Base, &kucoin.Base, &kraken.Base, &coinbase.Base} {
		b.SetSkew(ccxtSkew)
		t.Cleanup(b.Close)
	}
	for i := range xs {
		xs[i].StaleMs = stale
	}
	return xs
}

func ccxtRandom(t *testing.T, encode func([]byte) string) string {
	t.Helper()
	b := make([]byte, 64)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return encode(b)
}

// ccxtFront serves the fake over TLS on loopback, passing each request on
// with its Host unchanged.
func ccxtFront(t *testing.T, b *Base) string {
	t.Helper()
	target, err := url.Parse(b.URL())
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewTLSServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}})
	t.Cleanup(front.Close)
	return front.URL
}

// ccxtTrust writes the certificate of httptest's TLS servers (one for all of
// them) to a file for NODE_EXTRA_CA_CERTS.
func ccxtTrust(t *testing.T, dir string) string {
	t.Helper()
	s := httptest.NewTLSServer(nil)
	defer s.Close()
	path := filepath.Join(dir, "fakes-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ccxtInstall returns an npm prefix holding ccxt at ccxtVersion: the cached
// install when there is one, else a fresh `npm install` (network to the npm
// registry), cached for the next run.
func ccxtInstall(t *testing.T) string {
	t.Helper()
	npm := testutil.LookPath(t, "npm")
	parent := filepath.Join(t.TempDir(), "keywarden-test")
	if c, err := os.UserCacheDir(); err == nil {
		parent = filepath.Join(c, "keywarden-test")
	}
	prefix := filepath.Join(parent, "ccxt-"+ccxtVersion)
	if ccxtInstalled(prefix) {
		return prefix
	}
	if err := os.MkdirAll(parent, 0o700); err != nil {
		testutil.MissingReal(t, "cannot create the ccxt cache directory: %v", err)
	}
	// Install beside the cache and rename, so that an interrupted install
	// never passes for a cached one.
	tmp, err := os.MkdirTemp(parent, "ccxt-install-")
	if err != nil {
		testutil.MissingReal(t, "cannot create the ccxt install directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) }) // gone already once renamed
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", tmp, "ccxt@"+ccxtVersion).CombinedOutput()
	if err != nil || !ccxtInstalled(tmp) {
		testutil.MissingReal(t, "npm install ccxt@%s (needs the npm registry): %v\n%s", ccxtVersion, err, out)
	}
	t.Logf("npm install ccxt@%s: %v", ccxtVersion, time.Since(start).Round(time.Millisecond))
	if err := os.Rename(tmp, prefix); err != nil && !ccxtInstalled(prefix) {
		// The cache cannot be written: use this run's install once.
		t.Logf("not caching the ccxt install: %v", err)
		return tmp
	}
	return prefix
}

func ccxtInstalled(prefix string) bool {
	b, err := os.ReadFile(filepath.Join(prefix, "node_modules", "ccxt", "package.json"))
	if err != nil {
		return false
	}
	var p struct{ Version string }
	return json.Unmarshal(b, &p) == nil && p.Version == ccxtVersion
}
