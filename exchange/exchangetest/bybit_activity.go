package exchangetest

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
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
	orders      records[BybitOrder]
	withdrawals records[BybitWithdrawal]
	deposits    records[BybitDeposit]
}

// AddOrder records an order and returns its order id.
func (f *Bybit) AddOrder(o BybitOrder) string {
	return f.hist.orders.addNew(o, func(o *BybitOrder) *string { return &o.OrderID }, func(n int) string {
		return "14bad3a1-6454-43d8-bcf2-" + strconv.FormatInt(int64(5345896000000+n), 10)
	})
}

// AddWithdrawal records a withdrawal.
func (f *Bybit) AddWithdrawal(w BybitWithdrawal) { f.hist.withdrawals.add(w) }

// AddDeposit records a deposit.
func (f *Bybit) AddDeposit(d BybitDeposit) { f.hist.deposits.add(d) }

// bybitParams reads startTime/endTime (default: the last span; a longer
// range is refused), limit (1..maxLimit, default def) and the cursor.
func (f *Bybit) bybitParams(w http.ResponseWriter, r *http.Request, span time.Duration, def, maxLimit int) (start, end time.Time, limit, offset int, ok bool) {
	q := r.URL.Query()
	bad := func(msg string) (time.Time, time.Time, int, int, bool) {
		f.reply(w, http.StatusOK, 10001, "params error: "+msg, struct{}{})
		return time.Time{}, time.Time{}, 0, 0, false
	}
	start, end, err := msWindow{start: "startTime", end: "endTime", def: span, fromStart: true, max: span}.read(q, f.Now())
	if bp := (*badParamError)(nil); errors.As(err, &bp) {
		return bad(bp.name + " is invalid")
	}
	if err != nil {
		return bad("the time range between startTime and endTime is too long")
	}
	if limit, ok = intParam(q.Get("limit"), def, 1, maxLimit); !ok {
		return bad("limit is invalid")
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

// bybitPage cuts recs and names the next cursor ("" on the last page).
func bybitPage[T any](recs []T, offset, limit int) ([]T, string) {
	cut, next := cutPage(recs, offset, limit)
	if next == 0 {
		return cut, ""
	}
	return cut, "page_token=" + strconv.Itoa(next)
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
	sel := newestFirst(f.hist.orders.kept(func(o BybitOrder) bool {
		return o.Category == cat && within(o.Time, start, end)
	}), func(o BybitOrder) time.Time { return o.Time })
	sel, next := bybitPage(sel, offset, limit)
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
	f.reply(w, http.StatusOK, 0, "OK", map[string]any{"category": cat, "list": rows, "nextPageCursor": next})
}

// bybitRecords serves what the withdrawal and deposit records share: a
// range under 30 days, limit 1..50 (default 50), cursor paging, rows in
// the order they were added; keep says which of recs the request asks
// for besides the range, row renders one.
func bybitRecords[T any](f *Bybit, w http.ResponseWriter, r *http.Request, recs *records[T], at func(T) time.Time, keep func(T) bool, row func(T) map[string]any) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	start, end, limit, offset, ok := f.bybitParams(w, r, 30*24*time.Hour, 50, 50)
	if !ok {
		return
	}
	sel, next := bybitPage(recs.kept(func(x T) bool { return within(at(x), start, end) && keep(x) }), offset, limit)
	rows := []map[string]any{}
	for _, x := range sel {
		rows = append(rows, row(x))
	}
	f.reply(w, http.StatusOK, 0, "success", map[string]any{"rows": rows, "nextPageCursor": next})
}

// withdrawRecords serves GET /v5/asset/withdraw/query-record:
// withdrawType 0 (on-chain, the default), 1 (off-chain) or 2 (all).
func (f *Bybit) withdrawRecords(w http.ResponseWriter, r *http.Request) {
	wt := r.URL.Query().Get("withdrawType")
	keep := func(x BybitWithdrawal) bool {
		return (x.Internal && (wt == "1" || wt == "2")) || (!x.Internal && wt != "1")
	}
	bybitRecords(f, w, r, &f.hist.withdrawals, func(x BybitWithdrawal) time.Time { return x.Time }, keep, func(x BybitWithdrawal) map[string]any {
		typ := 0
		if x.Internal {
			typ = 1
		}
		ms := strconv.FormatInt(x.Time.UnixMilli(), 10)
		return map[string]any{
			"coin": x.Coin, "chain": "ETH", "amount": x.Amount, "txID": "0x3d7b" + x.ID, "status": "success",
			"toAddress": x.ToAddress, "tag": "", "withdrawFee": "5", "createTime": ms, "updateTime": ms,
			"withdrawId": x.ID, "withdrawType": typ, "fee": "", "tax": "", "taxRate": "", "taxType": "",
		}
	})
}

// depositRecords serves GET /v5/asset/deposit/query-record.
func (f *Bybit) depositRecords(w http.ResponseWriter, r *http.Request) {
	every := func(BybitDeposit) bool { return true }
	bybitRecords(f, w, r, &f.hist.deposits, func(d BybitDeposit) time.Time { return d.Time }, every, func(d BybitDeposit) map[string]any {
		return map[string]any{
			"id": d.ID, "coin": d.Coin, "chain": "ETH", "amount": d.Amount, "txID": "0xdep" + d.ID, "status": 3,
			"toAddress": d.ToAddress, "tag": "", "depositFee": "", "successAt": strconv.FormatInt(d.Time.UnixMilli(), 10),
			"confirmations": "64", "txIndex": "0", "blockHash": "", "batchReleaseLimit": "-1", "depositType": "0",
			"fromAddress": "",
		}
	})
}
