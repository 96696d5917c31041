package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Kraken spot account history: POST /0/private/ClosedOrders (50 per call,
// the most recent first, paged by ofs; permission "Query closed orders &
// trades", https://docs.kraken.com/api-reference/account-data/get-closed-orders),
// POST /0/private/OpenOrders (orders not closed yet), and
// POST /0/private/WithdrawStatus and DepositStatus. Facts:
// shared/reference/activity.md §6.

// krakenOrder is one order of ClosedOrders or OpenOrders.
type krakenOrder struct {
	UserRef  json.Number `json:"userref"`
	ClOrdID  string      `json:"cl_ord_id"`
	OpenTime float64     `json:"opentm"`
	Vol      string      `json:"vol"`
	Descr    struct {
		Pair string `json:"pair"`
		Type string `json:"type"`
	} `json:"descr"`
}

// signedPost sends a signed POST of path with form, signed exactly as
// KeyInfo signs (nonce + body, SHA-256, then HMAC-SHA512 over the path),
// in the key's turn (krakenNonce.turn), so its nonces reach Kraken in order.
func (k *kraken) signedPost(ctx context.Context, op, path string, creds keystore.Item, form url.Values) (*Response, json.RawMessage, error) {
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return nil, nil, &Error{Exchange: krakenName, Op: op, Cause: CauseKey,
			Message: "api key or private key is empty: store the key again (keywarden import or add)"}
	}
	n, release, err := k.nonces.turn(ctx, creds.APIKey.Reveal())
	if err != nil {
		return nil, nil, &Error{Exchange: krakenName, Op: op, Cause: CauseTimeout, Message: "gave up waiting for the key's turn: " + err.Error()}
	}
	defer release()
	nonce := strconv.FormatUint(n, 10)
	form.Set("nonce", nonce)
	body := form.Encode()
	sign, err := krakenSign(creds.APISecret.Reveal(), path, nonce, body)
	if err != nil {
		return nil, nil, &Error{Exchange: krakenName, Op: op, Cause: CauseKey, Message: err.Error()}
	}
	req, err := newRequest(krakenName, op, http.MethodPost, k.base+path, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("API-Key", creds.APIKey.Reveal())
	req.Header.Set("API-Sign", sign)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "keywarden")
	return k.do(ctx, op, req, creds)
}

func krakenSeconds(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func (o krakenOrder) order(txid string) Order {
	// userref is Kraken's numeric client id; cl_ord_id the newer string one.
	client := o.ClOrdID
	if client == "" && o.UserRef.String() != "" && o.UserRef.String() != "0" {
		client = o.UserRef.String()
	}
	return Order{ID: txid, ClientID: client, Symbol: o.Descr.Pair, Side: o.Descr.Type, Size: o.Vol, Time: krakenSeconds(o.OpenTime)}
}

// Orders implements ActivityClient: the open orders and every closed one
// opened since q.Since (q.Symbols is not needed).
func (k *kraken) Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	var out []Order
	r, result, err := k.signedPost(ctx, "open orders", "/0/private/OpenOrders", creds, url.Values{})
	if err != nil {
		return nil, err
	}
	var open struct {
		Open map[string]krakenOrder `json:"open"`
	}
	if err := json.Unmarshal(result, &open); err != nil {
		return nil, MalformedError(krakenName, "open orders", r, err)
	}
	for txid, o := range open.Open {
		if ord := o.order(txid); !ord.Time.Before(q.Since) {
			out = append(out, ord)
		}
	}
	const op = "order history"
	for ofs := 0; ; {
		r, result, err := k.signedPost(ctx, op, "/0/private/ClosedOrders", creds, url.Values{
			"start": {strconv.FormatInt(q.Since.Unix()-1, 10)}, "closetime": {"open"}, "ofs": {strconv.Itoa(ofs)}})
		if err != nil {
			return nil, err
		}
		var page struct {
			Closed map[string]krakenOrder `json:"closed"`
			Count  int                    `json:"count"`
		}
		if err := json.Unmarshal(result, &page); err != nil {
			return nil, MalformedError(krakenName, op, r, err)
		}
		for txid, o := range page.Closed {
			out = append(out, o.order(txid))
		}
		ofs += len(page.Closed)
		if len(page.Closed) == 0 || ofs >= page.Count {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// Movements implements ActivityClient: withdrawals and deposits since
// since, from WithdrawStatus and DepositStatus.
func (k *kraken) Movements(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time) ([]Movement, error) {
	var out []Movement
	for _, x := range []struct {
		op, path string
		kind     MovementKind
	}{{"withdraw history", "/0/private/WithdrawStatus", Withdrawal}, {"deposit history", "/0/private/DepositStatus", Deposit}} {
		r, result, err := k.signedPost(ctx, x.op, x.path, creds, url.Values{"start": {strconv.FormatInt(since.Unix()-1, 10)}})
		if err != nil {
			return nil, err
		}
		var rows []struct {
			RefID  string      `json:"refid"`
			Asset  string      `json:"asset"`
			Amount string      `json:"amount"`
			Info   string      `json:"info"`
			Time   json.Number `json:"time"`
		}
		if err := json.Unmarshal(result, &rows); err != nil {
			return nil, MalformedError(krakenName, x.op, r, err)
		}
		for _, m := range rows {
			sec, err := m.Time.Float64()
			if err != nil || m.RefID == "" {
				return nil, MalformedError(krakenName, x.op, r, errors.New("an entry without refid or time"))
			}
			t := krakenSeconds(sec)
			if t.Before(since) {
				continue
			}
			out = append(out, Movement{Kind: x.kind, ID: m.RefID, Asset: m.Asset, Amount: m.Amount, To: m.Info, Time: t})
		}
	}
	return out, nil
}
