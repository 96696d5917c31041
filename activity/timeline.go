package activity

import (
	"context"
	"fmt"
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
	// Kind is order, withdrawal, transfer, deposit or key.
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
	// Ours is true for the bot's own orders and for what the profile
	// allows or the trader acknowledged.
	Ours     bool   `json:"ours"`
	Verdict  string `json:"verdict"`
	Evidence string `json:"evidence"`
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
	var unlisted []string
	orders, err := sess.client.Orders(ctx, sess.creds, sess.offset, exchange.OrderQuery{Since: since, Symbols: ledger.Symbols,
		Unlisted: &unlisted, Unread: func(why string) { tl.BlindSpots = append(tl.BlindSpots, why) }})
	if len(unlisted) > 0 {
		tl.BlindSpots = append(tl.BlindSpots, fmt.Sprintf("symbols the audit log names that %s does not list: %s", p.Exchange, strings.Join(unlisted, ", ")))
	}
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
