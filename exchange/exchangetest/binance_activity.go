package exchangetest

import (
	"errors"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// BinanceOrder is one spot order in the fake's history (GET
// /api/v3/allOrders, and /api/v3/openOrders while it is open).
type BinanceOrder struct {
	Symbol        string
	OrderID       int64 // 0: the next free id of the symbol
	ClientOrderID string
	Side          string // BUY or SELL
	Qty           string
	Time          time.Time
	// Status is NEW when empty. A FILLED order executed Qty at once
	// (Executed may say less for PARTIALLY_FILLED, CANCELED or EXPIRED),
	// and what it executed moves the account's balances: the base asset
	// by the quantity, the quote asset by quantity × Price.
	Status   string
	Executed string
	Price    string // "0.1" when empty
	// FeeBNB is the commission paid in BNB (Binance's fee discount).
	FeeBNB string
	// Updated is updateTime; the creation time when zero.
	Updated time.Time
}

// BinanceWithdrawal is one withdrawal (GET /sapi/v1/capital/withdraw/history).
type BinanceWithdrawal struct {
	ID       string
	Coin     string
	Amount   string
	Address  string
	Internal bool // transferType 1: to another Binance user
	Time     time.Time
}

// BinanceDeposit is one deposit (GET /sapi/v1/capital/deposit/hisrec).
type BinanceDeposit struct {
	ID      string
	Coin    string
	Amount  string
	Address string
	Time    time.Time
}

// binanceHistory is the account's history and balances, shared by every
// key of the fake.
type binanceHistory struct {
	mu     sync.Mutex
	orders []BinanceOrder
	// symbols maps each listed symbol to its base and quote asset.
	symbols  map[string][2]string
	balances map[string]*binanceBalance
	// accountAnswer replaces /api/v3/account's body when set.
	accountAnswer string

	withdrawals records[BinanceWithdrawal]
	deposits    records[BinanceDeposit]
}

// AddOrder records an order in the account's history (the bot's or an
// intruder's: the fake does not tell), lists its symbol if it is not yet,
// moves the balances by what it executed, and returns its order id.
func (f *Binance) AddOrder(o BinanceOrder) int64 {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.listLocked(o.Symbol)
	if o.Status == "" {
		o.Status = "NEW"
	}
	if o.Price == "" {
		o.Price = "0.1"
	}
	if o.Executed == "" {
		o.Executed = "0"
		if o.Status == "FILLED" {
			o.Executed = o.Qty
		}
	}
	if o.Updated.IsZero() {
		o.Updated = o.Time
	}
	f.executeLocked(o, rat(o.Executed))
	if o.FeeBNB != "" {
		bnb := f.balanceLocked("BNB")
		bnb.free.Sub(bnb.free, rat(o.FeeBNB))
	}
	if o.OrderID == 0 {
		o.OrderID = lastOrderID(f.hist.orders, o.Symbol, func(e BinanceOrder) (string, int64) { return e.Symbol, e.OrderID }) + 1
	}
	f.hist.orders = append(f.hist.orders, o)
	return o.OrderID
}

// AddWithdrawal records a withdrawal.
func (f *Binance) AddWithdrawal(w BinanceWithdrawal) { f.hist.withdrawals.add(w) }

// AddDeposit records a deposit.
func (f *Binance) AddDeposit(d BinanceDeposit) { f.hist.deposits.add(d) }

// lastOrderID is the highest order id of symbol in orders, 0 when it has
// none; of gives an order's symbol and id.
func lastOrderID[T any](orders []T, symbol string, of func(T) (string, int64)) int64 {
	var last int64
	for _, o := range orders {
		if sym, id := of(o); sym == symbol {
			last = max(last, id)
		}
	}
	return last
}

// binanceTimes reads startTime and endTime (ms) as m says, answering a
// bound that is not a number with -1100 and a window over m.max with
// -1127 and spanMsg.
func (f *Binance) binanceTimes(w http.ResponseWriter, r *http.Request, m msWindow, spanMsg string) (start, end time.Time, ok bool) {
	m.start, m.end = "startTime", "endTime"
	start, end, err := m.read(r.URL.Query(), f.Now())
	var bad *badParamError
	switch {
	case errors.As(err, &bad):
		f.fail(w, http.StatusBadRequest, -1100, "Illegal characters found in parameter '"+bad.name+"'; legal range is '^[0-9]{1,20}$'.")
		return time.Time{}, time.Time{}, false
	case err != nil:
		f.fail(w, http.StatusBadRequest, -1127, spanMsg)
		return time.Time{}, time.Time{}, false
	}
	return start, end, true
}

// binanceLimit reads limit (default def, at most maxN) and offset.
func (f *Binance) binanceLimit(w http.ResponseWriter, r *http.Request, def, maxN int) (limit, offset int, ok bool) {
	q := r.URL.Query()
	if limit, ok = intParam(q.Get("limit"), def, 1, maxN); !ok {
		f.fail(w, http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid.")
		return 0, 0, false
	}
	if offset, ok = intParam(q.Get("offset"), 0, 0, math.MaxInt); !ok {
		f.fail(w, http.StatusBadRequest, -1130, "Data sent for parameter 'offset' is not valid.")
		return 0, 0, false
	}
	return limit, offset, true
}

// binanceCut is the first limit of rows, or without a starting point the
// last: Binance then answers the most recent.
func binanceCut[T any](rows []T, limit int, first bool) []T {
	if first {
		return rows[:min(len(rows), limit)]
	}
	return rows[max(0, len(rows)-limit):]
}

// allOrders serves GET /api/v3/allOrders as documented: symbol required;
// orderId (≥) or startTime/endTime at most 24 h apart; limit 500, max 1000;
// ascending by orderId.
func (f *Binance) allOrders(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	q := r.URL.Query()
	sym := q.Get("symbol")
	if sym == "" {
		f.fail(w, http.StatusBadRequest, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
		return
	}
	if !f.listed(sym) {
		f.fail(w, http.StatusBadRequest, -1121, "Invalid symbol.")
		return
	}
	limit, _, ok := f.binanceLimit(w, r, 500, 1000)
	if !ok {
		return
	}
	var fromID int64
	byTime := q.Get("startTime") != "" || q.Get("endTime") != ""
	var start, end time.Time
	if byTime {
		if start, end, ok = f.binanceTimes(w, r, msWindow{def: 24 * time.Hour, fromStart: true, max: 24 * time.Hour}, "More than 24 hours between startTime and endTime."); !ok {
			return
		}
	} else if s := q.Get("orderId"); s != "" {
		fromID, _ = strconv.ParseInt(s, 10, 64)
	}
	f.hist.mu.Lock()
	var rows []BinanceOrder
	for _, o := range f.hist.orders {
		if o.Symbol != sym || o.OrderID < fromID {
			continue
		}
		if byTime && !within(o.Time, start, end) {
			continue
		}
		rows = append(rows, o)
	}
	f.hist.mu.Unlock()
	slices.SortFunc(rows, func(a, b BinanceOrder) int { return int(a.OrderID - b.OrderID) })
	rows = binanceCut(rows, limit, byTime || fromID > 0)
	out := make([]map[string]any, 0, len(rows))
	for _, o := range rows {
		out = append(out, binanceOrderJSON(o))
	}
	f.reply(w, http.StatusOK, out)
}

// binanceOrderJSON renders o as allOrders and openOrders do.
func binanceOrderJSON(o BinanceOrder) map[string]any {
	ms := o.Time.UnixMilli()
	quote := new(big.Rat).Mul(rat(o.Executed), rat(o.Price))
	return map[string]any{
		"symbol": o.Symbol, "orderId": o.OrderID, "orderListId": -1, "clientOrderId": o.ClientOrderID,
		"price": o.Price, "origQty": o.Qty, "executedQty": amount(rat(o.Executed)), "cummulativeQuoteQty": amount(quote),
		"status": o.Status, "timeInForce": "GTC", "type": "LIMIT", "side": o.Side, "stopPrice": "0.00000000",
		"icebergQty": "0.00000000", "time": ms, "updateTime": o.Updated.UnixMilli(), "isWorking": true,
		"origQuoteOrderQty": "0.00000000", "workingTime": ms, "selfTradePreventionMode": "NONE",
	}
}

// binanceMovementsWindow is the withdrawal and deposit histories' window:
// default the last 90 days, at most 90 days apart.
var binanceMovementsWindow = msWindow{def: 90 * 24 * time.Hour, fromStart: true, max: 90 * 24 * time.Hour}

// binanceMovements serves a history of recs like the withdrawal history:
// the records of the window in the order they were added; limit 1000,
// offset.
func binanceMovements[T any](f *Binance, w http.ResponseWriter, r *http.Request, recs *records[T], at func(T) time.Time, row func(T) map[string]any) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	start, end, ok := f.binanceTimes(w, r, binanceMovementsWindow, "The time interval between startTime and endTime must be within 0-90 days.")
	if !ok {
		return
	}
	limit, offset, ok := f.binanceLimit(w, r, 1000, 1000)
	if !ok {
		return
	}
	cut, _ := cutPage(recs.kept(func(x T) bool { return within(at(x), start, end) }), offset, limit)
	// Never nil: the exchange answers [].
	out := make([]map[string]any, 0, len(cut))
	for _, x := range cut {
		out = append(out, row(x))
	}
	f.reply(w, http.StatusOK, out)
}

// withdrawHistory serves GET /sapi/v1/capital/withdraw/history.
func (f *Binance) withdrawHistory(w http.ResponseWriter, r *http.Request) {
	binanceMovements(f, w, r, &f.hist.withdrawals, func(x BinanceWithdrawal) time.Time { return x.Time }, func(x BinanceWithdrawal) map[string]any {
		tt := 0
		if x.Internal {
			tt = 1
		}
		return map[string]any{
			"id": x.ID, "amount": x.Amount, "transactionFee": "0.004", "coin": x.Coin, "status": 6,
			"address": x.Address, "txId": "0xb5ef8c13b968a406cc62a93a8bd80f9e9a906ef1b3fcf20a2e48573c17659268",
			"applyTime": x.Time.UTC().Format("2006-01-02 15:04:05"), "network": "ETH", "transferType": tt,
			"info": "", "confirmNo": 3, "walletType": 1, "txKey": "",
			"completeTime": x.Time.UTC().Add(time.Minute).Format("2006-01-02 15:04:05"),
		}
	})
}

// depositHistory serves GET /sapi/v1/capital/deposit/hisrec like the
// withdrawal history.
func (f *Binance) depositHistory(w http.ResponseWriter, r *http.Request) {
	binanceMovements(f, w, r, &f.hist.deposits, func(d BinanceDeposit) time.Time { return d.Time }, func(d BinanceDeposit) map[string]any {
		return map[string]any{
			"id": d.ID, "amount": d.Amount, "coin": d.Coin, "network": "ETH", "status": 1,
			"address": d.Address, "addressTag": "", "txId": "bafc5902" + d.ID,
			"insertTime": d.Time.UnixMilli(), "transferType": 0, "confirmTimes": "12/12",
		}
	})
}
