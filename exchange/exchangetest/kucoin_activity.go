package exchangetest

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
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
	mu     sync.Mutex
	next   int
	orders []KuCoinOrder
	moves  []KuCoinMovement
	// The HF account (kucoin_hf.go).
	hf         []kucoinHFOrder
	hfBalances map[string]string
}

// AddOrder records an order and returns its id.
func (f *KuCoin) AddOrder(o KuCoinOrder) string {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	if o.ID == "" {
		f.hist.next++
		o.ID = "5c35c02703aa673ceec" + strconv.Itoa(10000+f.hist.next)
	}
	f.hist.orders = append(f.hist.orders, o)
	return o.ID
}

// AddMovement records a withdrawal or deposit.
func (f *KuCoin) AddMovement(m KuCoinMovement) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.moves = append(f.hist.moves, m)
}

// kucoinPaging reads startAt/endAt (a range of at most 7 days for what
// needs one), currentPage (default 1) and pageSize (10..500, default 50).
func (f *KuCoin) kucoinPaging(w http.ResponseWriter, r *http.Request, ranged bool) (start, end time.Time, page, size int, ok bool) {
	q := r.URL.Query()
	bad := func(msg string) (time.Time, time.Time, int, int, bool) {
		f.reply(w, http.StatusBadRequest, "400100", msg, nil)
		return time.Time{}, time.Time{}, 0, 0, false
	}
	end = f.Now()
	start = end.Add(-7 * 24 * time.Hour)
	if s := q.Get("startAt"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("startAt invalid")
		}
		start = time.UnixMilli(n)
	}
	if s := q.Get("endAt"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("endAt invalid")
		}
		end = time.UnixMilli(n)
	}
	if ranged && end.Sub(start) > 7*24*time.Hour {
		return bad("Time range exceeds 7 days")
	}
	page, size = 1, 50
	if s := q.Get("currentPage"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return bad("currentPage invalid")
		}
		page = n
	}
	if s := q.Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 || n > 500 {
			return bad("pageSize invalid")
		}
		size = n
	}
	return start, end, page, size, true
}

// kucoinPaged is KuCoin's paginated data object for rows.
func kucoinPaged(rows []map[string]any, page, size int) map[string]any {
	total := (len(rows) + size - 1) / size
	from := min(len(rows), (page-1)*size)
	return map[string]any{"currentPage": page, "pageSize": size, "totalNum": len(rows), "totalPage": total,
		"items": rows[from:min(len(rows), from+size)]}
}

// orders serves GET /api/v1/orders: status active (every open order) or
// done (default; within 7 days), newest first.
func (f *KuCoin) orders(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	active := r.URL.Query().Get("status") == "active"
	start, end, page, size, ok := f.kucoinPaging(w, r, !active)
	if !ok {
		return
	}
	f.hist.mu.Lock()
	var sel []KuCoinOrder
	for _, o := range f.hist.orders {
		if o.Active == active && (active || (!o.Time.Before(start) && !o.Time.After(end))) {
			sel = append(sel, o)
		}
	}
	f.hist.mu.Unlock()
	slices.SortStableFunc(sel, func(a, b KuCoinOrder) int { return b.Time.Compare(a.Time) })
	rows := []map[string]any{}
	for _, o := range sel {
		ch := o.Channel
		if ch == "" {
			ch = "API"
		}
		rows = append(rows, map[string]any{
			"id": o.ID, "symbol": o.Symbol, "opType": "DEAL", "type": "limit", "side": o.Side, "price": "10",
			"size": o.Size, "funds": "0", "dealFunds": "0", "dealSize": "0", "fee": "0", "feeCurrency": "USDT",
			"stp": "", "stop": "", "stopTriggered": false, "stopPrice": "0", "timeInForce": "GTC", "postOnly": false,
			"hidden": false, "iceberg": false, "visibleSize": "0", "cancelAfter": 0, "channel": ch,
			"clientOid": o.ClientOid, "remark": "", "tags": "", "isActive": o.Active, "cancelExist": false,
			"createdAt": o.Time.UnixMilli(), "tradeType": "TRADE",
		})
	}
	f.reply(w, http.StatusOK, "200000", "", kucoinPaged(rows, page, size))
}

// movements serves GET /api/v1/withdrawals (deposit false) and
// /api/v1/deposits, newest first.
func (f *KuCoin) movements(deposit bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := f.verify(w, r); !ok {
			return
		}
		start, end, page, size, ok := f.kucoinPaging(w, r, false)
		if !ok {
			return
		}
		f.hist.mu.Lock()
		var sel []KuCoinMovement
		for _, m := range f.hist.moves {
			if m.Deposit == deposit && !m.Time.Before(start) && !m.Time.After(end) {
				sel = append(sel, m)
			}
		}
		f.hist.mu.Unlock()
		slices.SortStableFunc(sel, func(a, b KuCoinMovement) int { return b.Time.Compare(a.Time) })
		rows := []map[string]any{}
		for _, m := range sel {
			rows = append(rows, map[string]any{
				"id": m.ID, "currency": m.Currency, "chain": "eth", "status": "SUCCESS", "address": m.Address,
				"memo": "", "isInner": m.IsInner, "amount": m.Amount, "fee": "0.0001", "walletTxId": "0x" + m.ID,
				"createdAt": m.Time.UnixMilli(), "updatedAt": m.Time.UnixMilli(), "remark": "", "arrears": false,
			})
		}
		f.reply(w, http.StatusOK, "200000", "", kucoinPaged(rows, page, size))
	}
}
