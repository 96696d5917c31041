package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// OKX v5 account history: GET /api/v5/trade/orders-history (the last 7
// days, one instType per call, 100 rows per page, newest first, paged by
// after=ordId), GET /api/v5/asset/withdrawal-history and
// /api/v5/asset/deposit-history (100 rows, newest first, paged by after=ts).
// Facts: shared/reference/activity.md §3.

const okxPage = 100

// okxInstTypes are orders-history's required instrument types.
var okxInstTypes = []string{"SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"}

// okxSystemCategories are the order categories OKX makes itself:
// liquidation, auto-deleveraging, delivery and auto conversion. twap and
// ddh are strategies someone chose.
var okxSystemCategories = map[string]bool{
	"adl": true, "full_liquidation": true, "partial_liquidation": true, "delivery": true, "auto_conversion": true,
}

// signedGet sends a signed GET of path with query q, signed exactly as
// KeyInfo signs (timestamp + GET + path?query).
func (o *okx) signedGet(ctx context.Context, op, path string, creds keystore.Item, offset time.Duration, q url.Values) (*Response, json.RawMessage, error) {
	if creds.APIKey.Empty() || creds.APISecret.Empty() || creds.Passphrase.Empty() {
		return nil, nil, &Error{Exchange: okxName, Op: op, Cause: CauseKey,
			Message: "api key, secret or passphrase is empty (OKX needs all three): store the key again (keywarden import or add)"}
	}
	requestPath := path + "?" + q.Encode()
	ts := okxTimestamp(time.Now().Add(offset))
	req, err := newRequest(okxName, op, http.MethodGet, o.base+requestPath, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("OK-ACCESS-KEY", creds.APIKey.Reveal())
	req.Header.Set("OK-ACCESS-TIMESTAMP", ts)
	req.Header.Set("OK-ACCESS-PASSPHRASE", creds.Passphrase.Reveal())
	req.Header.Set("OK-ACCESS-SIGN", okxSign(creds.APISecret.Reveal(), okxPrehash(ts, http.MethodGet, requestPath, "")))
	req.Header.Set("Content-Type", "application/json")
	return o.do(ctx, op, req, creds)
}

// okxMillis reads a millisecond timestamp string.
func okxMillis(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, errors.New("not a millisecond time")
	}
	return time.UnixMilli(n).UTC(), nil
}

// Orders implements ActivityClient: every order of every instrument type
// created since q.Since (within the endpoint's 7 days).
func (o *okx) Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	const op = "order history"
	var out []Order
	for _, it := range okxInstTypes {
		after := ""
		for {
			v := url.Values{"instType": {it}, "begin": {ms(q.Since)}, "limit": {strconv.Itoa(okxPage)}}
			if after != "" {
				v.Set("after", after)
			}
			r, data, err := o.signedGet(ctx, op, "/api/v5/trade/orders-history", creds, offset, v)
			if err != nil {
				return nil, err
			}
			var rows []struct {
				OrdID       string `json:"ordId"`
				ClOrdID     string `json:"clOrdId"`
				AlgoClOrdID string `json:"algoClOrdId"`
				InstID      string `json:"instId"`
				Side        string `json:"side"`
				Sz          string `json:"sz"`
				Source      string `json:"source"`
				Category    string `json:"category"`
				CTime       string `json:"cTime"`
			}
			if err := json.Unmarshal(data, &rows); err != nil {
				return nil, MalformedError(okxName, op, r, err)
			}
			for _, x := range rows {
				t, err := okxMillis(x.CTime)
				if err != nil || x.OrdID == "" {
					return nil, MalformedError(okxName, op, r, errors.New("an order without ordId or cTime"))
				}
				if t.Before(q.Since) {
					continue
				}
				// An order an algo order fired carries the algo's client id:
				// the id the bot chose.
				client := x.ClOrdID
				if client == "" {
					client = x.AlgoClOrdID
				}
				origin := ""
				switch {
				case x.Category != "" && x.Category != "normal":
					origin = x.Category
				case x.Source != "":
					origin = "source " + x.Source
				}
				out = append(out, Order{ID: x.OrdID, ClientID: client, Symbol: x.InstID, Side: x.Side, Size: x.Sz,
					Time: t, Origin: origin, System: okxSystemCategories[x.Category]})
			}
			if len(rows) < okxPage {
				break
			}
			after = rows[len(rows)-1].OrdID
		}
	}
	return out, nil
}

// Movements implements ActivityClient: withdrawals (to a UID, toAddrType
// 2, is a Transfer) and deposits since since.
func (o *okx) Movements(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time) ([]Movement, error) {
	var out []Movement
	type withdrawal struct {
		WdID       string `json:"wdId"`
		Ccy        string `json:"ccy"`
		Amt        string `json:"amt"`
		To         string `json:"to"`
		ToAddrType string `json:"toAddrType"`
		TS         string `json:"ts"`
	}
	err := okxFunds(ctx, o, "withdraw history", "/api/v5/asset/withdrawal-history", creds, offset, since,
		func(x withdrawal) (string, string) { return x.WdID, x.TS }, "a withdrawal without wdId or ts",
		func(x withdrawal, t time.Time) {
			kind := Withdrawal
			if x.ToAddrType == "2" {
				kind = Transfer
			}
			out = append(out, Movement{Kind: kind, ID: x.WdID, Asset: x.Ccy, Amount: x.Amt, To: x.To, Time: t})
		})
	if err != nil {
		return nil, err
	}
	type deposit struct {
		DepID string `json:"depId"`
		Ccy   string `json:"ccy"`
		Amt   string `json:"amt"`
		To    string `json:"to"`
		TS    string `json:"ts"`
	}
	err = okxFunds(ctx, o, "deposit history", "/api/v5/asset/deposit-history", creds, offset, since,
		func(x deposit) (string, string) { return x.DepID, x.TS }, "a deposit without depId or ts",
		func(x deposit, t time.Time) {
			out = append(out, Movement{Kind: Deposit, ID: x.DepID, Asset: x.Ccy, Amount: x.Amt, To: x.To, Time: t})
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// okxFunds walks a funds history at path by ts (okxWalkTS) and hands add
// each row since since with its time. key gives a row's id and ts; a row
// missing either is malformed, in the words of missing.
func okxFunds[Row any](ctx context.Context, o *okx, op, path string, creds keystore.Item, offset time.Duration, since time.Time,
	key func(Row) (id, ts string), missing string, add func(Row, time.Time)) error {
	return okxWalkTS(since, func(after string) (int, string, error) {
		r, data, err := o.signedGet(ctx, op, path, creds, offset, okxTSQuery(after))
		if err != nil {
			return 0, "", err
		}
		var rows []Row
		if err := json.Unmarshal(data, &rows); err != nil {
			return 0, "", MalformedError(okxName, op, r, err)
		}
		for _, x := range rows {
			id, ts := key(x)
			t, err := okxMillis(ts)
			if err != nil || id == "" {
				return 0, "", MalformedError(okxName, op, r, errors.New(missing))
			}
			if !t.Before(since) {
				add(x, t)
			}
		}
		if len(rows) == 0 {
			return 0, "", nil
		}
		_, last := key(rows[len(rows)-1])
		return len(rows), last, nil
	})
}

func okxTSQuery(after string) url.Values {
	v := url.Values{"limit": {strconv.Itoa(okxPage)}}
	if after != "" {
		v.Set("after", after)
	}
	return v
}

// okxWalkTS pages a newest-first list by after=ts until a page is short
// or reaches back before since; page returns its row count and the last
// row's ts.
func okxWalkTS(since time.Time, page func(after string) (int, string, error)) error {
	after := ""
	for {
		n, last, err := page(after)
		if err != nil || n < okxPage {
			return err
		}
		t, err := okxMillis(last)
		if err != nil || t.Before(since) || last == after {
			return nil
		}
		after = last
	}
}
