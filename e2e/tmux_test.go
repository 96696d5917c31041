package e2e

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

// waitLimit is generous for a loaded machine; nothing asserts speed.
const waitLimit = 45 * time.Second

var tmuxServers atomic.Int32

// term is a real terminal: a tmux server of its own running sh. Every screen
// it captures is kept, so a test can check them all for secrets at the end.
type term struct {
	t       *testing.T
	bin     string
	sock    string
	screens []string
}

func newTerm(t *testing.T, w, h int) *term {
	t.Helper()
	tm := &term{t: t, bin: testutil.LookPath(t, "tmux"),
		sock: "kwe2e-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(int(tmuxServers.Add(1)))}
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-s", "kw", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h),
		"env", "-i", "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir(), "TERM=xterm-256color", "PS1=$ ", "sh")
	t.Cleanup(func() { _ = exec.Command(tm.bin, "-L", tm.sock, "kill-server").Run() })
	return tm
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.bin, append([]string{"-L", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen is what a person reads now.
func (tm *term) screen() string {
	s := tm.tmux("capture-pane", "-p", "-t", "kw")
	tm.screens = append(tm.screens, s)
	return s
}

// history is the whole scrollback plus the screen.
func (tm *term) history() string {
	s := tm.tmux("capture-pane", "-p", "-S", "-", "-E", "-", "-t", "kw")
	tm.screens = append(tm.screens, s)
	return s
}

// typeLine types a shell command and Enter.
func (tm *term) typeLine(line string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-t", "kw", "-l", line)
	tm.tmux("send-keys", "-t", "kw", "Enter")
}

// keys sends tmux key names (Tab, Enter, Escape, q, C-c).
func (tm *term) keys(k ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys", "-t", "kw"}, k...)...)
}

// literal types text as is.
func (tm *term) literal(s string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-t", "kw", "-l", s)
}

func (tm *term) resize(w, h int) {
	tm.t.Helper()
	tm.tmux("resize-window", "-t", "kw", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
}

// altScreen reports whether the pane is on the alternate screen.
func (tm *term) altScreen() bool {
	return strings.TrimSpace(tm.tmux("display", "-p", "-t", "kw", "#{alternate_on}")) == "1"
}

// waitUntil polls the screen until ok holds, and fails with the screen.
func (tm *term) waitUntil(what string, ok func(string) bool) string {
	tm.t.Helper()
	var s string
	for end := time.Now().Add(waitLimit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if s = tm.screen(); ok(s) {
			return s
		}
	}
	tm.t.Fatalf("the screen never showed %s:\n%s", what, s)
	return ""
}

// waitFor waits for every string.
func (tm *term) waitFor(what ...string) string {
	tm.t.Helper()
	return tm.waitUntil(strings.Join(what, ", "), func(s string) bool {
		for _, w := range what {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// waitMatch waits for every regular expression.
func (tm *term) waitMatch(res ...string) string {
	tm.t.Helper()
	rx := make([]*regexp.Regexp, len(res))
	for i, r := range res {
		rx[i] = regexp.MustCompile(r)
	}
	return tm.waitUntil(strings.Join(res, ", "), func(s string) bool {
		for _, r := range rx {
			if !r.MatchString(s) {
				return false
			}
		}
		return true
	})
}
