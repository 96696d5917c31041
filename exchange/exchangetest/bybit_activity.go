package exchangetest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BybitOrder is one order in the fake's history (GET /v5/order/history).
type BybitOrder struct {
	Category    string // spot, linear, inverse or option
	OrderID     string // "": a fresh UUID-like id
	OrderLinkID string
	Symbol      string
	Side        string // Buy or Sell
	Qty         string
	// CreateType is left out of spot rows, as Bybit does; "" on other
	// categories is CreateByUser.
	CreateType string
	Time       time.Time
}

// BybitWithdrawal is one withdrawal (GET /v5/asset/withdraw/query-record).
type BybitWithdrawal struct {
	ID        string
	Coin      string
	Amount    string
	ToAddress string
	Internal  bool // withdrawType 1: off-chain, to another Bybit UID
	Time      time.Time
}

// BybitDeposit is one deposit (GET /v5/asset/deposit/query-record).
type BybitDeposit struct {
	ID        string
	Coin      string
	Amount    string
	ToAddress string
	Time      time.Time
}

type bybitHistory struct {
	mu          sync.Mutex
	next        int
	orders      []BybitOrder
	withdrawals []BybitWithdrawal
	deposits    []BybitDeposit
}

// AddOrder records an order and returns its order id.
func (f *Bybit) AddOrder(o BybitOrder) string {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	if o.OrderID == "" {
		f.hist.next++
		o.OrderID = "14bad3a1-6454-43d8-bcf2-" + strconv.FormatInt(int64(5345896000000+f.hist.next), 10)
	}
	f.hist.orders = append(f.hist.orders, o)
	return o.OrderID
}

// AddWithdrawal records a withdrawal.
func (f *Bybit) AddWithdrawal(w BybitWithdrawal) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.withdrawals = append(f.hist.withdrawals, w)
}

// AddDeposit records a deposit.
func (f *Bybit) AddDeposit(d BybitDeposit) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.deposits = append(f.hist.deposits, d)
}

// bybitParams reads startTime/endTime (default: the last span; a longer
// range is refused), limit (1..maxLimit, default def) and the cursor.
func (f *Bybit) bybitParams(w http.ResponseWriter, r *http.Request, span time.Duration, def, maxLimit int) (start, end time.Time, limit, offset int, ok bool) {
	q := r.URL.Query()
	end = f.Now()
	start = end.Add(-span)
	bad := func(msg string) (time.Time, time.Time, int, int, bool) {
		f.reply(w, http.StatusOK, 10001, "params error: "+msg, struct{}{})
		return time.Time{}, time.Time{}, 0, 0, false
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"startTime", &start}, {"endTime", &end}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return bad(p.name + " is invalid")
			}
			*p.dst = time.UnixMilli(n)
		}
	}
	if q.Get("startTime") != "" && q.Get("endTime") == "" {
		end = start.Add(span)
	}
	if end.Sub(start) > span {
		return bad("the time range between startTime and endTime is too long")
	}
	limit = def
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return bad("limit is invalid")
		}
		limit = n
	}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "page_token="))
		if err != nil || n < 0 {
			return bad("cursor is invalid")
		}
		offset = n
	}
	return start, end, limit, offset, true
}

// bybitPage cuts rows and names the next cursor ("" on the last page).
func bybitPage(rows []map[string]any, offset, limit int) ([]map[string]any, string) {
	if offset >= len(rows) {
		return []map[string]any{}, ""
	}
	endAt := min(len(rows), offset+limit)
	next := ""
	if endAt < len(rows) {
		next = "page_token=" + strconv.Itoa(endAt)
	}
	return rows[offset:endAt], next
}

// orderHistory serves GET /v5/order/history: category required, 7-day
// range, limit 1..50 (default 20), newest first, cursor paging.
func (f *Bybit) orderHistory(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	cat := r.URL.Query().Get("category")
	if !slices.Contains([]string{"spot", "linear", "inverse", "option"}, cat) {
		f.reply(w, http.StatusOK, 10001, "params error: Category is invalid", struct{}{})
		return
	}
	start, end, limit, offset, ok := f.bybitParams(w, r, 7*24*time.Hour, 20, 50)
	if !ok {
		return
	}
	f.hist.mu.Lock()
	var sel []BybitOrder
	for _, o := range f.hist.orders {
		if o.Category == cat && !o.Time.Before(start) && !o.Time.After(end) {
			sel = append(sel, o)
		}
	}
	f.hist.mu.Unlock()
	slices.SortStableFunc(sel, func(a, b BybitOrder) int { return b.Time.Compare(a.Time) })
	rows := make([]map[string]any, 0, len(sel))
	for _, o := range sel {
		ms := strconv.FormatInt(o.Time.UnixMilli(), 10)
		row := map[string]any{
			"orderId": o.OrderID, "orderLinkId": o.OrderLinkID, "blockTradeId": "", "symbol": o.Symbol,
			"price": "26864.40", "qty": o.Qty, "side": o.Side, "isLeverage": "", "positionIdx": 0,
			"orderStatus": "Filled", "cancelType": "UNKNOWN", "rejectReason": "EC_NoError", "avgPrice": "26864.40",
			"leavesQty": "0", "leavesValue": "0", "cumExecQty": o.Qty, "cumExecValue": "0", "cumExecFee": "0",
			"timeInForce": "GTC", "orderType": "Limit", "stopOrderType": "UNKNOWN", "orderIv": "",
			"triggerPrice": "0.00", "takeProfit": "0.00", "stopLoss": "0.00", "placeType": "",
			"smpType": "None", "smpGroup": 0, "smpOrderId": "", "createdTime": ms, "updatedTime": ms,
			"cumFeeDetail": map[string]string{},
		}
		if cat != "spot" {
			ct := o.CreateType
			if ct == "" {
				ct = "CreateByUser"
			}
			row["createType"] = ct
		}
		rows = append(rows, row)
	}
	list, next := bybitPage(rows, offset, limit)
	f.reply(w, http.StatusOK, 0, "OK", map[string]any{"category": cat, "list": list, "nextPageCursor": next})
}

// withdrawRecords serves GET /v5/asset/withdraw/query-record: a range
// under 30 days, limit 1..50 (default 50), withdrawType 0 (on-chain, the
// default), 1 (off-chain) or 2 (all).
func (f *Bybit) withdrawRecords(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	start, end, limit, offset, ok := f.bybitParams(w, r, 30*24*time.Hour, 50, 50)
	if !ok {
		return
	}
	wt := r.URL.Query().Get("withdrawType")
	f.hist.mu.Lock()
	rows := []map[string]any{}
	for _, x := range f.hist.withdrawals {
		if x.Time.Before(start) || x.Time.After(end) || (x.Internal && wt != "1" && wt != "2") || (!x.Internal && wt == "1") {
			continue
		}
		typ := 0
		if x.Internal {
			typ = 1
		}
		ms := strconv.FormatInt(x.Time.UnixMilli(), 10)
		rows = append(rows, map[string]any{
			"coin": x.Coin, "chain": "ETH", "amount": x.Amount, "txID": "0x3d7b" + x.ID, "status": "success",
			"toAddress": x.ToAddress, "tag": "", "withdrawFee": "5", "createTime": ms, "updateTime": ms,
			"withdrawId": x.ID, "withdrawType": typ, "fee": "", "tax": "", "taxRate": "", "taxType": "",
		})
	}
	f.hist.mu.Unlock()
	list, next := bybitPage(rows, offset, limit)
	f.reply(w, http.StatusOK, 0, "success", map[string]any{"rows": list, "nextPageCursor": next})
}

// depositRecords serves GET /v5/asset/deposit/query-record like the
// withdrawal records.
func (f *Bybit) depositRecords(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	start, end, limit, offset, ok := f.bybitParams(w, r, 30*24*time.Hour, 50, 50)
	if !ok {
		return
	}
	f.hist.mu.Lock()
	rows := []map[string]any{}
	for _, d := range f.hist.deposits {
		if d.Time.Before(start) || d.Time.After(end) {
			continue
		}
		rows = append(rows, map[string]any{
			"id": d.ID, "coin": d.Coin, "chain": "ETH", "amount": d.Amount, "txID": "0xdep" + d.ID, "status": 3,
			"toAddress": d.ToAddress, "tag": "", "depositFee": "", "successAt": strconv.FormatInt(d.Time.UnixMilli(), 10),
			"confirmations": "64", "txIndex": "0", "blockHash": "", "batchReleaseLimit": "-1", "depositType": "0",
			"fromAddress": "",
		})
	}
	f.hist.mu.Unlock()
	list, next := bybitPage(rows, offset, limit)
	f.reply(w, http.StatusOK, 0, "success", map[string]any{"rows": list, "nextPageCursor": next})
}
