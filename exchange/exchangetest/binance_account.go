package exchangetest

import (
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The fake's spot account: the symbols it lists, the balances GET
// /api/v3/account reports, GET /api/v3/openOrders, and the request weight
// each endpoint costs (REQUEST_WEIGHT, 6000 a minute per IP on the real
// exchange; shared/reference/activity.md §1).

// binanceQuotes split a symbol into base and quote when an order lists a
// new one: the first that ends the symbol is its quote.
var binanceQuotes = []string{"FDUSD", "USDT", "USDC", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY"}

// binanceListed are the symbols every fake lists from the start.
var binanceListed = []string{
	"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "PEPEUSDT", "ADAUSDT", "LTCUSDT",
	"USDCUSDT", "FDUSDUSDT", "BTCUSDC", "ETHUSDC", "BTCFDUSD", "ETHBTC", "BNBBTC", "LTCBTC", "SOLBTC",
	"XRPBTC", "BNBETH",
}

// binanceWeights is each endpoint's documented REQUEST_WEIGHT; openOrders
// is 6 with a symbol and 80 without. The SAPI wallet endpoints count
// against their own limiters and are not in it.
var binanceWeights = map[string]int64{
	"/api/v3/time": 1, "/api/v3/allOrders": 20, "/api/v3/account": 20, "/api/v3/openOrders": 80,
}

type binanceBalance struct{ free, locked *big.Rat }

// rat reads a decimal the test API was given; a malformed one is a bug in
// the test.
func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(fmt.Sprintf("exchangetest: %q is not a decimal", s))
	}
	return r
}

// amount writes r as Binance writes amounts: eight decimals.
func amount(r *big.Rat) string { return r.FloatString(8) }

// ListSymbol makes the fake list symbol, trading base against quote (a
// symbol not listed answers -1121 Invalid symbol).
func (f *Binance) ListSymbol(base, quote string) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.initLocked()
	f.hist.symbols[base+quote] = [2]string{base, quote}
}

func (f *Binance) initLocked() {
	if f.hist.symbols != nil {
		return
	}
	f.hist.symbols = map[string][2]string{}
	f.hist.balances = map[string]*binanceBalance{}
	for _, s := range binanceListed {
		f.splitLocked(s)
	}
}

// listLocked lists symbol, split at a known quote asset.
func (f *Binance) listLocked(symbol string) {
	f.initLocked()
	if _, ok := f.hist.symbols[symbol]; !ok {
		f.splitLocked(symbol)
	}
}

func (f *Binance) splitLocked(symbol string) {
	for _, q := range binanceQuotes {
		if base, ok := strings.CutSuffix(symbol, q); ok && base != "" {
			f.hist.symbols[symbol] = [2]string{base, q}
			return
		}
	}
	panic("exchangetest: no known quote asset ends " + symbol + ": list it with ListSymbol first")
}

func (f *Binance) listed(symbol string) bool {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.initLocked()
	_, ok := f.hist.symbols[symbol]
	return ok
}

func (f *Binance) balanceLocked(asset string) *binanceBalance {
	f.initLocked()
	b := f.hist.balances[asset]
	if b == nil {
		b = &binanceBalance{free: new(big.Rat), locked: new(big.Rat)}
		f.hist.balances[asset] = b
	}
	return b
}

// executeLocked moves the balances by qty more of o executed: a BUY adds
// qty of the base and takes qty × price of the quote, a SELL the reverse.
func (f *Binance) executeLocked(o BinanceOrder, qty *big.Rat) {
	if qty.Sign() == 0 {
		return
	}
	pair := f.hist.symbols[o.Symbol]
	quote := new(big.Rat).Mul(qty, rat(o.Price))
	base, q := f.balanceLocked(pair[0]), f.balanceLocked(pair[1])
	if o.Side == "SELL" {
		base.free.Sub(base.free, qty)
		q.free.Add(q.free, quote)
		return
	}
	base.free.Add(base.free, qty)
	q.free.Sub(q.free, quote)
}

// SetBalance sets an asset's free and locked balance (a deposit the test
// does not need in the history, or the account's start).
func (f *Binance) SetBalance(asset, free, locked string) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	b := f.balanceLocked(asset)
	b.free, b.locked = rat(free), rat(locked)
}

// SetAccountAnswer makes GET /api/v3/account answer body, HTTP 200, after
// verifying the request: an API version or a proxy keywarden cannot read
// ("" restores the real answer).
func (f *Binance) SetAccountAnswer(body string) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.accountAnswer = body
}

// Balance is an asset's free + locked balance, in Binance's notation.
func (f *Binance) Balance(asset string) string {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	b := f.balanceLocked(asset)
	return amount(new(big.Rat).Add(b.free, b.locked))
}

// FillOrder fills the rest of an open order at at, as the matching engine
// does for a resting limit order, and moves the balances by what it
// executed now. It reports whether the order was there and open.
func (f *Binance) FillOrder(symbol string, orderID int64, at time.Time) bool {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	for i, o := range f.hist.orders {
		if o.Symbol != symbol || o.OrderID != orderID || !binanceOpen(o.Status) {
			continue
		}
		rest := new(big.Rat).Sub(rat(o.Qty), rat(o.Executed))
		f.executeLocked(o, rest)
		o.Status, o.Executed, o.Updated = "FILLED", o.Qty, at
		f.hist.orders[i] = o
		return true
	}
	return false
}

func binanceOpen(status string) bool { return status == "NEW" || status == "PARTIALLY_FILLED" }

// Weight is the REQUEST_WEIGHT the requests to path have cost so far; ""
// is every endpoint's.
func (f *Binance) Weight(path string) int64 {
	f.weightMu.Lock()
	defer f.weightMu.Unlock()
	if path == "" {
		var n int64
		for _, w := range f.weight {
			n += w
		}
		return n
	}
	return f.weight[path]
}

// weigh counts path's weight for every request routed to h, answered or
// refused, as Binance counts it.
func (f *Binance) weigh(path string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := binanceWeights[path]
		if path == "/api/v3/openOrders" && r.URL.Query().Get("symbol") != "" {
			n = 6
		}
		f.weightMu.Lock()
		if f.weight == nil {
			f.weight = map[string]int64{}
		}
		f.weight[path] += n
		f.weightMu.Unlock()
		h(w, r)
	}
}

// account serves GET /api/v3/account in the documented shape;
// omitZeroBalances=true leaves out the assets with nothing free or locked.
func (f *Binance) account(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	f.hist.mu.Lock()
	odd := f.hist.accountAnswer
	f.hist.mu.Unlock()
	if odd != "" {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write([]byte(odd))
		return
	}
	omit := false
	switch v := r.URL.Query().Get("omitZeroBalances"); v {
	case "", "false":
	case "true":
		omit = true
	default:
		f.fail(w, http.StatusBadRequest, -1100, "Illegal characters found in parameter 'omitZeroBalances'; legal range is 'true, false'.")
		return
	}
	f.hist.mu.Lock()
	f.initLocked()
	assets := make([]string, 0, len(f.hist.balances))
	for a := range f.hist.balances {
		assets = append(assets, a)
	}
	slices.Sort(assets)
	balances := make([]map[string]string, 0, len(assets))
	for _, a := range assets {
		b := f.hist.balances[a]
		if omit && b.free.Sign() == 0 && b.locked.Sign() == 0 {
			continue
		}
		balances = append(balances, map[string]string{"asset": a, "free": amount(b.free), "locked": amount(b.locked)})
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, map[string]any{
		"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
		"commissionRates": map[string]string{"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000"},
		"canTrade":        true, "canWithdraw": true, "canDeposit": true, "brokered": false,
		"requireSelfTradePrevention": false, "preventSor": false, "updateTime": f.Now().UnixMilli(),
		"accountType": "SPOT", "balances": balances, "permissions": []string{"SPOT"}, "uid": 354937868,
	})
}

// openOrders serves GET /api/v3/openOrders: the open orders of symbol, or
// of every symbol when it is not sent.
func (f *Binance) openOrders(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	sym := r.URL.Query().Get("symbol")
	if sym != "" && !f.listed(sym) {
		f.fail(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return
	}
	f.hist.mu.Lock()
	out := []map[string]any{}
	for _, o := range f.hist.orders {
		if binanceOpen(o.Status) && (sym == "" || o.Symbol == sym) {
			out = append(out, binanceOrderJSON(o))
		}
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, out)
}
