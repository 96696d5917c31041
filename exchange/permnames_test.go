package exchange

import (
	"slices"
	"testing"
)

// Every permission a table grants is one of the seven (a typo would be a
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

func TestUnrecognisedPermission(t *testing.T) {
	tests := []struct {
		name           string
		start          Permissions
		transfer, with Tri
	}{
		{"payout", allNo(), Unknown, Unknown},
		{"fiat-withdraw-v2", allNo(), Unknown, Yes},
		{"FlexTransfer", allNo(), Yes, Unknown},
		{"payout", Permissions{Transfer: Yes, Withdraw: Yes}, Yes, Yes},
	}
	for _, tt := range tests {
		p := tt.start
		unrecognisedPermission(&p, tt.name)
		if p.Transfer != tt.transfer || p.Withdraw != tt.with {
			t.Errorf("%q from %+v: transfer %v withdraw %v, want %v %v", tt.name, tt.start, p.Transfer, p.Withdraw, tt.transfer, tt.with)
		}
		if p.Read != tt.start.Read || p.Trade != tt.start.Trade {
			t.Errorf("%q changed read or trade", tt.name)
		}
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
