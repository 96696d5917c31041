package exchangetest

import (
	"net/http"
	"slices"
	"strconv"
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
	orders      records[OKXOrder]
	withdrawals records[OKXWithdrawal]
	deposits    records[OKXDeposit]
}

// AddOrder records an order and returns its ordId.
func (f *OKX) AddOrder(o OKXOrder) string {
	return f.hist.orders.addNew(o, func(o *OKXOrder) *string { return &o.OrdID }, func(n int) string {
		return strconv.FormatInt(680800019749904384+int64(n), 10)
	})
}

// AddWithdrawal records a withdrawal.
func (f *OKX) AddWithdrawal(w OKXWithdrawal) { f.hist.withdrawals.add(w) }

// AddDeposit records a deposit.
func (f *OKX) AddDeposit(d OKXDeposit) { f.hist.deposits.add(d) }

// okxLimit reads limit (1..100, default 100).
func (f *OKX) okxLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, ok := intParam(r.URL.Query().Get("limit"), 100, 1, 100)
	if !ok {
		f.reply(w, http.StatusOK, "51000", "Parameter limit error", []any{})
	}
	return n, ok
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
	sel := f.hist.orders.kept(func(o OKXOrder) bool {
		id, _ := strconv.ParseInt(o.OrdID, 10, 64)
		t := o.Time.UnixMilli()
		return o.InstType == it && t >= oldest && (begin <= 0 || t >= begin) && (end <= 0 || t <= end) && (after <= 0 || id < after)
	})
	// Newest first: ordIds grow with time.
	slices.SortFunc(sel, func(a, b OKXOrder) int {
		x, _ := strconv.ParseInt(a.OrdID, 10, 64)
		y, _ := strconv.ParseInt(b.OrdID, 10, 64)
		return int(y - x)
	})
	sel, _ = cutPage(sel, 0, limit)
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

// okxMovements serves what withdrawal-history and deposit-history share:
// newest first by ts, after (earlier than, ms) and limit; row renders one
// record.
func okxMovements[T any](f *OKX, w http.ResponseWriter, r *http.Request, recs *records[T], at func(T) time.Time, row func(T) map[string]any) {
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
	sel := recs.kept(func(x T) bool { return after <= 0 || at(x).UnixMilli() < after })
	// ts is in milliseconds: records of the same millisecond stay in the
	// order they were added.
	sel, _ = cutPage(newestFirst(sel, func(x T) time.Time { return time.UnixMilli(at(x).UnixMilli()) }), 0, limit)
	rows := []map[string]any{}
	for _, x := range sel {
		rows = append(rows, row(x))
	}
	f.reply(w, http.StatusOK, "0", "", rows)
}

// withdrawalHistory serves GET /api/v5/asset/withdrawal-history: newest
// first, after/before by ts, limit 100.
func (f *OKX) withdrawalHistory(w http.ResponseWriter, r *http.Request) {
	okxMovements(f, w, r, &f.hist.withdrawals, func(x OKXWithdrawal) time.Time { return x.Time }, func(x OKXWithdrawal) map[string]any {
		typ := "1"
		if x.ToUID {
			typ = "2"
		}
		return map[string]any{
			"note": "", "chain": x.Ccy + "-Ethereum", "fee": "0.007", "feeCcy": x.Ccy, "ccy": x.Ccy, "clientId": "",
			"toAddrType": typ, "amt": x.Amt, "txId": "0x35c" + x.WdID, "from": "156****359", "areaCodeFrom": "86",
			"to": x.To, "areaCodeTo": "", "state": "2", "ts": strconv.FormatInt(x.Time.UnixMilli(), 10),
			"nonTradableAsset": false, "wdId": x.WdID,
		}
	})
}

// depositHistory serves GET /api/v5/asset/deposit-history like the
// withdrawal history.
func (f *OKX) depositHistory(w http.ResponseWriter, r *http.Request) {
	okxMovements(f, w, r, &f.hist.deposits, func(d OKXDeposit) time.Time { return d.Time }, func(d OKXDeposit) map[string]any {
		return map[string]any{
			"actualDepBlkConfirm": "17", "amt": d.Amt, "areaCodeFrom": "", "ccy": d.Ccy, "chain": d.Ccy + "-Ethereum",
			"depId": d.DepID, "from": "", "fromWdId": "", "state": "2", "to": d.To,
			"ts": strconv.FormatInt(d.Time.UnixMilli(), 10), "txId": "0xdep" + d.DepID,
		}
	})
}
