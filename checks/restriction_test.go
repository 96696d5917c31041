package checks

import (
	"strings"
	"testing"

	"github.com/keywarden/keywarden/exchange"
)

func TestEffectiveRestriction(t *testing.T) {
	Y, N, U := exchange.Yes, exchange.No, exchange.Unknown
	tests := []struct {
		name   string
		ip     exchange.Tri
		list   []string
		want   exchange.Tri
		masked bool
		why    string // a substring of Why
	}{
		{"one address", Y, []string{"203.0.113.7"}, Y, false, ""},
		{"a /24 and an IPv6 /64", Y, []string{"203.0.113.0/24", "2001:db8::/64"}, Y, false, ""},
		{"exchange says none", N, []string{"203.0.113.7"}, N, false, "reports no IP restriction"},
		{"bound, list not reported", Y, nil, Y, false, ""},
		{"nobody says", U, nil, U, false, "does not say"},
		{"empty list", Y, []string{}, N, false, "empty"},
		{"star", Y, []string{"*"}, N, false, `"*"`},
		{"ipv4 admit-all", Y, []string{"203.0.113.7", "0.0.0.0/0"}, N, false, "0.0.0.0/0"},
		{"ipv6 admit-all", Y, []string{"::/0"}, N, false, "::/0"},
		{"okx pair", Y, []string{"0.0.0.0/0", "::/0"}, N, false, "0.0.0.0/0"},
		{"all of IPv4 as mapped IPv6", Y, []string{"::ffff:0.0.0.0/96"}, N, false, "every address"},
		{"ipv4 /15 is too wide", Y, []string{"10.0.0.0/15"}, N, false, "wider than /16"},
		{"ipv4 /16 is a restriction", Y, []string{"10.1.0.0/16"}, Y, false, ""},
		{"ipv6 /47 is too wide", Y, []string{"2001:db8::/47"}, N, false, "wider than /48"},
		{"ipv6 /48 is a restriction", Y, []string{"2001:db8::/48"}, Y, false, ""},
		{"masked", Y, []string{"203.**.7"}, Y, true, ""},
		{"all stars and dots", Y, []string{"**.**.**.**"}, N, false, "every address"},
		{"garbage entry", Y, []string{"203.0.113.7", "office wifi"}, U, false, `"office wifi"`},
		{"bad prefix", Y, []string{"203.0.113.0/33"}, U, false, "not an address"},
		{"admit-all wins over garbage", Y, []string{"junk", "*"}, N, false, `"*"`},
		{"masked garbage", Y, []string{"20x.**.7"}, U, false, "not an address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := EffectiveRestriction(exchange.KeyInfo{IPRestricted: tt.ip, Whitelist: tt.list})
			if r.State != tt.want || r.Masked != tt.masked {
				t.Fatalf("%+v, want state %v masked %v", r, tt.want, tt.masked)
			}
			if tt.want != Y && (r.Why == "" || !strings.Contains(r.Why, tt.why)) {
				t.Errorf("why %q, want it to mention %q", r.Why, tt.why)
			}
		})
	}
}
