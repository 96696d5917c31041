package exchangetest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// BinanceFuturesOrder is one USDⓈ-M futures order in the fake's history
// (GET /fapi/v1/allOrders, /fapi/v1/openOrders, /fapi/v1/forceOrders;
// a fill is a COMMISSION record of /fapi/v1/income).
type BinanceFuturesOrder struct {
	Symbol        string
	OrderID       int64 // 0: the next free id of the symbol
	ClientOrderID string
	Side          string // BUY or SELL
	Qty           string
	Time          time.Time
	// Status is NEW, PARTIALLY_FILLED, FILLED, CANCELED or EXPIRED; ""
	// is FILLED. NEW and PARTIALLY_FILLED orders are open.
	Status string
	// Force is LIQUIDATION or ADL for an order the exchange made itself
	// (listed by forceOrders; its client id, unless set, is Binance's
	// autoclose-… or adl_autoclose).
	Force string
}

// binanceFuturesListed are the USDⓈ-M symbols the fake lists besides
// those given an order or a position; PEPEUSDT is spot only (futures list
// 1000PEPEUSDT).
var binanceFuturesListed = []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "1000PEPEUSDT"}

// binanceFuturesWeights are the documented request weights of the fapi
// routes the fake serves (forceOrders and openOrders: without a symbol).
var binanceFuturesWeights = map[string]struct{ withSymbol, without int64 }{
	"/fapi/v1/allOrders":    {5, 5},
	"/fapi/v1/openOrders":   {1, 40},
	"/fapi/v2/positionRisk": {5, 5},
	"/fapi/v1/forceOrders":  {20, 50},
	"/fapi/v1/income":       {30, 30},
}

// binanceFutures is the account's USDⓈ-M futures side.
type binanceFutures struct {
	mu        sync.Mutex
	orders    []BinanceFuturesOrder
	positions map[string]string // symbol → positionAmt
	listed    map[string]bool
	weight    atomic.Int64
}

// futuresRoutes serves the USDⓈ-M history on the same fake (the real API
// is fapi.binance.com; a base_url override serves both).
func (f *Binance) futuresRoutes(mux *http.ServeMux) {
	f.fut.listed = map[string]bool{}
	for _, s := range binanceFuturesListed {
		f.fut.listed[s] = true
	}
	f.fut.positions = map[string]string{}
	mux.HandleFunc("GET /fapi/v1/allOrders", f.futuresAllOrders)
	mux.HandleFunc("GET /fapi/v1/openOrders", f.futuresOpenOrders)
	mux.HandleFunc("GET /fapi/v2/positionRisk", f.futuresPositions)
	mux.HandleFunc("GET /fapi/v1/forceOrders", f.futuresForceOrders)
	mux.HandleFunc("GET /fapi/v1/income", f.futuresIncome)
}

// AddFuturesOrder records a USDⓈ-M order (the bot's, an intruder's or the
// exchange's own) and returns its order id.
func (f *Binance) AddFuturesOrder(o BinanceFuturesOrder) int64 {
	f.fut.mu.Lock()
	defer f.fut.mu.Unlock()
	f.fut.listed[o.Symbol] = true
	if o.OrderID == 0 {
		last := lastOrderID(f.fut.orders, o.Symbol, func(e BinanceFuturesOrder) (string, int64) { return e.Symbol, e.OrderID })
		// Futures ids are large and apart from spot's.
		o.OrderID = max(last, 8_389_765_000_000_000) + 1
	}
	if o.Status == "" {
		o.Status = "FILLED"
	}
	if o.ClientOrderID == "" {
		switch o.Force {
		case "LIQUIDATION":
			o.ClientOrderID = "autoclose-" + strconv.FormatInt(o.Time.UnixMilli(), 10) + "000020"
		case "ADL":
			o.ClientOrderID = "adl_autoclose"
		}
	}
	f.fut.orders = append(f.fut.orders, o)
	return o.OrderID
}

// SetFuturesPosition sets the position of symbol ("0" closes it).
func (f *Binance) SetFuturesPosition(symbol, amount string) {
	f.fut.mu.Lock()
	defer f.fut.mu.Unlock()
	f.fut.listed[symbol] = true
	f.fut.positions[symbol] = amount
}

// FuturesWeight is the request weight the fapi routes have counted, as
// Binance documents each (every request counts, refused or not).
func (f *Binance) FuturesWeight() int64 { return f.fut.weight.Load() }

// futuresVerify authenticates r as every signed fapi route does, counts its
// weight, and refuses a key without futures as Binance does (-2015).
func (f *Binance) futuresVerify(w http.ResponseWriter, r *http.Request) bool {
	wt := binanceFuturesWeights[r.URL.Path]
	if r.URL.Query().Get("symbol") != "" {
		f.fut.weight.Add(wt.withSymbol)
	} else {
		f.fut.weight.Add(wt.without)
	}
	k, ok := f.verify(w, r)
	if !ok {
		return false
	}
	if !k.Futures && !k.PortfolioMargin {
		f.fail(w, http.StatusUnauthorized, -2015, "Invalid API-key, IP, or permissions for action, request ip: 127.0.0.1")
		return false
	}
	return true
}

// futuresRequest authenticates r (futuresVerify) and reads its symbol,
// required or not; a symbol the fake does not list is -1121, as on fapi.
func (f *Binance) futuresRequest(w http.ResponseWriter, r *http.Request, required bool) (string, bool) {
	if !f.futuresVerify(w, r) {
		return "", false
	}
	sym := r.URL.Query().Get("symbol")
	if sym == "" {
		if required {
			f.fail(w, http.StatusBadRequest, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
			return "", false
		}
		return "", true
	}
	f.fut.mu.Lock()
	listed := f.fut.listed[sym]
	f.fut.mu.Unlock()
	if !listed {
		f.fail(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return "", false
	}
	return sym, true
}

// futuresLimited is futuresRequest for a route that reads limit (default
// def, at most maxN) too.
func (f *Binance) futuresLimited(w http.ResponseWriter, r *http.Request, required bool, def, maxN int) (sym string, limit int, ok bool) {
	if sym, ok = f.futuresRequest(w, r, required); !ok {
		return "", 0, false
	}
	if limit, _, ok = f.binanceLimit(w, r, def, maxN); !ok {
		return "", 0, false
	}
	return sym, limit, true
}

// futuresTimes reads startTime and endTime: without them the last span
// before endTime (now); a window of span or more is refused. allOrders
// documents "less than 7 days"; that fapi refuses a longer one with -1127
// (MORE_THAN_XX_HOURS, in its error list) is UNVERIFIED.
func (f *Binance) futuresTimes(w http.ResponseWriter, r *http.Request, span time.Duration) (time.Time, time.Time, bool) {
	start, end, ok := f.binanceTimes(w, r, msWindow{def: span, fromStart: true}, "")
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	q := r.URL.Query()
	if q.Get("startTime") == "" {
		// The span before endTime, not before now.
		start = end.Add(-span)
	}
	if start.After(end) {
		f.fail(w, http.StatusBadRequest, -1023, "Start time is greater than end time.")
		return time.Time{}, time.Time{}, false
	}
	if q.Get("startTime") != "" && q.Get("endTime") != "" && end.Sub(start) >= span {
		f.fail(w, http.StatusBadRequest, -1127, "More than "+strconv.Itoa(int(span.Hours()))+" hours between startTime and endTime.")
		return time.Time{}, time.Time{}, false
	}
	return start, end, true
}

// futuresOrders is a copy of the orders keep accepts, in the order they
// were added.
func (f *Binance) futuresOrders(keep func(BinanceFuturesOrder) bool) []BinanceFuturesOrder {
	f.fut.mu.Lock()
	defer f.fut.mu.Unlock()
	var rows []BinanceFuturesOrder
	for _, o := range f.fut.orders {
		if keep(o) {
			rows = append(rows, o)
		}
	}
	return rows
}

// visible reports whether allOrders still returns o at now: not when it
// was cancelled or expired unfilled more than 3 days ago, nor when it is
// older than 90 days.
func (o BinanceFuturesOrder) visible(now time.Time) bool {
	if now.Sub(o.Time) > 90*24*time.Hour {
		return false
	}
	return !((o.Status == "CANCELED" || o.Status == "EXPIRED") && now.Sub(o.Time) > 3*24*time.Hour)
}

// futuresAllOrders serves GET /fapi/v1/allOrders: symbol required; orderId
// (≥) or startTime/endTime less than 7 days apart (default the last 7
// days); limit 500, max 1000; without orderId the most recent rows come
// back, ascending.
func (f *Binance) futuresAllOrders(w http.ResponseWriter, r *http.Request) {
	sym, limit, ok := f.futuresLimited(w, r, true, 500, 1000)
	if !ok {
		return
	}
	q := r.URL.Query()
	var fromID int64
	if s := q.Get("orderId"); s != "" {
		fromID, _ = strconv.ParseInt(s, 10, 64)
	}
	start, end, ok := f.futuresTimes(w, r, 7*24*time.Hour)
	if !ok {
		return
	}
	now := f.Now()
	rows := f.futuresOrders(func(o BinanceFuturesOrder) bool {
		return o.Symbol == sym && o.OrderID >= fromID && within(o.Time, start, end) && o.visible(now)
	})
	slices.SortFunc(rows, func(a, b BinanceFuturesOrder) int { return cmp.Compare(a.OrderID, b.OrderID) })
	f.reply(w, http.StatusOK, futuresRows(binanceCut(rows, limit, fromID > 0)))
}

// futuresOpenOrders serves GET /fapi/v1/openOrders: every open order, or
// a symbol's.
func (f *Binance) futuresOpenOrders(w http.ResponseWriter, r *http.Request) {
	sym, ok := f.futuresRequest(w, r, false)
	if !ok {
		return
	}
	f.reply(w, http.StatusOK, futuresRows(f.futuresOrders(func(o BinanceFuturesOrder) bool {
		return (sym == "" || o.Symbol == sym) && binanceOpen(o.Status)
	})))
}

// futuresPositions serves GET /fapi/v2/positionRisk in one-way mode: a
// row for every listed symbol (or the one asked), positionAmt "0.000"
// where there is no position.
func (f *Binance) futuresPositions(w http.ResponseWriter, r *http.Request) {
	sym, ok := f.futuresRequest(w, r, false)
	if !ok {
		return
	}
	f.fut.mu.Lock()
	var syms []string
	for s := range f.fut.listed {
		if sym == "" || s == sym {
			syms = append(syms, s)
		}
	}
	slices.Sort(syms)
	out := make([]map[string]any, 0, len(syms))
	for _, s := range syms {
		amt := f.fut.positions[s]
		if amt == "" {
			amt = "0.000"
		}
		out = append(out, map[string]any{
			"entryPrice": "0.00000", "breakEvenPrice": "0.0", "marginType": "cross", "isAutoAddMargin": "false",
			"isolatedMargin": "0.00000000", "leverage": "10", "liquidationPrice": "0", "markPrice": "6679.50671178",
			"maxNotionalValue": "20000000", "positionAmt": amt, "notional": "0", "isolatedWallet": "0",
			"symbol": s, "unRealizedProfit": "0.00000000", "positionSide": "BOTH", "updateTime": 0,
		})
	}
	f.fut.mu.Unlock()
	f.reply(w, http.StatusOK, out)
}

// futuresForceOrders serves GET /fapi/v1/forceOrders: the liquidation and
// ADL orders (autoCloseType narrows), startTime/endTime (default the 7
// days before endTime), limit 50, max 100.
func (f *Binance) futuresForceOrders(w http.ResponseWriter, r *http.Request) {
	sym, limit, ok := f.futuresLimited(w, r, false, 50, 100)
	if !ok {
		return
	}
	start, end, ok := f.futuresTimes(w, r, 7*24*time.Hour)
	if !ok {
		return
	}
	kind := r.URL.Query().Get("autoCloseType")
	rows := f.futuresOrders(func(o BinanceFuturesOrder) bool {
		return o.Force != "" && (kind == "" || o.Force == kind) && (sym == "" || o.Symbol == sym) && within(o.Time, start, end)
	})
	f.reply(w, http.StatusOK, futuresRows(binanceCut(rows, limit, false)))
}

// futuresIncome serves GET /fapi/v1/income: a COMMISSION record for every
// filled or partly filled order (symbol and incomeType narrow),
// startTime/endTime inclusive (neither: the last 7 days), oldest first,
// the first limit (default 100, max 1000) from startTime.
func (f *Binance) futuresIncome(w http.ResponseWriter, r *http.Request) {
	sym, limit, ok := f.futuresLimited(w, r, false, 100, 1000)
	if !ok {
		return
	}
	// No window is too long here (none is documented).
	start, end, ok := f.binanceTimes(w, r, msWindow{def: 7 * 24 * time.Hour}, "")
	if !ok {
		return
	}
	if kind := r.URL.Query().Get("incomeType"); kind != "" && kind != "COMMISSION" {
		f.reply(w, http.StatusOK, []any{})
		return
	}
	rows := f.futuresOrders(func(o BinanceFuturesOrder) bool {
		return (o.Status == "FILLED" || o.Status == "PARTIALLY_FILLED") && (sym == "" || o.Symbol == sym) && within(o.Time, start, end)
	})
	slices.SortStableFunc(rows, func(a, b BinanceFuturesOrder) int { return a.Time.Compare(b.Time) })
	out := make([]map[string]any, 0, min(len(rows), limit))
	for _, o := range rows[:min(len(rows), limit)] {
		out = append(out, map[string]any{
			"symbol": o.Symbol, "incomeType": "COMMISSION", "income": "-0.01000000", "asset": "USDT",
			"info": "COMMISSION", "time": o.Time.UnixMilli(), "tranId": o.OrderID, "tradeId": strconv.FormatInt(o.OrderID%1_000_000, 10),
		})
	}
	f.reply(w, http.StatusOK, out)
}

// futuresRows renders orders in the documented allOrders shape.
func futuresRows(rows []BinanceFuturesOrder) []map[string]any {
	out := make([]map[string]any, 0, len(rows))
	for _, o := range rows {
		ms := o.Time.UnixMilli()
		executed := "0"
		if o.Status == "FILLED" {
			executed = o.Qty
		}
		tif := "GTC"
		if o.Force == "LIQUIDATION" {
			tif = "IOC"
		}
		out = append(out, map[string]any{
			"avgPrice": "0.00000", "clientOrderId": o.ClientOrderID, "cumQuote": "0", "executedQty": executed,
			"orderId": o.OrderID, "origQty": o.Qty, "origType": "LIMIT", "price": "10871.09", "reduceOnly": o.Force != "",
			"side": o.Side, "positionSide": "BOTH", "status": o.Status, "stopPrice": "0", "closePosition": false,
			"symbol": o.Symbol, "time": ms, "timeInForce": tif, "type": "LIMIT", "updateTime": ms,
			"workingType": "CONTRACT_PRICE", "priceProtect": false, "priceMatch": "NONE",
			"selfTradePreventionMode": "NONE", "goodTillDate": 0,
		})
	}
	return out
}
