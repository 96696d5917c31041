package activity

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

func kucoinWorld(t *testing.T, k exchangetest.KuCoinKey) (*world, *exchangetest.KuCoin) {
	t.Helper()
	f := exchangetest.NewKuCoin(k)
	t.Cleanup(f.Close)
	f.SetCallerIP(netip.MustParseAddr("203.0.113.154"))
	w := newWorld(t, "kucoin", f.URL(), keystore.Item{APIKey: keystore.NewSecret(k.Key),
		APISecret: keystore.NewSecret(k.Secret), Passphrase: keystore.NewSecret(k.Passphrase)}, true)
	return w, f
}

func TestKuCoinHFOrders(t *testing.T) {
	w, f := kucoinWorld(t, kucoinTradingKey)
	w.logOrder("BTC/USDT", "", "") // ccxt's form: asked as BTC-USDT
	w.logOrder("ETH-USDT", "", "")
	if r := w.want(OrdersID, checks.OK); !slices.Equal(r.Details["symbols"].([]string), []string{"BTC-USDT", "ETH-USDT"}) {
		t.Fatalf("symbols %v", r.Details["symbols"])
	}

	// The bot's own HF orders, by client id and (an open one) by order id.
	f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "0.01", ClientOid: "hf-bot-1", Time: ago()})
	w.logOrder("BTC-USDT", "", "hf-bot-1")
	id := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "ETH-USDT", Side: "sell", Size: "0.5", Active: true, Time: ago()})
	w.logOrder("ETH-USDT", id, "")
	if r := w.want(OrdersID, checks.OK); r.Details["matched"] != 2 {
		t.Fatalf("matched %v, want 2: %s", r.Details["matched"], r.Summary)
	}

	// A foreign HF order on a logged symbol: crit with its id, client id and origin.
	fid := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "sell", Size: "3", ClientOid: "web-77", Channel: "WEB", Time: ago()})
	r := w.want(OrdersID, checks.Crit)
	for _, s := range []string{fid, "web-77", "BTC-USDT", "sell", "3", "WEB"} {
		if !strings.Contains(r.Summary, s) {
			t.Errorf("summary lacks %q: %s", s, r.Summary)
		}
	}
	// A restarted keywarden (new checks, same state): one finding, not two.
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{fid}) {
		t.Fatalf("after a restart: foreign %v, want [%s]", got, fid)
	}
	w.ack(fid)
	w.want(OrdersID, checks.OK)
	w.want(OrdersID, checks.OK)
}

// Off the log: an intruder's HF order on a symbol the bot never named is
// seen while it is open, once it has a fill (the HF ledger names its
// symbol, even after a round trip that sold everything back), or when the
// HF account holds its base currency; one cancelled without a fill and
// nothing held is not (docs/activity.md).
func TestKuCoinHFForeignOffTheLog(t *testing.T) {
	w, f := kucoinWorld(t, kucoinTradingKey)
	w.logOrder("BTC-USDT", "", "")
	f.SetHFBalance("USDT", "1500")
	w.want(OrdersID, checks.OK)

	pepe := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "PEPE-USDT", Side: "buy", Size: "1000000", Channel: "IOS", Active: true, Time: ago()})
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{pepe}) {
		t.Fatalf("open order off the log: foreign %v, want [%s]", got, pepe)
	}
	w.ack(pepe)
	w.want(OrdersID, checks.OK)

	// A round trip: bought and sold back, nothing held, nothing open.
	buy := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "DOGE-USDT", Side: "buy", Size: "100", Time: ago()})
	sell := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "DOGE-USDT", Side: "sell", Size: "100", Time: ago()})
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); len(got) != 2 || !slices.Contains(got, buy) || !slices.Contains(got, sell) {
		t.Fatalf("round trip off the log: foreign %v, want %s and %s", got, buy, sell)
	}
	w.ack(buy, sell)

	// Cancelled without a fill, but its base currency is held: the balance names it.
	f.SetHFBalance("SOL", "40")
	sol := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "SOL-USDT", Side: "buy", Size: "40", Unfilled: true, Time: ago()})
	if got := foreignIDs(w.want(OrdersID, checks.Crit)); !slices.Equal(got, []string{sol}) {
		t.Fatalf("done order of a held currency: foreign %v, want [%s]", got, sol)
	}
	w.ack(sol)

	// The documented blind spot, so that a change in it is noticed.
	f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "XRP-USDT", Side: "buy", Size: "100", Unfilled: true, Time: ago()})
	r := w.want(OrdersID, checks.OK)
	if blind := strings.Join(r.Details["blind_spots"].([]string), "; "); !strings.Contains(blind, "without a fill") {
		t.Errorf("blind spots do not name the unfilled order: %s", blind)
	}
}

// More HF orders than a page, on two symbols: every one matched, none twice.
func TestKuCoinHFPages(t *testing.T) {
	w, f := kucoinWorld(t, kucoinTradingKey)
	w.logOrder("BTC-USDT", "", "")
	w.want(OrdersID, checks.OK)
	for i := range 230 {
		sym := []string{"BTC-USDT", "ETH-USDT"}[i%2]
		id := f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: sym, Side: "buy", Size: "0.01", Time: ago()})
		w.logOrder(sym, id, "")
	}
	if r := w.want(OrdersID, checks.OK); r.Details["matched"] != 230 {
		t.Fatalf("matched %v of 230: %s", r.Details["matched"], r.Summary)
	}
	if r := w.want(OrdersID, checks.OK); r.Details["matched"] != 230 {
		t.Fatalf("second poll: matched %v of 230", r.Details["matched"])
	}
}

// A key that may not list the HF symbols (General only): unknown with
// KuCoin's answer, never ok, not even as a baseline.
func TestKuCoinHFRefused(t *testing.T) {
	k := kucoinTradingKey
	k.Info.Permission = "General"
	w, _ := kucoinWorld(t, k)
	w.logOrder("BTC-USDT", "", "")
	if r := w.want(OrdersID, checks.Unknown); !strings.Contains(r.Hint, "400007") {
		t.Fatalf("hint %q lacks KuCoin's code", r.Hint)
	}
}

// The request count of one poll for a bot trading two symbols, one with an
// open order: the budget docs/activity.md states.
func TestKuCoinHFRequestsPerPoll(t *testing.T) {
	w, f := kucoinWorld(t, kucoinTradingKey)
	w.logOrder("BTC-USDT", "", "")
	w.logOrder("ETH-USDT", "", "")
	f.SetHFBalance("BTC", "0.2")
	f.SetHFBalance("USDT", "900")
	w.want(OrdersID, checks.OK)
	f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "ETH-USDT", Side: "buy", Size: "1", Active: true, Time: ago()})
	before := f.Requests()
	w.want(OrdersID, checks.Crit) // the open order nobody logged
	// Three server-time samples (public, for the clock offset), then eight
	// signed: classic active + done; HF symbols, ledger and balances; done
	// for ETH-USDT and BTC-USDT; active for ETH-USDT.
	if n := f.Requests() - before; n != 11 {
		t.Errorf("%d requests in one poll, want 11", n)
	}
}
