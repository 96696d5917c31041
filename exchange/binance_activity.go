package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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
// since q.Since, walking 24-hour windows and 1000-row pages.
func (b *binance) Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	const op = "order history"
	now := time.Now().Add(offset)
	var out []Order
	for _, sym := range q.Symbols {
		seen := map[int64]bool{}
		for from := q.Since; from.Before(now); from = from.Add(binanceOrdersSpan) {
			end := min(from.Add(binanceOrdersSpan-time.Millisecond).UnixMilli(), now.UnixMilli())
			start := from
			for {
				r, err := b.signedGet(ctx, op, "/api/v3/allOrders", creds, offset,
					"symbol", sym, "startTime", ms(start), "endTime", strconv.FormatInt(end, 10), "limit", strconv.Itoa(binancePage))
				if err != nil {
					return nil, err
				}
				var rows []struct {
					Symbol        string `json:"symbol"`
					OrderID       *int64 `json:"orderId"`
					ClientOrderID string `json:"clientOrderId"`
					Side          string `json:"side"`
					OrigQty       string `json:"origQty"`
					Time          int64  `json:"time"`
				}
				if err := json.Unmarshal(r.Body, &rows); err != nil {
					return nil, MalformedError(binanceName, op, r, err)
				}
				for _, o := range rows {
					if o.OrderID == nil {
						return nil, MalformedError(binanceName, op, r, errors.New("an order without orderId"))
					}
					if seen[*o.OrderID] {
						continue
					}
					seen[*o.OrderID] = true
					out = append(out, Order{ID: strconv.FormatInt(*o.OrderID, 10), ClientID: o.ClientOrderID,
						Symbol: o.Symbol, Side: o.Side, Size: o.OrigQty, Time: time.UnixMilli(o.Time).UTC()})
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
