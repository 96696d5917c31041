package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/internal/gitsafe"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/leaks/leakcheck"
)

// EgressIP is the public address the simulated host leaves from: a TEST-NET-2
// address (RFC 5737), so nothing in the demo looks like a real machine.
var EgressIP = netip.MustParseAddr("198.51.100.23")

// ClockSkew is how far the simulated host's clock is behind the world: the
// NTP responders and the fake Binance and Bybit all run this far ahead.
const ClockSkew = 1200 * time.Millisecond

// backfill is the bots' history at start, one call every backfillEvery.
const (
	backfill      = time.Hour
	backfillEvery = 20 * time.Second
)

// HealthySkew is how far the fake KuCoin, the healthy profile's exchange,
// runs ahead of the host: well inside its 5 s signature window.
const HealthySkew = 150 * time.Millisecond

// World is the simulated environment of `keywarden demo`. Everything listens
// on loopback; keys are generated at start and held only in memory.
type World struct {
	Config  *config.Config
	Store   keystore.Store
	Secrets []keystore.Secret // every generated key, secret and passphrase
	Dir     string            // temporary directory for logs and the bot's project

	closers  []func()
	intruder *intruder
	cancel   context.CancelFunc
	done     chan struct{}
}

// Options tune the world; the zero value is the demo.
type Options struct {
	// Live makes the bots keep writing their logs until Close (the dashboard);
	// without it the logs hold only their backfilled hour (`demo --check`).
	Live bool
	Now  time.Time // default time.Now
	// IntruderAfter is how long after the activity baseline the intruder
	// strikes when Live (0: DefaultIntruderAfter). Without Live it has
	// struck already: after a baseline taken baselineAgo before Now, and
	// intrudedAgo before Now, past activity.Grace, so one report shows it.
	IntruderAfter time.Duration
}

// Start builds the world. Close it to stop every server and remove Dir.
func Start(ctx context.Context, o Options) (w *World, err error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	dir, err := os.MkdirTemp("", "keywarden-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo: temporary directory: %w", err)
	}
	w = &World{Store: keystore.NewMemory(), Dir: dir, done: make(chan struct{})}
	if o.IntruderAfter <= 0 {
		o.IntruderAfter = DefaultIntruderAfter
	}
	w.closers = append(w.closers, func() { _ = os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			w.Close()
			w = nil
		}
	}()

	binance, bybit, kucoin := newKey("binance"), newKey("bybit"), newKey("kucoin")
	kucoin.passphrase = "demo-" + randomHex(6)
	created := map[string]time.Time{
		"binance-main": o.Now.Add(-41 * 24 * time.Hour),
		"bybit-grid":   o.Now.Add(-88 * 24 * time.Hour),
		"kucoin-spot":  o.Now.Add(-12 * 24 * time.Hour),
	}
	// The keys are stored first: the git-history scan, started as soon as
	// the project exists, looks for every one of them.
	for _, sk := range []struct {
		name string
		k    demoKey
	}{{"binance-main", binance}, {"bybit-grid", bybit}, {"kucoin-spot", kucoin}} {
		it := keystore.Item{APIKey: keystore.NewSecret(sk.k.key), APISecret: keystore.NewSecret(sk.k.secret),
			Passphrase: keystore.NewSecret(sk.k.passphrase), CreatedAt: created[sk.name], StoredAt: created[sk.name]}
		if err := w.Store.Set(ctx, sk.name, it); err != nil {
			return nil, err
		}
		w.Secrets = append(w.Secrets, it.APIKey, it.APISecret)
		if sk.k.passphrase != "" {
			w.Secrets = append(w.Secrets, it.Passphrase)
		}
	}

	// The git project costs a handful of git processes, the slowest part of
	// the start: build it while the servers come up. Every return below
	// waits for it first (defers run last-in first-out), so Close never
	// removes the directory under a running git.
	type built struct {
		dir string
		err error
	}
	projectDone := make(chan built, 1)
	go func() {
		d, err := w.makeProject(binance)
		projectDone <- built{d, err}
	}()
	var project built
	joined := false
	joinProject := func() built {
		if !joined {
			project, joined = <-projectDone, true
		}
		return project
	}
	defer joinProject()

	ntpServers, err := w.startNTP()
	if err != nil {
		return nil, err
	}
	ipSources := w.startIPEchoes()

	fb := exchangetest.NewBinance(exchangetest.BinanceKey{
		APIKey: binance.key, Secret: binance.secret,
		Reading: true, SpotAndMarginTrading: true, Withdrawals: true,
		Whitelist: []string{EgressIP.String()}, CreatedAt: o.Now.Add(-41 * 24 * time.Hour),
	})
	fy := exchangetest.NewBybit(exchangetest.BybitKey{
		APIKey: bybit.key, Secret: bybit.secret,
		Permissions: map[string][]string{"Spot": {"SpotTrade"}, "ContractTrade": {"Order", "Position"}},
		IPs:         []string{"203.0.113.0/24"}, CreatedAt: o.Now.Add(-88 * 24 * time.Hour),
	})
	fk := exchangetest.NewKuCoin(exchangetest.KuCoinKey{
		Key: kucoin.key, Secret: kucoin.secret, Passphrase: kucoin.passphrase,
		Info: exchangetest.KuCoinKeyInfo{Remark: "spot-bot", Permission: "General,Spot",
			IPWhitelist: maskedIP(EgressIP), CreatedAt: o.Now.Add(-12 * 24 * time.Hour).UnixMilli(), UID: 165111215, IsMaster: true},
	})
	for _, f := range []interface {
		SetSkew(time.Duration)
		SetCallerIP(netip.Addr)
		Close()
	}{fb, fy, fk} {
		f.SetSkew(ClockSkew)
		f.SetCallerIP(EgressIP)
		w.closers = append(w.closers, f.Close)
	}
	fk.SetSkew(HealthySkew)

	if pr := joinProject(); pr.err != nil {
		return nil, pr.err
	}
	w.prescan(project.dir)

	w.intruder = &intruder{fb: fb, fk: fk, done: make(chan struct{})}
	leaky := binanceBot()
	leaky.Leak = binance.secret // its bot once logged the secret
	// binance-main's spot account: what the bot trades (BTC against
	// USDT, fees in BNB) and an asset it holds but does not trade (ETH).
	// Its market orders fill at once and move these balances through the
	// fake's own books, as the intruder's sell does: the balance
	// reconciliation follows both.
	for _, b := range DemoBalances {
		fb.SetBalance(b.Asset, b.Free, "0")
	}
	leaky.Place = binanceFills(fb, leaky.Symbol)
	grid := bybitBot()
	grid.Place = func(t time.Time, client string) string {
		return fy.AddOrder(exchangetest.BybitOrder{Category: "linear", OrderLinkID: client, Symbol: grid.Symbol,
			Side: "Buy", Qty: "0.01", Time: t})
	}
	spot := kucoinBot()
	spot.Place = func(t time.Time, client string) string {
		return fk.AddOrder(exchangetest.KuCoinOrder{ID: kucoinID(t), Symbol: spot.Symbol, Side: "buy", Size: "0.001",
			ClientOid: client, Time: t})
	}
	profiles := []struct {
		p   config.Profile
		bot *Bot
	}{
		{config.Profile{Name: "binance-main", Exchange: "binance", BaseURL: fb.URL(),
			Whitelist: []string{EgressIP.String()}, Needs: []string{"read", "trade"}, Project: project.dir},
			leaky},
		{config.Profile{Name: "bybit-grid", Exchange: "bybit", BaseURL: fy.URL(),
			Whitelist: []string{"203.0.113.0/24"}, Needs: []string{"read", "trade"}},
			grid},
		{config.Profile{Name: "kucoin-spot", Exchange: "kucoin", BaseURL: fk.URL(),
			Whitelist: []string{EgressIP.String()}, Needs: []string{"read", "trade"}, MaxAge: 30 * 24 * time.Hour},
			spot},
	}

	w.Config = &config.Config{
		Keystore: "memory",
		Clock:    config.Clock{NTPServers: ntpServers, WarnMS: 250, CritMS: 1000},
		IP:       config.IP{Sources: ipSources},
		Rotation: config.Rotation{MaxAge: 90 * 24 * time.Hour, WarnBefore: 14 * 24 * time.Hour},
	}
	// The bots' backfilled hour is written in two parts around the
	// activity baseline, if Start takes it (without Live).
	after := time.Duration(0)
	if !o.Live {
		after = baselineAgo
	}
	var botCtx context.Context
	botCtx, w.cancel = context.WithCancel(context.Background())
	var live []*Bot
	for _, pr := range profiles {
		p := pr.p
		p.Env = config.Env{Key: "EXCHANGE_API_KEY", Secret: "EXCHANGE_API_SECRET", Passphrase: "EXCHANGE_API_PASSPHRASE"}
		if p.MaxAge == 0 {
			p.MaxAge = w.Config.Rotation.MaxAge
		}
		p.AuditLog = filepath.Join(dir, p.Name+".log")
		w.Config.Profiles = append(w.Config.Profiles, p)

		b := pr.bot
		b.Path, b.Exchange = p.AuditLog, p.Exchange
		if err := b.Open(); err != nil {
			return nil, fmt.Errorf("demo: audit log: %w", err)
		}
		w.closers = append(w.closers, func() { _ = b.Close() })
		// Without Live the activity baseline was taken baselineAgo before
		// Now: the bots' last minutes come after it, so their orders are
		// judged (and matched as theirs) by the report.
		if err := b.Backfill(int((backfill-after)/backfillEvery), backfill-after, o.Now.Add(-after)); err != nil {
			return nil, fmt.Errorf("demo: audit log: %w", err)
		}
		live = append(live, b)
	}
	if !o.Live {
		w.baseline(ctx, func() time.Time { return o.Now.Add(-baselineAgo) })
	}
	for _, b := range live {
		if err := b.Backfill(int(after/backfillEvery), after, o.Now); err != nil {
			return nil, fmt.Errorf("demo: audit log: %w", err)
		}
		if err := b.PlantLeak(o.Now.Add(-2 * time.Minute)); err != nil {
			return nil, fmt.Errorf("demo: audit log: %w", err)
		}
	}
	if o.Live {
		go func() {
			defer close(w.done)
			done := make(chan struct{}, len(live)+1)
			for _, b := range live {
				go func() { b.Run(botCtx); done <- struct{}{} }()
			}
			go func() { w.intrude(botCtx, o.IntruderAfter); done <- struct{}{} }()
			for range len(live) + 1 {
				<-done
			}
		}()
	} else {
		close(w.done)
		w.intruder.strike(o.Now.Add(-intrudedAgo))
	}
	return w, nil
}

// Close stops the bots and servers and removes the temporary directory.
// It is safe to call more than once.
func (w *World) Close() {
	if w.cancel != nil {
		w.cancel()
		<-w.done
		w.cancel = nil
	}
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
	w.closers = nil
}

// scanCache is where the world's git-history scan caches its result: what
// leaks.DefaultCacheDir names when CACHE_DIRECTORY is Dir/cache, as
// `keywarden demo` sets it, so the checks share it and the user's cache is
// never touched.
func (w *World) scanCache() string { return filepath.Join(w.Dir, "cache", "scan") }

// prescan starts the hygiene.history check of the bot's project while the
// rest of the world and the dashboard come up: its scan is the slowest
// part of the first full report. The checks that run next join the scan in
// flight (leakcheck runs one scan per repository at a time). Close waits
// for it, so that no git process or cache write outlives the directory;
// the project is tiny and the scan takes well under a second.
func (w *World) prescan(project string) {
	done := make(chan struct{})
	env := checks.NewEnv(checks.Deps{Store: w.Store, Hostname: "demo"})
	c := leakcheck.History(w.scanCache())(config.Profile{Name: "binance-main", Project: project})
	go func() {
		defer close(done)
		c.Run(context.Background(), env)
	}()
	w.closers = append(w.closers, func() { <-done })
}

// startNTP starts three NTP responders: two agree on ClockSkew, the third is
// a falseticker 47 s off, which a sound consensus outvotes and names.
func (w *World) startNTP() ([]string, error) {
	var addrs []string
	for _, skew := range []time.Duration{ClockSkew, ClockSkew + 3*time.Millisecond, 47 * time.Second} {
		s, err := StartNTP(skew)
		if err != nil {
			return nil, fmt.Errorf("demo: ntp responder: %w", err)
		}
		w.closers = append(w.closers, func() { _ = s.Close() })
		addrs = append(addrs, s.Addr())
	}
	return addrs, nil
}

// startIPEchoes starts three public-IP stand-ins in the formats of ipify,
// icanhazip and ipify's JSON.
func (w *World) startIPEchoes() []string {
	ip := net.IP(EgressIP.AsSlice())
	var urls []string
	for _, f := range []string{EchoPlain, EchoPlainNL, EchoJSON} {
		e := StartIPEcho(ip, f)
		w.closers = append(w.closers, e.Close)
		urls = append(urls, e.URL())
	}
	return urls
}

// makeProject creates the bot's source tree as a real git repository with
// two classic mistakes: the Binance secret committed in config.py and
// "removed" in a later commit (still in history), and a world-readable .env
// that git does not ignore. Without git, the tree has only the .env.
func (w *World) makeProject(k demoKey) (string, error) {
	dir := filepath.Join(w.Dir, "mybot")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	write := func(name, body string, mode os.FileMode) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			return err
		}
		return os.Chmod(p, mode)
	}
	if err := write("bot.py", botPy, 0o644); err != nil {
		return "", err
	}
	if _, err := exec.LookPath("git"); err == nil {
		run := func(args ...string) error {
			c := gitsafe.Own(context.Background(), dir, args...)
			c.Env = append(c.Env, "GIT_AUTHOR_NAME=demo", "GIT_AUTHOR_EMAIL=demo@example.org",
				"GIT_COMMITTER_NAME=demo", "GIT_COMMITTER_EMAIL=demo@example.org", "GIT_CONFIG_GLOBAL=/dev/null")
			if out, err := c.CombinedOutput(); err != nil {
				return fmt.Errorf("git %s: %w: %s", args[0], err, out)
			}
			return nil
		}
		steps := []func() error{
			func() error { return run("init", "-q", "-b", "main") },
			func() error {
				return write("config.py", fmt.Sprintf("API_KEY = %q\nAPI_SECRET = %q\n", k.key, k.secret), 0o644)
			},
			func() error { return run("add", "bot.py", "config.py") },
			func() error { return run("commit", "-q", "-m", "first working bot") },
			func() error { return os.Remove(filepath.Join(dir, "config.py")) },
			func() error { return run("commit", "-q", "-am", "move keys out of the source") },
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return "", fmt.Errorf("demo: bot project: %w", err)
			}
		}
	}
	if err := write(".env", "# moved here from config.py\nLOG_LEVEL=debug\n", 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

const botPy = `import os

API_KEY = os.environ["EXCHANGE_API_KEY"]
API_SECRET = os.environ["EXCHANGE_API_SECRET"]
`

type demoKey struct{ key, secret, passphrase string }

// newKey makes a throwaway key pair shaped like the exchange's own.
func newKey(exchange string) demoKey {
	switch exchange {
	case "okx":
		return demoKey{key: uuidish(), secret: hexUpper(16)}
	case "kucoin":
		return demoKey{key: randomHex(12), secret: uuidish()}
	case "bybit":
		return demoKey{key: randomAlnum(18), secret: randomAlnum(36)}
	}
	return demoKey{key: randomAlnum(64), secret: randomAlnum(64)}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("demo: no randomness")) // crypto/rand never fails on Linux
	}
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// kucoinID makes an order or withdrawal id shaped like KuCoin's: 24 hex
// digits, a MongoDB ObjectId whose first 8 are the Unix time in seconds
// ("5c35c02703aa673ceec2a168").
func kucoinID(t time.Time) string { return fmt.Sprintf("%08x", uint32(t.Unix())) + randomHex(8) }

func hexUpper(n int) string {
	return fmt.Sprintf("%X", randomBytes(n))
}

func uuidish() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randomAlnum(n int) string {
	s := base64.RawURLEncoding.EncodeToString(randomBytes(n))
	out := make([]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		if i == len(s) {
			s, i = base64.RawURLEncoding.EncodeToString(randomBytes(n)), 0
		}
		if c := s[i]; c != '-' && c != '_' {
			out = append(out, c)
		}
	}
	return string(out)
}

// Balance is one asset of binance-main's spot account at the start.
type Balance struct{ Asset, Free string }

// DemoBalances are binance-main's spot balances at the start, before the
// bot's backfilled hour trades.
var DemoBalances = []Balance{{"BTC", "1.84210000"}, {"USDT", "23750.00000000"}, {"BNB", "3.21000000"}, {"ETH", "4.50000000"}}

// binancePrice is BTCUSDT's price around which the bot's orders fill.
const binancePrice = 61250

// binanceFills places the bot's orders on the fake Binance as market
// orders that fill at once, buying and selling in turn at a price that
// wanders a little, with the commission paid in BNB: the fake moves BTC,
// USDT and BNB by what each executed, as Binance's matching engine would.
func binanceFills(fb *exchangetest.Binance, symbol string) func(time.Time, string) string {
	n := 0
	return func(t time.Time, client string) string {
		side := "BUY"
		if n%2 == 1 {
			side = "SELL"
		}
		// A few dollars either way, in cents: 61250.00 ± 12.34.
		price := fmt.Sprintf("%.2f", binancePrice+float64((n*7919)%2469-1234)/100)
		n++
		return strconv.FormatInt(fb.AddOrder(exchangetest.BinanceOrder{Symbol: symbol, ClientOrderID: client,
			Side: side, Qty: "0.001", Price: price, Status: "FILLED", FeeBNB: "0.00010500", Time: t}), 10)
	}
}

func binanceBot() *Bot {
	return &Bot{
		Symbol: "BTCUSDT",
		Calls: []BotCall{{"POST", "/api/v3/order", placeOrder}, {"GET", "/api/v3/account", "get_balance"},
			{"DELETE", "/api/v3/order", "cancel_order"}, {"GET", "/api/v3/openOrders", "open_orders"}},
		Errors: []BotError{
			{HTTPStatus: 400, Code: "-1021", Message: "Timestamp for this request is outside of the recvWindow.", Weight: 60},
			{HTTPStatus: 401, Code: "-2015", Message: "Invalid API-key, IP, or permissions for action.", Weight: 15},
		},
		Every: 3 * time.Second,
	}
}

func bybitBot() *Bot {
	return &Bot{
		Symbol: "BTCUSDT",
		Calls: []BotCall{{"POST", "/v5/order/create", placeOrder}, {"GET", "/v5/position/list", "positions"},
			{"POST", "/v5/order/cancel", "cancel_order"}},
		Errors: []BotError{
			{HTTPStatus: 200, Code: "10010", Message: "Unmatched IP, please check your API key's bound IP addresses.", Weight: 150},
			{HTTPStatus: 200, Code: "10002", Message: "invalid request, please check your server timestamp or recv_window param.", Weight: 10},
		},
		Every: 4 * time.Second,
	}
}

func kucoinBot() *Bot {
	return &Bot{
		// The healthy one: its calls all succeed.
		Symbol: "BTC-USDT",
		Calls:  []BotCall{{"POST", "/api/v1/orders", placeOrder}, {"GET", "/api/v1/accounts", "get_balance"}},
		Every:  2500 * time.Millisecond,
	}
}

// maskedIP writes an address the way KuCoin reports whitelists: the middle
// octets masked ("198.**.23").
func maskedIP(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("%d.**.%d", b[0], b[3])
}
