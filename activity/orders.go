package activity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

// ordersState is orders.json.
type ordersState struct {
	// history's Decided holds every order already judged: ours, the
	// exchange's own, foreign, or there before the baseline.
	history
	// Ours maps the matched orders of the last day to their time.
	Ours map[string]time.Time `json:"ours"`
	// Foreign are the orders the bot did not make and nobody acknowledged.
	Foreign []exchange.Order `json:"foreign"`
	// Balance is the balance reconciliation's (Binance).
	Balance balanceState `json:"balance,omitzero"`
}

// Foreign is one foreign order as the orders check reports it.
type Foreign struct {
	OrderID       string `json:"order_id"`
	ClientOrderID string `json:"client_order_id"`
	Symbol        string `json:"symbol"`
	Side          string `json:"side"`
	Size          string `json:"size"`
	Time          any    `json:"time"`
	Origin        string `json:"origin"`
}

func foreignOf(o exchange.Order) Foreign {
	return Foreign{OrderID: o.ID, ClientOrderID: o.ClientID, Symbol: o.Symbol, Side: o.Side, Size: o.Size,
		Time: stamp(o.Time), Origin: o.Origin}
}

// Verdict is how one exchange order was judged.
type Verdict string

// Verdicts.
const (
	Ours     Verdict = "ours"
	System   Verdict = "system"
	Acked    Verdict = "acknowledged"
	Pending  Verdict = "pending"
	Unlogged Verdict = "foreign"
)

// Judge decides one order against the ledger, the acks and the origins
// the profile allows (activity.allow_manual) at now, with the evidence.
func Judge(o exchange.Order, l Ledger, a Acks, act config.Activity, now time.Time) (Verdict, string) {
	if ok, why := l.Match(o); ok {
		return Ours, why
	}
	switch {
	case o.System:
		return System, "made by the exchange itself (" + o.Origin + ")"
	case a.has(o.ID):
		return Acked, "acknowledged with keywarden activity ack"
	case o.Origin != "" && slices.Contains(act.AllowManual, o.Origin):
		return Acked, "its origin " + o.Origin + " is in activity.allow_manual"
	case now.Sub(o.Time) < Grace && !l.movedOn(o.Time, now):
		return Pending, fmt.Sprintf("not in the audit log yet; judged once the log has moved %s past it, at the latest after %s", Settle, Grace)
	}
	return Unlogged, "neither its order id nor its client order id is in the audit log"
}

func runOrders(ctx context.Context, env *checks.Env, p config.Profile, s store) checks.Result {
	if p.AuditLog == "" {
		r := unknown(OrdersID, p, "no audit log configured: the bot's orders cannot be told from foreign ones",
			"set audit_log in the profile to the bot's log, with order_id and client_order_id on order lines (docs/auditlog.md)")
		r.Details["blind_spots"] = BlindSpots(p.Exchange)
		return r
	}
	sess, bad := open(ctx, env, p, OrdersID)
	if bad != nil {
		return *bad
	}
	ledger, err := ReadLedger(p.AuditLog, p.Exchange)
	if err != nil {
		return unknown(OrdersID, p, "audit log unreadable", err.Error())
	}
	a, err := acks(s)
	if err != nil {
		return unknown(OrdersID, p, "activity state unreadable", err.Error())
	}
	blind := BlindSpots(p.Exchange)
	bc, reconciles := sess.client.(exchange.BalanceClient)
	if symbolScoped(p.Exchange) && len(ledger.Symbols) == 0 && !reconciles {
		r := unknown(OrdersID, p, fmt.Sprintf("the audit log names no market: %s lists orders per symbol only", p.Exchange),
			"log the symbol on the bot's order lines (docs/auditlog.md)")
		r.Details["blind_spots"] = blind
		return r
	}
	now := env.Now().UTC()
	var st ordersState
	unread := func(why string) { blind = append(blind, why) }
	var rc *reconciler
	if reconciles {
		rc = &reconciler{bc: bc, sess: sess, logged: ledger.Symbols, st: &st.Balance, s: s, a: a, now: now, unread: unread}
	}
	gap := readGap(p.Exchange, OrdersID)
	pd, err := poll(ctx, s, "orders", &st, now, source[exchange.Order]{
		every: gap,
		fetch: func(from time.Time) ([]exchange.Order, error) {
			if rc != nil {
				return rc.fetch(ctx, from, st.Baseline)
			}
			return sess.client.Orders(ctx, sess.creds, sess.offset, exchange.OrderQuery{Since: from, Symbols: ledger.Symbols, KeyInfo: sess.keyInfo,
				Unread: unread})
		},
		key: func(o exchange.Order) (string, time.Time) { return orderKey(o), o.Time },
		judge: func(o exchange.Order) bool {
			v, _ := Judge(o, ledger, a, p.Activity, now)
			switch v {
			case Pending:
				return false
			case Ours:
				if st.Ours == nil {
					st.Ours = map[string]time.Time{}
				}
				st.Ours[orderKey(o)] = o.Time
			case Unlogged:
				st.Foreign = append(st.Foreign, o)
			}
			return true
		},
		// settle is also where per-poll work beyond judging orders belongs.
		settle: func() error {
			// An ack, or an origin allowed since, clears a finding.
			st.Foreign = slices.DeleteFunc(st.Foreign, func(o exchange.Order) bool {
				v, _ := Judge(o, Ledger{}, a, p.Activity, now)
				return v == Acked
			})
			prune(st.Ours, now.Add(-24*time.Hour))
			if rc != nil {
				return rc.settle()
			}
			return nil
		},
	})
	if errors.As(pd.failed, &errNoSymbols{}) {
		r := unknown(OrdersID, p, noSymbols(p.Exchange),
			"log the symbol on the bot's order lines (docs/auditlog.md)")
		r.Details["blind_spots"] = blind
		return r
	}
	if pd.failed != nil {
		return pollFailed(OrdersID, p, pd.failed, blind)
	}
	if err != nil {
		return unknown(OrdersID, p, "activity state unwritable", err.Error())
	}
	foreign := make([]Foreign, 0, len(st.Foreign))
	for _, o := range st.Foreign {
		foreign = append(foreign, foreignOf(o))
	}
	if pd.lost {
		blind = append(blind, "the last poll was more than 7 days ago: orders between then and a week ago were not read")
	}
	r := checks.Result{Details: map[string]any{"foreign": foreign, "matched": len(st.Ours), "blind_spots": blind,
		"symbols": ledger.Symbols, "baseline_at": stamp(st.Baseline)}}
	switch {
	case pd.first:
		r.Status = checks.OK
		r.Summary = "baseline set: orders from now on are compared with the audit log"
	case len(foreign) > 0:
		r.Status = checks.Crit
		var parts []string
		for _, f := range foreign {
			parts = append(parts, describe(f))
		}
		r.Summary = fmt.Sprintf("%d %s the bot did not place: %s", len(foreign), plural(len(foreign), "order", "orders"), strings.Join(parts, "; "))
		ids := make([]string, 0, len(foreign))
		for _, f := range foreign {
			ids = append(ids, f.OrderID)
		}
		r.Hint = fmt.Sprintf("if you did not place it, revoke the key on the exchange now (keywarden rotate %s); if you did: keywarden activity ack %s %s", p.Name, p.Name, strings.Join(ids, " "))
	default:
		r.Status = checks.OK
		r.Summary = fmt.Sprintf("every order of the last day is the bot's (%d matched)", len(st.Ours))
	}
	if rc != nil {
		rc.apply(&r, p)
	}
	spaced(&r, gap, st.Cursor, pd.skipped)
	return r
}

// orderKey names an order in Decided and Ours: Binance numbers orders per
// symbol.
func orderKey(o exchange.Order) string { return o.Symbol + " " + o.ID }

func describe(f Foreign) string {
	s := fmt.Sprintf("%s %s %s %s (order %s", f.Time, f.Side, f.Size, f.Symbol, f.OrderID)
	if f.ClientOrderID != "" {
		s += ", client id " + f.ClientOrderID
	}
	if f.Origin != "" {
		s += ", origin " + f.Origin
	}
	return s + ")"
}

// pollFailed is the result of a history request the exchange refused or
// did not answer; a rate limit says so, so the trader knows why.
func pollFailed(id string, p config.Profile, err error, blind []string) checks.Result {
	what := "order history"
	if id == FundsID {
		what = "withdraw and deposit history"
	}
	summary := what + " unavailable"
	var pe errPaused
	switch {
	case errors.As(err, &pe):
		summary = what + " rate-limited: polling paused until " + pe.until.UTC().Format(time.RFC3339)
	case exchange.CauseOf(err) == exchange.CauseRateLimit:
		summary = what + " rate-limited: polling paused for its Retry-After (at least a minute)"
	}
	r := unknown(id, p, summary, err.Error())
	r.Details["blind_spots"] = blind
	return r
}

func prune(m map[string]time.Time, before time.Time) {
	maps.DeleteFunc(m, func(_ string, t time.Time) bool { return t.Before(before) })
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
