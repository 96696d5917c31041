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
			in.ExpiresAt = realTime(info.ExpiresAt)
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

func judgeKeyAge(in keyAgeInput) Result {
	d := map[string]any{
		"created_at": nil, "age_days": nil, "max_age_days": int(in.MaxAge / day),
		"rotate_by": nil, "days_left": nil, "expires_at": rfc3339(in.ExpiresAt),
		"created_source": nil,
	}
	var expiry *Result
	if !in.ExpiresAt.IsZero() {
		left := in.ExpiresAt.Sub(in.Now)
		switch {
		case left <= 0:
			expiry = &Result{Status: Crit, Summary: "key expired on the exchange " + in.ExpiresAt.UTC().Format("2006-01-02"),
				Hint: "create a new key and store it with `keywarden rotate`"}
		case left < expirySoon:
			expiry = &Result{Status: Crit, Summary: fmt.Sprintf("exchange expires the key in %s", days(int(left/day))),
				Hint: "rotate now with `keywarden rotate`, or bind the key to an IP (unbound keys expire)"}
		}
	}
	if in.Created.IsZero() {
		r := Result{Status: Unknown, Details: d, Summary: "key creation date unknown",
			Hint: "neither the exchange nor the keystore gave a creation date: set created = YYYY-MM-DD in the profile"}
		if in.InfoErr != nil {
			r.Summary += " (exchange: " + in.InfoErr.Error() + ")"
		}
		if expiry != nil {
			expiry.Details = d
			return *expiry
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
	if expiry != nil {
		expiry.Details = d
		return *expiry
	}
	switch {
	case left < 0:
		return Result{Status: Crit, Details: d,
			Summary: fmt.Sprintf("key is %s old, past its %s max age", days(ageDays), days(int(in.MaxAge/day))),
			Hint:    "rotate it: `keywarden rotate` (new key first, then revoke the old one)"}
	case left <= in.WarnBefore:
		return Result{Status: Warn, Details: d,
			Summary: fmt.Sprintf("%s old, rotate within %s", days(ageDays), days(leftDays)),
			Hint:    "plan a rotation: `keywarden rotate`"}
	}
	return Result{Status: OK, Details: d,
		Summary: fmt.Sprintf("%s old, rotate in %s", days(ageDays), days(leftDays))}
}
