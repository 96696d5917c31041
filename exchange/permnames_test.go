package exchange

import (
	"slices"
	"testing"
)

// Every capability a table grants is a Permissions field (a typo would be a
// nil pointer at decode time, or a grant silently lost).
func TestPermTablesNameRealPermissions(t *testing.T) {
	withTables := 0
	for _, in := range all {
		if in.perms != nil {
			withTables++
		}
		for perm, grants := range in.perms {
			for _, g := range grants {
				var p Permissions
				if p.field(g) == nil {
					t.Errorf("%s %q grants %q, not a permission", in.Name, perm, g)
				}
			}
		}
	}
	// KuCoin, Kraken, OKX and Bybit list permissions by name.
	if withTables < 4 {
		t.Errorf("%d exchanges register a permission-name table, want at least 4", withTables)
	}
}

// An unknown name leaves trade, transfer and withdraw Unknown (never lower
// than they were), grants what its name says, changes nothing else, and is
// recorded once, as the exchange spelled it.
func TestUnrecognisedPermission(t *testing.T) {
	tests := []struct {
		name                  string
		start                 Permissions
		trade, transfer, with Tri
	}{
		{"payout", allNo(), Unknown, Unknown, Unknown},
		{"fiat-withdraw-v2", allNo(), Unknown, Unknown, Yes},
		{"FlexTransfer", allNo(), Unknown, Yes, Unknown},
		{"payout", Permissions{Transfer: Yes, Withdraw: Yes}, Unknown, Yes, Yes},
		{"payout", Permissions{Trade: Yes}, Yes, Unknown, Unknown},
	}
	for _, tt := range tests {
		p := tt.start
		unrecognisedPermission(&p, tt.name)
		if p.Trade != tt.trade || p.Transfer != tt.transfer || p.Withdraw != tt.with {
			t.Errorf("%q from %+v: trade %v transfer %v withdraw %v, want %v %v %v", tt.name, tt.start,
				p.Trade, p.Transfer, p.Withdraw, tt.trade, tt.transfer, tt.with)
		}
		if p.Unrecognized != tt.name {
			t.Errorf("%q: Unrecognized = %q", tt.name, p.Unrecognized)
		}
		rest, want := p, tt.start
		rest.Trade, rest.Transfer, rest.Withdraw, rest.Unrecognized = 0, 0, 0, ""
		want.Trade, want.Transfer, want.Withdraw = 0, 0, 0
		if rest != want {
			t.Errorf("%q changed another capability: %+v from %+v", tt.name, p, tt.start)
		}
	}
	p := allNo()
	for _, n := range []string{"Payout", "Payout", "Fiat,Card"} {
		unrecognisedPermission(&p, n)
	}
	if p.Unrecognized != "Payout,Fiat Card" {
		t.Errorf("Unrecognized = %q, want each name once, commas out of names", p.Unrecognized)
	}
}

// Grants only raise: reading the same names in any order gives one answer.
func TestGrantOrderDoesNotMatter(t *testing.T) {
	names := []string{"General", "Payout", "Transfer", "InnerTransfer"}
	var first Permissions
	for i := range 4 {
		p := allNo()
		for _, n := range slices.Concat(names[i:], names[:i]) {
			kucoinPermissions.grant(&p, n)
		}
		if i == 0 {
			first = p
		} else if p != first {
			t.Errorf("order %d: %+v, want %+v", i, p, first)
		}
	}
	if first.Withdraw != Yes || first.Transfer != Yes {
		t.Errorf("got %+v", first)
	}
}

func TestPermissionsGet(t *testing.T) {
	p := Permissions{Read: Yes, Trade: No, Margin: Unknown, Futures: Yes, Options: No, Transfer: Yes, Withdraw: No}
	want := map[string]Tri{"read": Yes, "trade": No, "margin": Unknown, "futures": Yes, "options": No,
		"transfer": Yes, "withdraw": No, "deposit": Unknown, "": Unknown}
	for name, w := range want {
		if got := p.Get(name); got != w {
			t.Errorf("Get(%q) = %v, want %v", name, got, w)
		}
	}
}
