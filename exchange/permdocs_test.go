package exchange

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/exchanges.md has a table per exchange, headed "<Exchange>
// permission", whose first column lists every name keywarden reads: a name
// added to a table here fails until the docs say what it is read as.
func TestDocsListEveryPermissionName(t *testing.T) {
	b, err := os.ReadFile("../docs/exchanges.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]map[string]bool{} // exchange → lower-cased names
	var cur string
	name := regexp.MustCompile("^\\| `([^`]+)` \\|")
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "|") {
			cur = ""
			continue
		}
		if h, ok := strings.CutSuffix(strings.ToLower(strings.TrimSpace(strings.Split(strings.Trim(line, "|"), "|")[0])), " permission"); ok && lookup(h) != nil {
			cur = h
			listed[cur] = map[string]bool{}
			continue
		}
		if m := name.FindStringSubmatch(line); cur != "" && m != nil {
			listed[cur][strings.ToLower(m[1])] = true
		}
	}
	want := map[string][]string{}
	for _, in := range all {
		for n := range in.perms {
			want[in.Name] = append(want[in.Name], n)
		}
	}
	bp := binancePermissions
	for _, p := range []binancePermission{bp.read, bp.trade, bp.margin, bp.futures, bp.options, bp.transfer, bp.withdraw} {
		want[binanceName] = append(want[binanceName], p.fields()...)
	}
	want[coinbaseName] = []string{"can_view", "can_trade", "can_transfer", "portfolio_type"}
	for _, in := range all {
		if len(want[in.Name]) == 0 {
			t.Errorf("%s: no permission names to check", in.Name)
		}
		if listed[in.Name] == nil {
			t.Errorf("docs/exchanges.md: no table headed %q", in.Name+" permission")
			continue
		}
		for _, n := range want[in.Name] {
			if !listed[in.Name][strings.ToLower(n)] {
				t.Errorf("docs/exchanges.md: %s permission %q is not in its table", in.Name, n)
			}
		}
		distinct := map[string]bool{}
		for _, n := range want[in.Name] {
			distinct[strings.ToLower(n)] = true
		}
		for n := range listed[in.Name] {
			if !distinct[n] {
				t.Errorf("docs/exchanges.md: %s table lists %q, which keywarden does not read", in.Name, n)
			}
		}
	}
}
