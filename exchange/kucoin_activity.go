package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// KuCoin account history. The classic ("Old") spot account: GET
// /api/v1/orders with status=active and status=done (done at most 7 days
// per call, pages of up to 500). The high-frequency (HF, "Pro") account,
// whose order lists need a symbol: see hfOrders. GET /api/v1/withdrawals and
// GET /api/v1/deposits (pages of up to 500). Facts:
// shared/reference/activity.md §4.

const (
	kucoinSpan = 7 * 24 * time.Hour
	kucoinPage = 500
)

// kucoinPageOf is KuCoin's paginated data object.
type kucoinPageOf[T any] struct {
	CurrentPage int `json:"currentPage"`
	TotalPage   int `json:"totalPage"`
	Items       []T `json:"items"`
}

// signedGet sends a signed GET of path with query q, signed exactly as
// KeyInfo signs (timestamp + GET + path, then ?query when there is one).
func (k *kucoin) signedGet(ctx context.Context, op, path string, creds keystore.Item, offset time.Duration, q url.Values) (*Response, json.RawMessage, error) {
	if creds.APIKey.Empty() || creds.APISecret.Empty() || creds.Passphrase.Empty() {
		return nil, nil, &Error{Exchange: kucoinName, Op: op, Cause: CauseKey,
			Message: "kucoin needs the api key, secret and passphrase: store the key again with its passphrase (keywarden import or add)"}
	}
	endpoint := path
	if len(q) > 0 {
		endpoint += "?" + q.Encode()
	}
	req, err := newRequest(kucoinName, op, http.MethodGet, k.base+endpoint, nil)
	if err != nil {
		return nil, nil, err
	}
	kucoinSignHeaders(req.Header, creds, k.now().Add(offset), http.MethodGet, endpoint, "")
	return k.do(ctx, op, req, creds)
}

// kucoinPages walks every page of path for q, calling row for each item.
func kucoinPages[T any](ctx context.Context, k *kucoin, op, path string, creds keystore.Item, offset time.Duration, q url.Values, row func(*Response, T) error) error {
	for page := 1; ; page++ {
		q.Set("currentPage", strconv.Itoa(page))
		q.Set("pageSize", strconv.Itoa(kucoinPage))
		r, data, err := k.signedGet(ctx, op, path, creds, offset, q)
		if err != nil {
			return err
		}
		var p kucoinPageOf[T]
		if err := json.Unmarshal(data, &p); err != nil {
			return MalformedError(kucoinName, op, r, err)
		}
		for _, it := range p.Items {
			if err := row(r, it); err != nil {
				return err
			}
		}
		if len(p.Items) == 0 || page >= p.TotalPage {
			return nil
		}
	}
}

// kucoinOrder is a row of the classic and the HF order lists alike.
type kucoinOrder struct {
	ID        string `json:"id"`
	Symbol    string `json:"symbol"`
	Side      string `json:"side"`
	Size      string `json:"size"`
	Funds     string `json:"funds"`
	Channel   string `json:"channel"`
	ClientOid string `json:"clientOid"`
	CreatedAt int64  `json:"createdAt"`
}

// Orders implements ActivityClient: the active orders and every done one
// created since q.Since, all symbols, on the classic spot account, and on
// the HF account those of the symbols hfOrders asks about. An order both
// lists show is returned once.
func (k *kucoin) Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	const op = "order history"
	now := k.now().Add(offset)
	seen := map[string]bool{}
	var out []Order
	add := func(r *Response, o kucoinOrder) error {
		if o.ID == "" || o.CreatedAt <= 0 {
			return MalformedError(kucoinName, op, r, errors.New("an order without id or createdAt"))
		}
		t := time.UnixMilli(o.CreatedAt).UTC()
		if seen[o.ID] || t.Before(q.Since) {
			return nil
		}
		seen[o.ID] = true
		size := o.Size
		if size == "" || size == "0" {
			size = o.Funds // a market order by funds
		}
		// channel is KuCoin's order source: API, IOS, WEB…
		out = append(out, Order{ID: o.ID, ClientID: o.ClientOid, Symbol: o.Symbol, Side: o.Side, Size: size, Time: t, Origin: o.Channel})
		return nil
	}
	if err := kucoinPages(ctx, k, op, "/api/v1/orders", creds, offset, url.Values{"status": {"active"}}, add); err != nil {
		return nil, err
	}
	for from := q.Since; from.Before(now); from = from.Add(kucoinSpan) {
		to := from.Add(kucoinSpan - time.Millisecond)
		if to.After(now) {
			to = now
		}
		v := url.Values{"status": {"done"}, "startAt": {ms(from)}, "endAt": {ms(to)}}
		if err := kucoinPages(ctx, k, op, "/api/v1/orders", creds, offset, v, add); err != nil {
			return nil, err
		}
	}
	if err := k.hfOrders(ctx, creds, offset, q, now, add); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Order) int { return a.Time.Compare(b.Time) })
	return out, nil
}

type kucoinMove struct {
	ID         string `json:"id"`
	Currency   string `json:"currency"`
	Address    string `json:"address"`
	IsInner    bool   `json:"isInner"`
	Amount     string `json:"amount"`
	WalletTxID string `json:"walletTxId"`
	CreatedAt  int64  `json:"createdAt"`
}

// Movements implements ActivityClient: withdrawals (isInner, to another
// KuCoin user, is a Transfer) and deposits since since.
func (k *kucoin) Movements(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time) ([]Movement, error) {
	now := k.now().Add(offset)
	var out []Movement
	for _, x := range []struct {
		op, path string
		kind     MovementKind
	}{{"withdraw history", "/api/v1/withdrawals", Withdrawal}, {"deposit history", "/api/v1/deposits", Deposit}} {
		for from := since; from.Before(now); from = from.Add(kucoinSpan) {
			to := from.Add(kucoinSpan - time.Millisecond)
			if to.After(now) {
				to = now
			}
			v := url.Values{"startAt": {ms(from)}, "endAt": {ms(to)}}
			err := kucoinPages(ctx, k, x.op, x.path, creds, offset, v, func(r *Response, m kucoinMove) error {
				// The current spec's examples carry no id: the wallet
				// transaction names the movement then.
				id := m.ID
				if id == "" {
					id = m.WalletTxID
				}
				if id == "" || m.CreatedAt <= 0 {
					return MalformedError(kucoinName, x.op, r, errors.New("an entry without id, walletTxId or createdAt"))
				}
				kind := x.kind
				if kind == Withdrawal && m.IsInner {
					kind = Transfer
				}
				out = append(out, Movement{Kind: kind, ID: id, Asset: m.Currency, Amount: m.Amount, To: m.Address, Time: time.UnixMilli(m.CreatedAt).UTC()})
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
