package exchangetest

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// KuCoinOrder is one spot order: of the classic account (AddOrder, GET
// /api/v1/orders: Active ones with status=active, the others with
// status=done) or of the HF account (AddHFOrder).
type KuCoinOrder struct {
	ID        string // "": a fresh 24-hex id
	Symbol    string
	Side      string // buy or sell
	Size      string
	Channel   string // "" is API
	ClientOid string
	Active    bool
	// Unfilled marks a done HF order cancelled without a fill: it leaves
	// no entry in the HF ledger (every other done HF order leaves two).
	Unfilled bool
	Time     time.Time
}

// KuCoinMovement is one withdrawal (GET /api/v1/withdrawals) or, with
// Deposit set, deposit (GET /api/v1/deposits).
type KuCoinMovement struct {
	ID       string
	Currency string
	Amount   string
	Address  string
	IsInner  bool
	Deposit  bool
	Time     time.Time
}

type kucoinHistory struct {
	// next counts the ids the fake has made up, in both accounts.
	next   atomic.Int64
	orders records[KuCoinOrder]
	moves  records[KuCoinMovement]
	// The HF account (kucoin_hf.go), guarded by mu.
	mu         sync.Mutex
	hf         []kucoinHFOrder
	hfBalances map[string]string
}

// AddOrder records an order and returns its id.
func (f *KuCoin) AddOrder(o KuCoinOrder) string {
	return f.hist.orders.addNew(o, func(o *KuCoinOrder) *string { return &o.ID }, func(int) string {
		return "5c35c02703aa673ceec" + strconv.FormatInt(10000+f.hist.next.Add(1), 10)
	})
}

// AddMovement records a withdrawal or deposit.
func (f *KuCoin) AddMovement(m KuCoinMovement) { f.hist.moves.add(m) }

// kucoinPaging reads startAt/endAt (a range of at most 7 days for what
// needs one), currentPage (default 1) and pageSize (10..500, default 50).
func (f *KuCoin) kucoinPaging(w http.ResponseWriter, r *http.Request, ranged bool) (start, end time.Time, page, size int, ok bool) {
	q := r.URL.Query()
	bad := func(msg string) (time.Time, time.Time, int, int, bool) {
		f.reply(w, http.StatusBadRequest, "400100", msg, nil)
		return time.Time{}, time.Time{}, 0, 0, false
	}
	m := msWindow{start: "startAt", end: "endAt", def: 7 * 24 * time.Hour}
	if ranged {
		m.max = 7 * 24 * time.Hour
	}
	start, end, err := m.read(q, f.Now())
	var badParam *badParamError
	switch {
	case errors.As(err, &badParam):
		return bad(badParam.name + " invalid")
	case err != nil:
		return bad("Time range exceeds 7 days")
	}
	if page, ok = intParam(q.Get("currentPage"), 1, 1, math.MaxInt); !ok {
		return bad("currentPage invalid")
	}
	if size, ok = intParam(q.Get("pageSize"), 50, 10, 500); !ok {
		return bad("pageSize invalid")
	}
	return start, end, page, size, true
}

// kucoinList serves a paginated history of recs, newest first: the
// records keep accepts in the window asked (ranged: at most 7 days).
func kucoinList[T any](f *KuCoin, w http.ResponseWriter, r *http.Request, recs *records[T], ranged bool, keep func(x T, start, end time.Time) bool, at func(T) time.Time, row func(T) map[string]any) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	start, end, page, size, ok := f.kucoinPaging(w, r, ranged)
	if !ok {
		return
	}
	sel := newestFirst(recs.kept(func(x T) bool { return keep(x, start, end) }), at)
	rows := make([]map[string]any, 0, len(sel))
	for _, x := range sel {
		rows = append(rows, row(x))
	}
	items, _ := cutPage(rows, (page-1)*size, size)
	f.reply(w, http.StatusOK, "200000", "", map[string]any{"currentPage": page, "pageSize": size, "totalNum": len(rows),
		"totalPage": (len(rows) + size - 1) / size, "items": items})
}

// orders serves GET /api/v1/orders: status active (every open order) or
// done (default; within 7 days), newest first.
func (f *KuCoin) orders(w http.ResponseWriter, r *http.Request) {
	active := r.URL.Query().Get("status") == "active"
	keep := func(o KuCoinOrder, start, end time.Time) bool {
		return o.Active == active && (active || within(o.Time, start, end))
	}
	kucoinList(f, w, r, &f.hist.orders, !active, keep, func(o KuCoinOrder) time.Time { return o.Time }, func(o KuCoinOrder) map[string]any {
		ch := o.Channel
		if ch == "" {
			ch = "API"
		}
		return map[string]any{
			"id": o.ID, "symbol": o.Symbol, "opType": "DEAL", "type": "limit", "side": o.Side, "price": "10",
			"size": o.Size, "funds": "0", "dealFunds": "0", "dealSize": "0", "fee": "0", "feeCurrency": "USDT",
			"stp": "", "stop": "", "stopTriggered": false, "stopPrice": "0", "timeInForce": "GTC", "postOnly": false,
			"hidden": false, "iceberg": false, "visibleSize": "0", "cancelAfter": 0, "channel": ch,
			"clientOid": o.ClientOid, "remark": "", "tags": "", "isActive": o.Active, "cancelExist": false,
			"createdAt": o.Time.UnixMilli(), "tradeType": "TRADE",
		}
	})
}

// movements serves GET /api/v1/withdrawals (deposit false) and
// /api/v1/deposits, newest first.
func (f *KuCoin) movements(deposit bool) http.HandlerFunc {
	keep := func(m KuCoinMovement, start, end time.Time) bool {
		return m.Deposit == deposit && within(m.Time, start, end)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		kucoinList(f, w, r, &f.hist.moves, false, keep, func(m KuCoinMovement) time.Time { return m.Time }, func(m KuCoinMovement) map[string]any {
			return map[string]any{
				"id": m.ID, "currency": m.Currency, "chain": "eth", "status": "SUCCESS", "address": m.Address,
				"memo": "", "isInner": m.IsInner, "amount": m.Amount, "fee": "0.0001", "walletTxId": "0x" + m.ID,
				"createdAt": m.Time.UnixMilli(), "updatedAt": m.Time.UnixMilli(), "remark": "", "arrears": false,
			}
		})
	}
}
