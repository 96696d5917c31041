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

// recentMovements is how many of the last day's movements the result
// shows besides the unacknowledged ones.
const recentMovements = 50

// fundsState is funds.json.
type fundsState struct {
	history
	// Alarms are the withdrawals and transfers out that the profile does
	// not allow and nobody acknowledged.
	Alarms []exchange.Movement `json:"alarms"`
	// Recent are the allowed movements and deposits of the last day.
	Recent []exchange.Movement `json:"recent"`
}

// MovementView is one movement as the funds check reports it.
type MovementView struct {
	Kind    exchange.MovementKind `json:"kind"`
	ID      string                `json:"id"`
	Asset   string                `json:"asset"`
	Amount  string                `json:"amount"`
	To      string                `json:"to"`
	Time    any                   `json:"time"`
	Allowed bool                  `json:"allowed"`
}

func viewOf(m exchange.Movement, allowed bool) MovementView {
	return MovementView{Kind: m.Kind, ID: m.ID, Asset: m.Asset, Amount: m.Amount, To: m.To, Time: stamp(m.Time), Allowed: allowed}
}

// Allowed reports whether a movement is accepted: deposits always, a
// withdrawal or transfer out when the profile allows it, an acknowledged
// one always.
func Allowed(m exchange.Movement, act config.Activity, a Acks) bool {
	return m.Kind == exchange.Deposit || act.Allowed(m.To) || a.has(m.ID)
}

func runFunds(ctx context.Context, env *checks.Env, p config.Profile, s store) checks.Result {
	sess, bad := open(ctx, env, p, FundsID)
	if bad != nil {
		return *bad
	}
	a, err := acks(s)
	if err != nil {
		return unknown(FundsID, p, "activity state unreadable", err.Error())
	}
	blind := BlindSpots(p.Exchange)
	now := env.Now().UTC()
	var st fundsState
	every := readGap(p.Exchange, FundsID)
	pd, err := poll(ctx, s, "funds", &st, now, source[exchange.Movement]{
		every: every,
		fetch: func(from time.Time) ([]exchange.Movement, error) {
			return sess.client.Movements(ctx, sess.creds, sess.offset, from)
		},
		key: func(m exchange.Movement) (string, time.Time) { return string(m.Kind) + " " + m.ID, m.Time },
		judge: func(m exchange.Movement) bool {
			if Allowed(m, p.Activity, a) {
				st.Recent = append(st.Recent, m)
			} else {
				st.Alarms = append(st.Alarms, m)
			}
			return true
		},
		settle: func() error {
			// An ack or a newly allowed address moves an alarm to the recent list.
			st.Alarms = slices.DeleteFunc(st.Alarms, func(m exchange.Movement) bool {
				if Allowed(m, p.Activity, a) {
					st.Recent = append(st.Recent, m)
					return true
				}
				return false
			})
			st.Recent = slices.DeleteFunc(st.Recent, func(m exchange.Movement) bool { return m.Time.Before(now.Add(-24 * time.Hour)) })
			slices.SortStableFunc(st.Recent, func(x, y exchange.Movement) int { return x.Time.Compare(y.Time) })
			if len(st.Recent) > recentMovements {
				st.Recent = st.Recent[len(st.Recent)-recentMovements:]
			}
			return nil
		},
	})
	if pd.failed != nil {
		return pollFailed(FundsID, p, pd.failed, blind)
	}
	if err != nil {
		return unknown(FundsID, p, "activity state unwritable", err.Error())
	}
	views := make([]MovementView, 0, len(st.Alarms)+len(st.Recent))
	for _, m := range st.Alarms {
		views = append(views, viewOf(m, false))
	}
	for _, m := range st.Recent {
		views = append(views, viewOf(m, true))
	}
	if pd.lost {
		blind = append(blind, "the last poll was more than 7 days ago: movements between then and a week ago were not read")
	}
	r := checks.Result{Details: map[string]any{"movements": views, "blind_spots": blind, "baseline_at": stamp(st.Baseline)}}
	switch {
	case pd.first:
		r.Status = checks.OK
		r.Summary = "baseline set: withdrawals, transfers and deposits from now on are checked"
	case len(st.Alarms) > 0:
		r.Status = checks.Crit
		var parts, ids []string
		for _, m := range st.Alarms {
			parts = append(parts, fmt.Sprintf("%s %s %s %s to %s (id %s)", stamp(m.Time), m.Kind, m.Amount, m.Asset, orNone(m.To), m.ID))
			ids = append(ids, m.ID)
		}
		r.Summary = fmt.Sprintf("%d %s out of the account not allowed by the profile: %s", len(st.Alarms), plural(len(st.Alarms), "move", "moves"), strings.Join(parts, "; "))
		r.Hint = fmt.Sprintf("if you did not make it, revoke the key and contact the exchange now (keywarden rotate %s); if you did: keywarden activity ack %s %s, or allow the address in activity.addresses", p.Name, p.Name, strings.Join(ids, " "))
	default:
		r.Status = checks.OK
		r.Summary = fmt.Sprintf("no withdrawal or transfer out that the profile does not allow (%d %s in the last day)", len(st.Recent), plural(len(st.Recent), "movement", "movements"))
	}
	spaced(&r, every, st.Cursor, pd.skipped)
	return r
}
