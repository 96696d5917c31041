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

// Event is one entry of a profile's exchange-side timeline: an order, a
// movement of funds or a change of the key, marked ours or not with the
// evidence for it.
type Event struct {
	Time    time.Time `json:"time"`
	Profile string    `json:"profile"`
	// Kind is order, withdrawal, transfer, deposit, key or balance (a
	// Binance spot balance the orders check's reconciliation could not
	// explain).
	Kind          string `json:"kind"`
	ID            string `json:"id"`
	ClientOrderID string `json:"client_order_id,omitempty"`
	Symbol        string `json:"symbol,omitempty"`
	Side          string `json:"side,omitempty"`
	Size          string `json:"size,omitempty"`
	Origin        string `json:"origin,omitempty"`
	Asset         string `json:"asset,omitempty"`
	Amount        string `json:"amount,omitempty"`
	To            string `json:"to,omitempty"`
	Field         string `json:"field,omitempty"`
	Before        string `json:"before,omitempty"`
	After         string `json:"after,omitempty"`
	// Window is a balance move's: the two balance snapshots it fell
	// between.
	Window *Window `json:"window,omitempty"`
	// Ours is true for the bot's own orders and for what the profile
	// allows or the trader acknowledged.
	Ours     bool   `json:"ours"`
	Verdict  string `json:"verdict"`
	Evidence string `json:"evidence"`
}

// Window is the span between two balance snapshots.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Timeline is one profile's events since a time, oldest first, with what
// could not be seen. Err is set when the exchange's history could not be
// read (the key changes from the state are still listed).
type Timeline struct {
	Profile    string   `json:"profile"`
	Exchange   string   `json:"exchange"`
	Events     []Event  `json:"events"`
	BlindSpots []string `json:"blind_spots"`
	Err        string   `json:"error,omitempty"`
}

// Read builds p's timeline since since from the exchange's history, the
// bot's audit log, the acks and the key changes the activity.key check
// recorded. It changes no state: the checks decide and remember.
func Read(ctx context.Context, env *checks.Env, p config.Profile, stateDir string, since time.Time) Timeline {
	tl := Timeline{Profile: p.Name, Exchange: p.Exchange, Events: []Event{}, BlindSpots: BlindSpots(p.Exchange)}
	s, err := storeFor(stateDir, p.Name)
	if err != nil {
		tl.Err = err.Error()
		return tl
	}
	a, err := acks(s)
	if err != nil {
		tl.Err = err.Error()
		return tl
	}
	var ks keyState
	if err := read(s, "key", &ks); err != nil {
		tl.Err = err.Error()
		return tl
	}
	for _, c := range ks.Pending {
		if c.At.Before(since) {
			continue
		}
		tl.Events = append(tl.Events, Event{Time: c.At, Profile: p.Name, Kind: "key", ID: KeyAck, Field: c.Field,
			Before: c.Before, After: c.After, Verdict: "changed", Evidence: "the key's snapshot differs from the poll before"})
	}
	var ost ordersState
	if err := read(s, "orders", &ost); err != nil {
		tl.Err = err.Error()
		return tl
	}
	tl.Events = append(tl.Events, balanceEvents(p.Name, ost.Balance, a, since)...)
	if s := pendingMoves(ost.Balance, since); s != "" {
		tl.BlindSpots = append(tl.BlindSpots, s)
	}
	defer func() {
		slices.SortStableFunc(tl.Events, func(x, y Event) int { return x.Time.Compare(y.Time) })
	}()
	if !exchange.HasActivity(p.Exchange) {
		return tl
	}
	sess, bad := open(ctx, env, p, OrdersID)
	if bad != nil {
		tl.Err = bad.Summary + ": " + bad.Hint
		return tl
	}
	now := env.Now()
	moves, err := sess.client.Movements(ctx, sess.creds, sess.offset, since)
	if err != nil {
		tl.Err = err.Error()
		return tl
	}
	for _, m := range moves {
		ours, why := false, "not allowed by activity.allow_withdrawals or activity.addresses"
		switch {
		case m.Kind == exchange.Deposit:
			ours, why = true, "a deposit"
		case a.has(m.ID):
			ours, why = true, "acknowledged with keywarden activity ack"
		case p.Activity.Allowed(m.To):
			ours, why = true, "allowed by the profile's activity settings"
		}
		v := "allowed"
		if !ours {
			v = "not allowed"
		}
		tl.Events = append(tl.Events, Event{Time: m.Time, Profile: p.Name, Kind: string(m.Kind), ID: m.ID,
			Asset: m.Asset, Amount: m.Amount, To: m.To, Ours: ours, Verdict: v, Evidence: why})
	}
	if p.AuditLog == "" {
		tl.Err = "no audit log configured: the bot's orders cannot be told from foreign ones"
		return tl
	}
	ledger, err := ReadLedger(p.AuditLog, p.Exchange)
	if err != nil {
		tl.Err = fmt.Sprintf("audit log unreadable: %v", err)
		return tl
	}
	orders, err := tl.readOrders(ctx, sess, ledger, ost.Balance, since, now)
	if err != nil {
		tl.Err = err.Error()
		return tl
	}
	for _, o := range orders {
		v, why := Judge(o, ledger, a, p.Activity, now)
		tl.Events = append(tl.Events, Event{Time: o.Time, Profile: p.Name, Kind: "order", ID: o.ID,
			ClientOrderID: o.ClientID, Symbol: o.Symbol, Side: o.Side, Size: o.Size, Origin: o.Origin,
			Ours: v == Ours || v == Acked, Verdict: string(v), Evidence: why})
	}
	return tl
}

// readOrders reads the orders since since that the orders check reads: on
// an exchange with a balance reconciliation (Binance spot) also the
// symbols the balances suggest and every open order, in one read from
// since within the weight budget of one poll; the symbols the budget
// leaves out, and the logged ones the exchange does not list, are blind
// spots. Of the check's state only the pairings known unlisted are used,
// and nothing is written back.
func (tl *Timeline) readOrders(ctx context.Context, sess session, ledger Ledger, bs balanceState, since, now time.Time) ([]exchange.Order, error) {
	var unlisted []string
	unread := func(why string) { tl.BlindSpots = append(tl.BlindSpots, why) }
	defer func() {
		if logged := slices.DeleteFunc(unlisted, func(s string) bool { return !slices.Contains(ledger.Symbols, s) }); len(logged) > 0 {
			tl.BlindSpots = append(tl.BlindSpots, fmt.Sprintf("symbols the audit log names that %s does not list: %s", tl.Exchange, strings.Join(logged, ", ")))
		}
	}()
	bc, ok := sess.client.(exchange.BalanceClient)
	if !ok {
		return sess.client.Orders(ctx, sess.creds, sess.offset, exchange.OrderQuery{Since: since, Symbols: ledger.Symbols, KeyInfo: sess.keyInfo,
			Unlisted: &unlisted, Unread: unread})
	}
	rc := &reconciler{bc: bc, sess: sess, logged: ledger.Symbols, st: &balanceState{Unlisted: maps.Clone(bs.Unlisted)},
		now: now, unread: unread}
	orders, err := rc.fetch(ctx, since, since)
	unlisted = rc.unlisted
	if len(rc.waiting) > 0 {
		tl.BlindSpots = append(tl.BlindSpots, fmt.Sprintf("symbols held in the balances that were not read, to keep this read within %d request weight (activity.orders reads them in turn): %s",
			pollWeight, strings.Join(rc.waiting, ", ")))
	}
	if errors.As(err, &errNoSymbols{}) {
		return nil, errors.New(noSymbols(tl.Exchange))
	}
	return orders, err
}

// balanceEvents are the balance moves the orders check's reconciliation
// could not explain, ended at or after since: the unexplained ones (crit
// in activity.orders) and the acknowledged ones.
func balanceEvents(profile string, bs balanceState, a Acks, since time.Time) []Event {
	var out []Event
	add := func(m Move, v Verdict, why string) {
		if m.To.Before(since) {
			return
		}
		out = append(out, Event{Time: m.To, Profile: profile, Kind: "balance", ID: m.ID(), Asset: m.Asset,
			Before: m.Before, After: m.After, Window: &Window{From: m.From.UTC(), To: m.To.UTC()},
			Ours: v == Acked, Verdict: string(v), Evidence: why})
	}
	const nothing = "moved with no order, fill, deposit or withdrawal keywarden saw"
	for _, m := range bs.Unexplained {
		if a.has(m.ID()) {
			add(m, Acked, "acknowledged with keywarden activity ack")
		} else {
			add(m, Unexplained, nothing+" (Earn, Convert and transfers between your own wallets look the same)")
		}
	}
	for _, m := range bs.Acknowledged {
		add(m, Acked, "acknowledged with keywarden activity ack")
	}
	return out
}

// pendingMoves says which balance moves the reconciliation has not judged
// yet (most are the bot's own fills, explained on the next poll), so the
// timeline does not pass them over in silence.
func pendingMoves(bs balanceState, since time.Time) string {
	var as []string
	for _, m := range bs.Pending {
		if !m.To.Before(since) && !slices.Contains(as, m.Asset) {
			as = append(as, m.Asset)
		}
	}
	if len(as) == 0 {
		return ""
	}
	return "balance moves not judged yet (activity.orders judges them on its next poll, once the withdraw and deposit history has been read past them): " + strings.Join(as, ", ")
}
