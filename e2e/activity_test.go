package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/internal/testutil/sixworld"
)

// activityRow is one line of the Activity pane: status glyph, profile,
// what the check watches, and the start of its summary.
var activityRow = regexp.MustCompile(`([✓!?✗]) (\S+) +(orders|funds|key): ([^│┃]*)`)

// activityRows reads every Activity line of a screen by "what/profile".
func activityRows(screen string) map[string][2]string {
	out := map[string][2]string{}
	for _, m := range activityRow.FindAllStringSubmatch(screen, -1) {
		out[m[3]+"/"+m[2]] = [2]string{m[1], strings.TrimSpace(m[4])}
	}
	return out
}

// TestDashboardActivityOnSixExchanges runs the dashboard in a real terminal
// on a world of six profiles, one per exchange, each on its own fake: once
// the Activity pane shows every profile's three baselines, the intrusion on
// all six fakes (a foreign order, a withdrawal to an unlisted address, a
// key change) turns all 18 lines crit at the pane's own cadence (a minute;
// no refresh key is pressed), and one profile's detail view names the
// foreign order and the withdrawal. How long each line took is logged, not
// asserted.
func TestDashboardActivityOnSixExchanges(t *testing.T) {
	if testing.Short() {
		t.Skip("waits one to two activity polls (a minute each)")
	}
	testutil.LookPath(t, "tmux") // before the world is built: skip (or fail under CI) at once
	w := sixworld.New(t, keywardenBin, "")
	tm := testutil.NewTerm(t, testutil.WithCleanEnv(append(w.Env, "TERM=xterm-256color")...))
	// 160×60 with the Activity pane focused gives its row room for 18 lines.
	tm.Start(160, 60, keywardenBin)
	tm.Keys("Tab", "Tab", "Tab", "Tab", "Tab", "Tab")
	tm.WaitFor("┏━ Activity")

	var keys []string
	for _, p := range w.Profiles {
		for _, what := range []string{"orders", "funds", "key"} {
			keys = append(keys, what+"/"+p.Name)
		}
	}
	// watchScreen polls the screen until done holds or limit passes, and
	// returns the last screen.
	watchScreen := func(limit time.Duration, done func(rows map[string][2]string) bool) string {
		var s string
		for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			if s = tm.Screen(); done(activityRows(s)) {
				break
			}
		}
		return s
	}

	based := map[string]bool{}
	s := watchScreen(3*time.Minute, func(rows map[string][2]string) bool {
		for _, k := range keys {
			if r := rows[k]; r[0] == "✓" && strings.HasPrefix(r[1], "baseline set") {
				based[k] = true
			}
		}
		return len(based) == len(keys)
	})
	for _, k := range keys {
		if !based[k] {
			t.Errorf("%s: no baseline within 3 min (line %q), so no alert can follow", k, activityRows(s)[k])
		}
	}

	evidence := w.Inject(t)
	injected := time.Now()
	crit := map[string]time.Duration{}
	late := map[string][2]string{} // a line neither ✓ nor ✗ before it went ✗
	s = watchScreen(6*time.Minute, func(rows map[string][2]string) bool {
		for _, k := range keys {
			r := rows[k]
			switch _, done := crit[k]; {
			case done:
			case r[0] == "✗":
				crit[k] = time.Since(injected)
			case r[0] != "" && r[0] != "✓":
				if _, seen := late[k]; !seen {
					late[k] = r
				}
			}
		}
		return len(crit) == len(keys)
	})
	rows := activityRows(s)
	for _, k := range keys {
		if d, ok := crit[k]; ok {
			t.Logf("%-22s injection to ✗ in the Activity pane: %s", k, d.Round(100*time.Millisecond))
		} else {
			t.Errorf("%s: not crit within 6 min of the intrusion (line %q)", k, rows[k])
		}
		if r, bad := late[k]; bad {
			t.Errorf("%s: showed %s %q after the intrusion before it went crit: a poll missed it", k, r[0], r[1])
		}
	}

	// One profile's details: p selects binance-bot, bybit-bot, okx-bot.
	ev := evidence["okx-bot"]
	tm.Keys("p", "p", "p")
	tm.WaitFor("profile: okx-bot")
	tm.Keys("Enter")
	tm.WaitFor("Activity ✗ · details", ev.OrderID, ev.WithdrawalID)
	tm.Keys("Escape")
	tm.WaitFor("┏━ Activity")
	tm.Keys("q")
	tm.History()
	testutil.NoSecret(t, w.Secrets(), tm.Screens())
}
