package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/keywarden/keywarden/keystore"
)

// TestProgramRun runs the whole dashboard as a bubbletea program: a real
// audit log file followed by auditlog's follower, with a stored secret
// written into it, and the checks answered by the test runner. It waits for
// every pane to fill, filters, opens a detail, quits, and checks that the
// secret never reached the terminal.
func TestProgramRun(t *testing.T) {
	const secret = "kw-test-secret-9f8e7d6c5b4a39281706"
	dir := t.TempDir()
	logPath := filepath.Join(dir, "bot.log")
	lines := strings.Join([]string{
		`{"ts":"2026-11-25T16:02:20Z","level":"error","event":"place_order","code":-1021,"msg":"Timestamp for this request was 1000ms ahead of the server's time."}`,
		`{"ts":"2026-11-25T16:03:00Z","level":"info","event":"place_order","status":200,"msg":"ok"}`,
		`2026-11-25 16:03:30,120 | WARNING | loaded config api_secret=` + secret,
	}, "\n") + "\n"
	if err := os.WriteFile(logPath, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	sec := []keystore.Secret{keystore.NewSecret(secret)}
	r := &runner{rs: world()}
	opts := testOptions(r)
	var forgot atomic.Int32
	opts.Forget = func() { forgot.Add(1) }
	opts.Secrets = sec
	opts.Audit = map[string]AuditFeed{"binance-main": FollowLog(logPath, "binance", sec)}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := teatest.NewTestModel(t, New(opts).WithContext(ctx), teatest.WithInitialTermSize(120, 40))
	var seen bytes.Buffer
	waitFor := func(what ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			seen.Write(b)
			s := ansi.Strip(seen.String())
			for _, w := range what {
				if !strings.Contains(s, w) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	waitFor("withdrawals enabled", "not in 198.51.100.0/24", "rotate in", "world-readable", "[clock]", "secret redacted")

	// Append a line while running: the follower must pick it up.
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"ts":"2026-11-25T16:04:10Z","level":"error","event":"cancel_order","code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}` + "\n")
	f.Close()
	waitFor("[ambiguous-auth]")

	// r forgets cached work once, then runs every group again.
	tm.Type("r")
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		n := len(r.calls)
		r.mu.Unlock()
		if n >= 2*int(numGroups) {
			break
		}
	}
	r.mu.Lock()
	calls := len(r.calls)
	r.mu.Unlock()
	if forgot.Load() != 1 || calls != 2*int(numGroups) {
		t.Errorf("after r: forgot %d times, %d group runs; want 1 and %d", forgot.Load(), calls, 2*numGroups)
	}

	tm.Type("/")
	tm.Type("2015")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) // details of the audit pane
	waitFor("Audit log", "details")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	final := tm.FinalModel(t).(Model)
	if final.audit.filter != "2015" {
		t.Errorf("filter = %q", final.audit.filter)
	}
	out, _ := ioReadAll(tm.FinalOutput(t))
	all := seen.String() + string(out) + final.render()
	if strings.Contains(all, secret) {
		t.Fatal("the stored secret reached the terminal")
	}
}

func ioReadAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}
