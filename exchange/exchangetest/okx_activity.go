package exchangetest

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// OKXOrder is one order in the fake's history (GET
// /api/v5/trade/orders-history).
type OKXOrder struct {
	InstType string // SPOT, MARGIN, SWAP, FUTURES or OPTION
	OrdID    string // "": the next free id
	ClOrdID  string
	InstID   string
	Side     string // buy or sell
	Sz       string
	Category string // "" is normal
	Time     time.Time
}

// OKXWithdrawal is one withdrawal (GET /api/v5/asset/withdrawal-history).
type OKXWithdrawal struct {
	WdID  string
	Ccy   string
	Amt   string
	To    string
	ToUID bool // toAddrType 2: to another OKX user's UID
	Time  time.Time
}

// OKXDeposit is one deposit (GET /api/v5/asset/deposit-history).
type OKXDeposit struct {
	DepID string
	Ccy   string
	Amt   string
	To    string
	Time  time.Time
}

type okxHistory struct {
	mu          sync.Mutex
	next        int64
	orders      []OKXOrder
	withdrawals []OKXWithdrawal
	deposits    []OKXDeposit
}

// AddOrder records an order and returns its ordId.
func (f *OKX) AddOrder(o OKXOrder) string {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	if o.OrdID == "" {
		f.hist.next++
		o.OrdID = strconv.FormatInt(680800019749904384+f.hist.next, 10)
	}
	f.hist.orders = append(f.hist.orders, o)
	return o.OrdID
}

// AddWithdrawal records a withdrawal.
func (f *OKX) AddWithdrawal(w OKXWithdrawal) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.withdrawals = append(f.hist.withdrawals, w)
}

// AddDeposit records a deposit.
func (f *OKX) AddDeposit(d OKXDeposit) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.deposits = append(f.hist.deposits, d)
}

// okxLimit reads limit (1..100, default 100).
func (f *OKX) okxLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 100, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		f.reply(w, http.StatusOK, "51000", "Parameter limit error", []any{})
		return 0, false
	}
	return n, true
}

// okxMillisParam reads an optional millisecond parameter.
func (f *OKX) okxMillisParam(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.reply(w, http.StatusOK, "51000", "Parameter "+name+" error", []any{})
		return 0, false
	}
	return n, true
}

// ordersHistory serves GET /api/v5/trade/orders-history: instType
// required, the last 7 days, newest first, after/before by ordId, begin/end
// on cTime.
func (f *OKX) ordersHistory(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	q := r.URL.Query()
	it := q.Get("instType")
	if it == "" {
		f.reply(w, http.StatusOK, "51000", "Parameter instType error", []any{})
		return
	}
	limit, ok := f.okxLimit(w, r)
	if !ok {
		return
	}
	begin, ok := f.okxMillisParam(w, r, "begin")
	if !ok {
		return
	}
	end, ok := f.okxMillisParam(w, r, "end")
	if !ok {
		return
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	oldest := f.Now().Add(-7 * 24 * time.Hour).UnixMilli()
	f.hist.mu.Lock()
	var sel []OKXOrder
	for _, o := range f.hist.orders {
		id, _ := strconv.ParseInt(o.OrdID, 10, 64)
		t := o.Time.UnixMilli()
		if o.InstType != it || t < oldest || (begin > 0 && t < begin) || (end > 0 && t > end) || (after > 0 && id >= after) {
			continue
		}
		sel = append(sel, o)
	}
	f.hist.mu.Unlock()
	// Newest first: ordIds grow with time.
	slices.SortFunc(sel, func(a, b OKXOrder) int {
		x, _ := strconv.ParseInt(a.OrdID, 10, 64)
		y, _ := strconv.ParseInt(b.OrdID, 10, 64)
		return int(y - x)
	})
	if len(sel) > limit {
		sel = sel[:limit]
	}
	rows := make([]map[string]any, 0, len(sel))
	for _, o := range sel {
		cat := o.Category
		if cat == "" {
			cat = "normal"
		}
		ms := strconv.FormatInt(o.Time.UnixMilli(), 10)
		rows = append(rows, map[string]any{
			"accFillSz": o.Sz, "algoClOrdId": "", "algoId": "", "attachAlgoOrds": []any{}, "avgPx": "51858",
			"cTime": ms, "cancelSource": "", "category": cat, "ccy": "", "clOrdId": o.ClOrdID, "fee": "0",
			"feeCcy": "USDT", "fillPx": "51858", "fillSz": o.Sz, "fillTime": ms, "instId": o.InstID,
			"instType": o.InstType, "lever": "", "ordId": o.OrdID, "ordType": "limit", "pnl": "0", "posSide": "",
			"px": "51858", "rebate": "0", "rebateCcy": "USDT", "reduceOnly": "false", "side": o.Side, "source": "",
			"state": "filled", "stpMode": "", "sz": o.Sz, "tag": "", "tdMode": "cash", "tgtCcy": "",
			"tradeId": "744876980", "uTime": ms, "isTpLimit": "false", "linkedAlgoOrd": map[string]string{"algoId": ""},
		})
	}
	f.reply(w, http.StatusOK, "0", "", rows)
}

// okxByTS orders rows newest first by "ts" and applies after (earlier
// than) and limit.
func okxByTS(rows []map[string]any, after int64, limit int) []map[string]any {
	slices.SortStableFunc(rows, func(a, b map[string]any) int {
		x, _ := strconv.ParseInt(a["ts"].(string), 10, 64)
		y, _ := strconv.ParseInt(b["ts"].(string), 10, 64)
		return int(y - x)
	})
	out := []map[string]any{}
	for _, row := range rows {
		ts, _ := strconv.ParseInt(row["ts"].(string), 10, 64)
		if after > 0 && ts >= after {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, row)
	}
	return out
}

// withdrawalHistory serves GET /api/v5/asset/withdrawal-history: newest
// first, after/before by ts, limit 100.
func (f *OKX) withdrawalHistory(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	limit, ok := f.okxLimit(w, r)
	if !ok {
		return
	}
	after, ok := f.okxMillisParam(w, r, "after")
	if !ok {
		return
	}
	f.hist.mu.Lock()
	var rows []map[string]any
	for _, x := range f.hist.withdrawals {
		typ := "1"
		if x.ToUID {
			typ = "2"
		}
		rows = append(rows, map[string]any{
			"note": "", "chain": x.Ccy + "-Ethereum", "fee": "0.007", "feeCcy": x.Ccy, "ccy": x.Ccy, "clientId": "",
			"toAddrType": typ, "amt": x.Amt, "txId": "0x35c" + x.WdID, "from": "156****359", "areaCodeFrom": "86",
			"to": x.To, "areaCodeTo": "", "state": "2", "ts": strconv.FormatInt(x.Time.UnixMilli(), 10),
			"nonTradableAsset": false, "wdId": x.WdID,
		})
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, "0", "", okxByTS(rows, after, limit))
}

// depositHistory serves GET /api/v5/asset/deposit-history like the
// withdrawal history.
func (f *OKX) depositHistory(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	limit, ok := f.okxLimit(w, r)
	if !ok {
		return
	}
	after, ok := f.okxMillisParam(w, r, "after")
	if !ok {
		return
	}
	f.hist.mu.Lock()
	var rows []map[string]any
	for _, d := range f.hist.deposits {
		rows = append(rows, map[string]any{
			"actualDepBlkConfirm": "17", "amt": d.Amt, "areaCodeFrom": "", "ccy": d.Ccy, "chain": d.Ccy + "-Ethereum",
			"depId": d.DepID, "from": "", "fromWdId": "", "state": "2", "to": d.To,
			"ts": strconv.FormatInt(d.Time.UnixMilli(), 10), "txId": "0xdep" + d.DepID,
		})
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, "0", "", okxByTS(rows, after, limit))
}
