package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Bybit v5 account history: GET /v5/order/history (one category per call,
// at most 7 days per call, 50 rows per page, cursor paging),
// GET /v5/asset/withdraw/query-record (withdrawType=2: on- and off-chain;
// under 30 days per call) and GET /v5/asset/deposit/query-record (under
// 30 days). Facts: shared/reference/activity.md §2.

const (
	bybitOrdersSpan = 7 * 24 * time.Hour
	bybitFundsSpan  = 29 * 24 * time.Hour
	bybitOrdersPage = 50
	bybitFundsPage  = 50
)

// bybitCategories are order history's required categories.
var bybitCategories = []string{"spot", "linear", "inverse", "option"}

// bybitSystemOrigins are the createType values of orders Bybit makes
// itself: liquidation, takeover, auto-deleveraging, settlement, closing by
// the exchange, and the fills of a take-profit, stop-loss or trailing stop
// the account set beforehand. Bybit's own bots and web/app buttons
// (CreateByFGridBot, CreateByClosing, CreateByTVSignal…) are not in the
// list: such an order is someone's choice and must be logged or
// acknowledged.
var bybitSystemOrigins = map[string]bool{
	"CreateByLiq": true, "CreateByTakeOver_PassThrough": true, "CreateByAdl_PassThrough": true,
	"CreateBySettle": true, "CreateByAdminClosing": true,
	"CreateByStopOrder": true, "CreateByTakeProfit": true, "CreateByPartialTakeProfit": true,
	"CreateByStopLoss": true, "CreateByPartialStopLoss": true, "CreateByTrailingStop": true,
	"CreateByTrailingProfit": true,
}

// signedGet sends a signed GET of path with query q, signed exactly as
// KeyInfo signs (timestamp + key + recv window + query string).
func (b *bybit) signedGet(ctx context.Context, op, path string, creds keystore.Item, offset time.Duration, q url.Values) (*Response, json.RawMessage, error) {
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return nil, nil, &Error{Exchange: bybitName, Op: op, Cause: CauseKey,
			Message: "api key or secret is empty: store the key again (keywarden import or add)"}
	}
	qs := q.Encode()
	ts := strconv.FormatInt(time.Now().Add(offset).UnixMilli(), 10)
	rw := strconv.FormatInt(bybitRecvWindow.Milliseconds(), 10)
	req, err := newRequest(bybitName, op, http.MethodGet, b.base+path+"?"+qs, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("X-BAPI-API-KEY", creds.APIKey.Reveal())
	req.Header.Set("X-BAPI-TIMESTAMP", ts)
	req.Header.Set("X-BAPI-RECV-WINDOW", rw)
	req.Header.Set("X-BAPI-SIGN-TYPE", "2")
	req.Header.Set("X-BAPI-SIGN", bybitSign(creds.APISecret.Reveal(), bybitPrehash(ts, creds.APIKey.Reveal(), rw, qs)))
	return b.do(ctx, op, req, creds)
}

// bybitWalk calls page for each window of span from since to now, and in
// each for every cursor page; page returns the next cursor ("" at the end).
func bybitWalk(since, now time.Time, span time.Duration, page func(from, to time.Time, cursor string) (string, error)) error {
	for from := since; from.Before(now); from = from.Add(span) {
		to := from.Add(span - time.Millisecond)
		if to.After(now) {
			to = now
		}
		cursor := ""
		for {
			next, err := page(from, to, cursor)
			if err != nil {
				return err
			}
			if next == "" || next == cursor {
				break
			}
			cursor = next
		}
	}
	return nil
}

// bybitRows walks path with query v (bybitWalk: each window of span from
// since to now, each cursor page) and hands every row to add. Order
// history lists its rows under "list", the funds histories under "rows".
func bybitRows[Row any](ctx context.Context, b *bybit, op, path string, creds keystore.Item, offset time.Duration, since, now time.Time, span time.Duration, v url.Values, add func(r *Response, row Row) error) error {
	return bybitWalk(since, now, span, func(from, to time.Time, cursor string) (string, error) {
		q := maps.Clone(v)
		q.Set("startTime", ms(from))
		q.Set("endTime", ms(to))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r, result, err := b.signedGet(ctx, op, path, creds, offset, q)
		if err != nil {
			return "", err
		}
		var page struct {
			List           []Row  `json:"list"`
			Rows           []Row  `json:"rows"`
			NextPageCursor string `json:"nextPageCursor"`
		}
		if err := json.Unmarshal(result, &page); err != nil {
			return "", MalformedError(bybitName, op, r, err)
		}
		rows := append(page.List, page.Rows...)
		for _, row := range rows {
			if err := add(r, row); err != nil {
				return "", err
			}
		}
		if len(rows) == 0 {
			return "", nil
		}
		return page.NextPageCursor, nil
	})
}

// Orders implements ActivityClient: every order of every category since
// q.Since (q.Symbols is not needed: Bybit lists a category at once).
func (b *bybit) Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	const op = "order history"
	now := time.Now().Add(offset)
	var out []Order
	type row struct {
		OrderID     string `json:"orderId"`
		OrderLinkID string `json:"orderLinkId"`
		Symbol      string `json:"symbol"`
		Side        string `json:"side"`
		Qty         string `json:"qty"`
		CreateType  string `json:"createType"`
		CreatedTime string `json:"createdTime"`
	}
	for _, cat := range bybitCategories {
		seen := map[string]bool{}
		v := url.Values{"category": {cat}, "limit": {strconv.Itoa(bybitOrdersPage)}}
		err := bybitRows(ctx, b, op, "/v5/order/history", creds, offset, q.Since, now, bybitOrdersSpan, v, func(r *Response, o row) error {
			t, err := bybitMillis(o.CreatedTime)
			if err != nil || o.OrderID == "" {
				return MalformedError(bybitName, op, r, errors.New("an order without orderId or createdTime"))
			}
			if !seen[o.OrderID] {
				seen[o.OrderID] = true
				out = append(out, Order{ID: o.OrderID, ClientID: o.OrderLinkID, Symbol: o.Symbol, Side: o.Side,
					Size: o.Qty, Time: t, Origin: o.CreateType, System: bybitSystemOrigins[o.CreateType]})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bybitMillis reads a millisecond timestamp string.
func bybitMillis(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, errors.New("not a millisecond time")
	}
	return time.UnixMilli(n).UTC(), nil
}

// Movements implements ActivityClient: withdrawals (withdrawType 1, to
// another Bybit account, is a Transfer) and deposits since since.
func (b *bybit) Movements(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time) ([]Movement, error) {
	const withdrawOp, depositOp = "withdraw history", "deposit history"
	now := time.Now().Add(offset)
	var out []Movement
	type withdrawal struct {
		WithdrawID   string `json:"withdrawId"`
		Coin         string `json:"coin"`
		Amount       string `json:"amount"`
		ToAddress    string `json:"toAddress"`
		CreateTime   string `json:"createTime"`
		WithdrawType int    `json:"withdrawType"`
	}
	v := url.Values{"withdrawType": {"2"}, "limit": {strconv.Itoa(bybitFundsPage)}}
	err := bybitRows(ctx, b, withdrawOp, "/v5/asset/withdraw/query-record", creds, offset, since, now, bybitFundsSpan, v, func(r *Response, w withdrawal) error {
		t, err := bybitMillis(w.CreateTime)
		if err != nil || w.WithdrawID == "" {
			return MalformedError(bybitName, withdrawOp, r, errors.New("a withdrawal without withdrawId or createTime"))
		}
		kind := Withdrawal
		if w.WithdrawType == 1 {
			kind = Transfer
		}
		out = append(out, Movement{Kind: kind, ID: w.WithdrawID, Asset: w.Coin, Amount: w.Amount, To: w.ToAddress, Time: t})
		return nil
	})
	if err != nil {
		return nil, err
	}
	type deposit struct {
		ID        string `json:"id"`
		TxID      string `json:"txID"`
		Coin      string `json:"coin"`
		Amount    string `json:"amount"`
		ToAddress string `json:"toAddress"`
		SuccessAt string `json:"successAt"`
	}
	v = url.Values{"limit": {strconv.Itoa(bybitFundsPage)}}
	err = bybitRows(ctx, b, depositOp, "/v5/asset/deposit/query-record", creds, offset, since, now, bybitFundsSpan, v, func(r *Response, d deposit) error {
		t, err := bybitMillis(d.SuccessAt)
		if err != nil {
			return MalformedError(bybitName, depositOp, r, errors.New("a deposit without successAt"))
		}
		id := d.ID
		if id == "" {
			id = d.TxID
		}
		out = append(out, Movement{Kind: Deposit, ID: id, Asset: d.Coin, Amount: d.Amount, To: d.ToAddress, Time: t})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
