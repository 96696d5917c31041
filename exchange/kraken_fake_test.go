package exchange_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
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
			CreatedAt: time.Unix(1772542900, 0).UTC(), ExpiresAt: time.Unix(1780000000, 0).UTC(),
			ModifiedAt: time.Unix(1772543095, 0).UTC(), Raw: raw}
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
		lastUsed: true,
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

// shuffleTransport holds every other request back a little, so requests
// sent at once reach the server in another order than they were signed in.
type shuffleTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (s *shuffleTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.n.Add(1)%2 == 1 {
		time.Sleep(15 * time.Millisecond)
	}
	return s.next.RoundTrip(r)
}

// Checks run at once with one key (key.permissions, activity.orders,
// activity.funds, activity.key): Kraken rejects a nonce below one it has
// already accepted, so each request of a key waits for the one before to be
// answered; with requests held back at random none is refused.
func TestKrakenConcurrentRequestsOfOneKeyKeepNonceOrder(t *testing.T) {
	def := krakenTestKeyDef()
	f := exchangetest.NewKraken(def)
	t.Cleanup(f.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := exchange.New("kraken", f.URL(), &http.Client{Transport: &shuffleTransport{next: tr}, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	creds := krakenTestCreds(krakenTestKey, krakenTestSecret)
	ac := c.(exchange.ActivityClient)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 8 {
		wg.Go(func() {
			for range 5 {
				var err error
				if i%2 == 0 {
					_, err = c.KeyInfo(context.Background(), creds, 0)
				} else {
					_, err = ac.Movements(context.Background(), creds, 0, time.Now().Add(-time.Hour))
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a concurrent request was refused: %v", err)
	}
}

// A request waiting for its key's turn gives up with its context.
func TestKrakenTurnWaitEndsWithContext(t *testing.T) {
	def := krakenTestKeyDef()
	f := exchangetest.NewKraken(def)
	t.Cleanup(f.Close)
	release := make(chan struct{})
	hold := &holdTransport{next: &http.Transport{}, entered: make(chan struct{}, 1), release: release}
	c, err := exchange.New("kraken", f.URL(), &http.Client{Transport: hold})
	if err != nil {
		t.Fatal(err)
	}
	creds := krakenTestCreds(krakenTestKey, krakenTestSecret)
	first := make(chan error, 1)
	go func() { _, err := c.KeyInfo(context.Background(), creds, 0); first <- err }()
	<-hold.entered // the first request holds the key's turn
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.KeyInfo(ctx, creds, 0)
	var e *exchange.Error
	if !errors.As(err, &e) || e.Cause != exchange.CauseTimeout {
		t.Errorf("waiting past the context: %v, want a timeout", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("the first request: %v", err)
	}
}

// holdTransport holds the first request until release is closed.
type holdTransport struct {
	next    http.RoundTripper
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *holdTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	first := false
	h.once.Do(func() { first = true })
	if first {
		h.entered <- struct{}{}
		<-h.release
	}
	return h.next.RoundTrip(r)
}
