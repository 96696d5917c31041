package exchangetest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The KuCoin fake's high-frequency (HF, "Pro") trading account, the
// trade_hf account beside the classic one. Its orders are listed only per
// symbol: GET /api/v1/hf/orders/done (orders done in the last 3 × 24 hours,
// newest first, pages of at most 100 by lastId), GET /api/v1/hf/orders/active
// and GET /api/v1/hf/orders/active/symbols (which needs the Spot
// permission, not just General, per KuCoin's spec). GET /api/v1/accounts
// lists the HF balances with type=trade_hf. Sources: the endpoint pages
// under https://www.kucoin.com/docs/rest/spot-trading/spot-hf-trade-pro-account/
// and Kucoin/kucoin-universal-sdk spec/rest/api/openapi-spot-order.json.
// The classic GET /api/v1/orders does not list HF orders here: whether
// KuCoin's does is not documented, and keywarden reads both.

// kucoinHFRetention is how far back the HF done list reaches: "you can
// only get data within the time range of 3 * 24 hours"; a wider range is
// narrowed to it, not refused.
const kucoinHFRetention = 3 * 24 * time.Hour

// kucoinParamError is KuCoin's answer to a missing or malformed parameter:
// its error table's 400100 "Parameter Error" (the exact wording KuCoin
// sends for a missing symbol is not documented).
const kucoinParamError = "Parameter Error"

type kucoinHFOrder struct {
	KuCoinOrder
	seq int64 // the numeric id lastId pages by
}

// AddHFOrder records an order of the HF account (Active: still open) and
// returns its id.
func (f *KuCoin) AddHFOrder(o KuCoinOrder) string {
	n := f.hist.next.Add(1)
	if o.ID == "" {
		o.ID = "6717422bd51c2900077" + strconv.FormatInt(10000+n, 10)
	}
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	f.hist.hf = append(f.hist.hf, kucoinHFOrder{o, 19814995255000 + n})
	return o.ID
}

// SetHFBalance sets the HF account's balance of currency ("0" empties it).
func (f *KuCoin) SetHFBalance(currency, balance string) {
	f.hist.mu.Lock()
	defer f.hist.mu.Unlock()
	if f.hist.hfBalances == nil {
		f.hist.hfBalances = map[string]string{}
	}
	f.hist.hfBalances[currency] = balance
}

// hfRequest authenticates r and reads its required symbol, answering
// KuCoin's parameter error without it.
func (f *KuCoin) hfRequest(w http.ResponseWriter, r *http.Request) (string, bool) {
	if _, ok := f.verify(w, r); !ok {
		return "", false
	}
	s := r.URL.Query().Get("symbol")
	if s == "" {
		f.reply(w, http.StatusBadRequest, "400100", kucoinParamError, nil)
		return "", false
	}
	return s, true
}

// kucoinNum reads the parameter name of q as a positive whole number
// (milliseconds, a count or an id), def when it is absent.
func kucoinNum(q url.Values, name string, def int64) (int64, bool) {
	s := q.Get(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func (f *KuCoin) hfRow(o kucoinHFOrder) map[string]any {
	ch := o.Channel
	if ch == "" {
		ch = "API"
	}
	remain := "0"
	if o.Active {
		remain = o.Size
	}
	return map[string]any{
		"id": o.ID, "clientOid": o.ClientOid, "symbol": o.Symbol, "opType": "DEAL", "type": "limit", "side": o.Side,
		"price": "10", "size": o.Size, "funds": "0", "dealSize": "0", "dealFunds": "0", "remainSize": remain,
		"remainFunds": "0", "cancelledSize": "0", "cancelledFunds": "0", "fee": "0", "feeCurrency": "USDT", "stp": nil,
		"timeInForce": "GTC", "postOnly": false, "hidden": false, "iceberg": false, "visibleSize": "0", "cancelAfter": 0,
		"channel": ch, "remark": "", "tags": nil, "cancelExist": false, "tradeType": "TRADE", "inOrderBook": o.Active,
		"active": o.Active, "tax": "0", "createdAt": o.Time.UnixMilli(), "lastUpdatedAt": o.Time.UnixMilli(),
	}
}

// hfDone serves GET /api/v1/hf/orders/done: the symbol's done orders
// created in [startAt, endAt] and within the last 3 days, newest first,
// limit (1..100, default 20) at a time after the order lastId names.
func (f *KuCoin) hfDone(w http.ResponseWriter, r *http.Request) {
	sym, ok := f.hfRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	now := f.Now()
	floor := now.Add(-kucoinHFRetention)
	startMs, ok1 := kucoinNum(q, "startAt", floor.UnixMilli())
	endMs, ok2 := kucoinNum(q, "endAt", now.UnixMilli())
	limit, ok3 := kucoinNum(q, "limit", 20)
	lastID, ok4 := kucoinNum(q, "lastId", 0)
	if !ok1 || !ok2 || !ok3 || !ok4 || limit > 100 {
		f.reply(w, http.StatusBadRequest, "400100", kucoinParamError, nil)
		return
	}
	startMs = max(startMs, floor.UnixMilli())
	f.hist.mu.Lock()
	var sel []kucoinHFOrder
	for _, o := range f.hist.hf {
		// KuCoin's times are milliseconds, and so is the comparison.
		if t := o.Time.UnixMilli(); !o.Active && o.Symbol == sym && t >= startMs && t <= endMs {
			sel = append(sel, o)
		}
	}
	f.hist.mu.Unlock()
	slices.SortStableFunc(sel, func(a, b kucoinHFOrder) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return int(b.seq - a.seq)
	})
	if lastID > 0 {
		i := slices.IndexFunc(sel, func(o kucoinHFOrder) bool { return o.seq == lastID })
		sel = sel[i+1:] // an unknown lastId (i = -1) starts from the newest
	}
	sel = sel[:min(len(sel), int(limit))]
	rows := []map[string]any{}
	var last int64
	for _, o := range sel {
		rows = append(rows, f.hfRow(o))
		last = o.seq
	}
	f.reply(w, http.StatusOK, "200000", "", map[string]any{"lastId": last, "items": rows})
}

// hfActive serves GET /api/v1/hf/orders/active: every open order of the
// symbol, newest first, as a bare array.
func (f *KuCoin) hfActive(w http.ResponseWriter, r *http.Request) {
	sym, ok := f.hfRequest(w, r)
	if !ok {
		return
	}
	f.hist.mu.Lock()
	rows := []map[string]any{}
	for _, o := range slices.Backward(f.hist.hf) {
		if o.Active && o.Symbol == sym {
			rows = append(rows, f.hfRow(o))
		}
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, "200000", "", rows)
}

// hfActiveSymbols serves GET /api/v1/hf/orders/active/symbols, behind the
// Spot permission.
func (f *KuCoin) hfActiveSymbols(w http.ResponseWriter, r *http.Request) {
	k, ok := f.verify(w, r)
	if !ok {
		return
	}
	if !slices.ContainsFunc(strings.Split(k.Info.Permission, ","), func(p string) bool { return strings.TrimSpace(p) == "Spot" }) {
		// 400007 is "Access Denied" in KuCoin's error table; the wording
		// is the one ccxt's KuCoin error map matches ("require more
		// permission"), the HTTP status is not documented.
		f.reply(w, http.StatusForbidden, "400007", "Access denied, require more permission.", nil)
		return
	}
	f.hist.mu.Lock()
	syms := []string{}
	for _, o := range f.hist.hf {
		if o.Active && !slices.Contains(syms, o.Symbol) {
			syms = append(syms, o.Symbol)
		}
	}
	f.hist.mu.Unlock()
	f.reply(w, http.StatusOK, "200000", "", map[string]any{"symbols": syms})
}

// accounts serves GET /api/v1/accounts: with type=trade_hf the HF
// balances (optionally of one currency); the fake keeps no other account.
func (f *KuCoin) accounts(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	q := r.URL.Query()
	rows := []map[string]any{}
	if q.Get("type") == "trade_hf" {
		f.hist.mu.Lock()
		var curs []string
		for c := range f.hist.hfBalances {
			curs = append(curs, c)
		}
		slices.Sort(curs)
		for i, c := range curs {
			if cur := q.Get("currency"); cur != "" && cur != c {
				continue
			}
			b := f.hist.hfBalances[c]
			rows = append(rows, map[string]any{"id": strconv.Itoa(2560047104 + i), "currency": c, "type": "trade_hf",
				"balance": b, "available": b, "holds": "0"})
		}
		f.hist.mu.Unlock()
	}
	f.reply(w, http.StatusOK, "200000", "", rows)
}

// kucoinLedgerEntry is one HF ledger entry of an order's fill.
type kucoinLedgerEntry struct {
	id       int64
	currency string
	dir      string
	o        kucoinHFOrder
}

// hfLedger serves GET /api/v1/hf/accounts/ledgers: newest first (by
// createdAt, then id), ids below lastId, limit (1..200, default 100),
// bizType and currency (at most 10, comma-separated) filters.
func (f *KuCoin) hfLedger(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.verify(w, r); !ok {
		return
	}
	q := r.URL.Query()
	bad := func() { f.reply(w, http.StatusBadRequest, "400100", kucoinParamError, nil) }
	now := f.Now()
	startMs, ok1 := kucoinNum(q, "startAt", 0)
	endMs, ok2 := kucoinNum(q, "endAt", now.UnixMilli())
	limit, ok3 := kucoinNum(q, "limit", 100)
	lastID, ok4 := kucoinNum(q, "lastId", 0)
	curs := strings.Split(q.Get("currency"), ",")
	if !ok1 || !ok2 || !ok3 || !ok4 || limit > 200 || len(curs) > 10 {
		bad()
		return
	}
	startMs = max(startMs, now.Add(-kucoinHFRetention).UnixMilli())
	if biz := q.Get("bizType"); biz != "" && biz != "TRADE_EXCHANGE" {
		f.reply(w, http.StatusOK, "200000", "", []any{}) // the fake records trades only
		return
	}
	f.hist.mu.Lock()
	var sel []kucoinLedgerEntry
	for _, o := range f.hist.hf {
		t := o.Time.UnixMilli()
		if o.Active || o.Unfilled || t < startMs || t > endMs {
			continue
		}
		base, quote, _ := strings.Cut(o.Symbol, "-")
		in, out := base, quote
		if o.Side == "sell" {
			in, out = quote, base
		}
		// Ids rise with createdAt, so "below lastId" is the next page.
		id := t*100000 + (2*o.seq)%100000
		for _, e := range []kucoinLedgerEntry{{id, in, "in", o}, {id + 1, out, "out", o}} {
			if q.Get("currency") == "" || slices.Contains(curs, e.currency) {
				sel = append(sel, e)
			}
		}
	}
	f.hist.mu.Unlock()
	slices.SortFunc(sel, func(a, b kucoinLedgerEntry) int { return cmp.Compare(b.id, a.id) })
	if lastID > 0 {
		sel = slices.DeleteFunc(sel, func(e kucoinLedgerEntry) bool { return e.id >= lastID })
	}
	rows := []map[string]any{}
	for _, e := range sel[:min(len(sel), int(limit))] {
		ctx := `{"symbol":"` + e.o.Symbol + `","orderId":"` + e.o.ID + `","tradeId":"` + strconv.FormatInt(10046097631627265+e.o.seq, 10) + `"}`
		rows = append(rows, map[string]any{"id": strconv.FormatInt(e.id, 10), "currency": e.currency, "amount": e.o.Size,
			"fee": "0", "tax": "0", "balance": "0", "accountType": "TRADE_HF", "bizType": "TRADE_EXCHANGE", "direction": e.dir,
			"createdAt": strconv.FormatInt(e.o.Time.UnixMilli(), 10), "context": ctx})
	}
	f.reply(w, http.StatusOK, "200000", "", rows)
}
