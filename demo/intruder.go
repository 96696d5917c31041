package demo

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/keywarden/keywarden/activity"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// DefaultIntruderAfter is how long into the dashboard the intruder strikes.
const DefaultIntruderAfter = time.Minute

// Without Live, the world starts as if keywarden had polled the exchanges
// baselineAgo before Now and the intruder had struck since, intrudedAgo
// before Now: past activity.Grace, which lets a bot log its order late.
const (
	baselineAgo = 5 * time.Minute
	intrudedAgo = 3 * time.Minute
)

// IntruderSymbol is the market of the intruder's order: the bot's own, so
// Binance's per-symbol order history is read for it.
const IntruderSymbol = "BTCUSDT"

// IntruderPrice is what the intruder's market sell of 0.75 BTC filled at:
// it moves binance-main's BTC and USDT, and the balance reconciliation
// finds the move explained by that order, which is the finding.
const IntruderPrice = "61180.50"

// IntruderAddress is where the intruder withdraws to: not on the profile's
// allowlist (the demo allows no withdrawal at all).
const IntruderAddress = "bc1qdemo0intruder0not0yours0x9f3k2"

// Where the intruder strikes: the order with binance-main's key, whose
// secret is in the project's git history and in its bot's log; the
// withdrawal from kucoin-spot's account, on another exchange. The KuCoin
// key cannot withdraw: the withdrawal was made some other way (the
// website, with stolen login details), and the account's withdraw
// history, which the key can read, shows it all the same.
const (
	IntruderOrderProfile      = "binance-main"
	IntruderWithdrawalProfile = "kucoin-spot"
)

// Intrusion is what the intruder did.
type Intrusion struct {
	At           time.Time // when the order and the withdrawal were made
	OrderID      string    // the foreign order on Binance, as Binance numbers it
	ClientID     string    // its client order id (Binance's web UI's "web_" ids)
	WithdrawalID string    // the withdrawal on KuCoin, as KuCoin names it
}

// intruder strikes once: an order on the fake Binance, a withdrawal on
// the fake KuCoin.
type intruder struct {
	fb   *exchangetest.Binance
	fk   *exchangetest.KuCoin
	done chan struct{} // closed once it struck

	mu  sync.Mutex
	got Intrusion
}

func (in *intruder) strike(at time.Time) {
	client := "web_" + randomHex(12)
	id := in.fb.AddOrder(exchangetest.BinanceOrder{Symbol: IntruderSymbol, ClientOrderID: client,
		Side: "SELL", Qty: "0.75", Price: IntruderPrice, Status: "FILLED", Time: at})
	wid := kucoinID(at)
	in.fk.AddMovement(exchangetest.KuCoinMovement{ID: wid, Currency: "BTC", Amount: "0.5",
		Address: IntruderAddress, Time: at})
	in.mu.Lock()
	in.got = Intrusion{At: at, OrderID: strconv.FormatInt(id, 10), ClientID: client, WithdrawalID: wid}
	in.mu.Unlock()
	close(in.done)
}

// Intruded is closed once the intruder has struck.
func (w *World) Intruded() <-chan struct{} { return w.intruder.done }

// Intrusion is what the intruder did; zero until Intruded is closed.
func (w *World) Intrusion() Intrusion {
	w.intruder.mu.Lock()
	defer w.intruder.mu.Unlock()
	return w.intruder.got
}

// ActivityDir is the world's activity state: activity.DefaultStateDir
// under StateHome, which `keywarden demo` makes XDG_STATE_HOME.
func (w *World) ActivityDir() string { return activityDir(w.StateHome()) }

// StateHome is the world's XDG_STATE_HOME, inside Dir.
func (w *World) StateHome() string { return stateHome(w.Dir) }

func stateHome(dir string) string { return filepath.Join(dir, "state") }

func activityDir(home string) string { return filepath.Join(home, "keywarden", "activity") }

// baseline runs every activity check once, as keywarden's first poll:
// what the exchanges hold by then is the bot's past, never judged. The
// intruder strikes only after it, or it would be part of that past.
func (w *World) baseline(ctx context.Context, now func() time.Time) {
	deps := checks.Deps{Config: w.Config, Store: w.Store, Timeout: 5 * time.Second, Now: now}
	env := checks.NewEnv(deps)
	var wg sync.WaitGroup
	for _, p := range w.Config.Profiles {
		for _, mk := range activity.Checks(w.ActivityDir()) {
			if c := mk(p); c != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.Run(ctx, env) }()
			}
		}
	}
	wg.Wait()
}

// intrude takes the baseline, then strikes after the delay unless ctx ends.
func (w *World) intrude(ctx context.Context, after time.Duration) {
	w.baseline(ctx, time.Now)
	t := time.NewTimer(after)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
		w.intruder.strike(time.Now())
	}
}
