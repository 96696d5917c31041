package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// The KuCoin high-frequency (HF, "Pro", account type trade_hf) spot
// account, whose order lists need a symbol. Sources: the pages under
// https://www.kucoin.com/docs/rest/spot-trading/spot-hf-trade-pro-account/
// and https://www.kucoin.com/docs-new/rest/account-info/account-funding/get-account-ledgers-tradehf,
// Kucoin/kucoin-universal-sdk spec/rest/api/openapi-spot-order.json and
// openapi-account-account.json (x-api-permission, x-api-rate-limit-*).

const (
	// kucoinHFSpan is how far back GET /api/v1/hf/orders/done reaches: "you
	// can only get data within the time range of 3 * 24 hours"; KuCoin
	// narrows a wider range to it instead of refusing it
	// (https://www.kucoin.com/docs/rest/spot-trading/spot-hf-trade-pro-account/get-hf-completed-order-list).
	kucoinHFSpan = 3 * 24 * time.Hour
	kucoinHFPage = 100 // "Default20, Max100"
	// kucoinHFDerived bounds the symbols a poll derives from HF balances
	// (each costs a done-list call of Spot weight 2), so a poll stays far
	// under 10% of KuCoin's Spot pool (VIP0: 4000 per 30 s) however much
	// dust the account holds.
	kucoinHFDerived = 100
	// kucoinHFLedgerPage and kucoinHFLedgerPages bound the HF ledger read
	// for traded symbols: "Default100, Max200" a page, ten pages a poll.
	kucoinHFLedgerPage  = 200
	kucoinHFLedgerPages = 10
)

// hfOrders reads the HF account's orders, which KuCoin lists only per
// symbol (Spot pool, weight 2 each; all need the General permission but
// the symbols list, which needs Spot): GET /api/v1/hf/orders/active/symbols
// names the symbols with open orders, GET /api/v1/hf/accounts/ledgers
// those traded since q.Since (hfTraded), GET /api/v1/accounts?type=trade_hf
// (Management pool, weight 5) the balances; then GET /api/v1/hf/orders/done
// (from q.Since, at most 3 days back, pages of 100 by lastId) for every
// symbol kucoinHFSymbols picks and GET /api/v1/hf/orders/active for each
// one with open orders. What it leaves unread it tells q.Unread.
func (k *kucoin) hfOrders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery, now time.Time, add func(*Response, kucoinOrder) error) error {
	const op = "hf order history"
	unread := func(why string) {
		if q.Unread != nil {
			q.Unread(why)
		}
	}
	from := q.Since
	if floor := now.Add(-kucoinHFSpan); from.Before(floor) {
		from = floor
		unread(fmt.Sprintf("HF orders done before %s: KuCoin lists them only 3 days back", floor.UTC().Format(time.RFC3339)))
	}
	r, data, err := k.signedGet(ctx, op, "/api/v1/hf/orders/active/symbols", creds, offset, url.Values{})
	if err != nil {
		return err
	}
	var act struct {
		Symbols []string `json:"symbols"`
	}
	if err := json.Unmarshal(data, &act); err != nil {
		return MalformedError(kucoinName, op, r, err)
	}
	traded, err := k.hfTraded(ctx, creds, offset, from, now, unread)
	if err != nil {
		return err
	}
	held, err := k.hfHeld(ctx, creds, offset)
	if err != nil {
		return err
	}
	syms, dropped := kucoinHFSymbols(append(slices.Clone(act.Symbols), traded...), q.Symbols, held)
	if dropped > 0 {
		unread(fmt.Sprintf("HF done orders of %d symbols the HF balances suggest beyond the first %d (by currency name), to stay within the rate budget",
			dropped, kucoinHFDerived))
	}
	for _, sym := range syms {
		v := url.Values{"symbol": {sym}, "startAt": {ms(from)}, "endAt": {ms(now)}, "limit": {strconv.Itoa(kucoinHFPage)}}
		for {
			r, data, err := k.signedGet(ctx, op, "/api/v1/hf/orders/done", creds, offset, v)
			if err != nil {
				return err
			}
			var p struct {
				LastID int64         `json:"lastId"`
				Items  []kucoinOrder `json:"items"`
			}
			if err := json.Unmarshal(data, &p); err != nil {
				return MalformedError(kucoinName, op, r, err)
			}
			for _, o := range p.Items {
				if err := add(r, o); err != nil {
					return err
				}
			}
			next := strconv.FormatInt(p.LastID, 10)
			if len(p.Items) < kucoinHFPage || p.LastID <= 0 {
				break
			}
			if next == v.Get("lastId") {
				return MalformedError(kucoinName, op, r, errors.New("lastId did not move: the next page would repeat this one"))
			}
			v.Set("lastId", next)
		}
	}
	for _, sym := range act.Symbols {
		r, data, err := k.signedGet(ctx, op, "/api/v1/hf/orders/active", creds, offset, url.Values{"symbol": {sym}})
		if err != nil {
			return err
		}
		var open []kucoinOrder
		if err := json.Unmarshal(data, &open); err != nil {
			return MalformedError(kucoinName, op, r, err)
		}
		for _, o := range open {
			if err := add(r, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// kucoinContextSymbol finds the symbol in an HF ledger entry's context,
// a JSON object in a string; KuCoin's older examples write it with single
// quotes ("{'symbol':'CSP-USDT',…}"), so both are read.
var kucoinContextSymbol = regexp.MustCompile(`["']symbol["']\s*:\s*["']([A-Za-z0-9]+-[A-Za-z0-9]+)["']`)

// hfTraded returns the symbols of the HF ledger's trade entries
// (bizType TRADE_EXCHANGE) made in [from, now]: every symbol with a fill,
// whoever placed the order. Newest first, at most kucoinHFLedgerPages
// pages; older entries beyond them are told to unread.
func (k *kucoin) hfTraded(ctx context.Context, creds keystore.Item, offset time.Duration, from, now time.Time, unread func(string)) ([]string, error) {
	const op = "hf ledger"
	v := url.Values{"bizType": {"TRADE_EXCHANGE"}, "startAt": {ms(from)}, "endAt": {ms(now)}, "limit": {strconv.Itoa(kucoinHFLedgerPage)}}
	var out []string
	for range kucoinHFLedgerPages {
		r, data, err := k.signedGet(ctx, op, "/api/v1/hf/accounts/ledgers", creds, offset, v)
		if err != nil {
			return nil, err
		}
		var rows []struct {
			ID      string `json:"id"`
			BizType string `json:"bizType"`
			Context string `json:"context"`
		}
		if err := json.Unmarshal(data, &rows); err != nil {
			return nil, MalformedError(kucoinName, op, r, err)
		}
		for _, e := range rows {
			if e.BizType != "TRADE_EXCHANGE" {
				continue
			}
			m := kucoinContextSymbol.FindStringSubmatch(e.Context)
			if m == nil {
				return nil, MalformedError(kucoinName, op, r, errors.New("a trade entry whose context names no symbol"))
			}
			if s := strings.ToUpper(m[1]); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		if len(rows) < kucoinHFLedgerPage {
			return out, nil
		}
		last := rows[len(rows)-1].ID
		if _, err := strconv.ParseInt(last, 10, 64); err != nil || last == v.Get("lastId") {
			return nil, MalformedError(kucoinName, op, r, errors.New("the last entry's id cannot name the next page"))
		}
		v.Set("lastId", last)
	}
	unread(fmt.Sprintf("symbols traded only in HF ledger entries older than its newest %d since the last poll", kucoinHFLedgerPage*kucoinHFLedgerPages))
	return out, nil
}

// hfHeld returns the currencies the HF account holds.
func (k *kucoin) hfHeld(ctx context.Context, creds keystore.Item, offset time.Duration) ([]string, error) {
	const op = "hf balances"
	r, data, err := k.signedGet(ctx, op, "/api/v1/accounts", creds, offset, url.Values{"type": {"trade_hf"}})
	if err != nil {
		return nil, err
	}
	var accounts []struct {
		Currency string `json:"currency"`
		Balance  string `json:"balance"`
	}
	if err := json.Unmarshal(data, &accounts); err != nil {
		return nil, MalformedError(kucoinName, op, r, err)
	}
	var held []string
	for _, a := range accounts {
		b, err := strconv.ParseFloat(a.Balance, 64)
		if err != nil || a.Currency == "" {
			return nil, MalformedError(kucoinName, op, r, errors.New("an account without currency or a numeric balance"))
		}
		if b > 0 {
			held = append(held, a.Currency)
		}
	}
	return held, nil
}

// kucoinHFSymbols is the symbols whose HF done orders a poll reads: seen
// (those with open orders or fills), those the bot's log names (in
// KuCoin's BASE-QUOTE form; a compact BTCUSDT cannot be split and is not
// asked about), then each held currency paired with every quote the logged
// symbols use, at most kucoinHFDerived of those by currency name; dropped
// counts the pairs beyond.
func kucoinHFSymbols(seen, logged, held []string) ([]string, int) {
	var out, quotes []string
	dropped := 0
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range seen {
		add(s)
	}
	for _, s := range logged {
		base, quote, ok := strings.Cut(strings.ToUpper(s), "-")
		if !ok || base == "" || quote == "" || strings.Contains(quote, "-") {
			continue
		}
		add(base + "-" + quote)
		if !slices.Contains(quotes, quote) {
			quotes = append(quotes, quote)
		}
	}
	held = slices.Sorted(slices.Values(held))
	derived := 0
	for _, c := range held {
		c = strings.ToUpper(c)
		for _, quote := range quotes {
			s := c + "-" + quote
			if c == quote || slices.Contains(out, s) {
				continue
			}
			if derived == kucoinHFDerived {
				dropped++
				continue
			}
			add(s)
			derived++
		}
	}
	return out, dropped
}
