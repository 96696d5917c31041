package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

// tmuxTerm is a real terminal: a tmux server of its own running sh.
type tmuxTerm struct {
	t    *testing.T
	bin  string
	sock string
}

func newTmux(t *testing.T, w, h int) *tmuxTerm {
	t.Helper()
	tm := &tmuxTerm{t: t, bin: testutil.LookPath(t, "tmux"), sock: "kwdash-" + strconv.Itoa(os.Getpid())}
	tm.run("new-session", "-d", "-s", "kw", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "sh")
	t.Cleanup(func() { _ = exec.Command(tm.bin, "-L", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *tmuxTerm) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.bin, append([]string{"-L", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmuxTerm) screen() string { return tm.run("capture-pane", "-p", "-t", "kw") }

// waitFor polls the screen until it holds every string. The generous limit
// is for a loaded machine; nothing asserts how fast it happens.
func (tm *tmuxTerm) waitFor(what ...string) string {
	tm.t.Helper()
	var s string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		s = tm.screen()
		ok := true
		for _, w := range what {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
	}
	hist, _ := exec.Command(tm.bin, "-L", tm.sock, "capture-pane", "-p", "-S", "-200", "-t", "kw").CombinedOutput()
	tm.t.Fatalf("screen never showed %q:\n%s\nwith history:\n%s", what, s, hist)
	return ""
}

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
	tm := newTmux(t, 120, 40)
	for i, exit := range []string{"q", "ctrl+c", "TERM", "HUP"} {
		pidFile := filepath.Join(dir, "pid"+strconv.Itoa(i))
		before, after := filepath.Join(dir, "before"), filepath.Join(dir, "after")
		done := "EXIT-" + strconv.Itoa(i) + "="
		cmdline := "clear; stty -a > " + before + "; env -u KEYWARDEN_KEYSTORE -u NO_COLOR sh -c 'echo $$ > " + pidFile +
			"; exec " + filepath.Join(dir, "keywarden") + " --config " + cfg + "'; echo " + done + "$?; stty -a > " + after + "; echo END-" + strconv.Itoa(i)
		tm.run("send-keys", "-t", "kw", "-l", cmdline)
		tm.run("send-keys", "-t", "kw", "Enter")
		s := tm.waitFor("Clock", "Network", "Keys", "Permissions", "Audit log", "Hygiene", "refreshed")
		if !strings.Contains(s, "keystore: file") || !strings.Contains(s, "2 keys") {
			t.Errorf("header lacks backend or key count:\n%s", s)
		}
		if i == 0 {
			tm.run("resize-window", "-t", "kw", "-x", "80", "-y", "24")
			tm.waitFor("── Network", "? help • q quit")
			tm.run("resize-window", "-t", "kw", "-x", "120", "-y", "40")
			tm.waitFor("╭─ Network")
		}
		switch exit {
		case "q":
			tm.run("send-keys", "-t", "kw", "q")
		case "ctrl+c":
			tm.run("send-keys", "-t", "kw", "C-c")
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
		s = tm.waitFor(done, "END-"+strconv.Itoa(i))
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
