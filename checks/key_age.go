package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

// expirySoon is how close an exchange-side expiry must be to be critical.
const expirySoon = 7 * day

// keyAgeInput is what key.age judges: the creation time from the best
// source, the policy, and the exchange-side expiry.
type keyAgeInput struct {
	Created    time.Time
	Source     string // "exchange", "keystore" or "config"
	MaxAge     time.Duration
	WarnBefore time.Duration
	ExpiresAt  time.Time
	// ExpiresWhat names what expires when not the key ("trading
	// permission").
	ExpiresWhat string
	// Inactivity, when set, is why the exchange may expire the key after a
	// spell without use (OKX: trade or withdraw and no IP binding).
	Inactivity string
	Now        time.Time
	InfoErr    error // why the exchange was not asked or did not answer
}

// runKeyAge gathers the creation date: from the exchange when it reports
// one (unless offline), else the keystore item, else the config's created.
func runKeyAge(ctx context.Context, env *Env, p config.Profile, offline bool) Result {
	cfg := env.Config()
	in := keyAgeInput{MaxAge: p.MaxAge, WarnBefore: cfg.Rotation.WarnBefore, Now: env.Now()}
	if in.MaxAge <= 0 {
		in.MaxAge = cfg.Rotation.MaxAge
	}
	if in.MaxAge <= 0 {
		in.MaxAge = 90 * day
	}
	if in.WarnBefore <= 0 {
		in.WarnBefore = 14 * day
	}
	if !offline {
		// A hanging exchange must not cost the keystore's date: leave a
		// fifth of the deadline for the fallbacks.
		kctx, cancel := context.WithCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			kctx, cancel = context.WithTimeout(ctx, time.Until(dl)*4/5)
		}
		var info exchange.KeyInfo
		info, in.InfoErr = env.KeyInfo(kctx, p)
		cancel()
		if in.InfoErr == nil {
			in.ExpiresAt, in.ExpiresWhat = realTime(info.ExpiresAt), info.ExpiresWhat
			in.Inactivity = inactivityRule(p.Exchange, info)
			if t := realTime(info.CreatedAt); !t.IsZero() {
				in.Created, in.Source = t, "exchange"
			}
		}
	}
	if in.Created.IsZero() {
		if it, err := env.Item(ctx, p.Name); err == nil && !it.CreatedAt.IsZero() {
			in.Created, in.Source = it.CreatedAt, "keystore"
		}
	}
	if in.Created.IsZero() && !p.Created.IsZero() {
		in.Created, in.Source = p.Created, "config"
	}
	return judgeKeyAge(in)
}

// realTime drops sentinel dates some exchanges use for "none" (Bybit's
// 1970-01-01 expiredAt).
func realTime(t time.Time) time.Time {
	if t.Year() < 2000 {
		return time.Time{}
	}
	return t
}

// okxIdle is how long OKX keeps an unbound trading key without use.
const okxIdle = 14 * day

// inactivityRule says why the exchange may expire this key when idle: OKX
// expires keys with trade or withdraw and no IP binding after 14 days
// without an authenticated call (OKX API docs, "API key security").
func inactivityRule(ex string, info exchange.KeyInfo) string {
	if ex != "okx" || EffectiveRestriction(info).State == exchange.Yes {
		return ""
	}
	p := info.Permissions
	if p.Trade == exchange.No && p.Withdraw == exchange.No {
		return ""
	}
	return fmt.Sprintf("OKX expires a key with trade or withdraw and no IP binding after %s without use", days(int(okxIdle/day)))
}

func judgeKeyAge(in keyAgeInput) Result {
	d := map[string]any{
		"created_at": nil, "age_days": nil, "max_age_days": int(in.MaxAge / day),
		"rotate_by": nil, "days_left": nil, "expires_at": rfc3339(in.ExpiresAt),
		"created_source": nil,
	}
	if in.ExpiresWhat != "" {
		d["expires"] = in.ExpiresWhat
	}
	age := judgeAge(in, d)
	var notes []Result
	if e, ok := judgeExpiry(in); ok {
		notes = append(notes, e)
	}
	if in.Inactivity != "" {
		notes = append(notes, Result{Status: Warn, Summary: in.Inactivity,
			Hint: "bind the key to this host's IP on the exchange, or make sure the bot calls the API at least every few days"})
	}
	// The worst finding leads; the others follow it in the summary.
	out := age
	for _, n := range notes {
		if n.Status.Worse(out.Status) {
			out.Status, out.Summary, out.Hint = n.Status, n.Summary+"; "+out.Summary, n.Hint
		} else {
			out.Summary += "; " + n.Summary
			if out.Hint == "" {
				out.Hint = n.Hint
			}
		}
	}
	out.Details = d
	return out
}

// judgeExpiry judges an exchange-side expiry: past or within 7 days is
// critical, within warn_before a warning.
func judgeExpiry(in keyAgeInput) (Result, bool) {
	if in.ExpiresAt.IsZero() {
		return Result{}, false
	}
	what := "key"
	if in.ExpiresWhat != "" {
		what = "key's " + in.ExpiresWhat
	}
	left := in.ExpiresAt.Sub(in.Now)
	when := in.ExpiresAt.UTC().Format("2006-01-02")
	switch {
	case left <= 0:
		return Result{Status: Crit, Summary: fmt.Sprintf("the exchange expired the %s on %s", what, when),
			Hint: "create a new key and store it with `keywarden rotate`"}, true
	case left < expirySoon:
		return Result{Status: Crit, Summary: fmt.Sprintf("the exchange expires the %s in %s (%s)", what, days(int(left/day)), when),
			Hint: "rotate now with `keywarden rotate`, or bind the key to an IP (unbound keys expire)"}, true
	case left <= in.WarnBefore:
		return Result{Status: Warn, Summary: fmt.Sprintf("the exchange expires the %s in %s (%s)", what, days(int(left/day)), when),
			Hint: "plan a rotation before then: `keywarden rotate`"}, true
	}
	return Result{}, false
}

// judgeAge judges the key's age against max_age and warn_before, filling
// the age fields of d.
func judgeAge(in keyAgeInput, d map[string]any) Result {
	if in.Created.IsZero() {
		r := Result{Status: Unknown, Summary: "key creation date unknown",
			Hint: "neither the exchange nor the keystore gave a creation date: set created = YYYY-MM-DD in the profile"}
		if in.InfoErr != nil {
			r.Summary += " (exchange: " + in.InfoErr.Error() + ")"
		}
		return r
	}
	age := in.Now.Sub(in.Created)
	rotateBy := in.Created.Add(in.MaxAge)
	left := rotateBy.Sub(in.Now)
	// Age counts whole days passed, days left whole days begun, so the two
	// add up to the max age; an hour overdue is -1 days left.
	ageDays, leftDays := int(age/day), int(left/day)
	if left%day != 0 {
		if left > 0 {
			leftDays++
		} else {
			leftDays--
		}
	}
	d["created_at"] = rfc3339(in.Created)
	d["created_source"] = in.Source
	d["age_days"] = ageDays
	d["rotate_by"] = rfc3339(rotateBy)
	d["days_left"] = leftDays
	switch {
	case left < 0:
		return Result{Status: Crit,
			Summary: fmt.Sprintf("key is %s old, past its %s max age", days(ageDays), days(int(in.MaxAge/day))),
			Hint:    "rotate it: `keywarden rotate` (new key first, then revoke the old one)"}
	case left <= in.WarnBefore:
		return Result{Status: Warn,
			Summary: fmt.Sprintf("%s old, rotate within %s", days(ageDays), days(leftDays)),
			Hint:    "plan a rotation: `keywarden rotate`"}
	}
	return Result{Status: OK, Summary: fmt.Sprintf("%s old, rotate in %s", days(ageDays), days(leftDays))}
}
