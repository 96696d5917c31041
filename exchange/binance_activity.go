package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Binance account history: spot GET /api/v3/allOrders (one symbol per call,
// at most 24 h per call, 1000 rows), GET /sapi/v1/capital/withdraw/history
// and GET /sapi/v1/capital/deposit/hisrec (at most 90 days per call, offset
// paging by 1000). Facts: shared/reference/activity.md §1.

const (
	binanceOrdersSpan = 24 * time.Hour
	binancePage       = 1000
	// binanceFundsSpan is under the documented 90 days.
	binanceFundsSpan = 89 * 24 * time.Hour
)

// binanceSigned sends a signed GET of path with the parameters kv, signed
// exactly as KeyInfo signs.
func (b *binance) signedGet(ctx context.Context, op, path string, creds keystore.Item, offset time.Duration, kv ...string) (*Response, error) {
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return nil, &Error{Exchange: binanceName, Op: op, Cause: CauseKey,
			Message: "api key or secret is empty: store the key again (keywarden import or add)"}
	}
	ts := time.Now().Add(offset).UnixMilli()
	kv = append(kv, "recvWindow", strconv.FormatInt(binanceRecvWindow.Milliseconds(), 10),
		"timestamp", strconv.FormatInt(ts, 10))
	q := binanceQuery(kv...)
	q += "&signature=" + binanceSign(creds.APISecret.Reveal(), q)
	req, err := newRequest(binanceName, op, http.MethodGet, b.base+path+"?"+q, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-MBX-APIKEY", creds.APIKey.Reveal())
	return b.do(ctx, op, req, creds)
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// Orders implements ActivityClient: every spot order of q.Symbols created
// since q.Since (SpotOrders), then the USDⓈ-M futures orders
// (binance_futures_activity.go).
func (b *binance) Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	spot, err := b.SpotOrders(ctx, creds, offset, q)
	if err != nil {
		return nil, err
	}
	return b.withFutures(ctx, creds, offset, q, spot)
}

// SpotOrders implements BalanceClient: every spot order of q.Symbols
// created since q.Since, walking 24-hour windows and 1000-row pages. A
// symbol Binance does not list is skipped when q.Unlisted is set. That
// startTime selects by creation time (time), not updateTime, is how the
// adapter reads Binance's docs, which do not say (UNVERIFIED).
func (b *binance) SpotOrders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	const op = "order history"
	now := time.Now().Add(offset)
	var out []Order
symbols:
	for _, sym := range q.Symbols {
		seen := map[string]bool{}
		for from := q.Since; from.Before(now); from = from.Add(binanceOrdersSpan) {
			end := min(from.Add(binanceOrdersSpan-time.Millisecond).UnixMilli(), now.UnixMilli())
			start := from
			for {
				r, err := b.signedGet(ctx, op, "/api/v3/allOrders", creds, offset,
					"symbol", sym, "startTime", ms(start), "endTime", strconv.FormatInt(end, 10), "limit", strconv.Itoa(binancePage))
				if binanceUnlisted(err) && q.Unlisted != nil {
					*q.Unlisted = append(*q.Unlisted, sym)
					continue symbols
				}
				if err != nil {
					return nil, err
				}
				var rows []binanceOrderRow
				if err := json.Unmarshal(r.Body, &rows); err != nil {
					return nil, MalformedError(binanceName, op, r, err)
				}
				for _, row := range rows {
					o, err := row.order()
					if err != nil {
						return nil, MalformedError(binanceName, op, r, err)
					}
					if seen[o.ID] {
						continue
					}
					seen[o.ID] = true
					out = append(out, o)
				}
				if len(rows) < binancePage {
					break
				}
				// A full page: the next starts at the last row's time (rows
				// of that millisecond come again and are skipped by id).
				last := time.UnixMilli(rows[len(rows)-1].Time)
				if !last.After(start) {
					return nil, MalformedError(binanceName, op, r, errors.New("a full page of orders in one millisecond"))
				}
				start = last
			}
		}
	}
	return out, nil
}

// binanceOrderRow is one order of allOrders and openOrders.
type binanceOrderRow struct {
	Symbol        string `json:"symbol"`
	OrderID       *int64 `json:"orderId"`
	ClientOrderID string `json:"clientOrderId"`
	Side          string `json:"side"`
	OrigQty       string `json:"origQty"`
	ExecutedQty   string `json:"executedQty"`
	Status        string `json:"status"`
	Time          int64  `json:"time"`
	UpdateTime    int64  `json:"updateTime"`
}

func (o binanceOrderRow) order() (Order, error) {
	if o.OrderID == nil || o.Symbol == "" {
		return Order{}, errors.New("an order without orderId or symbol")
	}
	out := Order{ID: strconv.FormatInt(*o.OrderID, 10), ClientID: o.ClientOrderID, Symbol: o.Symbol, Side: o.Side,
		Size: o.OrigQty, Time: time.UnixMilli(o.Time).UTC(), Status: o.Status, Filled: o.ExecutedQty}
	if o.UpdateTime > 0 {
		out.Updated = time.UnixMilli(o.UpdateTime).UTC()
	}
	return out, nil
}

// binanceUnlisted reports whether err is Binance's answer for a symbol it
// does not list (-1121 "Invalid symbol.", HTTP 400).
func binanceUnlisted(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "-1121"
}

// Balances implements BalanceClient: GET /api/v3/account (weight 20) with
// omitZeroBalances=true, the spot wallet's free and locked amounts. An
// answer without a balances list, or a balance keywarden cannot read as a
// decimal, is an error: a reconciliation must not compare a guess.
func (b *binance) Balances(ctx context.Context, creds keystore.Item, offset time.Duration) ([]Balance, error) {
	const op = "account balances"
	r, err := b.signedGet(ctx, op, "/api/v3/account", creds, offset, "omitZeroBalances", "true")
	if err != nil {
		return nil, err
	}
	var body struct {
		Balances *[]Balance `json:"balances"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return nil, MalformedError(binanceName, op, r, err)
	}
	if body.Balances == nil {
		return nil, MalformedError(binanceName, op, r, errors.New("no balances in the answer"))
	}
	var out []Balance
	for _, bal := range *body.Balances {
		if bal.Asset == "" || !binanceAmount(bal.Free) || !binanceAmount(bal.Locked) {
			return nil, MalformedError(binanceName, op, r, errors.New("a balance without asset or with an amount that is not a decimal"))
		}
		if binanceZero(bal.Free) && binanceZero(bal.Locked) {
			continue
		}
		out = append(out, bal)
	}
	slices.SortFunc(out, func(x, y Balance) int { return strings.Compare(x.Asset, y.Asset) })
	return out, nil
}

// OpenOrders implements BalanceClient: GET /api/v3/openOrders without a
// symbol (weight 80), the open orders of every symbol.
func (b *binance) OpenOrders(ctx context.Context, creds keystore.Item, offset time.Duration) ([]Order, error) {
	const op = "open orders"
	r, err := b.signedGet(ctx, op, "/api/v3/openOrders", creds, offset)
	if err != nil {
		return nil, err
	}
	var rows []binanceOrderRow
	if err := json.Unmarshal(r.Body, &rows); err != nil {
		return nil, MalformedError(binanceName, op, r, err)
	}
	out := make([]Order, 0, len(rows))
	for _, row := range rows {
		o, err := row.order()
		if err != nil {
			return nil, MalformedError(binanceName, op, r, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// binanceAmount reports whether s is a non-negative decimal as Binance writes
// amounts ("0.00100000").
func binanceAmount(s string) bool {
	_, ok := new(big.Rat).SetString(s)
	return ok && s != "" && !strings.ContainsAny(s, "-+eE/")
}

func binanceZero(s string) bool {
	r, ok := new(big.Rat).SetString(s)
	return ok && r.Sign() == 0
}

// binanceApplyTime is withdraw history's applyTime layout (UTC).
const binanceApplyTime = "2006-01-02 15:04:05"

// Movements implements ActivityClient: withdrawals (transferType 1, to
// another Binance user, is a Transfer) and deposits since since.
func (b *binance) Movements(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time) ([]Movement, error) {
	now := time.Now().Add(offset)
	var out []Movement
	for from := since; from.Before(now); from = from.Add(binanceFundsSpan) {
		end := from.Add(binanceFundsSpan)
		if end.After(now) {
			end = now
		}
		w, err := b.withdrawals(ctx, creds, offset, from, end)
		if err != nil {
			return nil, err
		}
		d, err := b.deposits(ctx, creds, offset, from, end)
		if err != nil {
			return nil, err
		}
		out = append(append(out, w...), d...)
	}
	return out, nil
}

func (b *binance) withdrawals(ctx context.Context, creds keystore.Item, offset time.Duration, from, to time.Time) ([]Movement, error) {
	const op = "withdraw history"
	var out []Movement
	for page := 0; ; page++ {
		r, err := b.signedGet(ctx, op, "/sapi/v1/capital/withdraw/history", creds, offset,
			"startTime", ms(from), "endTime", ms(to), "offset", strconv.Itoa(page*binancePage), "limit", strconv.Itoa(binancePage))
		if err != nil {
			return nil, err
		}
		var rows []struct {
			ID           string `json:"id"`
			Amount       string `json:"amount"`
			Coin         string `json:"coin"`
			Address      string `json:"address"`
			ApplyTime    string `json:"applyTime"`
			TransferType int    `json:"transferType"`
		}
		if err := json.Unmarshal(r.Body, &rows); err != nil {
			return nil, MalformedError(binanceName, op, r, err)
		}
		for _, w := range rows {
			t, err := time.Parse(binanceApplyTime, w.ApplyTime)
			if err != nil || w.ID == "" {
				return nil, MalformedError(binanceName, op, r, errors.New("a withdrawal without id or applyTime"))
			}
			kind := Withdrawal
			if w.TransferType == 1 {
				kind = Transfer
			}
			out = append(out, Movement{Kind: kind, ID: w.ID, Asset: w.Coin, Amount: w.Amount, To: w.Address, Time: t.UTC()})
		}
		if len(rows) < binancePage {
			return out, nil
		}
	}
}

func (b *binance) deposits(ctx context.Context, creds keystore.Item, offset time.Duration, from, to time.Time) ([]Movement, error) {
	const op = "deposit history"
	var out []Movement
	for page := 0; ; page++ {
		r, err := b.signedGet(ctx, op, "/sapi/v1/capital/deposit/hisrec", creds, offset,
			"startTime", ms(from), "endTime", ms(to), "offset", strconv.Itoa(page*binancePage), "limit", strconv.Itoa(binancePage))
		if err != nil {
			return nil, err
		}
		var rows []struct {
			ID         json.RawMessage `json:"id"`
			Amount     string          `json:"amount"`
			Coin       string          `json:"coin"`
			Address    string          `json:"address"`
			TxID       string          `json:"txId"`
			InsertTime int64           `json:"insertTime"`
		}
		if err := json.Unmarshal(r.Body, &rows); err != nil {
			return nil, MalformedError(binanceName, op, r, err)
		}
		for _, d := range rows {
			// Older answers carry no id; the transaction id names the deposit then.
			id := strings.Trim(string(d.ID), `"`)
			if id == "" || id == "null" {
				id = d.TxID
			}
			out = append(out, Movement{Kind: Deposit, ID: id, Asset: d.Coin, Amount: d.Amount, To: d.Address,
				Time: time.UnixMilli(d.InsertTime).UTC()})
		}
		if len(rows) < binancePage {
			return out, nil
		}
	}
}
