package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

// panes are the six pane titles every full frame shows.
var panes = []string{"Clock", "Network", "Keys", "Permissions", "Audit log", "Hygiene"}

// demoRun is one `keywarden demo` started in a terminal: its own TMPDIR
// (to see that the world is removed), the secrets hook, stty before/after.
type demoRun struct {
	tm                          *testutil.Term
	dir, tmp, secretsFile, pid  string
	sttyBefore, sttyAfter, done string
}

// startDemo types the command line that runs the demo and records what the
// test needs: the stty settings before and after, the pid, the exit status.
func startDemo(t *testing.T, tm *testutil.Term, tag string) *demoRun {
	t.Helper()
	dir := t.TempDir()
	r := &demoRun{tm: tm, dir: dir, tmp: filepath.Join(dir, "tmp"), secretsFile: filepath.Join(dir, "secrets"),
		pid: filepath.Join(dir, "pid"), sttyBefore: filepath.Join(dir, "stty.before"),
		sttyAfter: filepath.Join(dir, "stty.after"), done: "EXIT-" + tag + "="}
	if err := os.Mkdir(r.tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	tm.TypeLine("clear; stty -a > " + r.sttyBefore + "; TMPDIR=" + r.tmp + " KEYWARDEN_DEMO_SECRETS_FILE=" + r.secretsFile + " KEYWARDEN_DEMO_INTRUDER_AFTER=2s" +
		" sh -c 'echo $$ > " + r.pid + "; exec " + keywardenBin + " demo'; echo " + r.done + "$?; stty -a > " + r.sttyAfter)
	return r
}

// waitFull waits for a frame in which every pane shows content: all titles,
// no pane still checking or waiting for its log, the leak counted.
func (r *demoRun) waitFull() string {
	return r.tm.WaitUntil("every pane filled", func(s string) bool {
		for _, p := range panes {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return (strings.Contains(s, "secret redacted") || strings.Contains(s, "secrets redacted")) &&
			!strings.Contains(s, "… checking") && !strings.Contains(s, "waiting for the audit log")
	})
}

// secrets reads the demo's generated secrets from the test hook.
func (r *demoRun) secrets(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(r.secretsFile)
	if err != nil {
		t.Fatalf("the secrets hook wrote nothing: %v", err)
	}
	s := strings.Fields(string(b))
	if len(s) != 7 {
		t.Fatalf("the secrets hook wrote %d values, want 7", len(s))
	}
	return s
}

// signal sends sig to the demo process.
func (r *demoRun) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	b, err := os.ReadFile(r.pid)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
}

// checkExited: the demo exited 0, the terminal is back (alternate screen
// left, same stty settings, the shell answers) and the world is gone.
func (r *demoRun) checkExited(t *testing.T, how string) {
	t.Helper()
	s := r.tm.WaitFor(r.done)
	if !strings.Contains(s, r.done+"0") {
		t.Errorf("%s: exit status not 0:\n%s", how, s)
	}
	if strings.Contains(s, "Permissions") {
		t.Errorf("%s: the dashboard is still on screen:\n%s", how, s)
	}
	if r.tm.AltScreen() {
		t.Errorf("%s: the terminal is still on the alternate screen", how)
	}
	// The shell's prompt is usable: a command typed now runs.
	r.tm.TypeLine("echo PROMPT-$((40+2))")
	r.tm.WaitFor("PROMPT-42")
	before, _ := os.ReadFile(r.sttyBefore)
	after, _ := os.ReadFile(r.sttyAfter)
	if len(before) == 0 || !bytes.Equal(before, after) {
		t.Errorf("%s: terminal settings changed:\nbefore %s\nafter  %s", how, before, after)
	}
	if left, _ := os.ReadDir(r.tmp); len(left) > 0 {
		t.Errorf("%s: the demo left %v in its TMPDIR", how, left)
	}
}

// TestDemoDashboard runs `keywarden demo` in tmux at 120×40 and 80×24: every
// pane fills with what the world plants, focus moves, a detail view opens,
// the audit log filters, the layout follows a resize, q quits, the terminal
// comes back, and no secret is ever on screen.
func TestDemoDashboard(t *testing.T) {
	sizes := []struct {
		name       string
		w, h       int
		other      [2]int
		otherFrame string // a title line of the other size's layout
		focused    string // the Permissions title when it has the focus
	}{
		{"wide", 120, 40, [2]int{80, 24}, `(?m)^── Network`, "┏━ Permissions"},
		{"narrow", 80, 24, [2]int{120, 40}, `[╭┏][─━] Network`, "━━ Permissions"},
	}
	host, _ := os.Hostname()
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			tm := newTerm(t, sz.w, sz.h)
			r := startDemo(t, tm, sz.name)
			s := r.waitFull()
			secrets := r.secrets(t)
			want := []string{"keystore: memory", "withdrawals enabled"}
			if sz.w >= 120 && host != "" {
				want = append(want, host, "3 keys")
			}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("the dashboard lacks %q:\n%s", w, s)
				}
			}
			// On a loaded machine the loopback IP lookup can lose the
			// ip.public check's 1 s family grace (the IPv6 dials to the IPv4
			// echo servers fail at once); a user would press r, so does the
			// test, once, and says so.
			if strings.Contains(s, "no IP source answered") {
				t.Logf("ip.public timed out on the first run; refreshing")
				tm.Keys("r")
			}
			// The withdrawal and IP-whitelist criticals, with their words.
			tm.WaitMatch(`✗ binance-main +withdrawals enabled`, `✗ bybit-grid +the exchange rejects this host's IP`)
			// The intruder strikes 2 s after the activity baseline; its
			// withdrawal is crit at the next poll (r until it is). Its
			// order waits out activity.Grace: TestDemoCheckReport has it.
			if sz.w >= 120 {
				last := time.Now()
				tm.WaitUntil("the intruder's withdrawal in the Activity pane", func(s string) bool {
					if regexp.MustCompile(`✗ kucoin-spot +funds: 1 move out`).MatchString(s) {
						return true
					}
					if time.Since(last) > 2*time.Second {
						tm.Keys("r")
						last = time.Now()
					}
					return false
				})
			}

			// Focus moves: three tabs from Clock is Permissions; enter opens
			// its details with the exchange's raw permission names.
			tm.Keys("Tab", "Tab", "Tab")
			tm.WaitFor(sz.focused)
			tm.Keys("Enter")
			tm.WaitFor("Permissions ✗ · details", "hint: disable withdrawals")
			// The raw exchange data is further down on a short terminal:
			// page down until it shows (the end of the details holds it).
			last := time.Time{}
			tm.WaitUntil("Permissions ✗ · details, enableWithdrawals", func(s string) bool {
				if strings.Contains(s, "enableWithdrawals") {
					return true
				}
				if time.Since(last) > 500*time.Millisecond {
					tm.Keys("PageDown")
					last = time.Now()
				}
				return false
			})
			tm.Keys("Escape")
			tm.WaitFor(sz.focused, "Hygiene")

			// The audit log, filtered: cause tags, then the redacted leak.
			filter := func(text string, res ...string) {
				tm.Keys("/")
				tm.Literal(text)
				tm.Keys("Enter")
				// The filter is applied (its text in the title, the prompt
				// gone) before the rows count: unfiltered rows may match too.
				tm.WaitUntil("the filter /"+text+" applied", func(s string) bool {
					return strings.Contains(s, "Audit log ✗  /"+text+" ") && !strings.Contains(s, "enter apply")
				})
				tm.WaitMatch(res...)
				tm.Keys("Escape")
				// Positive evidence, not an absence a half-drawn frame could
				// fake: the title runs straight into its border again.
				tm.WaitMatch(`Audit log [✗!✓?] [─━]`)
			}
			filter("[clock]", `ERROR binance-main \S+ -1021 \[clock\] Timestamp`)
			filter("[ip]", `ERROR bybit-grid \S+ 10010 \[ip\] Unmatched`)
			filter("DEBUG", `DEBUG binance-main .*secret=\[REDACTED`, `✗ 1 secret redacted`)

			// Resize to the other size: the layout follows. Then back, so
			// the terminal ends as it began; the frame drawn after growing
			// back is not asserted in full: with both cores busy, tmux
			// growing the window while a frame is written can leave it
			// drawn shifted (docs/dashboard.md, "Known limits").
			tm.Resize(sz.other[0], sz.other[1])
			tm.WaitMatch(sz.otherFrame)
			r.waitFull()
			tm.Resize(sz.w, sz.h)
			tm.WaitFor(sz.focused[:len(sz.focused)-len("Permissions")] + "Audit log")

			tm.Keys("q")
			r.checkExited(t, "q")
			tm.History()
			testutil.NoSecret(t, secrets, tm.Screens())
		})
	}
}

// TestDemoExits: ctrl+c, SIGTERM and SIGHUP (the SSH link dropped) all
// restore the terminal and remove the world.
func TestDemoExits(t *testing.T) {
	tm := newTerm(t, 80, 24)
	var secrets []string
	for _, how := range []string{"ctrl+c", "TERM", "HUP"} {
		r := startDemo(t, tm, how)
		r.waitFull()
		secrets = append(secrets, r.secrets(t)...)
		switch how {
		case "ctrl+c":
			tm.Keys("C-c")
		case "TERM":
			r.signal(t, syscall.SIGTERM)
		case "HUP":
			r.signal(t, syscall.SIGHUP)
		}
		r.checkExited(t, how)
	}
	tm.History()
	testutil.NoSecret(t, secrets, tm.Screens())
}

// TestDemoCheckReport runs `keywarden demo --check --json` as a plain
// process: exit 2 (the world is built to fail), valid JSON, no secret, and
// nothing left in TMPDIR.
func TestDemoCheckReport(t *testing.T) {
	dir := t.TempDir()
	tmp, secretsFile := filepath.Join(dir, "tmp"), filepath.Join(dir, "secrets")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(keywardenBin, "demo", "--check", "--json")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "HOME="+filepath.Join(dir, "home"), "XDG_CACHE_HOME=",
		"KEYWARDEN_DEMO_SECRETS_FILE="+secretsFile)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want status 2\nstderr: %s", err, errb.String())
	}
	var rep struct {
		Version int    `json:"version"`
		Status  string `json:"status"`
		Checks  []struct {
			ID, Profile, Status, Summary string
			Details                      struct {
				Foreign []struct {
					OrderID       string `json:"order_id"`
					ClientOrderID string `json:"client_order_id"`
				} `json:"foreign"`
				Movements []struct{ ID, To string } `json:"movements"`
			}
		} `json:"checks"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	// The intruder's order on Binance and withdrawal on KuCoin, by id,
	// and nothing of the bots'.
	intruded := 0
	for _, c := range rep.Checks {
		switch d := c.Details; {
		case c.ID == "activity.orders" && c.Profile == "binance-main":
			if c.Status != "crit" || len(d.Foreign) != 1 || d.Foreign[0].OrderID == "" ||
				!strings.Contains(c.Summary, "order "+d.Foreign[0].OrderID+", client id "+d.Foreign[0].ClientOrderID) {
				t.Errorf("activity.orders: %s %q %+v, want crit naming the intruder's one order", c.Status, c.Summary, d.Foreign)
			}
			intruded++
		case c.ID == "activity.funds" && c.Profile == "kucoin-spot":
			if c.Status != "crit" || len(d.Movements) != 1 || d.Movements[0].ID == "" ||
				!strings.Contains(c.Summary, "withdrawal 0.5 BTC to "+d.Movements[0].To+" (id "+d.Movements[0].ID+")") {
				t.Errorf("activity.funds: %s %q %+v, want crit naming the intruder's withdrawal", c.Status, c.Summary, d.Movements)
			}
			intruded++
		}
	}
	if intruded != 2 {
		t.Errorf("%d of binance-main's activity.orders and kucoin-spot's activity.funds in the report", intruded)
	}
	if rep.Version != 1 || rep.Status != "crit" || len(rep.Checks) < 18 {
		t.Errorf("report: version %d, status %s, %d checks", rep.Version, rep.Status, len(rep.Checks))
	}
	b, err := os.ReadFile(secretsFile)
	if err != nil {
		t.Fatal(err)
	}
	testutil.NoSecret(t, strings.Fields(string(b)), []string{out.String(), errb.String()})
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the demo left %v in its TMPDIR", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "home")); !os.IsNotExist(err) {
		t.Errorf("the demo wrote into HOME (stat: %v)", err)
	}
}
