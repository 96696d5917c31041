package exchangetest

import (
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
	mu          sync.Mutex
	orders      []BinanceOrder
	withdrawals []BinanceWithdrawal
	deposits    []BinanceDeposit
	// symbols maps each listed symbol to its base and quote asset.
	symbols  map[string][2]string
	balances map[string]*binanceBalance
	// accountAnswer replaces /api/v3/account's body when set.
	accountAnswer string
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
		for _, e := range f.hist.orders {
			if e.Symbol == o.Symbol {
				o.OrderID = max(o.OrderID, e.OrderID)
			}
		}
		o.OrderID++
	}
	f.hist.orders = append(f.hist.orders, o)
	return o.OrderID
}

// AddWithdrawal records a withdrawal.
func (f *Binance) AddWithdrawal(w BinanceWithdrawal) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.withdrawals = append(f.hist.withdrawals, w)
}

// AddDeposit records a deposit.
func (f *Binance) AddDeposit(d BinanceDeposit) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.deposits = append(f.hist.deposits, d)
}

// binanceTimes reads startTime and endTime (ms), defaulting as the
// endpoint documents, and refuses a span over max.
func (f *Binance) binanceTimes(w http.ResponseWriter, r *http.Request, def, span time.Duration, spanMsg string) (time.Time, time.Time, bool) {
	q := r.URL.Query()
	end := f.Now()
	start := end.Add(-def)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"startTime", &start}, {"endTime", &end}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				f.fail(w, http.StatusBadRequest, -1100, "Illegal characters found in parameter '"+p.name+"'; legal range is '^[0-9]{1,20}$'.")
				return time.Time{}, time.Time{}, false
			}
			*p.dst = time.UnixMilli(n)
		}
	}
	if q.Get("startTime") != "" && q.Get("endTime") == "" {
		end = start.Add(def)
	}
	if end.Sub(start) > span {
		f.fail(w, http.StatusBadRequest, -1127, spanMsg)
		return time.Time{}, time.Time{}, false
	}
	return start, end, true
}

// binanceLimit reads limit (default def, at most maxN) and offset.
func (f *Binance) binanceLimit(w http.ResponseWriter, r *http.Request, def, maxN int) (limit, offset int, ok bool) {
	q := r.URL.Query()
	limit = def
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > maxN {
			f.fail(w, http.StatusBadRequest, -1130, "Data sent for parameter 'limit' is not valid.")
			return 0, 0, false
		}
		limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			f.fail(w, http.StatusBadRequest, -1130, "Data sent for parameter 'offset' is not valid.")
			return 0, 0, false
		}
		offset = n
	}
	return limit, offset, true
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
		if start, end, ok = f.binanceTimes(w, r, 24*time.Hour, 24*time.Hour, "More than 24 hours between startTime and endTime."); !ok {
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
		if byTime && (o.Time.Before(start) || o.Time.After(end)) {
			continue
		}
		rows = append(rows, o)
	}
	f.hist.mu.Unlock()
	slices.SortFunc(rows, func(a, b BinanceOrder) int { return int(a.OrderID - b.OrderID) })
	if len(rows) > limit {
		if byTime || fromID > 0 {
			rows = rows[:limit]
		} else {
			// Without orderId or times, the most recent come back.
			rows = rows[len(rows)-limit:]
		}
	}
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

// withdrawHistory serves GET /sapi/v1/capital/withdraw/history: default
// the last 90 days, at most 90 days apart; limit 1000, offset.
func (f *Binance) withdrawHistory(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	start, end, ok := f.binanceTimes(w, r, 90*24*time.Hour, 90*24*time.Hour, "The time interval between startTime and endTime must be within 0-90 days.")
	if !ok {
		return
	}
	limit, offset, ok := f.binanceLimit(w, r, 1000, 1000)
	if !ok {
		return
	}
	f.hist.mu.Lock()
	var rows []map[string]any
	for _, x := range f.hist.withdrawals {
		if x.Time.Before(start) || x.Time.After(end) {
			continue
		}
		tt := 0
		if x.Internal {
			tt = 1
		}
		rows = append(rows, map[string]any{
			"id": x.ID, "amount": x.Amount, "transactionFee": "0.004", "coin": x.Coin, "status": 6,
			"address": x.Address, "txId": "0xb5ef8c13b968a406cc62a93a8bd80f9e9a906ef1b3fcf20a2e48573c17659268",
			"applyTime": x.Time.UTC().Format("2006-01-02 15:04:05"), "network": "ETH", "transferType": tt,
			"info": "", "confirmNo": 3, "walletType": 1, "txKey": "",
			"completeTime": x.Time.UTC().Add(time.Minute).Format("2006-01-02 15:04:05"),
		})
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, page(rows, offset, limit))
}

// depositHistory serves GET /sapi/v1/capital/deposit/hisrec like the
// withdrawal history.
func (f *Binance) depositHistory(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	start, end, ok := f.binanceTimes(w, r, 90*24*time.Hour, 90*24*time.Hour, "The time interval between startTime and endTime must be within 0-90 days.")
	if !ok {
		return
	}
	limit, offset, ok := f.binanceLimit(w, r, 1000, 1000)
	if !ok {
		return
	}
	f.hist.mu.Lock()
	var rows []map[string]any
	for _, d := range f.hist.deposits {
		if d.Time.Before(start) || d.Time.After(end) {
			continue
		}
		rows = append(rows, map[string]any{
			"id": d.ID, "amount": d.Amount, "coin": d.Coin, "network": "ETH", "status": 1,
			"address": d.Address, "addressTag": "", "txId": "bafc5902" + d.ID,
			"insertTime": d.Time.UnixMilli(), "transferType": 0, "confirmTimes": "12/12",
		})
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, page(rows, offset, limit))
}

// page is rows[offset:offset+limit], never nil (the exchange answers []).
func page(rows []map[string]any, offset, limit int) []map[string]any {
	if offset >= len(rows) {
		return []map[string]any{}
	}
	return rows[offset:min(len(rows), offset+limit)]
}
