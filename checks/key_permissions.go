package checks

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

// defaultNeeds is what a profile without `needs` is judged against: a bot
// that reads balances and trades.
var defaultNeeds = []string{"read", "trade"}

func runKeyPermissions(ctx context.Context, env *Env, p config.Profile) Result {
	info, err := env.KeyInfo(ctx, p)
	if err != nil {
		return permissionsUnknown(err, p.Needs)
	}
	return judgePermissions(info, p.Needs, p.Exchange)
}

// permissionsUnknown is key.permissions when the exchange did not answer:
// the spec's fields, null where unknown.
func permissionsUnknown(err error, needs []string) Result {
	r := unknownFromExchange("cannot read the key's permissions", err)
	if len(needs) == 0 {
		needs = defaultNeeds
	}
	for k, v := range map[string]any{"granted": nil, "ip_restricted": nil, "needs": needs,
		"excess": []string{}, "missing": []string{}, "raw": []string{}} {
		r.Details[k] = v
	}
	return r
}

// unknownFromExchange turns a failed exchange call into an unknown result
// that names the cause and what to do.
func unknownFromExchange(what string, err error) Result {
	r := Result{Status: Unknown, Summary: what + ": " + err.Error(),
		Details: map[string]any{"error": err.Error(), "cause": string(exchange.CauseOf(err))}}
	switch exchange.CauseOf(err) {
	case exchange.CauseClock:
		r.Hint = "the exchange rejected the timestamp: fix the host clock (see clock.exchange)"
	case exchange.CauseIP:
		r.Hint = "the exchange rejected this host's IP: add the egress IP to the key's whitelist"
	case exchange.CauseKey, exchange.CauseSignature, exchange.CauseAmbiguousAuth:
		r.Hint = "the exchange rejected the key: check it is the right key for this endpoint, or store it again with `keywarden import`"
	case exchange.CausePermission:
		r.Hint = "the key may not read its own permissions: enable read access for it"
	case exchange.CauseRateLimit:
		r.Hint = "rate limited by the exchange: wait and run the check again"
	case exchange.CauseTimeout, exchange.CauseNetwork, exchange.CauseServer, exchange.CauseMalformed:
		r.Hint = "the exchange did not answer properly: check the network or base_url, then run the check again"
	default:
		if strings.Contains(err.Error(), "no stored key") {
			r.Hint = "store the key: `keywarden import` or `keywarden add`"
		}
	}
	return r
}

// KeyJudgement is the one reading of a key-info answer that the
// key.permissions check, the wizard, `rotate --from` and the exec gate all
// act on.
type KeyJudgement struct {
	Needs   []string
	Granted exchange.Permissions
	// CanMove lists the value-moving capabilities the key has; MayMove those
	// the exchange's answer does not settle (exchange.ValueMovingNames).
	CanMove, MayMove []string
	// Unrecognized lists permission names no table of keywarden knows:
	// what they grant is unknown.
	Unrecognized []string
	Restriction  Restriction
	// Excess is granted beyond needs; Missing is needed and not granted;
	// Unsure is needed and not reported.
	Excess, Missing, Unsure []string
	// Created and Expires are the key's dates as the exchange reports them;
	// zero when it does not.
	Created, Expires time.Time
}

// Exposed reports whether the key can (or may) move value: a leaked key
// like it costs money unless the IP restriction stops it.
func (j KeyJudgement) Exposed() bool {
	return len(j.CanMove)+len(j.MayMove)+len(j.Unrecognized) > 0
}

// JudgeKey reads info against needs (the default read and trade when
// empty). A permission the exchange bundles with trade (see
// exchange.BundledWithTrade) is not excess when trade is needed.
func JudgeKey(info exchange.KeyInfo, needs []string, ex string) KeyJudgement {
	if len(needs) == 0 {
		needs = defaultNeeds
	}
	j := KeyJudgement{Needs: needs, Granted: info.Permissions, Restriction: EffectiveRestriction(info),
		Created: realTime(info.CreatedAt), Expires: realTime(info.ExpiresAt)}
	if u := info.Permissions.Unrecognized; u != "" {
		j.Unrecognized = strings.Split(u, ",")
		// Whatever a decoder made of it, an unknown name leaves trade and
		// withdraw unsettled unless something else granted them.
		for _, f := range []*exchange.Tri{&j.Granted.Trade, &j.Granted.Withdraw} {
			if *f != exchange.Yes {
				*f = exchange.Unknown
			}
		}
	}
	j.CanMove, j.MayMove = j.Granted.ValueMoving()
	for _, name := range config.Permissions {
		t := j.Granted.Get(name)
		need := slices.Contains(needs, name)
		bundled := exchange.BundledWithTrade(ex, name) && slices.Contains(needs, "trade")
		switch {
		case t == exchange.Yes && !need && !bundled:
			j.Excess = append(j.Excess, name)
		case t == exchange.No && need:
			j.Missing = append(j.Missing, name)
		case t == exchange.Unknown && need:
			j.Unsure = append(j.Unsure, name)
		}
	}
	return j
}

// movers lists what the key moves value with: "trade, withdraw", then
// what the answer leaves open.
func (j KeyJudgement) movers() string {
	parts := slices.Clone(j.CanMove)
	if len(j.MayMove) > 0 {
		parts = append(parts, "maybe "+strings.Join(j.MayMove, ", ")+" (not reported)")
	}
	if len(j.Unrecognized) > 0 {
		parts = append(parts, strings.Join(j.Unrecognized, ", ")+" (unrecognised)")
	}
	return strings.Join(parts, ", ")
}

// judgePermissions applies the spec's rules to one answer. Crit: withdraw;
// no effective IP restriction on a key that can, or may, move value; a
// needed permission missing. Unknown: the restriction cannot be read on
// such a key; a permission name keywarden does not know. Warn: transfer or
// anything else beyond needs; a needed permission or withdrawal the
// exchange does not report.
func judgePermissions(info exchange.KeyInfo, needs []string, ex string) Result {
	j := JudgeKey(info, needs, ex)
	granted := map[string]any{}
	for _, name := range config.Permissions {
		granted[name] = triValue(j.Granted.Get(name))
	}
	for _, name := range exchange.ValueMovingNames {
		granted[name] = triValue(j.Granted.Get(name))
	}
	raw := info.Raw
	if raw == nil {
		raw = []string{}
	}
	d := map[string]any{
		"granted":       granted,
		"ip_restricted": triValue(j.Restriction.State),
		"needs":         j.Needs,
		"excess":        nonNil(j.Excess),
		"missing":       nonNil(j.Missing),
		"raw":           raw,
		"can_move":      nonNil(j.CanMove),
		"may_move":      nonNil(j.MayMove),
		"unrecognized":  nonNil(j.Unrecognized),
	}
	if j.Restriction.Why != "" {
		d["ip_restriction"] = j.Restriction.Why
	}
	var crit, unknown, warn, hints []string
	if j.Granted.Withdraw == exchange.Yes {
		crit = append(crit, "withdrawals enabled")
		hints = append(hints, "disable withdrawals for this key on the exchange")
	}
	if j.Exposed() {
		switch j.Restriction.State {
		case exchange.No:
			why := ""
			if j.Restriction.Why != noRestriction {
				why = " (" + j.Restriction.Why + ")"
			}
			crit = append(crit, "no IP restriction"+why+" on a key with "+j.movers())
			hints = append(hints, "restrict the key to this host's egress IP on the exchange")
		case exchange.Unknown:
			unknown = append(unknown, "IP restriction unknown ("+j.Restriction.Why+") on a key with "+j.movers())
			hints = append(hints, "check the key's IP restriction on the exchange's API management page")
		}
	}
	if len(j.Missing) > 0 {
		crit = append(crit, "missing "+strings.Join(j.Missing, ", "))
		hints = append(hints, "grant "+strings.Join(j.Missing, ", ")+" or remove it from needs")
	}
	if len(j.Unrecognized) > 0 && j.Restriction.State == exchange.Yes {
		unknown = append(unknown, "unrecognised permission "+strings.Join(j.Unrecognized, ", ")+": what it grants is unknown")
		hints = append(hints, "look the permission up on the exchange's API management page, and report it to keywarden")
	}
	if slices.Contains(j.Excess, "transfer") {
		warn = append(warn, "transfer enabled")
	}
	var other []string
	for _, e := range j.Excess {
		if e != "transfer" && e != "withdraw" {
			other = append(other, e)
		}
	}
	if len(other) > 0 {
		warn = append(warn, "more than needed: "+strings.Join(other, ", "))
	}
	if len(warn) > 0 {
		hints = append(hints, "remove permissions the bot does not need (least privilege)")
	}
	if len(j.Unsure) > 0 {
		warn = append(warn, "exchange does not report "+strings.Join(j.Unsure, ", "))
	}
	// Silence is not safety: a key whose withdrawal right the exchange
	// does not report must be confirmed by hand.
	if j.Granted.Withdraw == exchange.Unknown && !slices.Contains(j.Needs, "withdraw") && len(j.Unrecognized) == 0 {
		warn = append(warn, "exchange does not say whether withdrawals are off")
		hints = append(hints, "confirm on the exchange's API management page that withdrawals are disabled for this key")
	}
	r := Result{Details: d, Hint: strings.Join(hints, "; "), key: &j}
	switch {
	case len(crit) > 0:
		r.Status, r.Summary = Crit, strings.Join(slices.Concat(crit, unknown, warn), "; ")
	case len(unknown) > 0:
		r.Status, r.Summary = Unknown, strings.Join(slices.Concat(unknown, warn), "; ")
	case len(warn) > 0:
		r.Status, r.Summary = Warn, strings.Join(warn, "; ")
	default:
		r.Status, r.Hint = OK, ""
		r.Summary = grantedSummary(j.Granted) + " (needs: " + strings.Join(j.Needs, ", ") + ")"
	}
	return r
}

// grantedSummary lists the granted permissions: "trade · read".
func grantedSummary(p exchange.Permissions) string {
	var on []string
	for _, name := range config.Permissions {
		if p.Get(name) == exchange.Yes {
			on = append(on, name)
		}
	}
	if len(on) == 0 {
		return "no permissions"
	}
	return strings.Join(on, " · ")
}

// triValue is true, false or nil for details.
func triValue(t exchange.Tri) any {
	switch t {
	case exchange.Yes:
		return true
	case exchange.No:
		return false
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
