package exchangetest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// KrakenOrder is one order in the fake's history: closed (ClosedOrders)
// or, with Open set, still open (OpenOrders).
type KrakenOrder struct {
	TxID    string // "": a fresh O…-…-… id
	UserRef int64
	ClOrdID string
	Pair    string
	Type    string // buy or sell
	Vol     string
	Open    bool
	Time    time.Time // opentm
}

// KrakenMovement is one withdrawal (WithdrawStatus) or, with Deposit set,
// deposit (DepositStatus).
type KrakenMovement struct {
	RefID   string
	Asset   string
	Amount  string
	Info    string // the address
	Deposit bool
	Time    time.Time
}

type krakenHistory struct {
	orders records[KrakenOrder]
	moves  records[KrakenMovement]
}

// AddOrder records an order and returns its txid.
func (f *Kraken) AddOrder(o KrakenOrder) string {
	return f.hist.orders.addNew(o, func(o *KrakenOrder) *string { return &o.TxID }, func(n int) string {
		return "O" + strconv.Itoa(100000+n) + "-RJWRT-IMO74O"
	})
}

// AddMovement records a withdrawal or deposit.
func (f *Kraken) AddMovement(m KrakenMovement) { f.hist.moves.add(m) }

// authorized verifies r and that the key holds perm, replying itself when
// not; it returns the request's form.
func (f *Kraken) authorized(w http.ResponseWriter, r *http.Request, perm string) (url.Values, bool) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	info, errCode := f.verify(r)
	if errCode == "" && !slices.Contains(info.Permissions, perm) {
		errCode = "EGeneral:Permission denied"
	}
	if errCode != "" {
		f.reply(w, []string{errCode}, map[string]any{})
		return nil, false
	}
	form, _ := url.ParseQuery(string(body))
	return form, true
}

func krakenOrderJSON(o KrakenOrder) map[string]any {
	status, closetm := "closed", float64(o.Time.Add(time.Minute).UnixMilli())/1000
	if o.Open {
		status, closetm = "open", 0
	}
	row := map[string]any{
		"refid": nil, "userref": o.UserRef, "status": status, "reason": nil,
		"opentm": float64(o.Time.UnixMilli()) / 1000, "starttm": 0, "expiretm": 0,
		"descr": map[string]any{"pair": o.Pair, "type": o.Type, "ordertype": "limit", "price": "23667.0",
			"price2": "0", "leverage": "none", "order": o.Type + " " + o.Vol + " " + o.Pair + " @ limit 23667.0", "close": ""},
		"vol": o.Vol, "vol_exec": o.Vol, "cost": "0.00000", "fee": "0.00000", "price": "23667.0",
		"stopprice": "0.00000", "limitprice": "0.00000", "misc": "", "oflags": "fciq",
	}
	if !o.Open {
		row["closetm"] = closetm
	}
	if o.ClOrdID != "" {
		row["cl_ord_id"] = o.ClOrdID
	}
	return row
}

// closedOrders serves POST /0/private/ClosedOrders: 50 per call, the most
// recent first, start (exclusive, unix seconds) on the open time when
// closetime=open, ofs.
func (f *Kraken) closedOrders(w http.ResponseWriter, r *http.Request) {
	form, ok := f.authorized(w, r, "query-closed-trades")
	if !ok {
		return
	}
	start, _ := strconv.ParseFloat(form.Get("start"), 64)
	ofs, _ := strconv.Atoi(form.Get("ofs"))
	sel := newestFirst(f.hist.orders.kept(func(o KrakenOrder) bool {
		return !o.Open && float64(o.Time.UnixMilli())/1000 > start
	}), func(o KrakenOrder) time.Time { return o.Time })
	cut, _ := cutPage(sel, ofs, 50)
	closed := map[string]any{}
	for _, o := range cut {
		closed[o.TxID] = krakenOrderJSON(o)
	}
	f.reply(w, []string{}, map[string]any{"closed": closed, "count": len(sel)})
}

// openOrders serves POST /0/private/OpenOrders: every open order.
func (f *Kraken) openOrders(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.authorized(w, r, "query-open-trades"); !ok {
		return
	}
	open := map[string]any{}
	for _, o := range f.hist.orders.kept(func(o KrakenOrder) bool { return o.Open }) {
		open[o.TxID] = krakenOrderJSON(o)
	}
	f.reply(w, []string{}, map[string]any{"open": open})
}

// status serves WithdrawStatus (deposit false) and DepositStatus: the
// entries after start (unix seconds), in the array shape of the examples.
func (f *Kraken) status(deposit bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		form, ok := f.authorized(w, r, "query-funds")
		if !ok {
			return
		}
		start, _ := strconv.ParseInt(form.Get("start"), 10, 64)
		rows := []map[string]any{}
		for _, m := range f.hist.moves.kept(func(m KrakenMovement) bool { return m.Deposit == deposit && m.Time.Unix() > start }) {
			rows = append(rows, map[string]any{"method": "Tether USD (ERC20)", "aclass": "currency", "asset": m.Asset,
				"refid": m.RefID, "txid": "92c908ea" + m.RefID, "info": m.Info, "amount": m.Amount, "fee": "0.00000000",
				"time": m.Time.Unix(), "status": "Success"})
		}
		f.reply(w, []string{}, rows)
	}
}
