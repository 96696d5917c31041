package checks

import (
	"context"
	"slices"
	"strings"

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

// judgePermissions applies the spec's rules: withdraw → crit; no IP
// restriction on a key that can trade or withdraw → crit; a needed
// permission missing → crit; transfer beyond needs → warn; anything else
// beyond needs → warn. A permission the exchange bundles with trade (see
// exchange.BundledWithTrade) is not excess when trade is needed.
func judgePermissions(info exchange.KeyInfo, needs []string, ex string) Result {
	if len(needs) == 0 {
		needs = defaultNeeds
	}
	granted := map[string]any{}
	var excess, missing, unsure []string
	for _, name := range config.Permissions {
		t := info.Permissions.Get(name)
		granted[name] = triValue(t)
		need := slices.Contains(needs, name)
		bundled := exchange.BundledWithTrade(ex, name) && slices.Contains(needs, "trade")
		switch {
		case t == exchange.Yes && !need && !bundled:
			excess = append(excess, name)
		case t == exchange.No && need:
			missing = append(missing, name)
		case t == exchange.Unknown && need:
			unsure = append(unsure, name)
		}
	}
	raw := info.Raw
	if raw == nil {
		raw = []string{}
	}
	d := map[string]any{
		"granted":       granted,
		"ip_restricted": triValue(info.IPRestricted),
		"needs":         needs,
		"excess":        nonNil(excess),
		"missing":       nonNil(missing),
		"raw":           raw,
	}
	var crit, warn []string
	var hints []string
	if info.Permissions.Withdraw == exchange.Yes {
		crit = append(crit, "withdrawals enabled")
		hints = append(hints, "disable withdrawals for this key on the exchange")
	}
	canMove := info.Permissions.Trade == exchange.Yes || info.Permissions.Withdraw == exchange.Yes
	if canMove && info.IPRestricted == exchange.No {
		crit = append(crit, "no IP restriction")
		hints = append(hints, "restrict the key to this host's egress IP on the exchange")
	}
	if len(missing) > 0 {
		crit = append(crit, "missing "+strings.Join(missing, ", "))
		hints = append(hints, "grant "+strings.Join(missing, ", ")+" or remove it from needs")
	}
	if slices.Contains(excess, "transfer") {
		warn = append(warn, "transfer enabled")
	}
	var other []string
	for _, e := range excess {
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
	if canMove && info.IPRestricted == exchange.Unknown {
		warn = append(warn, "exchange does not say whether the key is IP-restricted")
		hints = append(hints, "check the key's IP restriction on the exchange's API management page")
	}
	if len(unsure) > 0 {
		warn = append(warn, "exchange does not report "+strings.Join(unsure, ", "))
	}
	// Silence is not safety: a key whose withdrawal right the exchange
	// does not report must be confirmed by hand.
	if info.Permissions.Withdraw == exchange.Unknown && !slices.Contains(needs, "withdraw") {
		warn = append(warn, "exchange does not say whether withdrawals are off")
		hints = append(hints, "confirm on the exchange's API management page that withdrawals are disabled for this key")
	}
	summary := grantedSummary(info.Permissions)
	switch {
	case len(crit) > 0:
		return Result{Status: Crit, Details: d, Summary: strings.Join(append(crit, warn...), "; "), Hint: strings.Join(hints, "; ")}
	case len(warn) > 0:
		return Result{Status: Warn, Details: d, Summary: strings.Join(warn, "; "), Hint: strings.Join(hints, "; ")}
	}
	return Result{Status: OK, Details: d, Summary: summary + " (needs: " + strings.Join(needs, ", ") + ")"}
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
