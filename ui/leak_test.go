package ui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Run leaves nothing behind: the audit follower, its pump, the check
// commands and every timer end when the dashboard quits.
func TestRunLeavesNoGoroutine(t *testing.T) {
	// Goroutines of earlier tests (teatest's interrupt watcher never ends)
	// are not this test's.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	logPath := filepath.Join(t.TempDir(), "bot.log")
	if err := os.WriteFile(logPath, []byte(`{"level":"info","event":"get_balance","msg":"ok"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &runner{rs: world()}
	opts := testOptions(r)
	opts.Audit = map[string]AuditFeed{"binance-main": FollowLog(logPath, "binance", nil)}
	in, keys := io.Pipe()
	opts.Input, opts.Output = in, io.Discard
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), opts) }()
	// Quit once every group has run; until then keep the program busy.
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		n := len(r.calls)
		r.mu.Unlock()
		if n >= int(numGroups) {
			break
		}
	}
	if _, err := keys.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	keys.Close()
}
