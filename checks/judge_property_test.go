package checks

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

// randomAnswer is a key-info answer as any decoder could produce it: every
// capability yes, no or unknown, sometimes an unrecognised name, and an IP
// list that may be missing, empty, narrow, admit-all, masked or garbage.
func randomAnswer(r *rand.Rand) exchange.KeyInfo {
	tri := func() exchange.Tri { return []exchange.Tri{exchange.Yes, exchange.No, exchange.Unknown}[r.IntN(3)] }
	p := exchange.Permissions{Read: tri(), Trade: tri(), Margin: tri(), Futures: tri(), Options: tri(), Transfer: tri(),
		Withdraw: tri(), Convert: tri(), BlockTrade: tri(), CopyTrading: tri(), P2P: tri(), Pay: tri(), Earn: tri()}
	if r.IntN(5) == 0 {
		p.Unrecognized = []string{"SuperPower", "Spot.NewThing", "lend"}[r.IntN(3)]
	}
	entries := []string{"203.0.113.7", "198.51.100.0/24", "2001:db8::/64", "10.1.0.0/16", // narrow
		"*", "0.0.0.0/0", "::/0", "10.0.0.0/8", "2001:db8::/32", "::ffff:0.0.0.0/96", // admit-all or too wide
		"203.**.7", "2001:***:1", // masked
		"office", "203.0.113.0/33", "", "20x.**.7"} // garbage
	var list []string
	switch r.IntN(4) {
	case 0: // not reported
	case 1:
		list = []string{}
	default:
		for n := 1 + r.IntN(3); n > 0; n-- {
			list = append(list, entries[r.IntN(len(entries))])
		}
	}
	return exchange.KeyInfo{Permissions: p, IPRestricted: tri(), Whitelist: list}
}

// admitsAll are the generated entries that admit everyone or far more
// than one server: written out here, not derived from the code under test.
var admitsAll = map[string]bool{"*": true, "0.0.0.0/0": true, "::/0": true, "10.0.0.0/8": true, "2001:db8::/32": true, "::ffff:0.0.0.0/96": true}

// The judge's promises, over many generated answers: a key that can or may
// move value with no effective restriction is crit in key.permissions and
// in ip.whitelist; withdraw yes is crit; ok means nothing is unsettled that
// matters; a verdict that lets the key through without the risk screen is
// one key.permissions passes.
func TestJudgeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	v4 := []netip.Addr{netip.MustParseAddr("203.0.113.7")}
	needsChoices := [][]string{nil, {"read"}, {"read", "trade"}, {"read", "futures"}, {"read", "trade", "withdraw"}}
	for i := range 20000 {
		info := randomAnswer(r)
		needs := needsChoices[r.IntN(len(needsChoices))]
		ex := exchange.Names()[r.IntN(len(exchange.Names()))]
		res := judgePermissions(info, needs, ex)
		j := res.key
		rs := EffectiveRestriction(info)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("answer %d %+v needs %v on %s: %s (%s %q)", i, info, needs, ex,
				strings.TrimSpace(fmt.Sprintf(format, args...)), res.Status, res.Summary)
		}
		if j == nil {
			fail("no typed judgement")
		}
		if rs.State == exchange.No && j.Exposed() && res.Status != Crit {
			fail("exposed without an effective restriction, not crit")
		}
		if info.Permissions.Withdraw == exchange.Yes && res.Status != Crit {
			fail("withdraw yes, not crit")
		}
		if info.Permissions.Unrecognized != "" && res.Status == OK {
			fail("an unrecognised permission reads ok")
		}
		if res.Status == OK {
			if j.Exposed() && rs.State != exchange.Yes {
				fail("ok while exposed with restriction %v", rs.State)
			}
			if j.Granted.Withdraw != exchange.No && !slices.Contains(j.Needs, "withdraw") {
				fail("ok while withdraw is %v", j.Granted.Withdraw)
			}
		}
		for _, e := range info.Whitelist {
			if admitsAll[e] && rs.State == exchange.Yes {
				fail("admit-all entry %q counted as a restriction", e)
			}
		}
		v := judgeVerdict([]Result{{ID: "key.permissions", Status: res.Status, Details: res.Details, key: j}})
		if v.Acceptable() && (res.Status == Crit || res.Status == Unknown) {
			fail("verdict acceptable while key.permissions is %v", res.Status)
		}
		wl := judgeWhitelist(v4, config.Profile{Needs: needs, Exchange: ex}, info, nil)
		if rs.State == exchange.No && j.Exposed() && wl.Status != Crit {
			fail("ip.whitelist %v %q for an exposed key without effective restriction", wl.Status, wl.Summary)
		}
		if wl.Status == OK && rs.State != exchange.Yes && j.Exposed() {
			fail("ip.whitelist ok (%q) with restriction %v on an exposed key", wl.Summary, rs.State)
		}
	}
}
