package alert

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// syncBuffer is a log sink safe for the follower goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAuditLogLinesWakeTheAuditCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api_audit.log")
	if err := os.WriteFile(path, []byte(`{"ts":"2026-11-25T16:00:00Z","level":"error","msg":"old failure","code":-1021}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sched := NewSchedule(DefaultCadence, time.Minute)
	wake := make(chan struct{}, 1)
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		FollowAuditLogs(ctx, []config.Profile{{Name: "binance-main", Exchange: "binance", AuditLog: path}, {Name: "no-log", Exchange: "okx"}},
			[]keystore.Secret{keystore.NewSecret(apiSecret)}, sched, wake, slog.New(slog.NewJSONHandler(&logs, nil)))
		close(done)
	}()
	waitWake := func(what string) {
		t.Helper()
		select {
		case <-wake:
		case <-time.After(20 * time.Second):
			t.Fatalf("no wake after %s", what)
		}
	}
	// The follower starts at the end: lines are written until one is seen.
	for _, tc := range []struct{ name, line, logged string }{
		{"a clock error", `{"ts":"2026-11-25T16:04:11Z","level":"error","msg":"place_order failed","code":-1021}`, `"cause":"clock"`},
		{"a leaked secret", `2026-11-25 16:04:12,001 | INFO | API CALL: place_order | kwargs={'secret': '` + apiSecret + `'}`, `"secret_in_log":true`},
	} {
		stop := make(chan struct{})
		go func() {
			for {
				_, _ = f.WriteString(`{"level":"info","msg":"heartbeat"}` + "\n" + tc.line + "\n")
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
		// A wake left over from the previous line does not count.
		for waitWake(tc.name); !strings.Contains(logs.String(), tc.logged); {
			waitWake(tc.name)
		}
		close(stop)
		if !sched.Forced() {
			t.Fatalf("%s: the auditlog check was not made due", tc.name)
		}
		sched.Due(nil, time.Now()) // consume the force
	}
	cancel()
	<-done
	if strings.Contains(logs.String(), apiSecret) {
		t.Fatalf("logs:\n%s", logs.String())
	}
}
