package checks

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

func runIPWhitelist(ctx context.Context, env *Env, p config.Profile) Result {
	type infoAns struct {
		info exchange.KeyInfo
		err  error
	}
	ch := make(chan infoAns, 1)
	go func() {
		i, err := env.KeyInfo(ctx, p)
		ch <- infoAns{i, err}
	}()
	eg, err := env.PublicIP(ctx)
	ia := <-ch
	if err != nil {
		return Result{Status: Unknown, Summary: "egress IP unknown: " + err.Error(),
			Hint: "see ip.public"}
	}
	return judgeWhitelist(eg.Addrs(), p, ia.info, ia.err)
}

// judgeWhitelist decides whether the egress addresses pass the key's
// whitelist. The exchange's own list is the truth when it reports one; the
// profile's list stands in when it does not. An IPv4 egress address that is
// not allowed is critical; an IPv6 one warns (the bot may reach the exchange
// over IPv4 only). No effective restriction on a key that can move value is
// critical here too: "any address may use it" is not a pass. An answer that
// cannot say (an ambiguous rejection, an entry that does not parse, a
// masked entry nothing confirms) is unknown.
func judgeWhitelist(egress []netip.Addr, p config.Profile, info exchange.KeyInfo, infoErr error) Result {
	cfgList := p.Whitelist
	eg := make([]string, 0, len(egress))
	for _, a := range egress {
		eg = append(eg, a.String())
	}
	var exList any
	if infoErr == nil && info.Whitelist != nil {
		exList = info.Whitelist
	}
	restriction := EffectiveRestriction(info)
	restricted := any(nil)
	if infoErr == nil {
		restricted = triValue(restriction.State)
	}
	d := map[string]any{
		"egress":             eg,
		"config_whitelist":   nonNil(cfgList),
		"exchange_whitelist": exList,
		"restricted":         restricted,
		"allowed":            nil,
	}
	if len(egress) == 0 {
		return Result{Status: Unknown, Details: d, Summary: "egress IP unknown", Hint: "see ip.public"}
	}
	switch exchange.CauseOf(infoErr) {
	case exchange.CauseIP:
		d["allowed"] = false
		return Result{Status: Crit, Details: d,
			Summary: "the exchange rejects this host's IP (" + strings.Join(eg, ", ") + "): " + infoErr.Error(),
			Hint:    "add " + strings.Join(eg, ", ") + " to the key's IP whitelist on the exchange"}
	case exchange.CauseAmbiguousAuth:
		r := unknownFromExchange("cannot tell whether this host may use the key", infoErr)
		r.Details = d
		r.Summary += " (the exchange does not say whether the key, this host's IP " + strings.Join(eg, ", ") + " or a permission is refused)"
		r.Hint = "on the exchange's API management page, check that the key exists, that its whitelist holds " + strings.Join(eg, ", ") + ", and that it may read its own permissions"
		return r
	}
	if infoErr == nil {
		switch {
		case restriction.State == exchange.No:
			d["allowed"] = true
			if j := JudgeKey(info, p.Needs, p.Exchange); j.Exposed() {
				return Result{Status: Crit, Details: d,
					Summary: "any address may use this key, which can move value: " + restriction.Why,
					Hint:    "restrict the key to " + strings.Join(eg, ", ") + " on the exchange (see key.permissions)"}
			}
			return Result{Status: OK, Details: d,
				Summary: "no IP restriction (" + restriction.Why + "), but the key cannot move value"}
		case restriction.State == exchange.Unknown && info.Whitelist != nil:
			return Result{Status: Unknown, Details: d,
				Summary: "cannot tell whether this host is allowed: " + restriction.Why,
				Hint:    "check the key's IP whitelist on the exchange's API management page"}
		}
	}
	list, from := cfgList, "config whitelist"
	if infoErr == nil && info.Whitelist != nil {
		list, from = info.Whitelist, "exchange whitelist"
	}
	if len(list) == 0 {
		if infoErr != nil {
			r := unknownFromExchange("whitelist unknown", infoErr)
			r.Details = d
			r.Hint = "set whitelist = [...] in the profile so keywarden can check the egress IP offline; " + r.Hint
			return r
		}
		return Result{Status: Warn, Details: d, Summary: "the exchange does not report the key's whitelist and the profile sets none",
			Hint: "add whitelist = [\"" + strings.Join(eg, "\", \"") + "\"] to the profile, matching the exchange's setting"}
	}
	var bad4, bad6, unconfirmed []string
	for _, a := range egress {
		exact, masked := match(a, list)
		switch {
		case exact:
		case masked && from == "exchange whitelist" && matchExact(a, cfgList):
			// The profile names the address and the masked entry fits it.
		case masked:
			unconfirmed = append(unconfirmed, a.String())
		case a.Is4():
			bad4 = append(bad4, a.String())
		default:
			bad6 = append(bad6, a.String())
		}
	}
	d["allowed"] = len(bad4)+len(bad6) == 0
	if len(unconfirmed) > 0 {
		d["allowed"] = nil
	}
	notes := ""
	if infoErr == nil && info.Whitelist != nil && len(cfgList) > 0 && !sameWhitelist(cfgList, info.Whitelist) {
		notes = "; config whitelist differs from the exchange's"
	}
	switch {
	case len(bad4) > 0:
		return Result{Status: Crit, Details: d,
			Summary: fmt.Sprintf("%s not in the %s (%s)%s", strings.Join(bad4, ", "), from, strings.Join(list, ", "), notes),
			Hint:    "add " + strings.Join(bad4, ", ") + " to the key's IP whitelist on the exchange, or route the bot through a whitelisted address"}
	case len(unconfirmed) > 0:
		return Result{Status: Unknown, Details: d,
			Summary: fmt.Sprintf("the exchange shows its whitelist masked (%s): it cannot confirm that %s is on it", strings.Join(list, ", "), strings.Join(unconfirmed, ", ")),
			Hint:    "add whitelist = [\"" + strings.Join(unconfirmed, "\", \"") + "\"] to the profile if the key's whitelist on the exchange holds it"}
	case len(bad6) > 0:
		return Result{Status: Warn, Details: d,
			Summary: fmt.Sprintf("IPv6 %s not in the %s%s", strings.Join(bad6, ", "), from, notes),
			Hint:    "add the IPv6 address to the whitelist, or make the bot use IPv4"}
	case notes != "":
		return Result{Status: Warn, Details: d, Summary: "whitelisted" + notes,
			Hint: "update the profile's whitelist to match the exchange"}
	}
	return Result{Status: OK, Details: d, Summary: fmt.Sprintf("%s whitelisted (%s)", strings.Join(eg, ", "), from)}
}

// whitelisted reports whether a matches an entry: an IP, a CIDR, or a masked
// pattern as KuCoin shows them ("203.**.154", each run of * standing for
// hidden digits and dots).
func whitelisted(a netip.Addr, list []string) bool {
	exact, masked := match(a, list)
	return exact || masked
}

// match reports whether a is on the list by an IP or CIDR entry (exact),
// and whether only a masked entry fits it, which cannot confirm it.
func match(a netip.Addr, list []string) (exact, masked bool) {
	a = a.Unmap()
	for _, w := range list {
		w = strings.TrimSpace(w)
		if strings.Contains(w, "*") {
			if re := maskedPattern(w); re != nil && re.MatchString(a.String()) {
				masked = true
			}
		} else if matchExact(a, []string{w}) {
			return true, false
		}
	}
	return false, masked
}

// matchExact reports whether an IP or CIDR entry of list holds a.
func matchExact(a netip.Addr, list []string) bool {
	a = a.Unmap()
	for _, w := range list {
		w = strings.TrimSpace(w)
		if p, err := netip.ParsePrefix(w); err == nil && p.Contains(a) {
			return true
		}
		if b, err := netip.ParseAddr(w); err == nil && b.Unmap() == a {
			return true
		}
	}
	return false
}

var starRun = regexp.MustCompile(`\\\*(\\\*)*`)

// maskedPattern compiles a masked entry, or returns nil for one that cannot
// be an address pattern (invalid UTF-8).
func maskedPattern(w string) *regexp.Regexp {
	q := regexp.QuoteMeta(w)
	q = starRun.ReplaceAllString(q, `[0-9a-fA-F.:]*`)
	re, err := regexp.Compile("^" + q + "$")
	if err != nil {
		return nil
	}
	return re
}

// sameWhitelist reports whether the profile's whitelist and the one the
// exchange reports name the same entries. A masked exchange entry
// ("203.**.154") stands for any config address it matches, so a KuCoin key
// set up exactly as the config says is not reported as different.
func sameWhitelist(cfg, ex []string) bool {
	covers := func(w, c string) bool {
		w, c = strings.TrimSpace(w), strings.TrimSpace(c)
		if w == c {
			return true
		}
		if strings.Contains(w, "*") {
			re := maskedPattern(w)
			return re != nil && re.MatchString(c)
		}
		a, errA := netip.ParseAddr(w)
		b, errB := netip.ParseAddr(c)
		if errA == nil && errB == nil {
			return a.Unmap() == b.Unmap()
		}
		p, errP := netip.ParsePrefix(w)
		q, errQ := netip.ParsePrefix(c)
		return errP == nil && errQ == nil && p.Masked() == q.Masked()
	}
	for _, w := range ex {
		if !slices.ContainsFunc(cfg, func(c string) bool { return covers(w, c) }) {
			return false
		}
	}
	for _, c := range cfg {
		if !slices.ContainsFunc(ex, func(w string) bool { return covers(w, c) }) {
			return false
		}
	}
	return true
}
