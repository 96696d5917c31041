package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Coinbase account history: Advanced Trade GET
// /api/v3/brokerage/orders/historical/batch, asked once per
// order_placement_source (it lists only RETAIL_ADVANCED by default), cursor
// pages; and the Coinbase App v2 GET /v2/accounts then
// /v2/accounts/:id/transactions per account for sends, withdrawals and
// deposits. Facts: shared/reference/activity.md §5.

// coinbasePlacementSources are every order_placement_source value: the
// default RETAIL_ADVANCED alone hides an app "simple buy".
var coinbasePlacementSources = []string{"RETAIL_ADVANCED", "RETAIL_SIMPLE", "UNKNOWN_PLACEMENT_SOURCE"}

const coinbaseOrdersPage = 250

// signedGet sends a GET of path?q with a fresh JWT, as KeyInfo does (the
// uri claim has no query string).
func (c *coinbase) signedGet(ctx context.Context, op, path string, creds keystore.Item, offset time.Duration, q url.Values) (*Response, error) {
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return nil, &Error{Exchange: coinbaseName, Op: op, Cause: CauseKey,
			Message: "api key name or private key is empty: store the CDP key again (keywarden import or add)"}
	}
	key, err := parseCoinbaseKey(creds.APISecret.Reveal())
	if err != nil {
		return nil, &Error{Exchange: coinbaseName, Op: op, Cause: CauseKey, Message: err.Error()}
	}
	full := c.base + path
	uri, err := coinbaseURI(http.MethodGet, full)
	if err != nil {
		return nil, &Error{Exchange: coinbaseName, Op: op, Cause: CauseOther, Message: "bad base url: " + err.Error(), Err: err}
	}
	token, err := coinbaseJWT(key, creds.APIKey.Reveal(), uri, c.now().Add(offset))
	if err != nil {
		return nil, &Error{Exchange: coinbaseName, Op: op, Cause: CauseOther, Message: "could not sign the request: " + err.Error()}
	}
	if len(q) > 0 {
		full += "?" + q.Encode()
	}
	req, err := newRequest(coinbaseName, op, http.MethodGet, full, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return c.do(ctx, op, req, creds)
}

// Orders implements ActivityClient: the orders created since q.Since of
// every placement source and product type.
func (c *coinbase) Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error) {
	const op = "order history"
	var out []Order
	for _, src := range coinbasePlacementSources {
		cursor := ""
		for {
			v := url.Values{"order_placement_source": {src}, "start_date": {q.Since.UTC().Format(time.RFC3339)},
				"limit": {strconv.Itoa(coinbaseOrdersPage)}}
			if cursor != "" {
				v.Set("cursor", cursor)
			}
			r, err := c.signedGet(ctx, op, "/api/v3/brokerage/orders/historical/batch", creds, offset, v)
			if err != nil {
				return nil, err
			}
			var page struct {
				Orders []struct {
					OrderID       string `json:"order_id"`
					ClientOrderID string `json:"client_order_id"`
					ProductID     string `json:"product_id"`
					Side          string `json:"side"`
					CreatedTime   string `json:"created_time"`
					Placement     string `json:"order_placement_source"`
					IsLiquidation bool   `json:"is_liquidation"`
					Config        map[string]struct {
						BaseSize  string `json:"base_size"`
						QuoteSize string `json:"quote_size"`
					} `json:"order_configuration"`
				} `json:"orders"`
				HasNext            bool   `json:"has_next"`
				Cursor             string `json:"cursor"`
				ProofTokenRequired bool   `json:"proof_token_required"`
			}
			if err := json.Unmarshal(r.Body, &page); err != nil {
				return nil, MalformedError(coinbaseName, op, r, err)
			}
			if page.ProofTokenRequired {
				// EU strong customer authentication: the list may be
				// incomplete without a 2FA proof token, so it proves nothing.
				return nil, &Error{Exchange: coinbaseName, Op: op, HTTPStatus: r.Status, Cause: CausePermission,
					Message: "Coinbase asks for a 2FA proof token (EU strong customer authentication) to list the history"}
			}
			for _, o := range page.Orders {
				t, err := time.Parse(time.RFC3339Nano, o.CreatedTime)
				if err != nil || o.OrderID == "" {
					return nil, MalformedError(coinbaseName, op, r, errors.New("an order without order_id or created_time"))
				}
				size := ""
				for _, cfg := range o.Config {
					size = cfg.BaseSize
					if size == "" && cfg.QuoteSize != "" {
						size = cfg.QuoteSize + " (quote)"
					}
				}
				out = append(out, Order{ID: o.OrderID, ClientID: o.ClientOrderID, Symbol: o.ProductID, Side: o.Side,
					Size: size, Time: t.UTC(), Origin: o.Placement, System: o.IsLiquidation})
			}
			if !page.HasNext || page.Cursor == "" || page.Cursor == cursor {
				break
			}
			cursor = page.Cursor
		}
	}
	return out, nil
}

// coinbaseV2Page is a v2 list: data and the next page's cursor.
type coinbaseV2Page[T any] struct {
	Data       []T `json:"data"`
	Pagination struct {
		NextStartingAfter string `json:"next_starting_after"`
	} `json:"pagination"`
}

// coinbaseV2 walks every page of a v2 list.
func coinbaseV2[T any](ctx context.Context, c *coinbase, op, path string, creds keystore.Item, offset time.Duration, row func(*Response, T) (more bool, err error)) error {
	after := ""
	for {
		v := url.Values{"limit": {"100"}}
		if after != "" {
			v.Set("starting_after", after)
		}
		r, err := c.signedGet(ctx, op, path, creds, offset, v)
		if err != nil {
			return err
		}
		var p coinbaseV2Page[T]
		if err := json.Unmarshal(r.Body, &p); err != nil {
			return MalformedError(coinbaseName, op, r, err)
		}
		for _, it := range p.Data {
			more, err := row(r, it)
			if err != nil || !more {
				return err
			}
		}
		if p.Pagination.NextStartingAfter == "" || p.Pagination.NextStartingAfter == after {
			return nil
		}
		after = p.Pagination.NextStartingAfter
	}
}

// Movements implements ActivityClient: per account, sends and
// withdrawals out (a send to another Coinbase user is a Transfer) and
// receives and deposits in, since since. Trades, fills, staking and moves
// between the user's own accounts are not movements.
func (c *coinbase) Movements(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time) ([]Movement, error) {
	var accounts []string
	err := coinbaseV2(ctx, c, "accounts", "/v2/accounts", creds, offset, func(r *Response, a struct {
		ID string `json:"id"`
	}) (bool, error) {
		if a.ID == "" {
			return false, MalformedError(coinbaseName, "accounts", r, errors.New("an account without id"))
		}
		accounts = append(accounts, a.ID)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	type tx struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Amount struct {
			Amount   string `json:"amount"`
			Currency string `json:"currency"`
		} `json:"amount"`
		CreatedAt string `json:"created_at"`
		To        struct {
			Resource string `json:"resource"`
			ID       string `json:"id"`
			Address  string `json:"address"`
			Email    string `json:"email"`
		} `json:"to"`
	}
	const op = "transactions"
	var out []Movement
	for _, acct := range accounts {
		err := coinbaseV2(ctx, c, op, "/v2/accounts/"+url.PathEscape(acct)+"/transactions", creds, offset, func(r *Response, t tx) (bool, error) {
			at, err := time.Parse(time.RFC3339Nano, t.CreatedAt)
			if err != nil || t.ID == "" {
				return false, MalformedError(coinbaseName, op, r, errors.New("a transaction without id or created_at"))
			}
			// Newest first: the rest is older than since.
			if at.Before(since) {
				return false, nil
			}
			var kind MovementKind
			switch t.Type {
			case "send", "fiat_withdrawal", "intx_withdrawal":
				kind = Withdrawal
				if strings.HasPrefix(t.Amount.Amount, "-") && t.Type == "send" && t.To.Resource == "user" {
					kind = Transfer
				}
				if t.Type == "send" && !strings.HasPrefix(t.Amount.Amount, "-") {
					kind = Deposit // a send received
				}
			case "receive", "fiat_deposit", "intx_deposit":
				kind = Deposit
			default:
				return true, nil
			}
			to := t.To.Address
			if to == "" {
				to = t.To.Email
			}
			if to == "" {
				to = t.To.ID
			}
			out = append(out, Movement{Kind: kind, ID: t.ID, Asset: t.Amount.Currency,
				Amount: strings.TrimPrefix(t.Amount.Amount, "-"), To: to, Time: at.UTC()})
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
