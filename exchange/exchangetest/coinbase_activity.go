package exchangetest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// CoinbaseOrder is one Advanced Trade order (GET
// /api/v3/brokerage/orders/historical/batch).
type CoinbaseOrder struct {
	OrderID       string // "": a fresh id
	ClientOrderID string
	ProductID     string
	Side          string // BUY or SELL
	BaseSize      string
	// Placement is order_placement_source; "" is RETAIL_ADVANCED. The list
	// shows only RETAIL_ADVANCED unless asked for another.
	Placement string
	Time      time.Time
}

// CoinbaseTransaction is one Coinbase App v2 transaction of the account's
// one currency account (GET /v2/accounts/:id/transactions).
type CoinbaseTransaction struct {
	ID       string
	Type     string // send, receive, fiat_withdrawal, advanced_trade_fill…
	Amount   string // signed: negative leaves the account
	Currency string
	To       string // the destination address of a send
	Time     time.Time
}

type coinbaseHistory struct {
	orders records[CoinbaseOrder]
	txs    records[CoinbaseTransaction]
}

// coinbaseAccountID is the fake's one currency account.
const coinbaseAccountID = "8fcd97cd-50ca-5803-8c27-1146e54b1c09"

// AddOrder records an order and returns its id.
func (f *Coinbase) AddOrder(o CoinbaseOrder) string {
	return f.hist.orders.addNew(o, func(o *CoinbaseOrder) *string { return &o.OrderID }, func(n int) string {
		return "0000-000000-" + strconv.Itoa(100000+n)
	})
}

// AddTransaction records a v2 transaction.
func (f *Coinbase) AddTransaction(t CoinbaseTransaction) { f.hist.txs.add(t) }

// viewer verifies r's JWT and the key's view permission, answering 401 or
// 403 itself.
func (f *Coinbase) viewer(w http.ResponseWriter, r *http.Request) bool {
	k, err := f.verify(r)
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Fake-Reason", err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("Unauthorized\n"))
		return false
	}
	if !k.Permissions.CanView {
		f.reply(w, http.StatusForbidden, map[string]any{"error": "PERMISSION_DENIED", "code": 7, "message": "Missing required scopes", "details": []any{}})
		return false
	}
	return true
}

// listOrders serves the historical batch: order_placement_source
// (default RETAIL_ADVANCED), start_date (RFC 3339, inclusive), limit,
// cursor, newest first.
func (f *Coinbase) listOrders(w http.ResponseWriter, r *http.Request) {
	if !f.viewer(w, r) {
		return
	}
	q := r.URL.Query()
	src := q.Get("order_placement_source")
	if src == "" {
		src = "RETAIL_ADVANCED"
	}
	var start time.Time
	if s := q.Get("start_date"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			f.reply(w, http.StatusBadRequest, map[string]any{"error": "INVALID_ARGUMENT", "code": 3, "message": "invalid start_date", "details": []any{}})
			return
		}
		start = t
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 1000
	}
	from, _ := strconv.Atoi(q.Get("cursor"))
	sel := f.hist.orders.kept(func(o CoinbaseOrder) bool {
		return cmp.Or(o.Placement, "RETAIL_ADVANCED") == src && !o.Time.Before(start)
	})
	sel, next := cutPage(newestFirst(sel, func(o CoinbaseOrder) time.Time { return o.Time }), from, limit)
	orders := []map[string]any{}
	for _, o := range sel {
		orders = append(orders, map[string]any{
			"order_id": o.OrderID, "product_id": o.ProductID, "user_id": "2222-000000-000000",
			"order_configuration": map[string]any{"limit_limit_gtc": map[string]any{"base_size": o.BaseSize, "limit_price": "10000.00", "post_only": false}},
			"side":                o.Side, "client_order_id": o.ClientOrderID, "status": "FILLED",
			"created_time": o.Time.UTC().Format(time.RFC3339Nano), "completion_percentage": "100",
			"average_filled_price": "10000", "number_of_fills": "1", "pending_cancel": false, "size_in_quote": false,
			"total_fees": "0.50", "filled_size": o.BaseSize, "order_type": "LIMIT", "settled": true,
			"product_type": "SPOT", "order_placement_source": src, "is_liquidation": false,
			"retail_portfolio_id": "b87a2d3f-8a1e-49b3-a4ea-402d8c389aca",
		})
	}
	cursor := ""
	if next > 0 {
		cursor = strconv.Itoa(next)
	}
	f.reply(w, http.StatusOK, map[string]any{"orders": orders, "has_next": next > 0, "sequence": "0", "cursor": cursor,
		"proof_token_required": false})
}

// accounts serves GET /v2/accounts: the one currency account.
func (f *Coinbase) accounts(w http.ResponseWriter, r *http.Request) {
	if !f.viewer(w, r) {
		return
	}
	f.reply(w, http.StatusOK, map[string]any{
		"pagination": map[string]any{"ending_before": nil, "starting_after": nil, "next_starting_after": nil, "limit": 100, "order": "desc"},
		"data": []map[string]any{{"id": coinbaseAccountID, "name": "USDC Wallet", "primary": true, "type": "wallet",
			"currency": map[string]any{"code": "USDC"}, "balance": map[string]any{"amount": "100.00", "currency": "USDC"},
			"resource": "account", "resource_path": "/v2/accounts/" + coinbaseAccountID}},
	})
}

// transactions serves GET /v2/accounts/:id/transactions, newest first,
// 100 per page by starting_after.
func (f *Coinbase) transactions(w http.ResponseWriter, r *http.Request) {
	if !f.viewer(w, r) {
		return
	}
	if r.PathValue("id") != coinbaseAccountID {
		f.reply(w, http.StatusNotFound, map[string]any{"errors": []any{map[string]any{"id": "not_found", "message": "Not found"}}})
		return
	}
	sel := newestFirst(f.hist.txs.all(), func(t CoinbaseTransaction) time.Time { return t.Time })
	from := 0
	if after := r.URL.Query().Get("starting_after"); after != "" {
		from = slices.IndexFunc(sel, func(t CoinbaseTransaction) bool { return t.ID == after }) + 1
	}
	sel, nextAt := cutPage(sel, from, 100)
	data := []map[string]any{}
	for _, t := range sel {
		row := map[string]any{"id": t.ID, "type": t.Type, "status": "completed",
			"amount":     map[string]any{"amount": t.Amount, "currency": t.Currency},
			"created_at": t.Time.UTC().Format(time.RFC3339), "resource": "transaction",
			"resource_path": "/v2/accounts/" + coinbaseAccountID + "/transactions/" + t.ID}
		if t.To != "" {
			row["to"] = map[string]any{"resource": "address", "address": t.To}
		}
		data = append(data, row)
	}
	var next any
	if nextAt > 0 {
		next = data[len(data)-1]["id"]
	}
	f.reply(w, http.StatusOK, map[string]any{"pagination": map[string]any{"next_starting_after": next, "limit": 100, "order": "desc"}, "data": data})
}
