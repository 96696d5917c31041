package cmd

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/keywarden/keywarden/internal/testutil"
)

// TestDashboardInTerminal runs the real `keywarden` in tmux: the dashboard
// fills, adapts to a resize, and every way out (q, ctrl+c, SIGTERM, SIGHUP)
// leaves the terminal as it was: same stty settings, alternate screen left.
func TestDashboardInTerminal(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "keywarden")); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t)
	tm := testutil.NewTerm(t)
	tm.Start(120, 40, "sh")
	for i, exit := range []string{"q", "ctrl+c", "TERM", "HUP"} {
		pidFile := filepath.Join(dir, "pid"+strconv.Itoa(i))
		before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
		done := "EXIT-" + strconv.Itoa(i) + "="
		cmdline := "clear; stty -a > " + before + "; env -u KEYWARDEN_KEYSTORE -u NO_COLOR sh -c 'echo $$ > " + pidFile +
			"; exec " + filepath.Join(dir, "keywarden") + " --config " + cfg + "'; echo " + done + "$?; stty -a > " + after + "; echo END-" + strconv.Itoa(i)
		tm.TypeLine(cmdline)
		s := tm.WaitFor("Clock", "Network", "Keys", "Permissions", "Audit log", "Hygiene", "refreshed")
		if !strings.Contains(s, "keystore: file") || !strings.Contains(s, "2 keys") {
			t.Errorf("header lacks backend or key count:\n%s", s)
		}
		if i == 0 {
			tm.Resize(80, 24)
			tm.WaitFor("── Network", "? help • q quit")
			tm.Resize(120, 40)
			tm.WaitFor("╭─ Network")
		}
		switch exit {
		case "q":
			tm.Keys("q")
		case "ctrl+c":
			tm.Keys("C-c")
		default:
			b, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP}[exit]
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
		}
		s = tm.WaitFor(done, "END-"+strconv.Itoa(i))
		if strings.Contains(s, "Permissions") {
			t.Errorf("%s: the dashboard is still on screen after it exited:\n%s", exit, s)
		}
		if !strings.Contains(s, done+"0") {
			t.Errorf("%s: exit status not 0:\n%s", exit, s)
		}
		b1, _ := os.ReadFile(before)
		b2, _ := os.ReadFile(after)
		if len(b1) == 0 || string(b1) != string(b2) {
			t.Errorf("%s: terminal settings changed:\nbefore %s\nafter  %s", exit, b1, b2)
		}
	}
}
