package exchange

import "strings"

// Exchanges that list a key's permissions by name (KuCoin, Kraken, OKX,
// Bybit) share one rule for reading the list: a name this package knows
// grants what its table says; a name it does not know (one the exchange
// added after this was written) must never make the key look safer than it
// is. So an unknown name leaves Trade, Transfer and Withdraw Unknown unless
// something else granted them, one naming withdrawal grants Withdraw, one
// naming transfer grants Transfer, and the name is recorded in
// Permissions.Unrecognized so the report can say which: "withdrawals off" is
// only said when every name on the list is understood.

// permTable maps an exchange's permission names to the capabilities each
// grants, named as in Permissions.Get ("read", "trade", "convert", …). A
// name documented to grant none of them maps to nil. Tables read by grant
// are keyed lower-case.
type permTable map[string][]string

// allNo is the starting point for a complete permission list: what the list
// does not grant, the key cannot do.
func allNo() Permissions {
	return Permissions{Read: No, Trade: No, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No,
		Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No}
}

// grant applies one name from a complete permission list to p. It reports
// whether the name was recognised.
func (t permTable) grant(p *Permissions, name string) bool {
	name = strings.TrimSpace(name)
	grants, ok := t[strings.ToLower(name)]
	if !ok {
		unrecognisedPermission(p, name)
		return false
	}
	for _, g := range grants {
		p.field(g).raise(Yes)
	}
	return true
}

// unrecognisedPermission applies the rule above for a name no table knows,
// as the exchange spelled it.
func unrecognisedPermission(p *Permissions, name string) {
	lower := strings.ToLower(name)
	if strings.Contains(lower, "withdraw") {
		p.Withdraw = Yes
	}
	if strings.Contains(lower, "transfer") {
		p.Transfer = Yes
	}
	p.Trade.raise(Unknown)
	p.Transfer.raise(Unknown)
	p.Withdraw.raise(Unknown)
	// A comma would split one name into two in the report.
	name = strings.ReplaceAll(name, ",", " ")
	for n := range strings.SplitSeq(p.Unrecognized, ",") {
		if n == name {
			return
		}
	}
	if p.Unrecognized != "" {
		p.Unrecognized += ","
	}
	p.Unrecognized += name
}

// field returns the permission named as in config needs ("read", ...), nil
// for another name.
func (p *Permissions) field(name string) *Tri {
	switch name {
	case "read":
		return &p.Read
	case "trade":
		return &p.Trade
	case "margin":
		return &p.Margin
	case "futures":
		return &p.Futures
	case "options":
		return &p.Options
	case "transfer":
		return &p.Transfer
	case "withdraw":
		return &p.Withdraw
	case "convert":
		return &p.Convert
	case "block_trade":
		return &p.BlockTrade
	case "copy_trading":
		return &p.CopyTrading
	case "p2p":
		return &p.P2P
	case "pay":
		return &p.Pay
	case "earn":
		return &p.Earn
	}
	return nil
}

// raise sets t to v when v says more risk: No < Unknown < Yes. Grants only
// ever raise, so the order in which names are read cannot lower a verdict.
func (t *Tri) raise(v Tri) {
	if v.risk() > t.risk() {
		*t = v
	}
}

func (t Tri) risk() int {
	switch t {
	case No:
		return 0
	case Yes:
		return 2
	}
	return 1
}
