package testutil

import (
	"encoding/base64"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TermWait bounds every wait on a terminal. It is generous for a loaded
// machine: it only stops a hang, nothing asserts how fast a screen appears.
const TermWait = 45 * time.Second

var tmuxServers atomic.Int32

// Term is a real terminal: a tmux server of its own, with no config file,
// killed when the test ends. Start opens a session in it; the other methods
// act on the latest session. Every screen it captures is kept, so a test can
// search them all for secrets at the end (Screens, NoSecret).
type Term struct {
	t       testing.TB
	bin     string
	sock    string
	opts    termOptions
	runs    int    // sessions started
	session string // the latest session's name
	screens []string
}

type termOptions struct {
	clean bool     // start from an empty environment
	env   []string // VAR=value set for every session's command
	bus   string   // the D-Bus session bus handed to the command, "" for none
}

// A TermOption changes how every session of a Term is started.
type TermOption func(t testing.TB, o *termOptions)

// WithCleanEnv runs each session's command with exactly the variables kv
// (VAR=value), so nothing of the developer's environment leaks in.
func WithCleanEnv(kv ...string) TermOption {
	return func(_ testing.TB, o *termOptions) {
		o.clean = true
		o.env = append(o.env, kv...)
	}
}

// WithSessionBus hands the test's D-Bus session bus to the command, for the
// keyring backend (run the test under tools/kwtest.sh). Without it the
// command sees DBUS_SESSION_BUS_ADDRESS empty. The test skips, or fails under
// KEYWARDEN_REQUIRE_REAL, when there is no bus.
func WithSessionBus() TermOption {
	return func(t testing.TB, o *termOptions) {
		o.bus = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
		if o.bus == "" {
			MissingReal(t, "no D-Bus session bus with gnome-keyring (DBUS_SESSION_BUS_ADDRESS unset)")
		}
	}
}

// NewTerm starts nothing yet: it finds tmux (skipping or failing via
// MissingReal without it) and registers the server's kill-server cleanup.
func NewTerm(t testing.TB, opts ...TermOption) *Term {
	t.Helper()
	tm := &Term{t: t, bin: LookPath(t, "tmux"),
		sock: "kwtest-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(int(tmuxServers.Add(1)))}
	for _, o := range opts {
		o(t, &tm.opts)
	}
	t.Cleanup(func() { _ = exec.Command(tm.bin, "-L", tm.sock, "kill-server").Run() })
	return tm
}

// Start opens a new w × h session running command (argv, not a shell line)
// and makes it the one later calls act on. Each session has a fresh name:
// the previous one may still be closing after its command ended.
func (tm *Term) Start(w, h int, command ...string) {
	tm.t.Helper()
	argv := []string{"env"}
	if tm.opts.clean {
		argv = append(argv, "-i")
	}
	argv = append(argv, tm.opts.env...)
	if tm.opts.bus != "" || !tm.opts.clean {
		argv = append(argv, "DBUS_SESSION_BUS_ADDRESS="+tm.opts.bus)
	}
	tm.runs++
	tm.session = "kw" + strconv.Itoa(tm.runs)
	args := append([]string{"new-session", "-d", "-s", tm.session, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h)}, append(argv, command...)...)
	// The previous session's command may just have ended, and a tmux
	// server with no session left exits: a new session asked for in that
	// moment gets "server exited unexpectedly". Ask again, within the
	// deadline, once the old server is gone.
	for end := time.Now().Add(TermWait); ; time.Sleep(50 * time.Millisecond) {
		out, err := tm.try(args...)
		if err == nil {
			return
		}
		if !strings.Contains(out, "server exited unexpectedly") || time.Now().After(end) {
			tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
	}
}

func (tm *Term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := tm.try(args...)
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return out
}

func (tm *Term) try(args ...string) (string, error) {
	out, err := exec.Command(tm.bin, append([]string{"-L", tm.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	return string(out), err
}

// Keys sends tmux key names (Enter, Escape, Tab, Down, q, C-c).
func (tm *Term) Keys(k ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys", "-t", tm.session}, k...)...)
}

// Literal types text as is.
func (tm *Term) Literal(s string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-t", tm.session, "-l", s)
}

// TypeLine types a shell command and Enter.
func (tm *Term) TypeLine(line string) {
	tm.t.Helper()
	tm.Literal(line)
	tm.Keys("Enter")
}

// Paste pastes s as a terminal paste (bracketed), through a tmux buffer
// loaded from stdin so the value is in no process's argv.
func (tm *Term) Paste(s string) {
	tm.t.Helper()
	c := exec.Command(tm.bin, "-L", tm.sock, "-f", "/dev/null", "load-buffer", "-b", "kw", "-")
	c.Stdin = strings.NewReader(s)
	if out, err := c.CombinedOutput(); err != nil {
		tm.t.Fatalf("tmux load-buffer: %v\n%s", err, out)
	}
	tm.tmux("paste-buffer", "-p", "-d", "-b", "kw", "-t", tm.session)
}

// Resize makes the window w × h.
func (tm *Term) Resize(w, h int) {
	tm.t.Helper()
	tm.tmux("resize-window", "-t", tm.session, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
}

// AltScreen reports whether the pane is on the alternate screen.
func (tm *Term) AltScreen() bool {
	tm.t.Helper()
	return strings.TrimSpace(tm.tmux("display", "-p", "-t", tm.session, "#{alternate_on}")) == "1"
}

// Screen is what a person reads now.
func (tm *Term) Screen() string {
	tm.t.Helper()
	return tm.keep(tm.tmux("capture-pane", "-p", "-t", tm.session))
}

// History is the whole scrollback plus the screen.
func (tm *Term) History() string {
	tm.t.Helper()
	return tm.keep(tm.tmux("capture-pane", "-p", "-S", "-", "-E", "-", "-t", tm.session))
}

func (tm *Term) keep(s string) string {
	tm.screens = append(tm.screens, s)
	return s
}

// WaitUntil polls the screen until ok holds, and fails with the last screen
// and the scrollback when TermWait passes. A capture that fails (the session
// is still starting or already closing) is polled again, not fatal.
func (tm *Term) WaitUntil(what string, ok func(screen string) bool) string {
	tm.t.Helper()
	var s string
	var err error
	for end := time.Now().Add(TermWait); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if s, err = tm.try("capture-pane", "-p", "-t", tm.session); err != nil {
			continue
		}
		if ok(tm.keep(s)) {
			return s
		}
	}
	hist, _ := tm.try("capture-pane", "-p", "-S", "-", "-E", "-", "-t", tm.session)
	tm.t.Fatalf("the screen never showed %s (last capture error: %v):\n%s\nwith history:\n%s", what, err, s, hist)
	return ""
}

// WaitFor waits until the screen holds every string.
func (tm *Term) WaitFor(what ...string) string {
	tm.t.Helper()
	return tm.WaitUntil(strings.Join(what, ", "), func(s string) bool {
		for _, w := range what {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// WaitMatch waits until the screen matches every regular expression.
func (tm *Term) WaitMatch(res ...string) string {
	tm.t.Helper()
	rx := make([]*regexp.Regexp, len(res))
	for i, r := range res {
		rx[i] = regexp.MustCompile(r)
	}
	return tm.WaitUntil(strings.Join(res, ", "), func(s string) bool {
		for _, r := range rx {
			if !r.MatchString(s) {
				return false
			}
		}
		return true
	})
}

// Screens is every screen captured so far, for a final search for secrets
// (NoSecret).
func (tm *Term) Screens() []string { return append([]string(nil), tm.screens...) }

// NoSecret fails if any secret, as is, base64- or URL-encoded, is in any of
// texts (captured screens, a command's output).
func NoSecret(t testing.TB, secrets, texts []string) {
	t.Helper()
	for _, s := range secrets {
		for _, enc := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), url.QueryEscape(s)} {
			for i, text := range texts {
				if strings.Contains(text, enc) {
					t.Fatalf("a secret is in capture %d:\n%s", i, text)
				}
			}
		}
	}
}
