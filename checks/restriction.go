package checks

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/keywarden/keywarden/exchange"
)

// The widest prefixes that still count as a restriction. An IPv4 prefix
// shorter than /16 (more than 65,536 addresses) or an IPv6 prefix shorter
// than /48 (more than one site) admits far more than one server: anyone who
// rents a machine in that range can use the key. Such an entry counts as no
// restriction, like `*` or 0.0.0.0/0.
const (
	minPrefix4 = 16
	minPrefix6 = 48
)

// noRestriction is the plain reason: the exchange says so.
const noRestriction = "the exchange reports no IP restriction"

// Restriction is whether a key's IP restriction is effective: Yes only when
// the exchange says the key is bound and every entry it reports is narrow
// enough to mean something.
type Restriction struct {
	State exchange.Tri
	// Why explains a No or Unknown ("the whitelist admits every address
	// (0.0.0.0/0)").
	Why string
	// Masked is set when some entry is masked (KuCoin "203.**.7"): the
	// restriction exists, but the list cannot confirm that an address is on
	// it.
	Masked bool
}

// EffectiveRestriction reads the restriction out of a key-info answer.
func EffectiveRestriction(info exchange.KeyInfo) Restriction {
	if info.IPRestricted == exchange.No {
		return Restriction{State: exchange.No, Why: noRestriction}
	}
	if info.Whitelist == nil {
		if info.IPRestricted == exchange.Yes {
			return Restriction{State: exchange.Yes}
		}
		return Restriction{State: exchange.Unknown, Why: "the exchange does not say whether the key is IP-restricted"}
	}
	if len(info.Whitelist) == 0 {
		return Restriction{State: exchange.No, Why: "the exchange reports an empty IP whitelist"}
	}
	r := Restriction{State: exchange.Yes}
	for _, e := range info.Whitelist {
		switch kind, why := classifyEntry(e); kind {
		case entryAdmitsAll:
			return Restriction{State: exchange.No, Why: why}
		case entryBad:
			r = Restriction{State: exchange.Unknown, Why: why}
		case entryMasked:
			r.Masked = true
		}
	}
	return r
}

type entryKind int

const (
	entryNarrow entryKind = iota
	entryMasked
	entryAdmitsAll
	entryBad
)

// classifyEntry sorts one whitelist entry, with the reason for the two
// kinds that defeat a restriction.
func classifyEntry(e string) (entryKind, string) {
	w := strings.TrimSpace(e)
	if strings.Contains(w, "*") {
		if strings.Trim(w, "*.:") == "" {
			return entryAdmitsAll, fmt.Sprintf("the whitelist admits every address (%q)", w)
		}
		if strings.Trim(w, "0123456789abcdefABCDEF.:*") != "" || maskedPattern(w) == nil {
			return entryBad, fmt.Sprintf("whitelist entry %q is not an address, prefix or masked address", w)
		}
		return entryMasked, ""
	}
	if strings.Contains(w, "/") {
		p, err := netip.ParsePrefix(w)
		if err != nil {
			return entryBad, fmt.Sprintf("whitelist entry %q is not an address, prefix or masked address", w)
		}
		bits, min := p.Bits(), minPrefix6
		switch {
		case p.Addr().Is4():
			min = minPrefix4
		case p.Addr().Is4In6():
			// ::ffff:0.0.0.0/96 is all of IPv4.
			bits, min = bits-96, minPrefix4
		}
		switch {
		case bits == 0:
			return entryAdmitsAll, fmt.Sprintf("the whitelist admits every address (%s)", p)
		case bits < min:
			return entryAdmitsAll, fmt.Sprintf("the whitelist entry %s admits far more than one server: wider than /%d", p, min)
		}
		return entryNarrow, ""
	}
	if _, err := netip.ParseAddr(w); err != nil {
		return entryBad, fmt.Sprintf("whitelist entry %q is not an address, prefix or masked address", w)
	}
	return entryNarrow, ""
}
