package checks

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// Throwaway credentials for the fakes. Tests assert they never appear in
// any output.
const (
	binanceKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	binanceSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	bybitKey      = "XXXXXXXXXXbybitkey1"
	bybitSecret   = "bybitSecretValue0123456789abcdefGHIJ"
	okxKey        = "a3e1f6c0-5d2b-4c8e-9f10-okxkey000001"
	okxSecret     = "OKXSECRET0123456789ABCDEF01234567"
	okxPass       = "okx-Passphrase-42"
)

var egressV4 = netip.MustParseAddr("203.0.113.7")

// world is three profiles on three fake exchanges, IP echo sources and an
// in-memory keystore.
type world struct {
	binance *exchangetest.Binance
	bybit   *exchangetest.Bybit
	okx     *exchangetest.OKX
	sources []*httptest.Server
	cfg     *config.Config
	store   keystore.Store
	now     time.Time
}

func (w *world) fakes() []*exchangetest.Base {
	return []*exchangetest.Base{&w.binance.Base, &w.bybit.Base, &w.okx.Base}
}

func newWorld(t testing.TB) *world {
	t.Helper()
	now := time.Now()
	w := &world{now: now}
	w.binance = exchangetest.NewBinance(exchangetest.BinanceKey{APIKey: binanceKey, Secret: binanceSecret,
		Reading: true, SpotAndMarginTrading: true, Withdrawals: true,
		Whitelist: []string{egressV4.String()}, CreatedAt: now.Add(-41 * day)})
	w.bybit = exchangetest.NewBybit(exchangetest.BybitKey{APIKey: bybitKey, Secret: bybitSecret,
		Permissions: map[string][]string{"Spot": {"SpotTrade"}},
		IPs:         []string{"198.51.100.0/24"}, CreatedAt: now.Add(-88 * day)})
	w.okx = exchangetest.NewOKX(exchangetest.OKXKey{APIKey: okxKey, Secret: okxSecret, Passphrase: okxPass,
		Perm: []string{"read_only", "trade"}, IPs: []string{egressV4.String()}})
	for _, f := range w.fakes() {
		f.SetCallerIP(egressV4)
	}
	for _, ip := range []string{"203.0.113.7", "203.0.113.7", "198.51.100.66"} {
		w.sources = append(w.sources, echoServer(t, "tcp4", ip, ""))
	}
	t.Cleanup(func() {
		for _, f := range w.fakes() {
			f.Close()
		}
		for _, s := range w.sources {
			s.Close()
		}
	})
	var urls []string
	for _, s := range w.sources {
		urls = append(urls, s.URL)
	}
	w.cfg = &config.Config{
		Keystore: "auto",
		Clock:    config.Clock{WarnMS: 250, CritMS: 1000},
		IP:       config.IP{Sources: urls},
		Rotation: config.Rotation{MaxAge: 90 * day, WarnBefore: 14 * day},
		Profiles: []config.Profile{
			{Name: "binance-main", Exchange: "binance", BaseURL: w.binance.URL(), Needs: []string{"read", "trade"}, MaxAge: 90 * day},
			{Name: "bybit-grid", Exchange: "bybit", BaseURL: w.bybit.URL(), Needs: []string{"read", "trade"}, MaxAge: 90 * day},
			{Name: "okx-arb", Exchange: "okx", BaseURL: w.okx.URL(), Whitelist: []string{"203.0.113.7"}, Needs: []string{"read", "trade", "margin", "futures", "options", "transfer"}, MaxAge: 90 * day},
		},
	}
	w.store = keystore.NewMemory()
	ctx := context.Background()
	for name, it := range map[string]keystore.Item{
		"binance-main": {APIKey: keystore.NewSecret(binanceKey), APISecret: keystore.NewSecret(binanceSecret), CreatedAt: now.Add(-41 * day)},
		"bybit-grid":   {APIKey: keystore.NewSecret(bybitKey), APISecret: keystore.NewSecret(bybitSecret), CreatedAt: now.Add(-88 * day)},
		"okx-arb":      {APIKey: keystore.NewSecret(okxKey), APISecret: keystore.NewSecret(okxSecret), Passphrase: keystore.NewSecret(okxPass), CreatedAt: now.Add(-12 * day)},
	} {
		if err := w.store.Set(ctx, name, it); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) deps() Deps {
	return Deps{Config: w.cfg, Store: w.store, Hostname: "vps-test", Timeout: 5 * time.Second}
}

// echoServer is a loopback stand-in for a public-IP service listening on
// network ("tcp4" on 127.0.0.1, "tcp6" on ::1). It answers ip, plain or as
// {"ip": ...} when format is "json".
func echoServer(t testing.TB, network, ip, format string) *httptest.Server {
	t.Helper()
	return serveOn(t, network, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if format == "json" {
			fmt.Fprintf(rw, `{"ip":%q}`, ip)
			return
		}
		fmt.Fprintf(rw, "%s\n", ip)
	}))
}

// serveOn serves h on loopback over one address family.
func serveOn(t testing.TB, network string, h http.Handler) *httptest.Server {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s loopback here: %v", network, err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = l
	s.Start()
	return s
}

func secret(s string) keystore.Secret { return keystore.NewSecret(s) }
