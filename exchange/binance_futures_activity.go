package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Binance USDⓈ-M futures order history, on fapi.binance.com: its own host
// with its own IP limit (2400 weight a minute,
// https://www.binance.com/en/support/faq/rate-limits-on-binance-futures-281596e222414cdd9051664ea621cdc3).
// GET /fapi/v1/allOrders needs a symbol (weight 5, fewer than 7 days a
// call, 1000 rows), so the symbols asked about are the audit log's plus
// every symbol with a position (GET /fapi/v2/positionRisk, weight 5), an
// open order (GET /fapi/v1/openOrders without symbol, weight 40) or an
// income record since the poll's start (GET /fapi/v1/income without
// symbol, weight 30: every fill's commission and every closing fill's
// realized PnL name their symbol, so a trade opened and closed between two
// polls is found too).
// https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/All-Orders

const (
	binanceFuturesURL  = "https://fapi.binance.com"
	binanceSpotTestnet = "https://testnet.binance.vision"
	// binanceFuturesSpan is under allOrders' "less than 7 days".
	binanceFuturesSpan = 7*24*time.Hour - time.Minute
	// binanceFuturesMarket starts a futures order's Symbol: futures and spot
	// number their orders apart, and the orders check tells orders apart by
	// symbol and id.
	binanceFuturesMarket = "futures "
)

// binanceForceClientIDs are the client ids Binance gives the orders it
// makes itself: liquidations "autoclose-…", auto-deleveraging
// "adl_autoclose" (GET /fapi/v1/forceOrders' documented sample,
// https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Users-Force-Orders).
// That allOrders reports them with the same ids is UNVERIFIED, and anyone
// may choose such a client id: an order is the exchange's only when
// forceOrders lists it too.
func binanceForceClientID(id string) bool {
	return strings.HasPrefix(id, "autoclose-") || id == "adl_autoclose"
}

// futures returns a client for the USDⓈ-M API that goes with b's base URL,
// or nil and why there is none. Production spot is api.binance.com and
// futures fapi.binance.com; the spot testnet has no futures (the futures
// testnet is another host with its own keys); any other base (a fake, a
// proxy) serves both.
func (b *binance) futures() (*binance, string) {
	switch b.base {
	case binanceInfo.DefaultURL:
		return &binance{base: binanceFuturesURL, hc: b.hc}, ""
	case binanceSpotTestnet:
		return nil, "USD-M futures orders are not read: the spot testnet has no futures (the futures testnet has its own keys)"
	}
	return &binance{base: b.base, hc: b.hc}, ""
}

// withFutures appends the USDⓈ-M futures orders to the spot orders of a
// poll, or tells q.Unread why they were not read.
func (b *binance) withFutures(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery, spot []Order) ([]Order, error) {
	fut, unread, err := b.futuresOrders(ctx, creds, offset, q)
	if err != nil {
		return nil, err
	}
	if unread != "" && q.Unread != nil {
		q.Unread(unread)
	}
	return append(spot, fut...), nil
}

// futuresOrders returns the USDⓈ-M orders created since q.Since on every
// symbol worth asking about, or none and why they were not read.
func (b *binance) futuresOrders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, string, error) {
	f, why := b.futures()
	if f == nil {
		return nil, why, nil
	}
	// A key that cannot trade futures cannot be used to place futures
	// orders: nothing to read. Unknown is read.
	var ki KeyInfo
	var err error
	if q.KeyInfo != nil {
		ki, err = q.KeyInfo(ctx)
	} else {
		ki, err = b.KeyInfo(ctx, creds, offset)
	}
	if err != nil && CauseOf(err) == CauseRateLimit {
		return nil, "", err
	}
	if err == nil && ki.Permissions.Futures == No {
		return nil, "USD-M futures orders are not read: the key cannot trade futures (apiRestrictions enableFutures is off), so nobody can place them with it", nil
	}
	syms, err := f.futuresSymbols(ctx, creds, offset, q.Symbols, q.Since)
	if err != nil {
		return nil, "", err
	}
	now := time.Now().Add(offset)
	var out []Order
	for _, sym := range syms {
		seen := map[int64]bool{}
		var rows []Order
		for from := q.Since; from.Before(now); from = from.Add(binanceFuturesSpan) {
			end := min(from.Add(binanceFuturesSpan-time.Millisecond).UnixMilli(), now.UnixMilli())
			more, err := f.futuresWindow(ctx, creds, offset, sym, from.UnixMilli(), end, seen)
			// A symbol with no USDⓈ-M contract (a spot-only market the log
			// names) can have no futures order.
			if binanceUnlisted(err) {
				break
			}
			if err != nil {
				return nil, "", err
			}
			rows = append(rows, more...)
		}
		if rows, err = f.confirmForced(ctx, creds, offset, sym, rows); err != nil {
			return nil, "", err
		}
		out = append(out, rows...)
	}
	return out, "", nil
}

// futuresSymbols is logged plus the symbols with a position, an open
// order or income since since, sorted, each once.
func (b *binance) futuresSymbols(ctx context.Context, creds keystore.Item, offset time.Duration, logged []string, since time.Time) ([]string, error) {
	set := map[string]bool{}
	for _, s := range logged {
		set[s] = true
	}
	const op = "futures positions"
	r, err := b.signedGet(ctx, op, "/fapi/v2/positionRisk", creds, offset)
	if err != nil {
		return nil, err
	}
	var pos []struct {
		Symbol      string `json:"symbol"`
		PositionAmt string `json:"positionAmt"`
	}
	if err := json.Unmarshal(r.Body, &pos); err != nil {
		return nil, MalformedError(binanceName, op, r, err)
	}
	for _, p := range pos {
		// "0.000" and "-0.000" are no position.
		if strings.Trim(p.PositionAmt, "-0.") != "" && p.Symbol != "" {
			set[p.Symbol] = true
		}
	}
	const opOpen = "futures open orders"
	r, err = b.signedGet(ctx, opOpen, "/fapi/v1/openOrders", creds, offset)
	if err != nil {
		return nil, err
	}
	var open []struct {
		Symbol string `json:"symbol"`
	}
	if err := json.Unmarshal(r.Body, &open); err != nil {
		return nil, MalformedError(binanceName, opOpen, r, err)
	}
	for _, o := range open {
		if o.Symbol != "" {
			set[o.Symbol] = true
		}
	}
	if err := b.incomeSymbols(ctx, creds, offset, since, set); err != nil {
		return nil, err
	}
	syms := make([]string, 0, len(set))
	for s := range set {
		syms = append(syms, s)
	}
	slices.Sort(syms)
	return syms, nil
}

// incomeSymbols adds to set the symbol of every income record (commission,
// realized PnL, funding fee) since since. Records come oldest first, up to
// limit from startTime; a full page continues from its last record's time.
func (b *binance) incomeSymbols(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time, set map[string]bool) error {
	const op = "futures income history"
	start := since.UnixMilli()
	end := time.Now().Add(offset).UnixMilli()
	for {
		r, err := b.signedGet(ctx, op, "/fapi/v1/income", creds, offset,
			"startTime", strconv.FormatInt(start, 10), "endTime", strconv.FormatInt(end, 10), "limit", strconv.Itoa(binancePage))
		if err != nil {
			return err
		}
		var rows []struct {
			Symbol string `json:"symbol"`
			Time   int64  `json:"time"`
		}
		if err := json.Unmarshal(r.Body, &rows); err != nil {
			return MalformedError(binanceName, op, r, err)
		}
		for _, x := range rows {
			if x.Symbol != "" {
				set[x.Symbol] = true
			}
		}
		if len(rows) < binancePage {
			return nil
		}
		last := rows[len(rows)-1].Time
		if last <= start {
			return MalformedError(binanceName, op, r, errors.New("a full page of income records in one millisecond"))
		}
		start = last
	}
}

// binanceFuturesOrder is one row of allOrders (and of forceOrders).
type binanceFuturesOrder struct {
	Symbol        string `json:"symbol"`
	OrderID       *int64 `json:"orderId"`
	ClientOrderID string `json:"clientOrderId"`
	Side          string `json:"side"`
	OrigQty       string `json:"origQty"`
	Time          int64  `json:"time"`
}

// futuresWindow returns the orders of sym created from from to to (ms,
// both included) not in seen. Without orderId, allOrders answers the most
// recent rows of the window, so a full page is split in two halves until
// every part fits in one.
func (b *binance) futuresWindow(ctx context.Context, creds keystore.Item, offset time.Duration, sym string, from, to int64, seen map[int64]bool) ([]Order, error) {
	const op = "futures order history"
	r, err := b.signedGet(ctx, op, "/fapi/v1/allOrders", creds, offset,
		"symbol", sym, "startTime", strconv.FormatInt(from, 10), "endTime", strconv.FormatInt(to, 10), "limit", strconv.Itoa(binancePage))
	if err != nil {
		return nil, err
	}
	var rows []binanceFuturesOrder
	if err := json.Unmarshal(r.Body, &rows); err != nil {
		return nil, MalformedError(binanceName, op, r, err)
	}
	if len(rows) >= binancePage {
		if from >= to {
			return nil, MalformedError(binanceName, op, r, errors.New("a full page of futures orders in one millisecond"))
		}
		mid := from + (to-from)/2
		early, err := b.futuresWindow(ctx, creds, offset, sym, from, mid, seen)
		if err != nil {
			return nil, err
		}
		late, err := b.futuresWindow(ctx, creds, offset, sym, mid+1, to, seen)
		return append(early, late...), err
	}
	var out []Order
	for _, o := range rows {
		if o.OrderID == nil {
			return nil, MalformedError(binanceName, op, r, errors.New("a futures order without orderId"))
		}
		if seen[*o.OrderID] {
			continue
		}
		seen[*o.OrderID] = true
		// Status and Filled stay empty: they feed the spot balance
		// reconciliation, and a futures fill moves the futures wallet.
		out = append(out, Order{ID: strconv.FormatInt(*o.OrderID, 10), ClientID: o.ClientOrderID,
			Symbol: binanceFuturesMarket + o.Symbol, Side: o.Side, Size: o.OrigQty, Time: time.UnixMilli(o.Time).UTC()})
	}
	return out, nil
}

// binanceForceLookaround is how far around an order's time forceOrders is
// asked for it.
const binanceForceLookaround = time.Minute

// confirmForced marks the orders of sym whose client id is a liquidation's
// or an ADL's as the exchange's own when GET /fapi/v1/forceOrders (weight
// 20 with symbol) lists their id; it is asked only when such an id appears.
func (b *binance) confirmForced(ctx context.Context, creds keystore.Item, offset time.Duration, sym string, orders []Order) ([]Order, error) {
	const op = "futures force orders"
	for i, o := range orders {
		if !binanceForceClientID(o.ClientID) {
			continue
		}
		r, err := b.signedGet(ctx, op, "/fapi/v1/forceOrders", creds, offset, "symbol", sym,
			"startTime", ms(o.Time.Add(-binanceForceLookaround)), "endTime", ms(o.Time.Add(binanceForceLookaround)), "limit", "100")
		if err != nil {
			return nil, err
		}
		var forced []binanceFuturesOrder
		if err := json.Unmarshal(r.Body, &forced); err != nil {
			return nil, MalformedError(binanceName, op, r, err)
		}
		if slices.ContainsFunc(forced, func(x binanceFuturesOrder) bool {
			return x.OrderID != nil && strconv.FormatInt(*x.OrderID, 10) == o.ID
		}) {
			orders[i].System = true
			orders[i].Origin = "liquidation"
			if o.ClientID == "adl_autoclose" {
				orders[i].Origin = "auto-deleveraging"
			}
		}
	}
	return orders, nil
}
