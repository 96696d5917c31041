// Package activity tells what a profile's API key did that the bot did
// not: it reads the exchange's own order and funds history and the key's
// own snapshot, compares them with the bot's audit log and with the last
// poll, and builds the activity.orders, activity.funds and activity.key
// checks. State (cursors, the last key snapshot, undecided findings and
// acks) persists under DefaultStateDir, so a restart neither misses nor
// re-alerts, and the first run of each check sets a baseline and says so.
package activity

import (
	"context"
	"fmt"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

// Check ids.
const (
	OrdersID = "activity.orders"
	FundsID  = "activity.funds"
	KeyID    = "activity.key"
)

// Grace is how long an exchange order may wait for the bot to log it: the
// bot writes its log line after the exchange answers, and the exchange's
// history is eventually consistent. An order is judged sooner once the
// bot's log has moved on past it (Settle).
const Grace = 2 * time.Minute

// overlap is how far back each poll reaches before the last one, so that
// a record the exchange shows late is still seen; records already decided
// are skipped by id.
const overlap = Grace + 5*time.Minute

// maxLookback bounds how far back a poll reaches after an outage: an
// outage longer than that loses evidence (and the result says so).
const maxLookback = 7 * 24 * time.Hour

// Checks returns the constructors of the three checks, for
// checks.Deps.Extra. stateDir "" is DefaultStateDir. activity.orders and
// activity.funds apply only to exchanges whose history keywarden reads.
func Checks(stateDir string) []func(config.Profile) checks.Check {
	mk := func(id string, run func(context.Context, *checks.Env, config.Profile, store) checks.Result) func(config.Profile) checks.Check {
		return func(p config.Profile) checks.Check {
			// The key's snapshot is every exchange's; order and funds
			// history only some adapters read (the key check's blind
			// spots say which are not).
			if id != KeyID && !exchange.HasActivity(p.Exchange) {
				return nil
			}
			return checks.Func{CheckID: id, ProfileName: p.Name, Fn: func(ctx context.Context, env *checks.Env) checks.Result {
				start := time.Now()
				s, err := storeFor(stateDir, p.Name)
				var r checks.Result
				if err != nil {
					r = unknown(id, p, "no place for activity state", err.Error())
				} else {
					r = run(ctx, env, p, s)
				}
				r.ID, r.Profile, r.Duration = id, p.Name, time.Since(start)
				return r
			}}
		}
	}
	return []func(config.Profile) checks.Check{
		mk(OrdersID, runOrders),
		mk(FundsID, runFunds),
		mk(KeyID, runKey),
	}
}

func unknown(id string, p config.Profile, summary, hint string) checks.Result {
	return checks.Result{ID: id, Profile: p.Name, Status: checks.Unknown, Summary: summary, Hint: hint,
		Details: map[string]any{}}
}

// session is what the orders and funds checks need to call the exchange.
type session struct {
	client exchange.ActivityClient
	creds  keystore.Item
	offset time.Duration
	// keyInfo is the key's own answer, read once per run for every check
	// (exchange.OrderQuery.KeyInfo).
	keyInfo func(context.Context) (exchange.KeyInfo, error)
}

// open returns the profile's activity client, or a result saying why there
// is none.
func open(ctx context.Context, env *checks.Env, p config.Profile, id string) (session, *checks.Result) {
	c, err := env.Client(p)
	if err != nil {
		r := unknown(id, p, "no exchange client", err.Error())
		return session{}, &r
	}
	ac, ok := c.(exchange.ActivityClient)
	if !ok {
		r := unknown(id, p, fmt.Sprintf("%s history is not yet monitored", p.Exchange),
			"keywarden cannot read this exchange's order and funds history yet; see docs/activity.md")
		r.Details["blind_spots"] = BlindSpots(p.Exchange)
		return session{}, &r
	}
	creds, err := env.Item(ctx, p.Name)
	if err != nil {
		r := unknown(id, p, "stored key unavailable", err.Error())
		return session{}, &r
	}
	var off time.Duration
	if ts, err := env.ServerTime(ctx, p); err == nil {
		if best, ok := ts.Best(); ok {
			off = best.Offset()
		}
	}
	keyInfo := func(ctx context.Context) (exchange.KeyInfo, error) { return env.KeyInfo(ctx, p) }
	return session{client: ac, creds: creds, offset: off, keyInfo: keyInfo}, nil
}

// acks reads the profile's acks; a damaged file is an error.
func acks(s store) (Acks, error) {
	var a Acks
	err := read(s, "acks", &a)
	return a, err
}

// since is where a poll starts: overlap before the last poll's end, never
// more than maxLookback ago; lost is set when the cursor was older.
func since(cursor, now time.Time) (from time.Time, lost bool) {
	from = cursor.Add(-overlap)
	if limit := now.Add(-maxLookback); from.Before(limit) {
		return limit, true
	}
	return from, false
}

// stamp renders a time for details: RFC 3339 UTC, nil for the zero time.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
