package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestWrapDetail(t *testing.T) {
	hash := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name string
		in   string
		w    int
		want string
	}{
		{"fits", "  short line", 20, "  short line"},
		{"words with hanging indent", "  cannot read the key's permissions: please check your API key's bound IP addresses", 40,
			"  cannot read the key's permissions:\n  please check your API key's bound IP\n  addresses"},
		{"long token cut only when it cannot fit", "  hash: " + hash, 30,
			"  hash:\n  " + hash[:28] + "\n  " + hash[28:56] + "\n  " + hash[56:]},
		{"no indent", "16:04:20 ERROR binance-main place_order -1021 [clock] Timestamp ahead", 30,
			"16:04:20 ERROR binance-main\nplace_order -1021 [clock]\nTimestamp ahead"},
		{"indent dropped when too narrow", "          abc def ghi jkl mno pqr", 20, "          abc def\nghi jkl mno pqr"},
		{"styles kept", "  \x1b[1mbold words\x1b[m and more words here that wrap", 24, "  \x1b[1mbold words\x1b[m and more\n  words here that wrap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapDetail(tt.in, tt.w)
			if got != tt.want {
				t.Errorf("wrapDetail(%q, %d) =\n%q\nwant\n%q", tt.in, tt.w, got, tt.want)
			}
			for _, l := range strings.Split(got, "\n") {
				if ansi.StringWidth(l) > tt.w {
					t.Errorf("line %q is wider than %d", l, tt.w)
				}
			}
		})
	}
}
